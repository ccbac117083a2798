"""Ingestion limits: how much work one drawing may cost before it is cut off or refused.

Hostile files (block bombs, million-vertex hatches, million-layer tables) load quickly in ezdxf and
then blow up whatever follows. These budgets are checked *before* the expensive step, so every
drawing gets a bounded, explained answer. The defaults fit real building drawings with a wide
margin; deployments change them through settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

__all__ = ["IngestLimits", "limits_from_env"]


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Budgets for one drawing; see the module docstring for why each exists."""

    max_bytes: int = 200 * 1024 * 1024
    """Largest DXF file accepted (the raw file, before parsing)."""
    max_entities: int = 3_000_000
    """Entities read from the file (model space, paper space and blocks together)."""
    max_expanded: int = 2_000_000
    """Entities created by expanding block references (INSERT, MINSERT arrays)."""
    max_block_depth: int = 32
    """Deepest block nesting expanded."""
    max_vertices_per_entity: int = 250_000
    """Vertices of one polyline or hatch; larger entities are skipped with DXF-009."""
    max_layers: int = 20_000
    """Layer-table entries kept; further entries are ignored with DXF-009."""
    max_text_length: int = 10_000
    """Characters kept of one text; longer texts are cut."""
    max_seconds: float = 300.0
    """Wall-clock budget of one ingestion (checked while reading)."""
    recover_memory_bytes: int = 4 * 1024 * 1024 * 1024
    """Address-space limit of the isolated recovery process for damaged files."""
    max_coordinate: float = 1e12
    """Largest absolute coordinate (drawing units) accepted; beyond it the entity is dropped."""


def limits_from_env(environ: Mapping[str, str] | None = None) -> IngestLimits:
    """``IngestLimits`` with any field overridden by ``LIANSHEN_INGEST_<FIELD>`` variables.

    For example ``LIANSHEN_INGEST_MAX_BYTES=500000000``. A value that is not a positive number
    is refused with the variable's name, so a typo never silently removes a guard.
    """
    env = os.environ if environ is None else environ
    changes: dict[str, int | float] = {}
    for f in fields(IngestLimits):
        key = f"LIANSHEN_INGEST_{f.name.upper()}"
        raw = env.get(key)
        if raw is None or not raw.strip():
            continue
        try:
            value: int | float = float(raw) if f.type == "float" else int(raw)
        except ValueError:
            raise ValueError(f"{key}={raw!r}: 需要一个正数 / expected a positive number") from None
        if not value > 0:
            raise ValueError(f"{key}={raw!r}: 需要一个正数 / expected a positive number")
        changes[f.name] = value
    return replace(IngestLimits(), **changes)  # type: ignore[arg-type]
