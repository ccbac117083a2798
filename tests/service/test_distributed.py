"""The whole workflow over HTTP with the processing in real worker processes.

The same walk as the eager test (``run_full_review``), in the distributed mode: PostgreSQL,
S3-compatible storage (a moto server process) and two ``celery worker`` processes behind a
Redis or a RabbitMQ broker; and in the embedded mode: SQLite, the SQLAlchemy-transport broker
and one worker process. Uploads answer at once; the test waits for each submission's
processing by polling ``GET /api/submissions/{id}``. Every run must find exactly what the
eager run finds, each finding once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

import pytest

from tests.service.faultkit import (
    duplicates,
    rabbitmq_broker,
    redis_broker,
    require,
    signatures,
    stack,
)
from tests.service.harness import (
    ROOT,
    Platform,
    fresh_postgres,
    make_platform,
    package_zip,
    wait_for,
)
from tests.service.s3server import S3Server, free_port, s3_server, unique_bucket  # noqa: F401
from tests.service.test_workflow_embedded import run_full_review

SAMPLE = "residential_tower_violations"


def round_findings(p: Platform, out: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The findings of both rounds of ``run_full_review``, as the applicant reads them."""
    applicant = p.as_("applicant")
    first = applicant("get", f"/api/submissions/{out['submission']['id']}/findings").json()
    second = applicant("get", f"/api/submissions/{out['second']['id']}/findings").json()
    return first, second


@pytest.fixture(scope="module")
def eager_findings(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], list[Any]]:
    """Both rounds' findings of the reference run (SQLite, tasks run in the API process)."""
    p = make_platform(tmp_path_factory.mktemp("eager"))
    try:
        return round_findings(p, run_full_review(p, package_zip(SAMPLE)))
    finally:
        p.runtime.db.dispose()


def _distributed(kind: str, s3: S3Server, resources: ExitStack) -> dict[str, Any]:
    """Settings for one deployment: broker, database and storage."""
    if kind == "embedded":
        return {"broker_url": "", "workers": 1}
    require("postgres", kind)
    broker = resources.enter_context(redis_broker() if kind == "redis" else rabbitmq_broker())
    return {
        "broker_url": broker,
        "database_url": resources.enter_context(fresh_postgres()),
        "storage": "s3",
        "s3_endpoint_url": s3.endpoint_url,
        "s3_bucket": unique_bucket(),
        "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key,
        "workers": 2,
    }


@pytest.fixture()
def deployment(request: pytest.FixtureRequest, tmp_path: Path, s3_server: S3Server) -> Iterator[Any]:  # noqa: F811
    """A stack of the kind named by the test's parameter, torn down afterwards."""
    with ExitStack() as resources:
        settings = _distributed(request.param, s3_server, resources)
        yield resources.enter_context(stack(tmp_path, **settings))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("deployment", ["redis", "rabbitmq", "embedded"], indirect=True)
def test_whole_workflow_with_workers(
    eager_findings: tuple[list[Any], list[Any]], deployment: Any
) -> None:
    p = deployment.platform
    out = run_full_review(p, package_zip(SAMPLE))
    first, second = round_findings(p, out)

    # the work was done by the worker processes, not by the API process
    log = deployment.log_text()
    sub_id = cast(dict[str, Any], out["submission"])["id"]
    drawings = p.as_("applicant")("get", f"/api/submissions/{sub_id}").json()
    ingested = set(re.findall(r"tasks\.pipeline\.ingest\[([0-9a-f-]+)\] succeeded", log))
    assert len(ingested) >= 2 * len(drawings["drawings"]), log[-3000:]
    assert len(re.findall(r"tasks\.pipeline\.aggregate\[[0-9a-f-]+\] succeeded", log)) == 2

    for got, expected in ((first, eager_findings[0]), (second, eager_findings[1])):
        assert got, "the sample with seeded violations has findings"
        assert duplicates(got) == []
        assert Counter(f["code"] for f in got) == Counter(f["code"] for f in expected)
        assert signatures(got) == signatures(expected)

    supervisor = p.as_("supervisor")
    assert supervisor("get", "/api/audit/verify").json()["valid"] is True
    health = p.client.get("/api/health")
    assert health.status_code == 200, health.text


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(x) for x in out.stdout.split()]


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.timeout(180)
def test_embedded_serve_stops_its_worker_when_terminated(tmp_path: Path) -> None:
    """``lianshen serve`` in the embedded mode, stopped with SIGTERM (what a service manager
    sends), takes its worker with it instead of leaving it running without a server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANSHEN_")}
    env.update(LIANSHEN_DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT))
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "lianshen.cli", "serve", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    workers: list[int] = []
    try:
        wait_for(lambda: _healthy(port) or server.poll() is not None, 120, "the server")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        workers = wait_for(lambda: _children(server.pid), 30, "the embedded worker")
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        wait_for(lambda: not any(_alive(w) for w in workers), 60, "the worker to stop")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        for pid in workers:
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False
