"""Settings of supervision, from environment variables (prefix ``LIANSHEN_``, like the rest).

| variable | default | meaning |
|---|---|---|
| ``LIANSHEN_YELLOW_SHARE`` | 0.6667 | share of a step's time after which it turns yellow |
| ``LIANSHEN_SMTP_HOST`` | (empty) | mail server for warning e-mails; empty: in-app notifications only |
| ``LIANSHEN_SMTP_PORT`` | 25 | its port |
| ``LIANSHEN_SMTP_FROM`` | ``lianshen@localhost`` | sender address of the e-mails |
| ``LIANSHEN_SMTP_TIMEOUT_SECONDS`` | 10 | connection and command timeout |
| ``LIANSHEN_SMTP_MAX_ATTEMPTS`` | 5 | tries per e-mail before it is marked failed |

The step time limits themselves are the platform settings ``LIANSHEN_INTAKE_DAYS`` (1),
``LIANSHEN_REVIEW_DAYS`` (5) and ``LIANSHEN_CONSOLIDATION_DAYS`` (2), in working days.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SupervisionSettings", "get_supervision_settings"]


class SupervisionSettings(BaseSettings):
    """Warning threshold and the mail server; see the module docstring."""

    model_config = SettingsConfigDict(env_prefix="LIANSHEN_", extra="ignore")

    yellow_share: float = Field(
        2 / 3, gt=0, lt=1, description="Share of a step's time used at which it turns yellow."
    )
    smtp_host: str = Field("", description="SMTP server; empty means no e-mail is sent.")
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = Field("lianshen@localhost", description="Sender of warning e-mails.")
    smtp_timeout_seconds: float = Field(10.0, gt=0)
    smtp_max_attempts: int = Field(5, ge=1, description="Tries per e-mail before it fails.")

    @property
    def email_enabled(self) -> bool:
        """Whether warnings are also sent by e-mail."""
        return bool(self.smtp_host)


@lru_cache(maxsize=1)
def get_supervision_settings() -> SupervisionSettings:
    """The process's supervision settings (read once; tests build their own)."""
    return SupervisionSettings()
