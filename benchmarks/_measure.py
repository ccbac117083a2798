"""Measuring helpers shared by the benchmarks: one call, a fresh interpreter, time and peak memory.

Why a fresh interpreter per run: peak RSS only ever grows within a process, and CPython rarely
returns freed memory to the system, so two measurements in one process would contaminate each
other. The child imports the heavy libraries and the project packages *before* the clock starts
and before the baseline RSS is read, so import cost is not charged to the code under test:

* time: ``time.perf_counter()`` around the call;
* peak memory: ``getrusage(RUSAGE_SELF).ru_maxrss`` after the call minus the resident set size
  read from ``/proc/self/statm`` just before it.

Keep the parent small (never load or generate a drawing in it): on Linux a child's ``ru_maxrss``
starts out at the peak RSS of the parent that forked it, so after the parent has held 500 MB
every child would report at least that. The driver detects this (``ru_maxrss`` already well above
the baseline before the call) and then falls back to the child's own high-water mark ``VmHWM``,
reset through ``/proc/self/clear_refs`` just before the call; ``Sample.method`` says which
figure was used.

Usage::

    m = measure("ezdxf:readfile", "plan.dxf", repeat=3)
    print(m.seconds, m.peak_bytes)
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_PRELOAD",
    "MIB",
    "MeasureError",
    "Measurement",
    "ROOT",
    "Sample",
    "format_table",
    "from_samples",
    "machine_info",
    "measure",
    "run_once",
    "warm_page_cache",
]

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
#: Imported in the child before the baseline is taken; missing ones are skipped.
DEFAULT_PRELOAD = ("ezdxf", "shapely", "numpy", "drawings", "checkers")
_MARKER = "@@measure@@"
#: ru_maxrss may exceed the baseline by this much before the call (import transients) before
#: it is considered inherited from the parent.
_INHERITED_SLACK = 32 * MIB

# The child: preload, resolve "module:qualname", settle, read RSS, time the call, report.
_DRIVER = r"""
import gc, importlib, json, os, resource, sys, time
request = json.loads(sys.argv[1])
loaded = []
for name in request["preload"]:
    try:
        importlib.import_module(name)
        loaded.append(name)
    except ImportError:
        pass
module_name, _, qualname = request["spec"].partition(":")
target = importlib.import_module(module_name)
for part in filter(None, qualname.split(".")):
    target = getattr(target, part)
scale = 1 if sys.platform == "darwin" else 1024

def rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

def hwm():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None

def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

gc.collect()
hwm_reset = reset_hwm()
before = rss()
maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
start = time.perf_counter()
result = target(*request["args"], **request["kwargs"])
seconds = time.perf_counter() - start
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
peak_hwm = hwm()
if request["summary"]:
    module_name, _, qualname = request["summary"].partition(":")
    summarize = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        summarize = getattr(summarize, part)
    summary = summarize(result)
else:
    summary = type(result).__name__
report = {
    "seconds": seconds, "rss_before": before, "maxrss_before": maxrss_before,
    "maxrss_after": maxrss, "hwm_after": peak_hwm if hwm_reset else None,
    "result": summary, "preloaded": loaded,
}
sys.stdout.write("\n" + request["marker"] + json.dumps(report) + "\n")
sys.stdout.flush()
os._exit(0)  # skip tearing down what the call built: it can take longer than the call
"""


class MeasureError(RuntimeError):
    """The measured call failed in the child; ``detail`` is the end of its stderr."""

    def __init__(self, spec: str, detail: str) -> None:
        self.spec = spec
        self.detail = detail
        last = detail.strip().splitlines()[-1] if detail.strip() else "no output"
        super().__init__(f"{spec} failed: {last}")


@dataclass(frozen=True, slots=True)
class Sample:
    """One run in one child process."""

    seconds: float
    peak_bytes: int  # ru_maxrss after the call minus RSS just before it
    rss_before: int
    maxrss_before: int
    maxrss_after: int
    hwm_bytes: int | None  # VmHWM (reset before the call) minus RSS before it
    result: Any  # what the summary callable made of the return value (JSON), else its type
    preloaded: tuple[str, ...]
    method: str  # "ru_maxrss", or "vmhwm" when ru_maxrss was inherited from the parent


@dataclass(frozen=True, slots=True)
class Measurement:
    """Best of ``len(samples)`` runs: minimum time and minimum peak, taken independently.

    Minima, because noise on a benchmark machine (other processes, frequency scaling, page
    cache) only ever adds time and memory.
    """

    spec: str
    args: tuple[Any, ...]
    seconds: float
    peak_bytes: int
    samples: tuple[Sample, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_once(
    spec: str,
    *args: Any,
    kwargs: dict[str, Any] | None = None,
    preload: Iterable[str] = DEFAULT_PRELOAD,
    summary: str | None = None,
    timeout: float | None = None,
    python: str = sys.executable,
) -> Sample:
    """Call ``spec`` (``"package.module:function"``) with JSON-able ``args`` in a new process.

    ``summary`` (same notation) is applied to the return value after the measurement and must
    return something JSON-able; it lets the caller check that the work was really done (e.g.
    how many entities were read) without shipping the result back.
    """
    request = {
        "spec": spec, "args": list(args), "kwargs": kwargs or {}, "preload": list(preload),
        "summary": summary, "marker": _MARKER,
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [python, "-c", _DRIVER, json.dumps(request)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MeasureError(spec, f"timed out after {timeout} s") from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(_MARKER)]
    if proc.returncode != 0 or not lines:
        detail = proc.stderr[-4000:] or f"exit status {proc.returncode}"
        raise MeasureError(spec, detail)
    report = json.loads(lines[-1][len(_MARKER):])
    before = report["rss_before"]
    hwm = report["hwm_after"]
    hwm_bytes = None if hwm is None else max(hwm - before, 0)
    peak = max(report["maxrss_after"] - before, 0)
    method = "ru_maxrss"
    if hwm_bytes is not None and report["maxrss_before"] > before + _INHERITED_SLACK:
        peak, method = hwm_bytes, "vmhwm"
    return Sample(
        seconds=report["seconds"],
        peak_bytes=peak,
        rss_before=before,
        maxrss_before=report["maxrss_before"],
        maxrss_after=report["maxrss_after"],
        hwm_bytes=hwm_bytes,
        result=report["result"],
        preloaded=tuple(report["preloaded"]),
        method=method,
    )


def measure(
    spec: str,
    *args: Any,
    repeat: int = 3,
    kwargs: dict[str, Any] | None = None,
    preload: Iterable[str] = DEFAULT_PRELOAD,
    summary: str | None = None,
    timeout: float | None = None,
) -> Measurement:
    """``repeat`` fresh-process runs of ``spec``; keeps the minimum time and minimum peak."""
    preload = tuple(preload)
    samples = tuple(
        run_once(spec, *args, kwargs=kwargs, preload=preload, summary=summary, timeout=timeout)
        for _ in range(max(repeat, 1))
    )
    return from_samples(spec, args, samples)


def from_samples(spec: str, args: Sequence[Any], samples: Sequence[Sample]) -> Measurement:
    """Combine runs made elsewhere (e.g. interleaved with another callable) into one figure."""
    if not samples:
        raise ValueError("no samples")
    return Measurement(
        spec=spec,
        args=tuple(args),
        seconds=min(s.seconds for s in samples),
        peak_bytes=min(s.peak_bytes for s in samples),
        samples=tuple(samples),
    )


def warm_page_cache(path: Path, chunk: int = 8 * MIB) -> None:
    """Read a file once so that every measured run finds it in the page cache alike."""
    with open(path, "rb") as f:
        while f.read(chunk):
            pass


def machine_info() -> dict[str, Any]:
    """What a reader needs to compare figures across machines."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / MIB, 1)
    except OSError:
        pass
    try:
        import ezdxf

        info["ezdxf"] = ezdxf.__version__
    except ImportError:
        pass
    return info


def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain-text table (first column left-aligned, the rest right-aligned) for READMEs."""
    table = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(table[0]), rule, *(fmt(r) for r in table[1:])])
