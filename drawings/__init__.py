"""Drawing ingestion: the only package that knows DXF.

``load()`` reads one DXF file (R12–R2018, ASCII or binary) into a ``DrawingModel``: semantic
objects on logical layer groups with valid shapely geometry in metres, sheets, storeys,
registration points, display line work and the intake findings ``DXF-001`` … ``DXF-012``.
"""

from __future__ import annotations

from drawings.errors import DrawingError, UnreadableDrawingError
from drawings.layers import LayerMap
from drawings.limits import IngestLimits
from drawings.loader import load
from drawings.model import (
    Building,
    Discipline,
    DisplayLayer,
    DrawingModel,
    IntakeFinding,
    LayerInfo,
    SemanticObject,
    Severity,
    Sheet,
    Stats,
    TextItem,
)

__all__ = [
    "Building",
    "Discipline",
    "DisplayLayer",
    "DrawingError",
    "DrawingModel",
    "IngestLimits",
    "IntakeFinding",
    "LayerInfo",
    "LayerMap",
    "SemanticObject",
    "Severity",
    "Sheet",
    "Stats",
    "TextItem",
    "UnreadableDrawingError",
    "load",
]
