"""Planning rules (规划总图, PLAN-001 … PLAN-010) on the site plan drawings.

The rules read the site plan groups of the submission standard (G-SITE-REDL, G-ROAD-REDL,
G-SITE-CTRL, G-BLDG-OUTL, G-BLDG-BASE, G-GREN, G-PARK, G-ANNO-INDX and the BLDG blocks) and
the limits of the planning conditions in ``[planning]`` of project.toml. Importing this package
registers them:

- ``lines``: PLAN-001 redline-containment, PLAN-002 control-line, PLAN-007 road-setback,
  PLAN-008 boundary-setback;
- ``ratios``: PLAN-003 far-limit, PLAN-004 density-limit, PLAN-005 green-ratio,
  PLAN-006 height-limit;
- ``indicators``: PLAN-009 parking-count, PLAN-010 indicator-consistency.
"""

from __future__ import annotations

from checkers.planning import indicators, lines, ratios
from checkers.planning.indicators import indicator_mismatch, too_few_parking_stalls
from checkers.planning.lines import (
    building_crosses_control_line,
    building_outside_redline,
    building_too_close_to_boundary,
    building_too_close_to_road,
)
from checkers.planning.ratios import (
    building_density_too_high,
    building_too_high,
    far_out_of_range,
    green_ratio_too_low,
)

__all__ = [
    "CODES",
    "building_crosses_control_line",
    "building_density_too_high",
    "building_outside_redline",
    "building_too_close_to_boundary",
    "building_too_close_to_road",
    "building_too_high",
    "far_out_of_range",
    "green_ratio_too_low",
    "indicator_mismatch",
    "indicators",
    "lines",
    "ratios",
    "too_few_parking_stalls",
]

CODES = tuple(f"PLAN-{k:03d}" for k in range(1, 11))
"""The catalogue codes this package registers."""
