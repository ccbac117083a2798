"""The first-view section of the viewer benchmark: verdict and table on made-up figures.

Nothing is timed here; the browser run itself is ``python -m benchmarks.viewer --sections
first_view``.
"""

from __future__ import annotations

from benchmarks.viewer import (
    FIRST_VIEW_TARGET_S,
    SECTIONS,
    FirstViewResult,
    first_view_verdict,
    render_first_view_table,
    run_first_view,
)


def test_the_section_runs_after_preparation() -> None:
    assert list(SECTIONS)[:2] == ["preparation", "first_view"]
    assert SECTIONS["first_view"] is run_first_view


def test_verdict_judges_the_median_of_the_largest_plan_up_to_100k() -> None:
    fast = FirstViewResult(100_000, 100_000, [0.9, 0.5, 0.6])
    slow = FirstViewResult(100_000, 100_000, [1.2, 0.8, 1.1])
    small = FirstViewResult(10_000, 10_000, [2.0])
    ok, line = first_view_verdict([small, fast])
    assert ok and "100k median 0.60 s" in line and "met" in line
    ok, line = first_view_verdict([small, slow])
    assert not ok and "100k median 1.10 s" in line and "NOT met" in line
    ok, line = first_view_verdict([FirstViewResult(100_000, 100_000, [], "Error: no browser")])
    assert not ok and "failed (Error: no browser)" in line
    ok, line = first_view_verdict([FirstViewResult(1_000_000, 1_000_000, [0.1])])
    assert not ok and "no plan of at most 100k" in line
    assert FIRST_VIEW_TARGET_S == 1.0


def test_table_lists_runs_median_and_spread() -> None:
    table = render_first_view_table(
        [FirstViewResult(10_000, 10_000, [0.3, 0.2, 0.4]), FirstViewResult(100_000, 100_000, [], "x")]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["size", "entities", "runs", "median", "s", "min", "s", "max", "s"]
    assert lines[2].split() == ["10k", "10,000", "3", "0.30", "0.20", "0.40"]
    assert lines[3].split() == ["100k", "100,000", "0", "-", "-", "-"]
