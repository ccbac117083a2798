"""Settings of the platform, from environment variables (prefix ``LIANSHEN_``).

One code base runs in two deployment modes (``../shared/DESIGN.md``):

- **embedded** (the default): everything under ``LIANSHEN_DATA_DIR`` — a SQLite database, the
  uploaded files, and a Celery broker that needs no server (kombu's SQLAlchemy transport on a
  second SQLite file). ``lianshen serve`` starts the worker and the scheduler itself.
- **distributed**: ``LIANSHEN_DATABASE_URL`` points at PostgreSQL, ``LIANSHEN_BROKER_URL`` at
  Redis or RabbitMQ, ``LIANSHEN_STORAGE=s3`` puts files in S3-compatible object storage, and
  any number of ``lianshen worker`` processes and one ``lianshen beat`` run separately.

Every default is written here and in the README; nothing is read from elsewhere.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """All settings; see the module docstring for the two modes."""

    model_config = SettingsConfigDict(env_prefix="LIANSHEN_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Root of all embedded-mode state.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at DATA_DIR/lianshen.sqlite3."
    )
    broker_url: str = Field(
        "",
        description="Celery broker; empty means kombu's SQLAlchemy transport on "
        "DATA_DIR/broker.sqlite3 (no server needed).",
    )
    task_always_eager: bool = Field(
        False, description="Run tasks in the calling process (used by unit tests only)."
    )
    storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str = ""
    s3_bucket: str = "lianshen"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"

    secret_key: str = Field(
        "", description="Pepper for token hashes; empty means a random key kept in DATA_DIR."
    )
    token_ttl_minutes: int = Field(480, ge=1, description="Lifetime of a login token.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins per user name within the window before 429."
    )
    login_window_seconds: int = Field(300, ge=1)
    max_uploads_per_minute: int = Field(
        10, ge=1, description="Uploads one user may start within a minute before 429."
    )
    demo_password: str = Field("lianshen-demo", description="Password of the demo users.")

    max_concurrent_requests: int = Field(
        24,
        ge=1,
        description="Requests handled at once per API process; more wait their turn. Kept "
        "below the thread pool (40) and the database pool, so a request that holds a row lock "
        "can always get a thread to commit.",
    )
    max_upload_bytes: int = Field(
        512 * 1024 * 1024, ge=1, description="Largest accepted upload body (413 above it)."
    )
    visibility_timeout_seconds: int = Field(
        1800, ge=60, description="Redis redelivery delay of an unacknowledged task."
    )
    stalled_after_seconds: int = Field(
        900,
        ge=30,
        description="A pipeline step without progress for this long is re-queued by the sweeper.",
    )
    max_deliveries: int = Field(
        3, ge=1, description="Deliveries of one drawing's ingestion before it is marked failed."
    )

    review_days: int = Field(5, ge=1, description="Working days for each department's review.")
    intake_days: int = Field(1, ge=1, description="Working days for intake.")
    consolidation_days: int = Field(2, ge=1, description="Working days for consolidation.")

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lianshen.sqlite3').resolve()}"

    @property
    def resolved_broker_url(self) -> str:
        """The broker URL, defaulting to the embedded SQLAlchemy transport."""
        if self.broker_url:
            return self.broker_url
        return f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite3').resolve()}"

    @property
    def files_dir(self) -> Path:
        """Where the local storage keeps files."""
        return self.data_dir / "files"

    @property
    def embedded(self) -> bool:
        """True when the broker needs no server (worker started by ``lianshen serve``)."""
        return self.resolved_broker_url.startswith("sqla+")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (read once; tests build their own ``Settings``)."""
    return Settings()
