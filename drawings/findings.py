"""Intake findings ``DXF-001`` … ``DXF-012`` with their catalogue slugs and bilingual messages.

One constructor per code keeps wording and severity in one place ("same matter, same standard,
same code"): the catalogue (``rules/CATALOGUE.md``, section "Drawing intake — DXF") is the source
of codes, slugs and severities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from drawings.model import IntakeFinding, Severity

__all__ = ["SLUGS", "geojson", "intake"]

SLUGS: Mapping[str, str] = {
    "DXF-001": "unreadable",
    "DXF-002": "repaired",
    "DXF-003": "units-unset",
    "DXF-004": "proxy-objects",
    "DXF-005": "required-layer-missing",
    "DXF-006": "boundary-not-closed",
    "DXF-007": "unmapped-layers",
    "DXF-008": "text-encoding",
    "DXF-009": "block-nesting-limit",
    "DXF-010": "external-reference",
    "DXF-011": "sheet-unidentified",
    "DXF-012": "invalid-geometry-repaired",
}

_MAX_HANDLES = 200


def geojson(geom: BaseGeometry | None) -> dict[str, Any] | None:
    """A GeoJSON geometry (metres, model space), or ``None`` for no or empty geometry."""
    if geom is None or geom.is_empty:
        return None
    out: dict[str, Any] = dict(shapely.geometry.mapping(geom))
    result: dict[str, Any] = _lists(out)
    return result


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def intake(
    code: str,
    severity: Severity,
    message: str,
    message_en: str,
    *,
    file: str | None,
    sheet: str | None = None,
    layer: str | None = None,
    geometry: BaseGeometry | None = None,
    handles: Sequence[str] = (),
    measured: float | None = None,
    limit: float | None = None,
    unit: str | None = None,
    details: Sequence[str] = (),
) -> IntakeFinding:
    """Build one intake finding; handles and details are capped so a bomb cannot bloat it."""
    handles = tuple(h for h in handles if h)
    extra = len(handles) - _MAX_HANDLES
    return IntakeFinding(
        code=code,
        slug=SLUGS[code],
        severity=severity,
        message=message,
        message_en=message_en,
        file=file,
        sheet=sheet,
        layer=layer,
        location=geojson(geometry),
        handles=handles[:_MAX_HANDLES],
        measured=measured,
        limit=limit,
        unit=unit,
        details=tuple(details[:_MAX_HANDLES]) + ((f"… +{extra}",) if extra > 0 else ()),
    )
