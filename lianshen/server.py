"""``lianshen serve``, ``lianshen worker`` and ``lianshen beat``.

``serve`` migrates the database, (with ``--demo``) loads the demo users and the sample package,
and, in embedded mode, starts one Celery worker with the scheduler built in as a child
process, then serves the API with uvicorn. The worker is stopped when the server stops. In the
distributed mode the workers and the scheduler are started separately (``worker``, ``beat``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["beat", "serve", "worker"]

logger = logging.getLogger("lianshen.server")


def _celery_argv(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "tasks.celery_app", *args]


def start_embedded_worker(concurrency: int = 2) -> subprocess.Popen[bytes]:
    """A worker with the scheduler inside (``-B``), as a child of this process."""
    from review_api.settings import get_settings

    settings = get_settings()
    schedule = settings.data_dir / "celerybeat-schedule"
    argv = _celery_argv(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "-Q",
            "lianshen",
            "-B",
            "-s",
            str(schedule),
        ]
    )
    return subprocess.Popen(argv, start_new_session=True)


def _exit_on_sigterm() -> None:
    """Make SIGTERM end this process through ``SystemExit``, so ``finally`` blocks run.

    uvicorn stops gracefully on SIGTERM and then raises the signal again for the handler that
    was there before it. With Python's default handler the process would end on the spot,
    leaving the embedded worker (in a session of its own) running without its server.
    """

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def serve(host: str, port: int, demo: bool, worker_processes: int) -> int:
    """Run the platform until interrupted (Ctrl-C or SIGTERM stop the embedded worker too)."""
    import uvicorn

    from review_api.app import create_app
    from review_api.db import migrate
    from review_api.settings import get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings)
    app = create_app(settings)
    from review_api.signing import bureau_key

    bureau_key(settings.data_dir)  # the demo CA and bureau certificate exist from the start
    if demo:
        from review_api.demo import load_demo

        ids = load_demo(app.state.runtime, settings.demo_password)
        if ids:
            from tasks.pipeline import enqueue_submission

            enqueue_submission(ids)
    _exit_on_sigterm()
    child = None
    try:
        if settings.embedded:
            child = start_embedded_worker(worker_processes)
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
    finally:
        if child is not None and child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
    return 0


def worker(concurrency: int) -> int:
    """A Celery worker of the distributed mode (runs in the foreground)."""
    from review_api.db import migrate
    from review_api.settings import get_settings

    migrate(get_settings())
    argv = _celery_argv(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "-Q", "lianshen"])
    os.execv(argv[0], argv)


def beat() -> int:
    """The Celery scheduler of the distributed mode (one per deployment)."""
    from review_api.settings import get_settings

    schedule = get_settings().data_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    argv = _celery_argv(["beat", "--loglevel=INFO", "-s", str(schedule)])
    os.execv(argv[0], argv)
