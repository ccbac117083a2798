"""Comparing two rounds of a large drawing, as a ratio to ingesting one of them.

The "second round" is the generated plan with realistic edits made through ezdxf: 1 % of the
walls moved by 0.5 m, 1 % of the doors widened, 0.5 % of the doors deleted and as many copied
elsewhere. Both rounds are ingested once; then, in the same process and run, ingestion of the
first round and the comparison are each timed (median of the repeats) and their ratio printed.
Target (issue: revision rounds): comparison ≤ 0.5× ingest at 100k entities.

    python -m benchmarks.diff [--sizes 10k,100k] [--repeat N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import make_large
from benchmarks.ingest import _ensure_plan, _label, load_unbounded

TARGET_AT = 100_000
TARGET_RATIO = 0.5


def edited_copy(src: Path) -> tuple[Path, dict[str, int]]:
    """The plan with deterministic edits (cached next to it) and the changes they make."""
    import ezdxf

    dst = src.with_name(src.stem + "_round2.dxf")
    expected_file = dst.with_suffix(".json")
    if dst.exists() and expected_file.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst, dict(json.loads(expected_file.read_text()))
    doc = ezdxf.readfile(src)
    msp = doc.modelspace()
    walls = [e for e in msp.query("LWPOLYLINE") if e.dxf.layer == "WALL"]
    doors = [e for e in msp.query("INSERT") if e.dxf.layer == "DOOR_FIRE"]
    for e in walls[::100]:
        e.translate(500.0, 0, 0)
    for e in doors[::100]:
        e.dxf.xscale = e.dxf.xscale * 1.3
    for e in doors[50::200]:
        copy = e.copy()
        msp.add_entity(copy)
        copy.translate(0, 1500.0, 0)
        msp.delete_entity(e)
    doc.saveas(dst)
    expected = {"moved": len(walls[::100]) + len(doors[50::200]), "modified": len(doors[::100])}
    expected_file.write_text(json.dumps(expected))
    return dst, expected


def _median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(size: int, repeat: int) -> dict[str, Any]:
    """Ingest and comparison times at one size."""
    from drawings.diff import compare

    plan, _ = _ensure_plan(size)
    second, expected = edited_copy(plan)
    old, new = load_unbounded(str(plan)), load_unbounded(str(second))
    old.materialize()
    new.materialize()
    ingest = _median_time(lambda: load_unbounded(str(plan)), repeat)
    diff = compare(old, new)
    compare_s = _median_time(lambda: compare(old, new), repeat)
    return {
        "size": size,
        "objects": len(old.objects),
        "ingest_s": round(ingest, 3),
        "compare_s": round(compare_s, 3),
        "ratio": round(compare_s / ingest, 3),
        "changes": diff.summary()["counts"],
        "expected": expected,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = make_large.parse_sizes(args.sizes)
    rows = [bench(n, args.repeat) for n in sizes]
    print("| plan | semantic objects | ingest | compare | compare ÷ ingest | changes found | edits made |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {_label(r['size'])} | {r['objects']:,} | {r['ingest_s']:.2f} s | "
            f"{r['compare_s']:.2f} s | {r['ratio']:.2f} | {r['changes']} | {r['expected']} |"
        )
    at = [r for r in rows if r["size"] == TARGET_AT]
    if at:
        ok = at[0]["ratio"] <= TARGET_RATIO
        print(f"target ≤ {TARGET_RATIO}× at {_label(TARGET_AT)}: {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
