"""The viewer benchmark's table and verdict, on made-up figures (nothing is timed here)."""

from __future__ import annotations

from benchmarks._measure import Measurement, Sample
from benchmarks.viewer import SECTIONS, PrepResult, prep_verdict, render_prep_table


def measured(seconds: float, result: object = None) -> Measurement:
    sample = Sample(seconds, 1 << 20, 0, 0, 0, None, result, (), "ru_maxrss")
    return Measurement("spec", (), seconds, 1 << 20, (sample,))


def result(size: int, readfile: float, payload: float | None, render: float) -> PrepResult:
    return PrepResult(
        size=size,
        entities=size,
        file_bytes=1,
        readfile=measured(readfile),
        payload=None
        if payload is None
        else measured(payload, {"bytes": 7_000, "gzip_bytes": 2_500}),
        render=measured(render, {"bytes": 600}),
        stored=measured(readfile / 10),
    )


def test_verdict_judges_payload_and_render_at_every_size() -> None:
    ok, line = prep_verdict([result(10_000, 1.0, 0.01, 0.1), result(100_000, 10.0, 0.1, 1.0)])
    assert ok
    assert "payload worst 0.010x" in line and "render worst 0.100x at 10k" in line
    ok, line = prep_verdict([result(10_000, 1.0, 0.01, 0.6), result(100_000, 10.0, 0.1, 1.0)])
    assert not ok and "render worst 0.600x at 10k (target <= 0.50x, NOT met)" in line
    ok, line = prep_verdict([result(10_000, 1.0, None, 0.1)])
    assert not ok and "payload failed at 10k" in line
    assert prep_verdict([]) == (False, "preparation target: nothing measured")


def test_table_shows_ratios_and_sizes() -> None:
    table = render_prep_table([result(100_000, 10.0, 0.1, 1.0), result(10_000, 1.0, None, 0.1)])
    lines = table.splitlines()
    assert lines[0].split()[:5] == ["size", "entities", "readfile", "s", "payload"]
    assert "100k" in lines[2] and "0.010" in lines[2] and "7,000" in lines[2]
    assert "2,500" in lines[2] and "600" in lines[2]
    assert lines[3].startswith("10k") and " - " in lines[3]
    assert list(SECTIONS) == ["preparation", "first_view"]
