"""Small pictures of a drawing around an item's location (PDF items, BCF snapshots)."""

from __future__ import annotations

import logging
from typing import Any

from drawings.serialize import ModelFormatError, loads
from review_api.models import Drawing
from review_api.storage import Storage, StorageError
from viewer.render import render_png

__all__ = ["Pictures", "bounds"]

logger = logging.getLogger(__name__)
MIN_SPAN_M = 12.0  # the smallest window shown around an item, so a point has surroundings


def _coords(value: Any) -> list[tuple[float, float]]:
    """Every (x, y) pair of a GeoJSON coordinates array, however deeply nested."""
    if isinstance(value, list | tuple):
        if len(value) >= 2 and all(isinstance(v, int | float) for v in value[:2]):
            return [(float(value[0]), float(value[1]))]
        return [p for v in value for p in _coords(v)]
    return []


def bounds(geometry: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    """The bounding box of a GeoJSON geometry, or None when it has no coordinates."""
    if not isinstance(geometry, dict):
        return None
    points = _coords(geometry.get("coordinates"))
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def window(box: tuple[float, float, float, float], aspect: float = 4 / 3) -> tuple[
    float, float, float, float
]:
    """A window of proportions ``aspect`` around ``box`` with a margin, at least MIN_SPAN_M."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w = max((x1 - x0) * 1.6, (y1 - y0) * 1.6 * aspect, MIN_SPAN_M)
    h = w / aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


class Pictures:
    """Renders item pictures, loading each drawing's model at most once."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._models: dict[int, Any] = {}

    def _model(self, drawing: Drawing) -> Any:
        if drawing.id not in self._models:
            model = None
            if drawing.model_key:
                try:
                    model = loads(self.storage.get_bytes(drawing.model_key))
                except (StorageError, ModelFormatError, ValueError) as exc:
                    logger.warning("model of drawing %s unavailable: %s", drawing.id, exc)
            self._models[drawing.id] = model
        return self._models[drawing.id]

    def at(
        self, drawing: Drawing | None, geometry: dict[str, Any] | None, width_px: int = 480
    ) -> bytes | None:
        """The drawing around ``geometry`` with it highlighted; None when there is no picture."""
        box = bounds(geometry)
        if drawing is None or box is None:
            return None
        model = self._model(drawing)
        if model is None:
            return None
        try:
            return render_png(model, window(box), width_px, highlight=[geometry or {}])
        except ValueError as exc:
            logger.warning("no picture for drawing %s: %s", drawing.id, exc)
            return None
