"""Helpers of the distributed-path and fault tests (``test_distributed.py``, ``test_faults.py``).

- ``require``: skip, with the reason, only when a service the test needs is unreachable.
- ``redis_broker`` / ``rabbitmq_broker``: a broker of the test's own (a Redis database number,
  a RabbitMQ virtual host). Every fresh PostgreSQL database numbers its drawings from 1, so a
  message left over from another run on a shared queue would otherwise act on this test's rows.
- ``Stack``: a platform whose processing runs in real worker processes, always stopped.
- ``AsyncPlatform``: the upload answers at once; ``submit`` then waits for the processing, so
  the eager workflow test's ``run_full_review`` runs unchanged against workers.
- Finding signatures to compare runs and to find duplicates; the large package (a plan of
  about 100k entities, whose ingestion takes seconds, long enough to kill a worker in it).
- Fault tools: which pool process runs a task, Redis stopped and always started again, a
  worker with Celery's default (early) acknowledgement for the control run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import select

from review_api.models import CheckRun, Drawing, Submission
from tests.service.harness import (
    Platform,
    WorkerProcess,
    make_platform,
    postgres_available,
    redis_available,
    wait_for,
    zip_folder,
)

__all__ = [
    "LARGE_FILE",
    "PROCESSING_WAIT",
    "AsyncPlatform",
    "EarlyAckWorker",
    "Stack",
    "check_runs",
    "drawing_rows",
    "duplicates",
    "early_ack_worker",
    "findings_of",
    "kill",
    "large_package",
    "processing",
    "rabbitmq_available",
    "rabbitmq_broker",
    "redis_backlog",
    "redis_broker",
    "redis_ping",
    "redis_stopped",
    "reference_findings",
    "require",
    "running_task",
    "signature",
    "signatures",
    "stack",
    "stop_consuming",
    "upload",
    "wait_ingesting",
    "wait_processed",
    "worker_named",
]

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
RABBITMQ_HOST, RABBITMQ_PORT = "127.0.0.1", 5672
RABBITMQ_DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672//"
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]
#: Where the large plan goes in the package: a second architecture drawing.
LARGE_FILE = "architecture/plan_large.dxf"
LARGE_ENTITIES = 100_000
#: How long the tests wait for a submission's processing before they give up (a hang guard).
PROCESSING_WAIT = 240.0


# --- services -------------------------------------------------------------------------------


def rabbitmq_available() -> bool:
    """Whether something accepts connections on RabbitMQ's port."""
    try:
        with socket.create_connection((RABBITMQ_HOST, RABBITMQ_PORT), timeout=2):
            return True
    except OSError:
        return False


def require(*services: str) -> None:
    """Skip the calling test when one of ``services`` (postgres, redis, rabbitmq) is down."""
    probes = {
        "postgres": postgres_available,
        "redis": redis_available,
        "rabbitmq": rabbitmq_available,
    }
    down = [name for name in services if not probes[name]()]
    if down:
        pytest.skip(f"{', '.join(down)} not reachable on 127.0.0.1 (scripts/services.sh starts them)")


@contextmanager
def redis_broker() -> Iterator[str]:
    """The URL of a Redis database (1-15) that this test alone uses; flushed afterwards.

    A database is claimed with a marker key set only if absent, in a database that held
    nothing else, so two test runs on one Redis never share a queue.
    """
    import redis

    marker = "lianshen-test-claim"
    for db in random.sample(range(1, 16), 15):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_timeout=5)
        if client.dbsize() == 0 and client.set(marker, uuid.uuid4().hex, nx=True):
            if client.dbsize() == 1:
                break
            client.delete(marker)
    else:
        pytest.skip("no free Redis database (1-15) for an isolated broker")
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    finally:
        try:
            redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_timeout=5).flushdb()
        except redis.RedisError:
            pass  # Redis is down after a failed fault test; its data is gone anyway


def _rabbitmqctl(*args: str) -> bool:
    """Run ``rabbitmqctl``; False when it is missing or fails (no local node to manage)."""
    try:
        done = subprocess.run(
            ["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@contextmanager
def rabbitmq_broker() -> Iterator[str]:
    """The URL of a RabbitMQ virtual host created for this test and deleted afterwards.

    Where ``rabbitmqctl`` cannot manage the node, the default virtual host is used after
    purging the platform's queue.
    """
    vhost = f"lianshen-test-{uuid.uuid4().hex[:10]}"
    if not (
        _rabbitmqctl("add_vhost", vhost)
        and _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    ):
        from kombu.connection import Connection

        with Connection(RABBITMQ_DEFAULT_URL) as conn:  # type: ignore[no-untyped-call]
            channel = conn.channel()
            try:
                channel.queue_purge("lianshen")
            except Exception:  # noqa: BLE001 - no such queue yet: nothing to purge
                pass
        yield RABBITMQ_DEFAULT_URL
        return
    try:
        yield f"amqp://guest:guest@{RABBITMQ_HOST}:{RABBITMQ_PORT}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def redis_ping() -> bool:
    """Whether the shared Redis server answers."""
    import redis

    try:
        return bool(redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_stopped() -> Iterator[None]:
    """Redis shut down (its data dropped) for the body; always started again afterwards."""
    subprocess.run(
        ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "shutdown", "nosave"],
        capture_output=True, timeout=30, check=False,
    )
    try:
        wait_for(lambda: not redis_ping(), 30, "Redis to stop")
        yield
    finally:
        if not redis_ping():
            Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
            Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
            subprocess.run(REDIS_START, capture_output=True, timeout=30, check=False)
        wait_for(redis_ping, 30, "Redis to start again")


# --- platforms whose processing runs in workers ---------------------------------------------


class AsyncPlatform(Platform):
    """A platform with real workers: the upload answers at once (processing queued), and
    ``submit`` then polls the submission until its processing is done, so a test written for
    the eager platform reads the same results."""

    @classmethod
    def wrap(cls, p: Platform) -> AsyncPlatform:
        """The same platform (settings, runtime, client, tokens) with waiting uploads."""
        return cls(**{f.name: getattr(p, f.name) for f in fields(p)})

    def submit(self, project_id: int, zip_bytes: bytes, user: str = "applicant") -> Any:
        """Upload; on 201, check the answer came before processing, then wait for it."""
        r = super().submit(project_id, zip_bytes, user)
        if r.status_code == 201:
            assert r.json()["processing"] == "queued", r.text
            wait_processed(self, r.json()["id"], user=user)
        return r


def upload(p: Platform, zip_bytes: bytes, name: str = "故障测试项目") -> int:
    """Upload a package to a new project without waiting for its processing; its id."""
    r = Platform.submit(p, p.new_project(name), zip_bytes)
    assert r.status_code == 201, r.text
    submission_id: int = r.json()["id"]
    return submission_id


def findings_of(p: Platform, submission_id: int) -> list[dict[str, Any]]:
    """The submission's findings as the applicant reads them."""
    r = p.as_("applicant")("get", f"/api/submissions/{submission_id}/findings")
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def reference_findings(tmp_path: Path, zip_bytes: bytes) -> list[dict[str, Any]]:
    """What an undisturbed run finds: the package processed eagerly on SQLite."""
    p = make_platform(tmp_path)
    try:
        return findings_of(p, upload(p, zip_bytes))
    finally:
        p.runtime.db.dispose()


def wait_processed(
    p: Platform, submission_id: int, *, user: str = "applicant", timeout: float = PROCESSING_WAIT
) -> dict[str, Any]:
    """Poll ``GET /api/submissions/{id}`` until processing is done; the final state."""
    get = p.as_(user)

    def done() -> dict[str, Any] | None:
        r = get("get", f"/api/submissions/{submission_id}")
        assert r.status_code in (200, 503), r.text
        body: dict[str, Any] = r.json()
        return body if r.status_code == 200 and body["processing"] == "done" else None

    state: dict[str, Any] = wait_for(done, timeout, f"processing of submission {submission_id}")
    return state


@dataclass
class Stack:
    """A platform and the worker processes that run its pipeline."""

    platform: AsyncPlatform
    logs: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def add_worker(
        self, worker_class: type[WorkerProcess] = WorkerProcess, **overrides: Any
    ) -> WorkerProcess:
        """Start one more worker (concurrency 1), with the platform's settings changed by
        ``overrides``, and wait until it consumes."""
        log = self.logs / f"worker-{len(self.workers) + 1}.log"
        settings = self.platform.settings.model_copy(update=overrides)
        w = worker_class(settings, log, concurrency=1)
        self.workers.append(w)
        wait_for(
            lambda: " ready." in log.read_text(errors="replace") or w.process.poll() is not None,
            120, f"worker {log.name} to start",
        )
        assert w.process.poll() is None, log.read_text(errors="replace")[-3000:]
        return w

    def stop(self) -> None:
        """Stop every worker still running (warm shutdown, then kill)."""
        for w in self.workers:
            if not w._out.closed:
                w.stop()

    def log_text(self) -> str:
        """All workers' logs, for assertions and failure messages."""
        return "\n".join(w.log.read_text(errors="replace") for w in self.workers)


@contextmanager
def stack(
    tmp_path: Path, *, broker_url: str, database_url: str = "", workers: int = 2, **settings: Any
) -> Iterator[Stack]:
    """A platform on ``database_url`` and ``broker_url`` (eager off) with ``workers`` workers."""
    p = make_platform(
        tmp_path, database_url=database_url, eager=False, broker_url=broker_url, **settings
    )
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    st = Stack(AsyncPlatform.wrap(p), logs)
    try:
        for _ in range(workers):
            st.add_worker()
        yield st
    finally:
        st.stop()
        p.runtime.db.dispose()


class EarlyAckWorker(WorkerProcess):
    """A worker with Celery's defaults for acknowledgement (ack on receipt, no requeue when
    the pool process dies): the control that shows what the platform's settings prevent."""

    def __init__(self, settings: Any, log: Path, **kw: Any) -> None:
        real_popen = subprocess.Popen

        def popen(argv: list[str], **options: Any) -> Any:
            rest = argv[argv.index("-A") + 2 :]  # the worker's own arguments
            code = "from tests.service.faultkit import early_ack_worker; early_ack_worker()"
            return real_popen([sys.executable, "-c", code, *rest], **options)

        with mock.patch.object(subprocess, "Popen", popen):
            super().__init__(settings, log, **kw)


def early_ack_worker() -> None:
    """Entry point of ``EarlyAckWorker``: the platform's app with the two settings reverted."""
    from tasks.celery_app import app

    app.conf.update(task_acks_late=False, task_reject_on_worker_lost=False)
    app.worker_main(sys.argv[1:])


def running_task(task: str, args: Iterable[Any]) -> tuple[str, int, str] | None:
    """``(worker, pool pid, task id)`` of the worker running ``task(*args)`` now, or None.

    Asks the workers over the broker (``celery inspect active``), as an operator would.
    """
    from tasks.celery_app import app

    wanted = list(args)
    active = app.control.inspect(timeout=1.0).active() or {}
    for worker, tasks in active.items():
        for t in tasks:
            if t.get("name") == task and list(t.get("args") or []) == wanted:
                return worker, int(t["worker_pid"]), str(t["id"])
    return None


def wait_ingesting(p: Platform, submission_id: int, file: str) -> tuple[int, str, int, str]:
    """Wait until a worker runs the ingestion of ``file``: (drawing id, worker, pool pid,
    task id). The drawing's row must say so too, so its delivery is already counted."""

    def running() -> tuple[int, str, int, str] | None:
        row = drawing_rows(p, submission_id)[file]
        if row["status"] != "ingesting":
            return None
        task = running_task("tasks.pipeline.ingest", [row["id"]])
        return None if task is None else (row["id"], *task)

    found: tuple[int, str, int, str] = wait_for(
        running, PROCESSING_WAIT, f"a worker to ingest {file}", every=0.2
    )
    return found


def redis_backlog(broker_url: str) -> tuple[int, int]:
    """Messages the Redis broker still holds for the platform: (queued, delivered but not
    acknowledged). Both 0 means nothing is left that could ever be delivered again."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_timeout=5)
    return int(client.llen("lianshen")), int(client.hlen("unacked"))


def worker_named(st: Stack, name: str) -> WorkerProcess:
    """The worker whose node name is ``name`` (``w1a2b3c@host``)."""
    for w in st.workers:
        argv = [str(a) for a in w.process.args]  # type: ignore[union-attr]
        node = argv[argv.index("-n") + 1].replace("%h", socket.gethostname())
        if node == name:
            return w
    raise AssertionError(f"no worker named {name}")


def stop_consuming(worker_name: str) -> None:
    """Make ``worker_name`` take no new messages (what it runs now goes on)."""
    from tasks.celery_app import app

    replies = app.control.cancel_consumer(
        "lianshen", destination=[worker_name], reply=True, timeout=5
    )
    assert replies, f"{worker_name} did not answer cancel_consumer"


# --- results --------------------------------------------------------------------------------


def signature(f: dict[str, Any]) -> tuple[Any, ...]:
    """What a finding says, without its database ids."""
    return (
        f["code"], f["severity"], f["file"], f["sheet"], f["message"],
        tuple(sorted(f.get("handles") or [])), json.dumps(f.get("location"), sort_keys=True),
        f.get("measured"), f.get("limit"),
    )


def signatures(findings: Iterable[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """The findings as a multiset of signatures (equal for equal results)."""
    return Counter(signature(f) for f in findings)


def duplicates(findings: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Findings stored twice: same rule, file, sheet, handles and place, whatever the text."""
    keys = Counter(
        (f["code"], f["file"], f["sheet"], tuple(sorted(f.get("handles") or [])),
         json.dumps(f.get("location"), sort_keys=True))
        for f in findings
    )
    return [k for k, n in keys.items() if n > 1]


def drawing_rows(p: Platform, submission_id: int) -> dict[str, dict[str, Any]]:
    """The submission's drawings by file: id, status, error reason and deliveries."""
    with p.runtime.db.session() as s:
        rows = s.scalars(select(Drawing).where(Drawing.submission_id == submission_id)).all()
        return {
            d.file: {
                "id": d.id, "status": d.status, "error_reason": d.error_reason,
                "deliveries": d.deliveries,
            }
            for d in rows
        }


def check_runs(p: Platform, submission_id: int) -> dict[str, tuple[str, int]]:
    """The submission's rule groups: status and deliveries."""
    with p.runtime.db.session() as s:
        runs = s.scalars(select(CheckRun).where(CheckRun.submission_id == submission_id)).all()
        return {r.group: (r.status, r.deliveries) for r in runs}


def processing(p: Platform, submission_id: int) -> str:
    """The submission's pipeline state, read from the database."""
    with p.runtime.db.session() as s:
        sub = s.get(Submission, submission_id)
        assert sub is not None
        return sub.processing


# --- packages -------------------------------------------------------------------------------

_LARGE: dict[str, bytes] = {}


def large_package(sample: str = "residential_tower") -> bytes:
    """``sample`` plus a ~100k-entity plan as a second architecture drawing (zip bytes).

    The plan (``benchmarks/make_large.py``) takes seconds to ingest, long enough to kill a
    worker in the middle of it; it is built once and cached by the benchmarks.
    """
    if sample not in _LARGE:
        from benchmarks import make_large
        from samples import build_package

        plan, _ = make_large.ensure(LARGE_ENTITIES)
        tmp = Path(tempfile.mkdtemp(prefix="lianshen-large-"))
        try:
            folder = build_package(tmp, sample)
            shutil.copyfile(plan, folder / LARGE_FILE)
            _LARGE[sample] = zip_folder(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _LARGE[sample]


def kill(pid: int) -> None:
    """kill -9 one process (a worker's pool child)."""
    os.kill(pid, 9)
