"""Viewer benchmark: what it costs to prepare a drawing for the browser viewer and for pictures.

Why a ratio to ``ezdxf.readfile``: as in ``benchmarks.ingest``, absolute seconds depend on the
machine and the ratio does not (much). The target: **preparing a drawing for display takes at
most 0.5x the time of ``readfile`` on the same file, at every size** (for comparison, ezdxf's
own SVG backend takes about 5.5x and Pillow drawing the same lines about 0.02x). Two ways of
preparing are measured, each from a model already in memory, as a worker holds it after
intake:

* ``payload``: ``viewer.vector.vector_payload(model)``, the bytes the browser draws itself;
* ``render``: ``viewer.render.render_png(model, None, 2048)``, the whole drawing as a PNG
  2048 pixels wide (what thumbnails and report snapshots cost).

For information (not judged), ``stored`` times ``vector_payload(load_model(path))``: the
payload made from the stored model (``drawings.serialize``) in a fresh process, as a server
answering without a cached payload would.

Every figure comes from a fresh interpreter (see ``_measure``), and all runs of one size
alternate, so they see the same machine state. The model is loaded outside the clock
(``check.run_prepared``'s set-up step) from a stored copy that this script writes once per size
into a temporary folder. Plans come from ``make_large`` (cached in ``benchmarks/.cache``).

The script is organised in sections (``SECTIONS``), each measuring one thing for all sizes
and reporting a table, verdict lines and JSON; ``main`` runs the selected sections in order.

Usage::

    python -m benchmarks.viewer                         # 10k and 100k
    python -m benchmarks.viewer --sizes 10k --repeat 1 --json viewer.json --check
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import make_large
from benchmarks._measure import (
    DEFAULT_PRELOAD,
    MIB,
    MeasureError,
    Measurement,
    Sample,
    format_table,
    from_samples,
    machine_info,
    run_once,
    warm_page_cache,
)
from benchmarks.check import run_prepared
from benchmarks.ingest import (
    BASELINE,
    _ensure_plan,
    _fmt,
    _label,
    _progress,
    default_repeat,
    load_unbounded,
)

__all__ = [
    "DEFAULT_SIZES",
    "PAYLOAD",
    "RENDER",
    "RENDER_WIDTH",
    "SECTIONS",
    "STORED",
    "PrepResult",
    "SectionReport",
    "Targets",
    "main",
    "prep_verdict",
    "render_prep_table",
]

DEFAULT_SIZES = (10_000, 100_000)
RENDER_WIDTH = 2048
PAYLOAD = "benchmarks.viewer:payload"
RENDER = "benchmarks.viewer:render_whole"
STORED = "benchmarks.viewer:payload_from_stored"
SETUP = "benchmarks.viewer:load_stored"
STORE = "benchmarks.viewer:store_model"
#: Imported in every child before the clock starts, so Pillow's import is not charged.
PRELOAD = (*DEFAULT_PRELOAD, "viewer.vector", "viewer.render")

Step = Callable[[str], None]


@dataclasses.dataclass(frozen=True, slots=True)
class Targets:
    """The preparation target, as a ratio to ``ezdxf.readfile`` of the same file."""

    ratio: float = 0.5  # payload and render, each, at every size


@dataclasses.dataclass(frozen=True, slots=True)
class SectionReport:
    """What one section of the benchmark found: printed as is and stored in the JSON."""

    name: str
    table: str
    verdicts: list[tuple[bool, str]]
    data: dict[str, Any]
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.verdicts)


# ---------------------------------------------------------------------------------------------
# What the children run
# ---------------------------------------------------------------------------------------------


def store_model(dxf: str, out: str) -> int:
    """Ingest ``dxf`` (budgets lifted) and store the model at ``out``; returns its size."""
    from drawings.serialize import save

    save(load_unbounded(dxf), Path(out))
    return Path(out).stat().st_size


def load_stored(path: str) -> Any:
    """The stored model (untimed set-up of the preparation runs)."""
    from drawings.serialize import load_model

    return load_model(Path(path))


def payload(model: Any) -> bytes:
    """``vector_payload`` of the whole drawing."""
    from viewer.vector import vector_payload

    return vector_payload(model)


def render_whole(model: Any) -> bytes:
    """The whole drawing as a PNG ``RENDER_WIDTH`` pixels wide."""
    from viewer.render import render_png

    return render_png(model, None, RENDER_WIDTH)


def payload_from_stored(path: str) -> bytes:
    """The payload from the stored model file: read, decode, prepare."""
    return payload(load_stored(path))


def summarize_payload(data: bytes) -> dict[str, Any]:
    """Payload size, raw and as HTTP ``Content-Encoding: gzip`` (level 6) would send it."""
    import struct

    size = struct.unpack_from("<I", data, 8)[0]
    head = json.loads(data[16 : 16 + size])
    return {
        "bytes": len(data),
        "gzip_bytes": len(gzip.compress(data, 6, mtime=0)),
        "counts": head["counts"],
        "layers": len(head["layers"]),
    }


def summarize_png(data: bytes) -> dict[str, Any]:
    """PNG size and dimensions (read from the IHDR chunk)."""
    import struct

    width, height = struct.unpack_from(">II", data, 16)
    return {"bytes": len(data), "width": width, "height": height}


# ---------------------------------------------------------------------------------------------
# Section "preparation": payload and picture against readfile
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class PrepResult:
    """Preparation figures for one plan size; a measurement is ``None`` when its runs failed."""

    size: int
    entities: int
    file_bytes: int
    readfile: Measurement
    payload: Measurement | None
    render: Measurement | None
    stored: Measurement | None
    errors: list[str] = dataclasses.field(default_factory=list)

    def ratio(self, m: Measurement | None) -> float | None:
        return m.seconds / self.readfile.seconds if m else None

    def summary(self, m: Measurement | None, key: str) -> Any:
        """A field of the first run's summary (the same in every run)."""
        if m is None or not isinstance(m.samples[0].result, dict):
            return None
        return m.samples[0].result.get(key)

    def to_dict(self) -> dict[str, Any]:
        def opt(m: Measurement | None) -> dict[str, Any] | None:
            return m.to_dict() if m else None

        return {
            "size": self.size,
            "entities": self.entities,
            "file_bytes": self.file_bytes,
            "readfile": self.readfile.to_dict(),
            "payload": opt(self.payload),
            "render": opt(self.render),
            "stored": opt(self.stored),
            "payload_ratio": self.ratio(self.payload),
            "render_ratio": self.ratio(self.render),
            "stored_ratio": self.ratio(self.stored),
            "errors": self.errors,
        }


def _measure_prep(
    size: int, stored: Path, *, repeat: int, timeout: float | None, step: Step
) -> PrepResult:
    """readfile, payload, render and stored runs of one size, interleaved."""
    label = _label(size)
    plan, info = _ensure_plan(size)
    step(f"{label}: storing the model")
    run_once(STORE, str(plan), str(stored), timeout=timeout)
    warm_page_cache(plan)
    warm_page_cache(stored)
    runs: dict[str, list[Sample]] = {"readfile": [], "payload": [], "render": [], "stored": []}
    errors: list[str] = []
    calls: dict[str, Callable[[], Sample]] = {
        "readfile": lambda: run_once(
            BASELINE, str(plan), summary="benchmarks.ingest:summarize_document", timeout=timeout
        ),
        "payload": lambda: run_prepared(
            PAYLOAD, str(stored), setup=SETUP, summary="benchmarks.viewer:summarize_payload",
            preload=PRELOAD, timeout=timeout,
        ),
        "render": lambda: run_prepared(
            RENDER, str(stored), setup=SETUP, summary="benchmarks.viewer:summarize_png",
            preload=PRELOAD, timeout=timeout,
        ),
        "stored": lambda: run_once(
            STORED, str(stored), summary="benchmarks.viewer:summarize_payload", preload=PRELOAD,
            timeout=timeout,
        ),
    }
    failed: set[str] = set()
    for i in range(repeat):
        for name, call in calls.items():
            if name in failed:
                continue
            step(f"{label}: {name} run {i + 1}/{repeat}")
            try:
                runs[name].append(call())
            except MeasureError as exc:
                if name == "readfile":
                    raise
                failed.add(name)
                errors.append(f"{name}: {exc}")
    specs = {"payload": PAYLOAD, "render": RENDER, "stored": STORED}

    def combined(name: str) -> Measurement | None:
        return from_samples(specs[name], [plan.name], runs[name]) if runs[name] else None

    return PrepResult(
        size=size,
        entities=info.entities,
        file_bytes=plan.stat().st_size,
        readfile=from_samples(BASELINE, [plan.name], runs["readfile"]),
        payload=combined("payload"),
        render=combined("render"),
        stored=combined("stored"),
        errors=errors,
    )


def render_prep_table(results: Sequence[PrepResult]) -> str:
    """The preparation figures as a plain-text table that pastes into a README as is."""
    headers = [
        "size", "entities", "readfile s", "payload s", "payload x", "render s", "render x",
        "stored s", "stored x", "payload bytes", "gzip bytes", "png bytes",
    ]
    rows = []
    for r in results:
        p_bytes = r.summary(r.payload, "bytes")
        gz_bytes = r.summary(r.payload, "gzip_bytes")
        png_bytes = r.summary(r.render, "bytes")
        rows.append([
            _label(r.size),
            f"{r.entities:,}",
            f"{r.readfile.seconds:.2f}",
            _fmt(r.payload.seconds if r.payload else None, ".3f"),
            _fmt(r.ratio(r.payload), ".3f"),
            _fmt(r.render.seconds if r.render else None, ".3f"),
            _fmt(r.ratio(r.render), ".3f"),
            _fmt(r.stored.seconds if r.stored else None, ".3f"),
            _fmt(r.ratio(r.stored), ".3f"),
            "-" if p_bytes is None else f"{p_bytes:,}",
            "-" if gz_bytes is None else f"{gz_bytes:,}",
            "-" if png_bytes is None else f"{png_bytes:,}",
        ])
    return format_table(headers, rows)


def prep_verdict(
    results: Sequence[PrepResult], targets: Targets = Targets()
) -> tuple[bool, str]:
    """Whether payload and render each stay within the target ratio at every size."""
    parts: list[str] = []
    ok = bool(results)
    for name in ("payload", "render"):
        ratios = [(r, r.ratio(getattr(r, name))) for r in results]
        missing = [_label(r.size) for r, x in ratios if x is None]
        measured = [(r, x) for r, x in ratios if x is not None]
        if missing:
            ok = False
            parts.append(f"{name} failed at {', '.join(missing)}")
        if measured:
            worst, ratio = max(measured, key=lambda rx: rx[1])
            met = ratio <= targets.ratio
            ok = ok and met
            parts.append(
                f"{name} worst {ratio:.3f}x at {_label(worst.size)} "
                f"(target <= {targets.ratio:.2f}x, {'met' if met else 'NOT met'})"
            )
    return ok, "preparation target: " + "; ".join(parts or ["nothing measured"])


def _peaks_line(r: PrepResult) -> str:
    """Peak memory of each preparation, for information (the target is about time)."""

    def mib(m: Measurement | None) -> str:
        return _fmt(m.peak_bytes / MIB if m else None, ".0f")

    return (
        f"{_label(r.size)}: peak MiB: payload {mib(r.payload)}, render {mib(r.render)}, "
        f"stored {mib(r.stored)}, readfile {mib(r.readfile)}"
    )


def run_preparation(
    sizes: Sequence[int], *, repeat: int | None, timeout: float | None, step: Step
) -> SectionReport:
    """Section "preparation": payload and picture from a loaded model, against readfile."""
    results: list[PrepResult] = []
    with tempfile.TemporaryDirectory(prefix="viewer-bench-") as tmp:
        for size in sizes:
            stored = Path(tmp) / f"plan_{size}.lsdm"
            results.append(_measure_prep(size, stored, repeat=repeat or default_repeat(size),
                                         timeout=timeout, step=step))
    peaks = [_peaks_line(r) for r in results]
    errors = [f"{_label(r.size)}: {e}" for r in results for e in r.errors]
    return SectionReport(
        name="preparation",
        table=render_prep_table(results),
        verdicts=[prep_verdict(results)],
        data={
            "targets": dataclasses.asdict(Targets()),
            "render_width": RENDER_WIDTH,
            "results": [r.to_dict() for r in results],
        },
        notes=peaks + errors,
    )


# ---------------------------------------------------------------------------------------------
# Section "first_view": opening the viewer page in headless Chromium
# ---------------------------------------------------------------------------------------------

FIRST_VIEW_TARGET_S = 1.0
"""Opening a 100k-entity drawing's viewer page shows the complete drawing within this time."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
)
VIEWPORT = {"width": 1440, "height": 900}
_VIEWER_USER = "bureau"
_VIEWER_PASSWORD = "first-view-benchmark"


def serve_drawing(plan: str, data_dir: str, port: int) -> None:
    """Child process: a platform whose one submission holds ``plan``, processed, then serve it.

    The drawing is ingested (budgets lifted), its model stored and its viewer payload prepared
    exactly as the pipeline leaves them, so the page is timed "after processing".
    """
    import hashlib

    import uvicorn
    from sqlalchemy import select

    from drawings.serialize import dumps
    from review_api.app import create_app
    from review_api.db import Database, migrate
    from review_api.demo import ensure_demo_users
    from review_api.models import Drawing, Project, Submission, User
    from review_api.settings import Settings
    from review_api.storage import storage_from_settings
    from tasks.stages import Runtime
    from viewer.api import prepare_drawing
    from viewer.web import mount

    settings = Settings(data_dir=Path(data_dir))
    migrate(settings)
    rt = Runtime(settings, Database(settings), storage_from_settings(settings))
    ensure_demo_users(rt, _VIEWER_PASSWORD)
    model = load_unbounded(plan)
    raw = Path(plan).read_bytes()
    with rt.db.session() as s:
        applicant = s.scalar(select(User).where(User.username == "applicant"))
        assert applicant is not None
        project = Project(name=f"benchmark {Path(plan).name}",
                          organization_id=applicant.organization_id, created_by=applicant.id)
        s.add(project)
        s.flush()
        sub = Submission(project_id=project.id, round=1, status="intake", processing="done",
                         package_key="benchmark/package.zip", package_sha256="0" * 64,
                         package_name="benchmark.zip", project_toml="", created_by=applicant.id)
        s.add(sub)
        s.flush()
        model_key = f"models/{sub.id}/plan.lsdm"
        drawing = Drawing(submission_id=sub.id, discipline="architecture",
                          file=f"architecture/{Path(plan).name}", storage_key="benchmark/plan.dxf",
                          sha256=hashlib.sha256(raw).hexdigest(), size=len(raw),
                          status="ingested", model_key=model_key)
        s.add(drawing)
        s.flush()
        drawing_id = drawing.id
    rt.storage.put_bytes(model_key, dumps(model))
    prepare_drawing(rt.storage, drawing_id, model)
    del model
    app = create_app(settings, rt)
    mount(app)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base: str, child: Any, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise MeasureError("first_view", f"the platform exited with status {child.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise MeasureError("first_view", f"the platform did not answer within {timeout:.0f} s")


def _login(base: str) -> dict[str, Any]:
    import urllib.request

    body = json.dumps({"username": _VIEWER_USER, "password": _VIEWER_PASSWORD}).encode()
    req = urllib.request.Request(f"{base}/api/auth/login", body,
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        answer: dict[str, Any] = json.loads(r.read())
        return answer


def time_first_view(browser: Any, base: str, login: dict[str, Any], drawing_id: int) -> float:
    """Seconds from navigating to the viewer page to its first complete drawing.

    A new browser context per run (empty HTTP cache), logged in through session storage; the
    page sets ``window.__firstViewMs`` (milliseconds since navigation start) once the whole
    drawing is on the canvas.
    """
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{base}/static/favicon.svg")
        page.evaluate(
            """([token, user]) => {
                sessionStorage.setItem("lianshen.token", token);
                sessionStorage.setItem("lianshen.user", JSON.stringify(user));
            }""",
            [login["access_token"], login["user"]],
        )
        page.goto(f"{base}/viewer/{drawing_id}")
        page.wait_for_selector("[data-testid=viewer-stage][data-ready='1']", timeout=120_000)
        ms = float(page.evaluate("window.__firstViewMs"))
        return ms / 1000
    finally:
        context.close()


@dataclasses.dataclass(slots=True)
class FirstViewResult:
    """First-view times of one plan size (seconds), or the error that stopped them."""

    size: int
    entities: int
    seconds: list[float]
    error: str | None = None

    @property
    def median(self) -> float | None:
        return sorted(self.seconds)[len(self.seconds) // 2] if self.seconds else None


def _measure_first_view(size: int, repeat: int, timeout: float | None, step: Step) -> FirstViewResult:
    """Start a platform holding the plan, then open its viewer ``repeat`` times."""
    import os
    import signal
    import subprocess

    from playwright.sync_api import sync_playwright

    label = _label(size)
    plan, info = _ensure_plan(size)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="viewer-first-") as tmp:
        step(f"{label}: starting the platform with the processed drawing")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIANSHEN_")}
        code = f"from benchmarks.viewer import serve_drawing; serve_drawing({str(plan)!r}, {tmp!r}, {port})"
        child = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
        result = FirstViewResult(size, info.entities, [])
        try:
            _wait_healthy(base, child, timeout or 600)
            login = _login(base)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
                try:
                    time_first_view(browser, base, login, 1)  # warm-up: server and font caches
                    for i in range(repeat):
                        step(f"{label}: first view run {i + 1}/{repeat}")
                        result.seconds.append(time_first_view(browser, base, login, 1))
                finally:
                    browser.close()
        except Exception as exc:  # noqa: BLE001 - reported in the section, not fatal
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout=30)
    return result


def first_view_verdict(results: Sequence[FirstViewResult]) -> tuple[bool, str]:
    """Whether the largest plan up to 100k entities opens within ``FIRST_VIEW_TARGET_S``."""
    judged = [r for r in results if r.size <= 100_000]
    if not judged:
        return False, "first view target: no plan of at most 100k entities measured"
    worst = max(judged, key=lambda r: r.size)
    if worst.median is None:
        return False, f"first view target: {_label(worst.size)} failed ({worst.error})"
    met = worst.median <= FIRST_VIEW_TARGET_S
    return met, (
        f"first view target: {_label(worst.size)} median {worst.median:.2f} s "
        f"(target <= {FIRST_VIEW_TARGET_S:.1f} s, {'met' if met else 'NOT met'})"
    )


def render_first_view_table(results: Sequence[FirstViewResult]) -> str:
    """The first-view figures as a plain-text table."""
    rows = [
        [
            _label(r.size), f"{r.entities:,}", str(len(r.seconds)),
            _fmt(r.median, ".2f"),
            _fmt(min(r.seconds) if r.seconds else None, ".2f"),
            _fmt(max(r.seconds) if r.seconds else None, ".2f"),
        ]
        for r in results
    ]
    return format_table(["size", "entities", "runs", "median s", "min s", "max s"], rows)


def run_first_view(
    sizes: Sequence[int], *, repeat: int | None, timeout: float | None, step: Step
) -> SectionReport:
    """Section "first_view": viewer page to complete drawing, in headless Chromium."""
    results = [
        _measure_first_view(size, repeat or 5, timeout, step) for size in sizes
    ]
    return SectionReport(
        name="first_view",
        table=render_first_view_table(results),
        verdicts=[first_view_verdict(results)],
        data={
            "target_seconds": FIRST_VIEW_TARGET_S,
            "viewport": VIEWPORT,
            "results": [dataclasses.asdict(r) for r in results],
        },
        notes=[f"{_label(r.size)}: {r.error}" for r in results if r.error],
    )


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------

#: Sections in the order they run; each takes the sizes and the run options and reports.
SECTIONS: dict[str, Callable[..., SectionReport]] = {
    "preparation": run_preparation,
    "first_view": run_first_view,
}


def _write_json(path: Path, reports: Sequence[SectionReport], *, seconds: float) -> None:
    """Every section's figures and verdicts, with the machine they were taken on."""
    out = {
        "machine": machine_info(),
        "generator_version": make_large.GENERATOR_VERSION,
        "seconds_total": round(seconds, 1),
        "sections": {
            r.name: {
                **r.data,
                "verdicts": [line for _, line in r.verdicts],
                "targets_met": r.ok,
                "notes": r.notes,
            }
            for r in reports
        },
        "targets_met": all(r.ok for r in reports),
    }
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.viewer", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--sizes", type=make_large.parse_sizes, default=list(DEFAULT_SIZES),
                        help="plan sizes in entities, e.g. 10k,100k (default: 10k,100k)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"sections to run, comma-separated (default: {','.join(SECTIONS)})")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement (default: 3 up to 100k entities, 1 above)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a target is not met")
    parser.add_argument("--no-progress", action="store_true", help="no spinner on stderr")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown or not chosen:
        parser.error(f"unknown section(s) {', '.join(unknown) or '(none)'}; "
                     f"known: {', '.join(SECTIONS)}")

    started = time.perf_counter()
    reports: list[SectionReport] = []
    with _progress(not args.no_progress) as step:
        for name in chosen:
            reports.append(SECTIONS[name](args.sizes, repeat=args.repeat, timeout=args.timeout,
                                          step=step))
    for k, report in enumerate(reports):
        if k:
            print()
        print(f"## {report.name}")
        print()
        print(report.table)
        print()
        for _, line in report.verdicts:
            print(line)
        for note in report.notes:
            print(note)
    ok = all(r.ok for r in reports)
    if args.json:
        _write_json(args.json, reports, seconds=time.perf_counter() - started)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
