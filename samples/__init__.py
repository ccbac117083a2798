"""Deterministic sample drawing packages for the platform (送审图纸示例包).

The samples are complete packages as the submission standard defines them: ``project.toml``, a
``layers.toml`` with firm-specific aliases, and one DXF drawing per discipline. The checkers,
the viewer and the intake are developed and tested against them, so they are realistic (title
blocks, blocks, dimensions, MTEXT, several layer conventions) and byte-for-byte reproducible.

Two projects, each clean and with seeded violations: the residential tower and the office
building. Every package carries ``expected_findings.json``, the findings the checkers should
report (``[]`` for the clean ones), so the checkers can be tested end to end against them.

>>> from pathlib import Path
>>> folder = build_package(Path("var/samples"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from samples import office, office_violations, residential, residential_violations

__all__ = ["SAMPLES", "build_package"]

SAMPLES: dict[str, Callable[[Path], list[Path]]] = {
    "residential_tower": residential.build,
    "residential_tower_violations": residential_violations.build,
    "office_building": office.build,
    "office_building_violations": office_violations.build,
}
"""Every sample package by name: the builder writes the package into the folder it is given."""


def build_package(out_dir: Path, name: str = "residential_tower") -> Path:
    """Write sample package ``name`` to ``out_dir/name`` and return that folder.

    Building twice gives identical files (same bytes), so a package can be regenerated instead
    of being stored.

    Raises:
        ValueError: ``name`` is not a known sample.
    """
    try:
        builder = SAMPLES[name]
    except KeyError:
        known = ", ".join(sorted(SAMPLES))
        raise ValueError(f"unknown sample package {name!r}; known: {known}") from None
    folder = Path(out_dir) / name
    builder(folder)
    return folder
