"""What rules yield (``Violation``), what the engine emits (``Finding``), and ``NotChecked``.

Rules are pure functions that yield violations in plain words; the engine adds the code, slug,
discipline, severity and clause from the registry, so wording and metadata never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from drawings.findings import geojson
from drawings.model import Severity

__all__ = ["Finding", "NotChecked", "Violation"]


class NotChecked(Exception):  # noqa: N818 - a result, not an error: "not checked"
    """Raised by a rule whose inputs are absent: it reports "not checked" with the reason."""

    def __init__(self, reason: str, reason_en: str) -> None:
        self.reason = reason
        self.reason_en = reason_en
        super().__init__(reason_en)


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed check, in the drawing's own coordinates (metres).

    ``severity`` overrides the rule's default (warning variants of a rule, e.g. GB 50016 values).
    ``params`` records the parameters and thresholds the rule used, for reproducibility.
    """

    message: str
    message_en: str
    file: str | None = None
    sheet: str | None = None
    geometry: BaseGeometry | None = None
    handles: tuple[str, ...] = ()
    measured: float | None = None
    limit: float | None = None
    unit: str | None = None
    severity: Severity | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding as ``API.md`` defines it (plus the English message and the parameters used)."""

    code: str
    slug: str
    discipline: str
    severity: Severity
    message: str
    message_en: str
    clause: str
    measured: float | None
    limit: float | None
    unit: str | None
    file: str | None
    sheet: str | None
    location: Mapping[str, Any] | None
    handles: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``API.md``."""
        return {
            "code": self.code,
            "slug": self.slug,
            "discipline": self.discipline,
            "severity": self.severity.value,
            "message": self.message,
            "message_en": self.message_en,
            "clause": self.clause,
            "measured": None if self.measured is None else round(self.measured, 4),
            "limit": self.limit,
            "unit": self.unit,
            "file": self.file,
            "sheet": self.sheet,
            "location": self.location,
            "handles": list(self.handles),
            "params": dict(self.params),
        }

    @classmethod
    def from_violation(
        cls, v: Violation, *, code: str, slug: str, discipline: str, severity: Severity, clause: str
    ) -> Finding:
        """Complete a violation with the rule's metadata."""
        return cls(
            code=code,
            slug=slug,
            discipline=discipline,
            severity=v.severity or severity,
            message=v.message,
            message_en=v.message_en,
            clause=clause,
            measured=v.measured,
            limit=v.limit,
            unit=v.unit,
            file=v.file,
            sheet=v.sheet,
            location=geojson(v.geometry),
            handles=tuple(v.handles),
            params=dict(v.params),
        )
