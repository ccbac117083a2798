"""Ingestion benchmark: ``drawings.load`` against plain ``ezdxf.readfile`` on the same files.

Why compare with ``readfile``: absolute seconds depend on the machine, the ratio to ezdxf's own
parser does not (much). ``drawings.load`` builds a semantic model with shapely geometry on top of
what it reads, so the targets are demanding: at 100k entities it should take at most 0.6x the
time and 0.4x the peak memory of building ezdxf's full document, and at no size more than 1.0x.

Each size is measured in the same run, each call in a fresh interpreter (see ``_measure``);
baseline and ingestion runs alternate so that both see the same machine state. Files come from
``make_large`` (cached in ``benchmarks/.cache``; generated in a child process so that this
process stays small, which the memory figures rely on).

Usage::

    python -m benchmarks.ingest                         # 10k, 100k, 1M
    python -m benchmarks.ingest --sizes 10k,100k --repeat 5 --json ingest.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import make_large
from benchmarks._measure import (
    MIB,
    ROOT,
    MeasureError,
    Measurement,
    Sample,
    format_table,
    from_samples,
    machine_info,
    run_once,
    warm_page_cache,
)

__all__ = ["BASELINE", "INGEST", "SizeResult", "Targets", "load_unbounded", "main", "verdict"]

BASELINE = "ezdxf:readfile"
INGEST = "benchmarks.ingest:load_unbounded"


@dataclasses.dataclass(frozen=True, slots=True)
class Targets:
    """The performance targets of ingestion, as ratios to ``ezdxf.readfile``."""

    at_size: int = 100_000
    time_ratio: float = 0.6
    memory_ratio: float = 0.4
    ceiling: float = 1.0  # at every size, for time and memory


def unbounded_limits() -> Any:
    """The default ingestion budgets with the file-size and wall-clock ones lifted.

    The default budgets refuse files over 200 MiB, and the 1M-entity plan is larger; a refusal
    would measure the size check, not ingestion. Every other budget keeps its default, so the
    work measured is what a real upload of that file would cost.
    """
    from drawings import IngestLimits

    return dataclasses.replace(IngestLimits(), max_bytes=1 << 62, max_seconds=1e9)


def load_unbounded(path: str) -> Any:
    """``drawings.load(path)`` with ``unbounded_limits()``."""
    from drawings import load

    return load(path, limits=unbounded_limits())


def summarize_document(doc: Any) -> dict[str, Any]:
    """What ``readfile`` produced, to check it read every entity."""
    return {"entities": len(doc.modelspace()), "blocks": len(doc.blocks)}


def summarize_model(model: Any) -> dict[str, Any]:
    """What ingestion produced, to check it did the work (and did not refuse or cut it)."""
    stats = getattr(model, "stats", None)
    findings = [getattr(f, "code", "?") for f in getattr(model, "findings", ())]
    return {
        "stats": (
            dataclasses.asdict(stats)
            if dataclasses.is_dataclass(stats) and not isinstance(stats, type)
            else repr(stats)
        ),
        "objects": len(getattr(model, "objects", ())),
        "findings": sorted(set(findings)),
    }


@dataclasses.dataclass(slots=True)
class SizeResult:
    """Figures for one plan size; ``ingest`` is ``None`` when ingestion failed (see ``error``)."""

    size: int
    entities: int
    file_bytes: int
    readfile: Measurement
    ingest: Measurement | None
    error: str | None = None

    @property
    def time_ratio(self) -> float | None:
        return self.ingest.seconds / self.readfile.seconds if self.ingest else None

    @property
    def memory_ratio(self) -> float | None:
        if not self.ingest or self.readfile.peak_bytes <= 0:
            return None
        return self.ingest.peak_bytes / self.readfile.peak_bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "entities": self.entities,
            "file_bytes": self.file_bytes,
            "readfile": self.readfile.to_dict(),
            "ingest": self.ingest.to_dict() if self.ingest else None,
            "error": self.error,
            "time_ratio": self.time_ratio,
            "memory_ratio": self.memory_ratio,
        }


def default_repeat(size: int) -> int:
    """Three runs up to 100k entities, one above: a 1M run takes minutes and is stable."""
    return 3 if size <= 100_000 else 1


def _label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def _ensure_plan(size: int) -> tuple[Path, make_large.GenerationInfo]:
    """The cached plan, generated in a child process if needed (keeps this process small)."""
    path = make_large.cache_path(size)
    info = make_large.cached_info(path)
    if info is None:
        subprocess.run(
            [sys.executable, "-m", "benchmarks.make_large", "--entities", str(size)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )
        info = make_large.cached_info(path)
        if info is None:
            raise RuntimeError(f"generating {path.name} failed")
    return path, info


def bench_size(
    size: int,
    *,
    repeat: int,
    ingest_spec: str = INGEST,
    timeout: float | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> SizeResult:
    """Measure readfile and ingestion on the plan of ``size`` entities, runs interleaved."""
    step(f"{_label(size)}: preparing plan")
    path, info = _ensure_plan(size)
    warm_page_cache(path)
    base: list[Sample] = []
    ours: list[Sample] = []
    error: str | None = None
    for i in range(repeat):
        step(f"{_label(size)}: readfile run {i + 1}/{repeat}")
        base.append(run_once(BASELINE, str(path), summary="benchmarks.ingest:summarize_document",
                             timeout=timeout))
        if error is None:
            step(f"{_label(size)}: ingest run {i + 1}/{repeat}")
            try:
                ours.append(run_once(ingest_spec, str(path),
                                     summary="benchmarks.ingest:summarize_model",
                                     timeout=timeout))
            except MeasureError as exc:
                error = str(exc)
    return SizeResult(
        size=size,
        entities=info.entities,
        file_bytes=path.stat().st_size,
        readfile=from_samples(BASELINE, [path.name], base),
        ingest=from_samples(ingest_spec, [path.name], ours) if ours else None,
        error=error,
    )


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def render_table(results: list[SizeResult]) -> str:
    """The figures as a plain-text table that pastes into a README as is."""
    headers = [
        "size", "entities", "file MiB", "readfile s", "readfile MiB", "ingest s", "ingest MiB",
        "time x", "memory x", "readfile us/ent", "ingest us/ent",
    ]
    rows = []
    for r in results:
        rf, ing = r.readfile, r.ingest
        rows.append([
            _label(r.size),
            f"{r.entities:,}",
            f"{r.file_bytes / MIB:.1f}",
            f"{rf.seconds:.2f}",
            f"{rf.peak_bytes / MIB:.0f}",
            _fmt(ing.seconds if ing else None, ".2f"),
            _fmt(ing.peak_bytes / MIB if ing else None, ".0f"),
            _fmt(r.time_ratio, ".2f"),
            _fmt(r.memory_ratio, ".2f"),
            f"{rf.seconds / r.entities * 1e6:.1f}",
            _fmt(ing.seconds / r.entities * 1e6 if ing else None, ".1f"),
        ])
    return format_table(headers, rows)


def verdict(results: list[SizeResult], targets: Targets = Targets()) -> tuple[bool, str]:
    """Whether the targets are met, and one line saying so with the figures behind it."""
    parts: list[str] = []
    ok = True
    at = next((r for r in results if r.size == targets.at_size), None)
    if at is None:
        parts.append(f"at {_label(targets.at_size)}: not measured")
    elif at.ingest is None:
        ok = False
        parts.append(f"at {_label(targets.at_size)}: ingestion failed")
    else:
        t, m = at.time_ratio or 0.0, at.memory_ratio
        t_ok = t <= targets.time_ratio
        m_ok = m is not None and m <= targets.memory_ratio
        ok = ok and t_ok and m_ok
        parts.append(
            f"at {_label(targets.at_size)}: time {t:.2f}x (target <= {targets.time_ratio:.2f}x, "
            f"{'met' if t_ok else 'NOT met'}), memory {_fmt(m, '.2f')}x "
            f"(target <= {targets.memory_ratio:.2f}x, {'met' if m_ok else 'NOT met'})"
        )
    measured = [r for r in results if r.ingest is not None]
    failed = [r for r in results if r.ingest is None]
    if measured:
        worst_t = max(measured, key=lambda r: r.time_ratio or 0.0)
        worst_m = max(measured, key=lambda r: r.memory_ratio or 0.0)
        c_ok = (worst_t.time_ratio or 0.0) <= targets.ceiling and (
            worst_m.memory_ratio or 0.0
        ) <= targets.ceiling
        ok = ok and c_ok and not failed
        parts.append(
            f"every size <= {targets.ceiling:.1f}x: worst time {worst_t.time_ratio:.2f}x at "
            f"{_label(worst_t.size)}, worst memory {_fmt(worst_m.memory_ratio, '.2f')}x at "
            f"{_label(worst_m.size)} ({'met' if c_ok and not failed else 'NOT met'})"
        )
    if failed:
        ok = False
        parts.append("ingestion failed at " + ", ".join(_label(r.size) for r in failed))
    return ok, "targets: " + "; ".join(parts)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on stderr when it is a terminal; silent otherwise."""
    if not enabled:
        yield lambda _: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _: None
        return
    with console.status("starting") as status:
        yield lambda text: status.update(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ingest", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", type=make_large.parse_sizes,
                        default=list(make_large.DEFAULT_SIZES),
                        help="entity counts, e.g. 10k,100k (default: 10k,100k,1M)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement (default: 3 up to 100k entities, 1 above)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--ingest", default=INGEST, help="callable measured as ingestion "
                        "(module:function taking the path; default: drawings.load, unbounded)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a target is not met")
    parser.add_argument("--no-progress", action="store_true", help="no spinner on stderr")
    args = parser.parse_args(argv)

    results: list[SizeResult] = []
    started = time.perf_counter()
    with _progress(not args.no_progress) as step:
        for size in args.sizes:
            repeat = args.repeat or default_repeat(size)
            results.append(bench_size(size, repeat=repeat, ingest_spec=args.ingest,
                                      timeout=args.timeout, step=step))
    ok, line = verdict(results)
    print(render_table(results))
    print()
    print(line)
    for r in results:
        if r.error:
            print(f"{_label(r.size)}: {r.error}")
    if args.json:
        payload = {
            "machine": machine_info(),
            "generator_version": make_large.GENERATOR_VERSION,
            "targets": dataclasses.asdict(Targets()),
            "seconds_total": round(time.perf_counter() - started, 1),
            "results": [r.to_dict() for r in results],
            "targets_met": ok,
            "verdict": line,
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
