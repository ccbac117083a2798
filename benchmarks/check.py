"""Checks benchmark: the time of all registered rules, as a ratio to ingesting the same package.

Why a ratio to ingestion: a reviewer waits for ingestion and checks together, and ingestion is
the part whose cost is known (``benchmarks.ingest`` holds it to ``ezdxf.readfile``). If the
rules cost a fraction of it, checking never becomes the reason an upload is slow; if they grow
faster than the drawing, they eventually will. The targets: **at 100k entities the checks take
at most 0.25x the ingestion time of the same package, and their time grows no faster than
n log n** (growth exponent between two sizes, log(t2/t1) / log(n2/n1), at most 1.1).

The packages are the clean sample package (``samples.build_package``) with the large plan of
``make_large`` added to the architecture and the fire drawings, cached as
``benchmarks/.cache/pkg_<N>/`` (see README.md, section "Checks", for exactly what they hold).

Each figure comes from a fresh interpreter (see ``_measure``), ingest and checks runs
alternating: ingest times ``load_package(root)``; checks loads the package first, outside the
clock and the memory baseline, then times ``checkers.engine.run(ctx)`` alone, each rule's share
taken from the engine's progress callback.

Usage::

    python -m benchmarks.check                          # 10k, 100k
    python -m benchmarks.check --sizes 10k,100k,1M --json check.json --check
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import _measure, make_large
from benchmarks._measure import (
    DEFAULT_PRELOAD,
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
from benchmarks.ingest import _label, _progress, default_repeat, unbounded_limits

__all__ = [
    "CHECKS",
    "DEFAULT_SIZES",
    "INGEST",
    "PACKAGE_VERSION",
    "SizeResult",
    "StoppedRun",
    "Targets",
    "TimedRun",
    "ensure_package",
    "growth",
    "load_context",
    "load_package_unbounded",
    "main",
    "package_dir",
    "render_slowest",
    "slowest",
    "render_table",
    "run_prepared",
    "run_timed",
    "verdict",
]

#: Bump whenever the content of the benchmark packages changes, so cached ones are rebuilt.
PACKAGE_VERSION = 1
DEFAULT_SIZES = (10_000, 100_000)
INGEST = "benchmarks.check:load_package_unbounded"
CHECKS = "benchmarks.check:run_timed"
SETUP = "benchmarks.check:load_context"
#: The drawings of the sample package that receive a copy of the large plan.
PLAN_FOLDERS = ("architecture", "fire")
SAMPLE_NAME = "residential_tower"
#: Prefix of the lines the checks child writes to stderr as each rule starts.
_RULE_MARK = "@@rule@@ "


@dataclasses.dataclass(frozen=True, slots=True)
class Targets:
    """The performance targets of the rule catalogue as a whole."""

    at_size: int = 100_000
    ratio: float = 0.25  # checks / ingestion of the same package, at ``at_size``
    growth: float = 1.1  # largest growth exponent between two sizes (n log n, roughly)
    #: Below this many seconds at the larger size the checks are negligible and the exponent
    #: is timer noise, so it is reported but not judged.
    min_seconds: float = 0.05


# ---------------------------------------------------------------------------------------------
# Benchmark packages
# ---------------------------------------------------------------------------------------------


def package_dir(size: int, cache_dir: Path = make_large.CACHE_DIR) -> Path:
    """Where the package built around the ``size``-entity plan lives."""
    return cache_dir / f"pkg_{size}"


def _manifest_path(size: int, cache_dir: Path) -> Path:
    return cache_dir / f"pkg_{size}.json"


def _sample_digest() -> str:
    """What the sample package depends on: its builder's sources and the ezdxf version.

    The sample is deterministic, so these decide its bytes; hashing them tells whether a
    cached package is stale without building the sample again.
    """
    import ezdxf

    import samples

    h = hashlib.sha256(f"v{PACKAGE_VERSION} ezdxf {ezdxf.__version__}".encode())
    for path in sorted(Path(samples.__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link (the 1M plan is 226 MiB, and two copies per package add up), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _cached_manifest(size: int, cache_dir: Path) -> dict[str, Any] | None:
    """The record of a cached package, or ``None`` when missing, stale or incomplete."""
    try:
        manifest = json.loads(_manifest_path(size, cache_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    root = package_dir(size, cache_dir)
    plan = make_large.cached_info(make_large.cache_path(size, cache_dir))
    if (
        not isinstance(manifest, dict)
        or manifest.get("version") != PACKAGE_VERSION
        or manifest.get("sample_digest") != _sample_digest()
        or plan is None
        or manifest.get("plan_bytes") != plan.bytes
    ):
        return None
    for rel, size_bytes in manifest.get("files", {}).items():
        path = root / rel
        if not path.is_file() or path.stat().st_size != size_bytes:
            return None
    return manifest


def ensure_package(size: int, cache_dir: Path = make_large.CACHE_DIR) -> dict[str, Any]:
    """Build (or reuse) ``pkg_<size>``: the sample package plus the plan in two disciplines.

    Returns the manifest, which is also written to ``pkg_<size>.json`` next to the folder.
    Building loads ezdxf documents, so the benchmark calls this in a child process (its own
    process must stay small for the memory figures, see ``_measure``).
    """
    from samples import build_package

    manifest = _cached_manifest(size, cache_dir)
    if manifest is not None:
        return manifest
    plan_path, plan = make_large.ensure(size, cache_dir=cache_dir)
    root = package_dir(size, cache_dir)
    partial = cache_dir / f"pkg_{size}.{os.getpid()}.part"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        built = build_package(partial, SAMPLE_NAME)
        for folder in PLAN_FOLDERS:
            _link_or_copy(plan_path, built / folder / plan_path.name)
        shutil.rmtree(root, ignore_errors=True)
        os.replace(built, root)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    files = {
        p.relative_to(root).as_posix(): p.stat().st_size
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "version": PACKAGE_VERSION,
        "size": size,
        "sample": SAMPLE_NAME,
        "sample_digest": _sample_digest(),
        "plan": plan_path.name,
        "plan_bytes": plan.bytes,
        "plan_generator_version": plan.version,
        "plan_folders": list(PLAN_FOLDERS),
        "files": files,
    }
    _manifest_path(size, cache_dir).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def _ensure_package_in_child(size: int, cache_dir: Path) -> tuple[Path, dict[str, Any]]:
    """``ensure_package`` in a child process, so that this process never holds a drawing."""
    code = (
        "import json, sys; from pathlib import Path; from benchmarks.check import ensure_package;"
        " print(json.dumps(ensure_package(int(sys.argv[1]), Path(sys.argv[2]))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(size), str(cache_dir)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"building pkg_{size} failed: {last}")
    return package_dir(size, cache_dir), json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# What the children run
# ---------------------------------------------------------------------------------------------


def load_package_unbounded(root: str) -> Any:
    """``load_package(root)``: every drawing of the package, as an upload would read it."""
    from checkers.package import load_package

    return load_package(Path(root), limits=unbounded_limits())


def load_context(root: str) -> Any:
    """The package's ``CheckContext``, with every rule module imported (untimed set-up).

    Importing the rule modules here keeps their import time out of the checks: ``run`` calls
    ``load_all()`` itself, which then finds them imported.
    """
    from checkers.registry import load_all

    loaded = load_package_unbounded(root)
    if loaded.refused:
        names = ", ".join(rel for rel, _ in loaded.refused)
        raise RuntimeError(f"drawings refused while loading the package: {names}")
    load_all()
    return loaded.context


@dataclasses.dataclass(slots=True)
class TimedRun:
    """The engine's result and the seconds spent in each rule, in the order they ran."""

    result: Any  # checkers.engine.CheckResult
    per_rule: list[tuple[str, float]]


def run_timed(ctx: Any) -> TimedRun:
    """``checkers.engine.run(ctx)``, timing each rule through the progress callback.

    The engine calls ``progress`` just before each rule, so the time between two calls is one
    rule (including turning its violations into findings) and the last rule ends when ``run``
    returns. Rules share the context's caches, so a rule that is first to need some objects
    pays for collecting them, exactly as in a real review.

    The start of each rule is also written to stderr (``_RULE_MARK``), so that when a run is
    stopped by the timeout the parent can still say which rule was running and what the
    finished ones cost (``_where_stopped``).
    """
    from checkers.engine import run

    marks: list[tuple[str, float]] = []
    start = time.perf_counter()

    def progress(rule: Any) -> None:
        now = time.perf_counter()
        marks.append((rule.code, now))
        sys.stderr.write(f"{_RULE_MARK}{rule.code} {now - start:.6f} {time.time():.3f}\n")
        sys.stderr.flush()

    result = run(ctx, progress=progress)
    end = time.perf_counter()
    ends = [t for _, t in marks[1:]] + [end]
    return TimedRun(result, [(code, e - t) for (code, t), e in zip(marks, ends, strict=True)])


def summarize_package(loaded: Any) -> dict[str, Any]:
    """What ingestion read, to show it read every drawing (and to count the entities)."""
    drawings = []
    for d in loaded.context.drawings:
        stats = d.model.stats
        drawings.append({
            "file": d.file,
            "entities": int(getattr(stats, "entities", 0)),
            "objects": len(d.model.objects),
        })
    return {
        "drawings": drawings,
        "entities": sum(d["entities"] for d in drawings),
        "objects": sum(d["objects"] for d in drawings),
        "refused": [rel for rel, _ in loaded.refused],
        "intake_findings": len(loaded.intake),
    }


def summarize_checks(timed: TimedRun) -> dict[str, Any]:
    """What the checks did: rules run, findings, rules not checked (and crashed), per-rule time."""
    result = timed.result
    crashed = sorted(
        code for code, _, en in result.not_checked if en.startswith("the rule crashed")
    )
    by_rule: dict[str, int] = {}
    for f in result.findings:
        by_rule[f.code] = by_rule.get(f.code, 0) + 1
    return {
        "rules": len(timed.per_rule),
        "findings": len(result.findings),
        "not_checked": len(result.not_checked),
        "crashed": crashed,
        "findings_by_rule": dict(sorted(by_rule.items())),
        "per_rule": dict(timed.per_rule),
    }


# ---------------------------------------------------------------------------------------------
# Measuring a call on prepared input
# ---------------------------------------------------------------------------------------------

_SETUP_ANCHOR = "gc.collect()\nhwm_reset = reset_hwm()"
_SETUP_CODE = """\
if request.get("setup"):
    module_name, _, qualname = request["setup"].partition(":")
    prepare = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        prepare = getattr(prepare, part)
    request["args"] = [prepare(*request["args"], **request["kwargs"])]
    request["kwargs"] = {}
    del prepare
"""


def _driver_with_setup() -> str:
    """``_measure``'s child driver with one step added: ``setup(*args)`` before the baseline.

    The call is then ``spec(setup_result)``. Everything else (preloading, the RSS baseline,
    the high-water-mark handling, the report) is the shared driver's, so ingest and checks
    figures are taken the same way. The step is inserted at a fixed anchor; if the driver ever
    changes there, this fails loudly instead of measuring something else.
    """
    driver = _measure._DRIVER
    if driver.count(_SETUP_ANCHOR) != 1:
        raise RuntimeError("benchmarks._measure driver changed: cannot add the set-up step")
    return driver.replace(_SETUP_ANCHOR, _SETUP_CODE + _SETUP_ANCHOR)


class StoppedRun(MeasureError):
    """A measured run stopped by the timeout.

    ``at_least`` is how long the checks had been running when they were stopped (a lower bound
    of their time), when the child got as far as the first rule; the table and the verdict use
    it, so a size whose checks never finish still says by how much it misses the targets.
    """

    def __init__(self, spec: str, detail: str, at_least: float | None) -> None:
        super().__init__(spec, detail)
        self.at_least = at_least


def _rule_marks(stderr: str) -> list[tuple[str, float, float]]:
    """``(code, seconds into the checks, wall clock)`` of every rule start in the child's stderr."""
    starts: list[tuple[str, float, float]] = []
    for line in stderr.splitlines():
        if line.startswith(_RULE_MARK):
            code, *numbers = line[len(_RULE_MARK):].split()
            try:
                offset, clock = (float(x) for x in numbers)
            except ValueError:
                continue
            starts.append((code, offset, clock))
    return starts


def _ran_at_least(stderr: str, now: float) -> float | None:
    """Seconds the checks had run at wall-clock ``now``, from the last rule mark."""
    starts = _rule_marks(stderr)
    if not starts:
        return None
    _, began, clock = starts[-1]
    return began + max(now - clock, 0.0)


def _where_stopped(stderr: str, now: float | None = None) -> str:
    """Which rule a stopped checks run was in, and the slowest of those that finished.

    Each mark carries the rule's offset into the checks and the wall clock, so the checks time
    up to ``now`` (the wall clock when the run was stopped) is known as a lower bound.
    """
    starts = _rule_marks(stderr)
    if not starts:
        return ""
    done = sorted(
        ((code, b - a) for (code, a, _), (_, b, _) in zip(starts, starts[1:], strict=False)),
        key=lambda kv: -kv[1],
    )
    code, began, _ = starts[-1]
    text = ""
    at_least = None if now is None else _ran_at_least(stderr, now)
    if at_least is not None:
        text += f", checks ran at least {at_least:.1f} s"
    text += f", stopped in {code} (started {began:.1f} s into the checks, after {len(done)} rules)"
    if done:
        text += "; slowest finished: " + ", ".join(f"{c} {t:.1f} s" for c, t in done[:3])
    return text


def run_prepared(
    spec: str,
    *args: Any,
    setup: str,
    summary: str | None = None,
    preload: Iterable[str] = DEFAULT_PRELOAD,
    timeout: float | None = None,
) -> Sample:
    """Like ``_measure.run_once``, but times ``spec(setup(*args))`` and not ``setup`` itself.

    ``setup`` runs in the child before ``gc.collect()`` and the memory baseline, so neither its
    time nor the memory its result holds is charged to ``spec``; the peak is what ``spec``
    needs on top of its input. The parsing mirrors ``run_once`` (same report, same rules for
    choosing between ``ru_maxrss`` and ``VmHWM``).
    """
    request: dict[str, Any] = {
        "spec": spec, "args": list(args), "kwargs": {}, "preload": list(preload),
        "summary": summary, "marker": _measure._MARKER, "setup": setup,
    }
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _driver_with_setup(), json.dumps(request)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        partial = exc.stderr or ""
        if isinstance(partial, bytes):
            partial = partial.decode("utf-8", "replace")
        now = time.time()
        raise StoppedRun(
            spec,
            f"{partial[-4000:]}\ntimed out after {timeout} s" + _where_stopped(partial, now),
            _ran_at_least(partial, now),
        ) from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(_measure._MARKER)]
    if proc.returncode != 0 or not lines:
        raise MeasureError(spec, proc.stderr[-4000:] or f"exit status {proc.returncode}")
    report = json.loads(lines[-1][len(_measure._MARKER):])
    before = report["rss_before"]
    hwm = report["hwm_after"]
    hwm_bytes = None if hwm is None else max(hwm - before, 0)
    peak = max(report["maxrss_after"] - before, 0)
    method = "ru_maxrss"
    if hwm_bytes is not None and report["maxrss_before"] > before + _measure._INHERITED_SLACK:
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


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class SizeResult:
    """Figures for one package; ``checks`` is ``None`` when a run failed (see ``error``)."""

    size: int
    entities: int  # read from all drawings of the package (sample drawings and both plans)
    package: dict[str, Any]
    ingest: Measurement | None
    checks: Measurement | None
    error: str | None = None
    #: Lower bound of the checks time when they were stopped by the timeout (``StoppedRun``).
    checks_at_least: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.ingest is None or self.checks is None or self.ingest.seconds <= 0:
            return None
        return self.checks.seconds / self.ingest.seconds

    @property
    def ratio_at_least(self) -> float | None:
        """Lower bound of ``ratio`` when the checks were stopped before they finished."""
        if self.checks is not None or self.checks_at_least is None or self.ingest is None:
            return None
        return self.checks_at_least / self.ingest.seconds if self.ingest.seconds > 0 else None

    @property
    def check_summary(self) -> dict[str, Any]:
        """The summary of the fastest checks run (all runs do the same work)."""
        if self.checks is None:
            return {}
        best = min(self.checks.samples, key=lambda s: s.seconds)
        return best.result if isinstance(best.result, dict) else {}

    @property
    def per_rule(self) -> dict[str, float]:
        """Each rule's seconds, the minimum over the runs (noise only ever adds time)."""
        out: dict[str, float] = {}
        for s in self.checks.samples if self.checks else ():
            for code, sec in (s.result.get("per_rule", {}) if isinstance(s.result, dict)
                              else {}).items():
                out[code] = min(sec, out.get(code, math.inf))
        return out

    @property
    def us_per_entity(self) -> float | None:
        if self.checks is None or self.entities <= 0:
            return None
        return self.checks.seconds / self.entities * 1e6

    def to_dict(self) -> dict[str, Any]:
        summary = self.check_summary
        return {
            "size": self.size,
            "label": _label(self.size),
            "entities": self.entities,
            "package": self.package,
            "ingest": self.ingest.to_dict() if self.ingest else None,
            "checks": self.checks.to_dict() if self.checks else None,
            "error": self.error,
            "ratio": self.ratio,
            "checks_at_least": self.checks_at_least,
            "ratio_at_least": self.ratio_at_least,
            "rules": summary.get("rules"),
            "findings": summary.get("findings"),
            "not_checked": summary.get("not_checked"),
            "crashed": summary.get("crashed"),
            "checks_us_per_entity": self.us_per_entity,
            "per_rule_seconds": self.per_rule,
        }


def growth(results: Sequence[SizeResult], targets: Targets = Targets()) -> list[dict[str, Any]]:
    """Growth exponents of the checks time between consecutive measured sizes.

    ``log(t2/t1) / log(n2/n1)`` with n the package's entities: 1.0 is linear, and n log n
    between the 10k and 100k packages comes out near 1.09 (``nlogn_exponent``). ``exponent`` is
    ``None`` when the time at the larger size is under ``targets.min_seconds``: the checks are
    negligible there and the ratio of two tiny times is timer noise. When the checks at the
    larger size were stopped by the timeout, ``exponent_at_least`` bounds the exponent instead.
    """
    usable = [r for r in results if r.checks is not None or r.checks_at_least is not None]
    measured = sorted(usable, key=lambda r: r.entities)
    out = []
    for a, b in zip(measured, measured[1:], strict=False):
        if a.checks is None:  # the smaller size did not finish: nothing to compare against
            continue
        t1 = a.checks.seconds
        t2 = b.checks.seconds if b.checks is not None else b.checks_at_least
        assert t2 is not None
        exponent: float | None = None
        at_least: float | None = None
        nlogn: float | None = None
        if b.entities > a.entities > 1:
            span = math.log(b.entities / a.entities)
            nlogn = 1 + math.log(math.log(b.entities) / math.log(a.entities)) / span
            if t2 >= targets.min_seconds:
                value = math.inf if t1 <= 0 else math.log(t2 / t1) / span
                if b.checks is not None:
                    exponent = value
                else:
                    at_least = value
        out.append({
            "from": _label(a.size), "to": _label(b.size), "seconds": [t1, t2],
            "entities": [a.entities, b.entities], "exponent": exponent,
            "exponent_at_least": at_least, "nlogn_exponent": nlogn,
        })
    return out


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def _bounded(value: float | None, at_least: float | None, pattern: str) -> str:
    """A figure, or ``>x`` when only a lower bound is known (checks stopped by the timeout)."""
    if value is None and at_least is not None:
        return ">" + format(at_least, pattern)
    return _fmt(value, pattern)


def render_table(results: Sequence[SizeResult]) -> str:
    """The figures as a plain-text table that pastes into a README as is."""
    headers = [
        "size", "entities", "ingest s", "checks s", "ratio", "rules run", "findings",
        "not checked", "checks us/ent",
    ]
    rows = []
    for r in results:
        summary = r.check_summary
        rows.append([
            _label(r.size),
            f"{r.entities:,}",
            _fmt(r.ingest.seconds if r.ingest else None, ".2f"),
            _bounded(r.checks.seconds if r.checks else None, r.checks_at_least, ".3f"),
            _bounded(r.ratio, r.ratio_at_least, ".3f"),
            str(summary.get("rules", "-")),
            str(summary.get("findings", "-")),
            str(summary.get("not_checked", "-")),
            _fmt(r.us_per_entity, ".2f"),
        ])
    return format_table(headers, rows)


def slowest(
    results: Sequence[SizeResult], count: int = 5, targets: Targets = Targets()
) -> list[dict[str, Any]]:
    """The ``count`` slowest rules at the largest measured size, with their time at each size.

    ``exponent`` is the rule's own growth between the two largest sizes (same formula as
    ``growth``, judged nowhere): it points at the rule to look at when the total grows too fast.
    It is ``None`` under ``targets.min_seconds / 5`` at the larger size, where it would be noise.
    """
    measured = sorted((r for r in results if r.checks is not None), key=lambda r: r.entities)
    if not measured:
        return []
    largest = measured[-1]
    previous = measured[-2] if len(measured) > 1 else None
    total = largest.checks.seconds if largest.checks else 0.0
    ranked = sorted(largest.per_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:count]
    out = []
    for code, sec in ranked:
        exponent: float | None = None
        before = previous.per_rule.get(code) if previous is not None else None
        if (previous is not None and before and sec >= targets.min_seconds / 5
                and largest.entities > previous.entities):
            exponent = math.log(sec / before) / math.log(largest.entities / previous.entities)
        out.append({
            "rule": code,
            "seconds": {_label(r.size): r.per_rule.get(code) for r in measured},
            "share": sec / total if total > 0 else None,
            "exponent": exponent,
        })
    return out


def render_slowest(results: Sequence[SizeResult], count: int = 5) -> str:
    """``slowest`` as a titled plain-text table."""
    measured = sorted((r for r in results if r.checks is not None), key=lambda r: r.entities)
    if not measured:
        return "slowest rules: no checks measured"
    label = _label(measured[-1].size)
    ranked = slowest(results, count)
    if not ranked:
        return f"slowest rules at {label}: none (no rules registered)"
    headers = ["rule", *(f"{_label(r.size)} s" for r in measured), f"share at {label}"]
    if len(measured) > 1:
        headers.append(f"growth {_label(measured[-2].size)}->{label}")
    rows = []
    for s in ranked:
        row = [
            s["rule"],
            *(_fmt(s["seconds"][_label(r.size)], ".3f") for r in measured),
            "-" if s["share"] is None else f"{s['share']:.0%}",
        ]
        if len(measured) > 1:
            row.append(_fmt(s["exponent"], ".2f"))
        rows.append(row)
    return f"slowest {len(ranked)} rules at {label}:\n" + format_table(headers, rows)


def verdict(results: Sequence[SizeResult], targets: Targets = Targets()) -> tuple[bool, str]:
    """Whether the targets are met, and one line saying so with the figures behind it."""
    parts: list[str] = []
    ok = True
    at = next((r for r in results if r.size == targets.at_size), None)
    if at is None:
        parts.append(f"at {_label(targets.at_size)}: not measured")
    elif at.ratio is None and at.ratio_at_least is not None:
        ok = False
        parts.append(
            f"at {_label(targets.at_size)}: checks stopped by the timeout, > "
            f"{at.ratio_at_least:.3f}x ingest (target <= {targets.ratio:.2f}x, NOT met)"
        )
    elif at.ratio is None:
        ok = False
        parts.append(f"at {_label(targets.at_size)}: not measured (run failed)")
    else:
        met = at.ratio <= targets.ratio
        ok = ok and met
        parts.append(
            f"at {_label(targets.at_size)}: checks {at.ratio:.3f}x ingest "
            f"(target <= {targets.ratio:.2f}x, {'met' if met else 'NOT met'})"
        )
    steps = growth(results, targets)
    if not steps:
        parts.append("growth: needs two measured sizes")
    for g in steps:
        span = f"growth {g['from']}->{g['to']}"
        nlogn = _fmt(g["nlogn_exponent"], ".2f")
        if g["exponent_at_least"] is not None:
            met = g["exponent_at_least"] <= targets.growth
            parts.append(
                f"{span}: checks stopped by the timeout, exponent >= {g['exponent_at_least']:.2f} "
                f"(n log n here {nlogn}; target <= {targets.growth:.2f}, "
                f"{'not known' if met else 'NOT met'})"
            )
            ok = False
            continue
        if g["exponent"] is None:
            parts.append(f"{span}: checks under {targets.min_seconds:g} s, not judged")
            continue
        met = g["exponent"] <= targets.growth
        ok = ok and met
        parts.append(
            f"{span}: exponent {g['exponent']:.2f} (n log n here {nlogn}; target <= "
            f"{targets.growth:.2f}, {'met' if met else 'NOT met'})"
        )
    failed = [r for r in results if r.error]
    if failed:
        ok = False
        parts.append("failed at " + ", ".join(_label(r.size) for r in failed))
    return ok, "targets: " + "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def bench_size(
    size: int,
    *,
    repeat: int,
    cache_dir: Path = make_large.CACHE_DIR,
    timeout: float | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> SizeResult:
    """Measure ingestion and checks of ``pkg_<size>``, runs interleaved."""
    label = _label(size)
    step(f"{label}: preparing package")
    root, manifest = _ensure_package_in_child(size, cache_dir)
    for rel in manifest["files"]:
        warm_page_cache(root / rel)
    ingest: list[Sample] = []
    checks: list[Sample] = []
    error: str | None = None
    at_least: float | None = None
    for i in range(repeat):
        try:
            step(f"{label}: ingest run {i + 1}/{repeat}")
            ingest.append(run_once(INGEST, str(root), summary="benchmarks.check:summarize_package",
                                   timeout=timeout))
            step(f"{label}: checks run {i + 1}/{repeat}")
            checks.append(run_prepared(CHECKS, str(root), setup=SETUP,
                                       summary="benchmarks.check:summarize_checks",
                                       timeout=timeout))
        except StoppedRun as exc:
            error, at_least = str(exc), exc.at_least
            break
        except MeasureError as exc:
            error = str(exc)
            break
    entities = 0
    if ingest and isinstance(ingest[0].result, dict):
        entities = int(ingest[0].result.get("entities", 0))
        refused = ingest[0].result.get("refused") or []
        if refused and error is None:
            error = "drawings refused: " + ", ".join(refused)
    return SizeResult(
        size=size,
        entities=entities,
        package={k: v for k, v in manifest.items() if k != "sample_digest"},
        ingest=from_samples(INGEST, [root.name], ingest) if ingest else None,
        checks=from_samples(CHECKS, [root.name], checks) if checks else None,
        error=error,
        checks_at_least=None if checks else at_least,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.check", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--sizes", type=make_large.parse_sizes, default=list(DEFAULT_SIZES),
                        help="plan sizes in entities, e.g. 10k,100k,1M (default: 10k,100k)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement (default: 3 up to 100k entities, 1 above)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--cache-dir", type=Path, default=make_large.CACHE_DIR,
                        help="where plans and packages are kept (default: benchmarks/.cache)")
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
            results.append(bench_size(size, repeat=repeat, cache_dir=args.cache_dir,
                                      timeout=args.timeout, step=step))
    ok, line = verdict(results)
    print(render_table(results))
    print()
    print(line)
    print()
    print(render_slowest(results))
    for r in results:
        crashed = r.check_summary.get("crashed")
        if crashed:
            print(f"{_label(r.size)}: rules that crashed: {', '.join(crashed)}")
        if r.error:
            print(f"{_label(r.size)}: {r.error}")
    if args.json:
        payload = {
            "machine": machine_info(),
            "generator_version": make_large.GENERATOR_VERSION,
            "package_version": PACKAGE_VERSION,
            "targets": dataclasses.asdict(Targets()),
            "seconds_total": round(time.perf_counter() - started, 1),
            "results": [r.to_dict() for r in results],
            "growth": growth(results),
            "slowest": slowest(results),
            "targets_met": ok,
            "verdict": line,
        }
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
