"""Pipeline benchmark: upload-to-findings time with 1 and 2 workers, and 200 reviewers at once.

Why these two figures: an applicant waits from the upload until every finding is there, and
that wait must shrink when a second worker is added (the pipeline is one task per drawing and
one per rule group, so it can spread); reviewers then work on the submission together, and
their clicks must stay quick while many of them post annotations and read findings. The
targets (issue #4): **with 2 workers the upload-to-all-findings time is at most 0.6x the time
with 1 worker; with 200 concurrent reviewers the 95th percentile of every request type is at
most 200 ms, with no errors**, and every annotation acknowledged with 201 is stored once.

The script starts the distributed stack itself, on loopback, and removes it afterwards (also
after Ctrl-C): a new PostgreSQL database, a dedicated Redis database as the broker, local file
storage in a temporary folder, the API under uvicorn in a subprocess and N ``celery worker``
processes (``-Q lianshen --concurrency=1``), all configured through ``LIANSHEN_*`` variables
exactly as in a deployment. See README.md, section "Pipeline", for what each phase does.

Usage::

    python -m benchmarks.pipeline                   # 3 to 5 min
    python -m benchmarks.pipeline --quick --json pipeline.json
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from benchmarks import make_large
from benchmarks._measure import ROOT, format_table, machine_info

__all__ = [
    "BenchError",
    "LoadResult",
    "PipelineRun",
    "Stack",
    "Targets",
    "build_upload",
    "main",
    "parse_task_times",
    "percentile",
    "run_load",
    "run_pipeline",
    "two_worker_model",
    "verdicts",
    "worker_trouble",
]

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PG_ADMIN_DB = "test"
REDIS_HOST = "127.0.0.1:6379"
DEFAULT_REDIS_DB = 13
LOCK_KEY = "lianshen:benchmark:pipeline"
PASSWORD = "bench-password-123"
DEPARTMENTS = ("planning", "architecture", "fire", "civil_defence", "lightning")
PHASE_A_SAMPLE = "residential_tower"
PHASE_B_SAMPLE = "residential_tower_violations"
PLAN_FOLDERS = ("architecture", "fire")
POLL_SECONDS = 0.1
PHASES = ("scaling", "load")
#: A connection idle this long is not reused: uvicorn closes idle ones after 5 s, and a request
#: sent as it does so is lost in between (HTTP clients such as httpx expire them likewise).
KEEPALIVE_SECONDS = 4.0

Log = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Targets:
    """The targets of issue #4."""

    #: Upload-to-all-findings time with 2 workers, as a ratio to 1 worker.
    ratio: float = 0.6
    #: 95th percentile of each request type under load, in milliseconds.
    p95_ms: float = 200.0
    #: Failed requests allowed under load.
    errors: int = 0


class BenchError(RuntimeError):
    """The benchmark cannot run or its stack misbehaved; the message says what to do."""


def _say(message: str) -> None:
    """Progress on stderr, so that stdout holds only the report."""
    print(f"[pipeline] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The services: a fresh PostgreSQL database and a claimed Redis database
# ---------------------------------------------------------------------------------------------


def _pg_admin() -> Any:
    """An autocommit connection to the admin database (to create, watch and drop ours)."""
    import psycopg

    try:
        return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_ADMIN_DB,
                               autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"无法连接 PostgreSQL（{PG_HOST}:{PG_PORT}，用户 {PG_USER}）；请先启动它 / "
            f"PostgreSQL is not reachable ({exc}); start it first (scripts/services.sh)"
        ) from None


@contextmanager
def fresh_database(log: Log = _say) -> Iterator[tuple[str, str]]:
    """A new PostgreSQL database for this run: ``(name, SQLAlchemy URL)``; dropped afterwards.

    Dropping first terminates the sessions still open on it (a killed API process leaves
    them behind), so the database never outlives the run.
    """
    name = f"lianshen_bench_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} created")
    try:
        yield name, f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        log(f"database {name} dropped")


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (for a left-over Redis claim)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def claimed_redis(db: int, log: Log = _say) -> Iterator[str]:
    """The broker URL of Redis database ``db``, held for this run only; emptied before and after.

    Two runs on one Redis database would take each other's task messages (a worker that
    finds no drawing with the id drops the message), so the database is claimed with a lock
    key naming this process; a lock left by a process that no longer runs is taken over.
    """
    import redis

    url = f"redis://{REDIS_HOST}/{db}"
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        _claim(client, db)
        _empty_except_lock(client)
    except redis.ConnectionError as exc:
        raise BenchError(
            f"无法连接 Redis（{REDIS_HOST}）；请先启动它 / Redis is not reachable ({exc})"
        ) from None
    log(f"broker {url} claimed")
    try:
        yield url
    finally:
        try:
            _empty_except_lock(client)
            client.delete(LOCK_KEY)
            log(f"broker {url} released")
        except redis.RedisError as exc:  # a restarted Redis has forgotten the run anyway
            log(f"broker {url} not emptied: {exc}")
        client.close()


def _claim(client: Any, db: int) -> None:
    """Set the lock key to this process, or take it over from a process that is gone."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    if client.set(LOCK_KEY, me, nx=True, ex=24 * 3600):
        return
    raw: Any = client.get(LOCK_KEY)
    holder = (raw or b"").decode()
    host, _, pid = holder.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
        client.set(LOCK_KEY, me, ex=24 * 3600)
        return
    raise BenchError(
        f"Redis 数据库 {db} 正被另一次基准测试（{holder}）使用；请用 --redis-db 另选 / "
        f"Redis database {db} is in use by another benchmark run ({holder}); "
        "choose another with --redis-db"
    )


def _empty_except_lock(client: Any) -> None:
    """Remove every key but the lock: queued messages of an earlier, killed run."""
    keys = [k for k in client.scan_iter(count=500) if k != LOCK_KEY.encode()]
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


def free_port() -> int:
    """A TCP port free on loopback right now (the API binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# CPU accounting: the machine may be shared, so CPU seconds are reported next to wall times
# ---------------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a live process (None when it is gone or on non-Linux)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def group_members(pgid: int) -> list[int]:
    """Every live process of process group ``pgid`` (an API or worker and its children);
    zombies, which only wait to be reaped, do not count."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields is not None and int(fields[2]) == pgid and fields[0] != "Z":  # pgrp, state
                out.append(int(entry.name))
    return out


def thread_waits(pid: int) -> dict[int, float]:
    """Seconds each live thread of a process was ready to run but waited for a CPU.

    On a machine shared with other work this is what stretches wall times: a worker that
    waited as long as it ran took twice as long as it would alone. Per thread, because a
    thread pool's threads come and go: a process-wide sum would shrink when one ends.
    """
    out: dict[int, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return out


@dataclasses.dataclass
class CpuSnapshot:
    """CPU seconds per process and run-queue wait per thread, for each named part."""

    cpu: dict[str, dict[int, float]] = dataclasses.field(default_factory=dict)
    wait: dict[str, dict[int, float]] = dataclasses.field(default_factory=dict)


def cpu_snapshot(groups: dict[str, list[int]]) -> CpuSnapshot:
    """CPU seconds and run-queue waits of every process of each named set of pids."""
    snap = CpuSnapshot()
    for name, pids in groups.items():
        snap.cpu[name], snap.wait[name] = {}, {}
        for pid in pids:
            cpu = process_cpu(pid)
            if cpu is not None:
                snap.cpu[name][pid] = cpu
                snap.wait[name].update(thread_waits(pid))
    return snap


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """CPU seconds used (``name``) and seconds spent waiting for a CPU (``name wait``) between
    two snapshots. A process or thread born in between counts from zero; one that ended in
    between is missed, so both figures are lower bounds."""

    def grown(old: dict[int, float], new: dict[int, float]) -> float:
        return round(sum(v - old.get(k, 0.0) for k, v in new.items()), 3)

    out: dict[str, float] = {}
    for name in after.cpu:
        out[name] = grown(before.cpu.get(name, {}), after.cpu[name])
        out[f"{name} wait"] = grown(before.wait.get(name, {}), after.wait[name])
    return out


# ---------------------------------------------------------------------------------------------
# The stack: API and workers as subprocesses configured like a deployment
# ---------------------------------------------------------------------------------------------


class Proc:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        """The end of the log, to say why a process did not come up."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the whole group (pool children too), SIGKILL if it does not go."""
        if self.alive():
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
                try:
                    os.killpg(self.process.pid, sig)
                    self.process.wait(timeout=wait)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        try:  # pool children left behind by a leader that died first
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while group_members(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # SIGKILL is delivered asynchronously
        self._out.close()


@dataclasses.dataclass
class Stack:
    """The platform in distributed mode on loopback, for one benchmark run."""

    work: Path
    database_url: str
    broker_url: str
    api_workers: int
    port: int = 0
    secret_key: str = dataclasses.field(default_factory=lambda: secrets.token_hex(32))
    api: Proc | None = None
    workers: list[Proc] = dataclasses.field(default_factory=list)
    log: Log = _say

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> Any:
        """The platform's settings for this stack (also what the subprocesses read)."""
        from review_api.settings import Settings

        return Settings(
            data_dir=self.work / "var", database_url=self.database_url,
            broker_url=self.broker_url, secret_key=self.secret_key, storage="local",
        )

    def env(self) -> dict[str, str]:
        """``LIANSHEN_*`` variables: the only way a deployment configures API and workers.
        Those of the calling shell are left out, so that the stack is always the same."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIANSHEN_")}
        env.update(
            {
                "LIANSHEN_DATA_DIR": str(self.work / "var"),
                "LIANSHEN_DATABASE_URL": self.database_url,
                "LIANSHEN_BROKER_URL": self.broker_url,
                "LIANSHEN_STORAGE": "local",
                "LIANSHEN_SECRET_KEY": self.secret_key,
                # the timed uploads follow each other faster than an applicant's would
                "LIANSHEN_MAX_UPLOADS_PER_MINUTE": "1000",
                "PYTHONPATH": str(ROOT),
            }
        )
        return env

    def prepare(self) -> None:
        """Schema and demo users, as ``lianshen serve`` would create them."""
        from review_api.db import migrate
        from review_api.demo import ensure_demo_users

        settings = self.settings()
        migrate(settings)
        rt = self.runtime()
        try:
            ensure_demo_users(rt, PASSWORD)
        finally:
            rt.db.dispose()

    def runtime(self) -> Any:
        """A runtime on the stack's database and storage (for seeding and final counts)."""
        from review_api.db import Database
        from review_api.storage import storage_from_settings
        from tasks.stages import Runtime

        settings = self.settings()
        return Runtime(settings, Database(settings), storage_from_settings(settings))

    def start_api(self, timeout: float = 60.0) -> None:
        """uvicorn with the app factory and ``api_workers`` processes; waits for health."""
        self.port = self.port or free_port()
        argv = [
            sys.executable, "-m", "uvicorn", "review_api.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.api_workers),
            "--log-level", "warning", "--no-access-log",
        ]
        self.api = Proc("api", argv, self.env(), self.work / "api.log")
        self.log(f"API pid {self.api.pid} on port {self.port} ({self.api_workers} processes)")
        _wait(lambda: self._healthy(), timeout, "API health", self.api)

    def _healthy(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.base_url}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start_workers(self, n: int, timeout: float = 60.0) -> None:
        """``n`` more ``celery worker`` processes with one pool process each; waits for ready."""
        for _ in range(n):
            k = len(self.workers) + 1
            argv = [
                sys.executable, "-m", "celery", "-A", "tasks.celery_app", "worker",
                "--loglevel=INFO", "--concurrency=1", "-Q", "lianshen",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-n", f"bench{k}-{uuid.uuid4().hex[:6]}@%h",
            ]
            w = Proc(f"worker{k}", argv, self.env(), self.work / f"worker{k}.log")
            self.workers.append(w)
            self.log(f"worker pid {w.pid}")
        for w in self.workers:
            _wait(partial(_logged, w.log, " ready."), timeout, f"{w.name} ready", w)

    def stop_workers(self) -> None:
        """Stop every worker (warm shutdown first, so no task is left half done)."""
        for w in self.workers:
            w.stop()
        self.workers.clear()

    def close(self) -> None:
        """Stop the workers and the API."""
        self.stop_workers()
        if self.api is not None:
            self.api.stop()
            self.api = None

    def worker_logs(self) -> list[Path]:
        return [w.log for w in self.workers]

    def cpu_groups(self) -> dict[str, list[int]]:
        """The pids behind each part: API processes, worker processes, database sessions."""
        api = group_members(self.api.pid) if self.api is not None else []
        workers = [pid for w in self.workers for pid in group_members(w.pid)]
        name = self.database_url.rsplit("/", 1)[1]
        with _pg_admin() as conn:
            backends = [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
        return {"api": api, "workers": workers, "database": backends}

    def cpu(self) -> CpuSnapshot:
        """CPU seconds so far of every process of the stack (see ``cpu_delta``)."""
        return cpu_snapshot(self.cpu_groups())


def _logged(path: Path, text: str) -> bool:
    """Whether ``text`` appears in the log at ``path`` (a worker says " ready." once started)."""
    return text in path.read_text(encoding="utf-8", errors="replace")


def _wait(predicate: Callable[[], Any], timeout: float, what: str, proc: Proc | None = None,
          every: float = 0.2) -> Any:
    """Poll until ``predicate`` holds; a dead process or the timeout ends it with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and not proc.alive():
            raise BenchError(
                f"{proc.name} 进程已退出 / {proc.name} exited while waiting for {what}:\n"
                f"{proc.tail()}"
            )
        time.sleep(every)
    tail = f":\n{proc.tail()}" if proc is not None else ""
    raise BenchError(f"等待超时 / timed out after {timeout:.0f} s waiting for {what}{tail}")


@contextmanager
def running_stack(work: Path, redis_db: int, api_workers: int, log: Log = _say) -> Iterator[Stack]:
    """Database, broker, migrated schema with demo users, and the API; all removed afterwards."""
    with ExitStack() as stack:
        _, url = stack.enter_context(fresh_database(log))
        broker = stack.enter_context(claimed_redis(redis_db, log))
        st = Stack(work, url, broker, api_workers, log=log)
        stack.callback(st.close)
        st.prepare()
        st.start_api()
        yield st


# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------


def build_upload(out: Path, sample: str, plan_size: int = 0, plans: int = 0,
                 cache_dir: Path = make_large.CACHE_DIR) -> tuple[bytes, int]:
    """A sample package as zip bytes, with ``plans`` copies of the ``plan_size`` plan added to
    the architecture and fire drawings; returns the bytes and the number of drawings.

    The sample alone is light (five drawings of about 2,000 entities at most); the large
    plans give the workers enough to do for a second worker to show, and several per
    discipline give the ingest stage more tasks than workers.
    """
    from samples import build_package

    folder = build_package(out, sample)
    if plans and plan_size:
        plan, _ = make_large.ensure(plan_size, cache_dir=cache_dir)
        for discipline in PLAN_FOLDERS:
            for k in range(1, plans + 1):
                shutil.copyfile(plan, folder / discipline / f"plan_{plan_size}_{k}.dxf")
    drawings = sum(1 for _ in folder.rglob("*.dxf"))
    archive = shutil.make_archive(str(out / sample), "zip", folder)
    return Path(archive).read_bytes(), drawings


# ---------------------------------------------------------------------------------------------
# Phase A: upload to all findings
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class PipelineRun:
    """One upload followed until its processing was done."""

    workers: int
    seconds: float
    submission_id: int
    drawings: int
    findings: int
    server: dict[str, float]
    tasks: dict[str, dict[str, float]]
    failed: list[str]
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)
    warmup: bool = False


class Api:
    """A small synchronous client for the setup steps (login, projects, uploads, intake)."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=base_url, timeout=120)
        self.tokens: dict[str, str] = {}

    def headers(self, user: str) -> dict[str, str]:
        """The bearer header of a demo user (logged in once)."""
        if user not in self.tokens:
            r = self.http.post("/api/auth/login", json={"username": user, "password": PASSWORD})
            _expect(r, 200, f"login of {user}")
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def call(self, user: str, method: str, url: str, expected: int = 200, **kw: Any) -> Any:
        """One request as ``user``; its JSON answer, or BenchError for another status."""
        r = self.http.request(method, url, headers=self.headers(user), **kw)
        _expect(r, expected, f"{method.upper()} {url}")
        return r.json()

    def close(self) -> None:
        self.http.close()


def _expect(r: Any, status: int, what: str) -> None:
    """A set-up step that did not get the answer it needs stops the benchmark."""
    if r.status_code != status:
        raise BenchError(f"{what} 返回 {r.status_code} / answered {r.status_code}: {r.text[:500]}")


def _log_offsets(paths: Sequence[Path]) -> dict[Path, int]:
    """Where each log ends now, so that a run reads only its own lines."""
    return {p: p.stat().st_size if p.exists() else 0 for p in paths}


_TASK_DONE = re.compile(r"Task tasks\.pipeline\.(\w+)\[[^\]]+\] succeeded in ([0-9.]+)s")


def parse_task_times(text: str) -> dict[str, list[float]]:
    """Seconds of every finished task by task name, from celery worker logs."""
    out: dict[str, list[float]] = {}
    for name, secs in _TASK_DONE.findall(text):
        out.setdefault(name, []).append(float(secs))
    return out


def _logged_since(offsets: dict[Path, int]) -> str:
    """What the workers logged since ``offsets``."""
    parts = []
    for path, start in offsets.items():
        with path.open("rb") as f:
            f.seek(start)
            parts.append(f.read().decode("utf-8", errors="replace"))
    return "\n".join(parts)


_TROUBLE = re.compile(r"^.*(?:retry: Retry in|ERROR/|raised unexpected).*$", re.MULTILINE)


def worker_trouble(text: str) -> str | None:
    """The first worker log line saying that a task failed or is being retried.

    A retried task waits for its back-off, so a run with one measures the back-off, not the
    pipeline; the run stops with that line instead of waiting for the timeout.
    """
    m = _TROUBLE.search(text)
    return m.group(0).strip()[:600] if m else None


def _task_profile(offsets: dict[Path, int]) -> dict[str, dict[str, float]]:
    """Count, sum and longest of each task kind logged since ``offsets`` (all workers)."""
    return {
        name: {"count": len(v), "sum": round(sum(v), 3), "max": round(max(v), 3)}
        for name, v in sorted(parse_task_times(_logged_since(offsets)).items())
    }


def _server_times(stack: Stack, submission_id: int) -> dict[str, float]:
    """Where the time went, from the rows the pipeline keeps: seconds from the submission's
    creation to the last drawing ingested, to the last rule group done, and to "done"."""
    from sqlalchemy import func, select

    from review_api.models import AuditEvent, CheckRun, Drawing, Submission

    rt = stack.runtime()
    try:
        with rt.db.session() as s:
            sub = s.get(Submission, submission_id)
            assert sub is not None
            ingested = s.scalar(
                select(func.max(Drawing.updated_at)).where(Drawing.submission_id == submission_id)
            )
            checked = s.scalar(
                select(func.max(CheckRun.updated_at)).where(CheckRun.submission_id == submission_id)
            )
            done = s.scalar(
                select(AuditEvent.at).where(
                    AuditEvent.submission_id == submission_id,
                    AuditEvent.action == "processing.done",
                )
            )
            start = sub.created_at
    finally:
        rt.db.dispose()

    def since(t: Any) -> float:
        return round((t - start).total_seconds(), 3) if t is not None else float("nan")

    return {"ingested": since(ingested), "checked": since(checked), "done": since(done)}


def run_pipeline(stack: Stack, api: Api, upload: bytes, workers: int, *, warmup: bool = False,
                 timeout: float = 900.0) -> PipelineRun:
    """Upload ``upload`` as a new project's first round and wait until processing is done.

    The clock runs from just before the upload request until a poll of the submission sees
    ``processing == "done"`` (polled every 0.1 s, so it is at most that late).
    """
    project = api.call("applicant", "post", "/api/projects", 201,
                       json={"name": f"基准项目 {uuid.uuid4().hex[:8]}"})
    offsets = _log_offsets(stack.worker_logs())
    cpu_before = stack.cpu()
    started = time.perf_counter()
    created = api.call(
        "applicant", "post", f"/api/projects/{project['id']}/submissions", 201,
        files={"package": ("package.zip", upload, "application/zip")},
    )
    sub_id = created["id"]

    def done() -> dict[str, Any] | None:
        state: dict[str, Any] = api.call("applicant", "get", f"/api/submissions/{sub_id}")
        if state["processing"] == "done":
            return state
        trouble = worker_trouble(_logged_since(offsets))
        if trouble:
            raise BenchError(
                f"送审 {sub_id} 的处理出错，计时无效 / processing of submission {sub_id} hit an "
                f"error, the timing would be meaningless; worker log: {trouble}"
            )
        return None

    state = _wait(done, timeout, f"processing of submission {sub_id}", every=POLL_SECONDS)
    seconds = time.perf_counter() - started
    cpu = cpu_delta(cpu_before, stack.cpu())
    time.sleep(0.3)  # the worker logs the task's end just after its commit
    failed = [f"{d['file']}: {d['error']}" for d in state["drawings"] if d["status"] != "ingested"]
    failed += [f"{c['group']}: {c['error']}" for c in state["checks"] if c["status"] != "done"]
    findings = api.call("applicant", "get", f"/api/submissions/{sub_id}/findings")
    return PipelineRun(
        workers=workers, seconds=round(seconds, 3), submission_id=sub_id,
        drawings=len(state["drawings"]), findings=len(findings),
        server=_server_times(stack, sub_id), tasks=_task_profile(offsets), failed=failed,
        cpu=cpu, warmup=warmup,
    )


def phase_a(stack: Stack, api: Api, heavy: bytes, light: bytes, worker_counts: Sequence[int],
            repeat: int, log: Log = _say) -> tuple[list[PipelineRun], int]:
    """For each worker count: fresh workers, one untimed warm-up upload of the light package
    (the pool processes import the rules there), then ``repeat`` timed uploads of the heavy one.

    With no worker count, one worker processes the light package only. Returns every run and
    the submission of the last warm-up (the light package, on which the load phase works).
    """
    runs: list[PipelineRun] = []
    light_sub = 0
    for n in worker_counts or (1,):
        stack.stop_workers()
        stack.start_workers(n)
        warm = run_pipeline(stack, api, light, n, warmup=True)
        runs.append(warm)
        light_sub = warm.submission_id
        for k in range(repeat if worker_counts else 0):
            run = run_pipeline(stack, api, heavy, n)
            runs.append(run)
            log(f"{n} worker(s), run {k + 1}/{repeat}: {run.seconds:.2f} s, "
                f"{run.findings} findings")
            if run.failed:
                raise BenchError("处理未完成 / processing failed: " + "; ".join(run.failed))
    return runs, light_sub


def median_seconds(runs: Sequence[PipelineRun], workers: int) -> float | None:
    """Median upload-to-done time of the timed runs with ``workers`` workers."""
    times = [r.seconds for r in runs if r.workers == workers and not r.warmup]
    return statistics.median(times) if times else None


def two_worker_model(runs: Sequence[PipelineRun]) -> dict[str, float] | None:
    """What 2 workers that never wait for a CPU would take, from the 1-worker task times.

    Why: on a shared machine the measured ratio also says how busy the machine was. This
    model says what the pipeline's shape allows: each stage ends when half its work is done
    or its longest task is, whichever is later, and the rest of the 1-worker time (upload,
    dispatch, polling) stays the same. Uses the 1-worker run with the median time.
    """
    ones = sorted((r for r in runs if r.workers == 1 and not r.warmup), key=lambda r: r.seconds)
    if not ones:
        return None
    r = ones[len(ones) // 2]
    stages = [r.tasks.get(kind, {}) for kind in ("ingest", "check", "aggregate")]
    busy = sum(t.get("sum", 0.0) for t in stages)
    two = r.seconds - busy + sum(max(t.get("sum", 0.0) / 2, t.get("max", 0.0)) for t in stages)
    return {"one": r.seconds, "two": round(two, 3), "ratio": round(two / r.seconds, 3)}


def scaling_notes(runs: Sequence[PipelineRun]) -> list[str]:
    """The model line (see ``two_worker_model``) and how long the workers waited for a CPU."""
    model = two_worker_model(runs)
    if model is None:
        return []
    timed = [r for r in runs if not r.warmup]
    cpu = sum(r.cpu.get("workers", 0.0) for r in timed)
    wait = sum(r.cpu.get("workers wait", 0.0) for r in timed)
    return [
        f"model: 2 workers that never wait for a CPU would take about {model['two']:.2f} s "
        f"of the 1-worker run's {model['one']:.2f} s ({model['ratio']:.2f}x); in the timed runs "
        f"the workers waited {wait:.1f} s for a CPU while using {cpu:.1f} s"
    ]


# ---------------------------------------------------------------------------------------------
# Phase B: many reviewers at once
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class LoadResult:
    """What the load phase measured: latencies (ms) and errors per request type, and the
    annotations acknowledged against those stored."""

    clients: int
    duration: float
    think: float
    latencies: dict[str, list[float]]
    errors: dict[str, dict[str, int]]
    acked: int
    stored: int
    distinct_stored: int
    #: Acknowledged with 201 but not in the database.
    lost: int
    retry_mismatches: int
    findings_per_read: int
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)
    sessions: dict[str, Any] = dataclasses.field(default_factory=dict)

    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + self.error_count()

    def error_count(self) -> int:
        return sum(sum(c.values()) for c in self.errors.values())

    def summary(self) -> dict[str, dict[str, float]]:
        """Per request type: count, errors, p50/p95/p99/max in ms, requests per second."""
        out = {}
        for kind in sorted(set(self.latencies) | set(self.errors)):
            lat = self.latencies.get(kind, [])
            out[kind] = {
                "count": len(lat),
                "errors": sum(self.errors.get(kind, {}).values()),
                "p50_ms": round(percentile(lat, 50), 1),
                "p95_ms": round(percentile(lat, 95), 1),
                "p99_ms": round(percentile(lat, 99), 1),
                "max_ms": round(max(lat), 1) if lat else float("nan"),
                "per_second": round(len(lat) / self.duration, 1) if self.duration else 0.0,
            }
        return out


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def load_users(stack: Stack, clients: int) -> list[tuple[str, str]]:
    """``(user name, department)`` of ``clients`` reviewers spread over the five departments,
    created in the departments' organisations of the demo data."""
    from review_api.demo import DEMO_USERS, ensure_user
    from review_api.security import hash_password

    orgs = {d: org for _, _, role, d, org, _ in DEMO_USERS if role == "reviewer"}
    users = [(f"load-{DEPARTMENTS[k % 5]}-{k // 5:03d}", DEPARTMENTS[k % 5])
             for k in range(clients)]
    pw = hash_password(PASSWORD)
    rt = stack.runtime()
    try:
        with rt.db.session() as s:
            for name, dept in users:
                ensure_user(s, name, f"压测{name[5:]}", "reviewer", dept, orgs[dept],
                            "department", password_hash=pw)
    finally:
        rt.db.dispose()
    return users


class HttpConnection:
    """A minimal HTTP/1.1 client on one keep-alive connection (one per simulated reviewer).

    Why not httpx: on the same two cores as the server, httpx spent about 8 ms of CPU per
    request, as much as the API itself, so the load generator would have measured mostly
    itself. This client writes the request and reads the status, the headers and a body of
    ``Content-Length`` or chunked framing, nothing else; like any HTTP client it opens a new
    connection rather than reuse one the server closed or is about to close.
    """

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0

    async def request(self, method: str, path: str, token: str | None = None,
                      payload: Any = None) -> tuple[int, Any]:
        """``(status, body)``, the body decoded as ``_decode`` does; raises on a broken
        connection or a timeout."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, token, payload),
                                          self.timeout)
        except BaseException:
            await self.close()
            raise

    async def _exchange(self, method: str, path: str, token: str | None,
                        payload: Any) -> tuple[int, Any]:
        idle = time.monotonic() - self._used
        if self._reader is not None and (self._reader.at_eof() or idle > KEEPALIVE_SECONDS):
            await self.close()  # closed by the server, or about to be (its keep-alive timeout)
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        body = b"" if payload is None else json.dumps(payload).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        if payload is not None:
            head.append("Content-Type: application/json")
        if token:
            head.append(f"Authorization: Bearer {token}")
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status, headers = _parse_head(await self._reader.readuntil(b"\r\n\r\n"))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = await _read_chunked(self._reader)
        else:
            data = await self._reader.readexactly(int(headers.get("content-length", "0")))
        self._used = time.monotonic()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, _decode(data, headers.get("content-type", ""))

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None


def _decode(data: bytes, content_type: str) -> Any:
    """A JSON body decoded; any other body (a plain-text 500 page) as text; None when empty."""
    if not data:
        return None
    if "json" in content_type:
        return json.loads(data)
    return data.decode("utf-8", errors="replace")


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    """Status code and lower-cased headers of a response head."""
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body (no trailers: the API sends none)."""
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)  # the data and its CRLF
        if size == 0:
            return b"".join(parts)
        parts.append(chunk[:-2])


async def _login_all(port: int, users: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Tokens of every load user (eight logins at a time: each costs an Argon2 check)."""
    gate = asyncio.Semaphore(8)

    async def one(name: str) -> tuple[str, str]:
        async with gate:
            conn = HttpConnection("127.0.0.1", port)
            try:
                status, body = await conn.request(
                    "POST", "/api/auth/login", payload={"username": name, "password": PASSWORD})
            finally:
                await conn.close()
            if status != 200:
                raise BenchError(f"login of {name} 返回 {status} / answered {status}: {body}")
            return name, body["access_token"]

    return dict(await asyncio.gather(*(one(n) for n, _ in users)))


@dataclasses.dataclass
class _Recorder:
    """What the reviewers observed: latencies and errors per request type, acknowledged keys."""

    latencies: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    errors: dict[str, Counter[str]] = dataclasses.field(default_factory=dict)
    acked: dict[str, int] = dataclasses.field(default_factory=dict)
    retry_mismatches: int = 0
    findings_seen: int = 0

    async def timed(self, kind: str, request: Any, ok: int) -> Any:
        """Await one request; its latency counts when the status is ``ok``, else an error.
        Returns the decoded body, or None after an error."""
        start = time.perf_counter()
        try:
            status, body = await request
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.errors.setdefault(kind, Counter())[type(exc).__name__] += 1
            return None
        ms = (time.perf_counter() - start) * 1000
        if status != ok:
            self.errors.setdefault(kind, Counter())[str(status)] += 1
            return None
        self.latencies.setdefault(kind, []).append(ms)
        return body


@dataclasses.dataclass(frozen=True)
class _Reviewer:
    """One simulated reviewer: who, with which token, on which drawing and submission."""

    name: str
    token: str
    drawing_id: int
    submission_id: int


async def _review(conn: HttpConnection, rec: _Recorder, who: _Reviewer, deadline: float,
                  think: float, retry_share: float, rng: random.Random) -> None:
    """Post an annotation, think, read the findings, think; until the deadline.

    A share ``retry_share`` of the annotations is posted a second time with the same
    ``client_key`` (a client that lost the first answer): the answer must be the first
    annotation again, and nothing may be stored twice.
    """
    seq = 0
    url = f"/api/drawings/{who.drawing_id}/annotations"
    await asyncio.sleep(rng.uniform(0, max(think, 0.05)))
    while time.monotonic() < deadline:
        seq += 1
        key = f"{who.name}-{seq}"
        body = {"geometry": {"type": "Point", "coordinates": [rng.uniform(0, 50), rng.uniform(0, 20)]},
                "text": f"压测批注 {seq}", "kind": "cloud", "client_key": key}
        first = await rec.timed("post annotation", conn.request("POST", url, who.token, body), 201)
        if first is not None:
            rec.acked[key] = first["id"]
            if rng.random() < retry_share:
                again = await rec.timed("post annotation again",
                                        conn.request("POST", url, who.token, body), 201)
                if again is not None and again["id"] != first["id"]:
                    rec.retry_mismatches += 1
        if not await _think(rng, think, deadline):
            break
        found = await rec.timed("read findings", conn.request(
            "GET", f"/api/submissions/{who.submission_id}/findings", who.token), 200)
        if found is not None:
            rec.findings_seen = len(found)
        await _think(rng, think, deadline)
    await conn.close()


async def _think(rng: random.Random, think: float, deadline: float) -> bool:
    """A pause of 0 to 2x ``think`` seconds, cut at the deadline; False when it is reached,
    so that no reviewer sends a request after the measured window."""
    pause = rng.uniform(0, 2 * think)
    left = deadline - time.monotonic()
    await asyncio.sleep(max(0.0, min(pause, left)))
    return pause < left


def _drawings_by_discipline(api: Api, submission_id: int) -> dict[str, int]:
    """The first drawing of each discipline: each reviewer annotates their department's."""
    state = api.call("bureau", "get", f"/api/submissions/{submission_id}")
    out: dict[str, int] = {}
    for d in state["drawings"]:
        out.setdefault(d["discipline"], d["id"])
    return out


def _stored_annotations(stack: Stack, submission_id: int) -> list[str]:
    """The client keys of the load users' annotations stored on the submission, one per row."""
    from sqlalchemy import select

    from review_api.models import Annotation, User

    rt = stack.runtime()
    try:
        with rt.db.session() as s:
            keys = s.scalars(
                select(Annotation.client_key)
                .join(User, User.id == Annotation.author_id)
                .where(Annotation.submission_id == submission_id,
                       User.username.like("load-%"))
            ).all()
    finally:
        rt.db.dispose()
    return [k or "" for k in keys]


class SessionSampler:
    """Samples the database's sessions while the load runs, four times a second.

    Why: latency alone does not say where a request waits. Sessions ``active`` run a
    statement; ``idle in transaction`` hold a connection (and its row locks) while the
    application does something else; sessions waiting on a ``Lock`` queue behind another
    transaction's row, which is how a single hot row serialises the requests.
    """

    def __init__(self, dbname: str, every: float = 0.25) -> None:
        import threading

        self.dbname, self.every = dbname, every
        self.samples: list[Counter[str]] = []
        self.waits: Counter[str] = Counter()
        self.waiting_statements: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SessionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with _pg_admin() as conn:
            while not self._stop.wait(self.every):
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event, left(query, 60) "
                    "FROM pg_stat_activity WHERE datname = %s", (self.dbname,)).fetchall()
                sample: Counter[str] = Counter()
                for state, wtype, wevent, query in rows:
                    sample[state or "unknown"] += 1
                    if wtype == "Lock":
                        sample["lock wait"] += 1
                        self.waits[f"{wtype}:{wevent}"] += 1
                        self.waiting_statements[" ".join((query or "").split())] += 1
                self.samples.append(sample)

    def summary(self) -> dict[str, Any]:
        """Mean sessions per state over the samples, the most lock waiters seen at once, and
        the lock kinds waited for."""
        n = len(self.samples) or 1
        states = ("active", "idle in transaction", "idle", "lock wait")
        return {
            "samples": len(self.samples),
            **{f"mean {k}": round(sum(x[k] for x in self.samples) / n, 2) for k in states},
            "max lock wait": max((x["lock wait"] for x in self.samples), default=0),
            "lock waits": dict(self.waits.most_common(5)),
            "statements waiting": dict(self.waiting_statements.most_common(3)),
        }


def run_load(stack: Stack, api: Api, submission_id: int, clients: int, duration: float,
             think: float, retry_share: float = 0.1, seed: int = 4) -> LoadResult:
    """``clients`` reviewers working on the accepted submission for ``duration`` seconds."""
    users = load_users(stack, clients)
    drawings = _drawings_by_discipline(api, submission_id)

    async def main() -> tuple[_Recorder, float, dict[str, float], dict[str, Any]]:
        tokens = await _login_all(stack.port, users)
        reviewers = [_Reviewer(name, tokens[name], drawings[dept], submission_id)
                     for name, dept in users]
        rec = _Recorder()
        rng = random.Random(seed)
        cpu_before, client_before = stack.cpu(), _own_cpu()
        started = time.monotonic()
        with SessionSampler(stack.database_url.rsplit("/", 1)[1]) as sessions:
            await asyncio.gather(*(
                _review(HttpConnection("127.0.0.1", stack.port), rec, who, started + duration,
                        think, retry_share, random.Random(rng.random()))
                for who in reviewers
            ))
        elapsed = time.monotonic() - started
        cpu = cpu_delta(cpu_before, stack.cpu())
        cpu["client"] = round(_own_cpu() - client_before, 3)
        return rec, elapsed, cpu, sessions.summary()

    rec, elapsed, cpu, sessions = asyncio.run(main())
    stored = _stored_annotations(stack, submission_id)
    return LoadResult(
        clients=clients, duration=round(elapsed, 2), think=think,
        latencies=rec.latencies, errors={k: dict(v) for k, v in rec.errors.items()},
        acked=len(rec.acked), stored=len(stored), distinct_stored=len(set(stored)),
        lost=len(set(rec.acked) - set(stored)),
        retry_mismatches=rec.retry_mismatches, findings_per_read=rec.findings_seen, cpu=cpu,
        sessions=sessions,
    )


def _own_cpu() -> float:
    """CPU seconds of this process (the load generator)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None or value != value else pattern.format(value)


def pipeline_table(runs: Sequence[PipelineRun]) -> str:
    """One row per timed upload, with the server's stage times and the busiest task kinds."""
    rows = []
    for r in runs:
        if r.warmup:
            continue
        tasks = r.tasks
        rows.append([
            str(r.workers), str(r.submission_id), str(r.drawings), str(r.findings),
            _fmt(r.seconds), _fmt(r.server.get("ingested")), _fmt(r.server.get("checked")),
            _fmt(r.server.get("done")),
            _fmt(tasks.get("ingest", {}).get("sum")), _fmt(tasks.get("check", {}).get("sum")),
            _fmt(tasks.get("check", {}).get("max")), _fmt(r.cpu.get("workers")),
            _fmt(r.cpu.get("workers wait")),
        ])
    return format_table(
        ["workers", "submission", "drawings", "findings", "upload->done s", "ingested s",
         "checked s", "done s", "ingest busy s", "check busy s", "longest check s",
         "worker cpu s", "worker wait s"],
        rows,
    )


def load_table(load: LoadResult) -> str:
    """One row per request type: count, errors, percentiles and rate."""
    rows = [
        [kind, str(int(v["count"])), str(int(v["errors"])), _fmt(v["p50_ms"], "{:.1f}"),
         _fmt(v["p95_ms"], "{:.1f}"), _fmt(v["p99_ms"], "{:.1f}"), _fmt(v["max_ms"], "{:.1f}"),
         _fmt(v["per_second"], "{:.1f}")]
        for kind, v in load.summary().items()
    ]
    return format_table(
        ["request", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "per s"], rows
    )


def load_notes(load: LoadResult) -> list[str]:
    """CPU cost per request, and what it means for throughput on two cores of its own.

    Wall-clock latencies depend on everything else the machine runs; CPU milliseconds per
    request do much less, so they tell whether the service itself is heavy.
    """
    n = sum(len(v) for v in load.latencies.values()) + load.error_count()
    if not n or not load.cpu:
        return []
    per = {k: 1000 * v / n for k, v in load.cpu.items()}
    waited = load.cpu.get("api wait", 0.0)
    server = per.get("api", 0.0) + per.get("database", 0.0)
    cores = os.cpu_count() or 1
    capacity = f", at most about {1000 * cores / server:.0f} requests/s on {cores} free cores" \
        if server else ""
    return [
        f"cpu per request: API {per.get('api', 0):.1f} ms, PostgreSQL "
        f"{per.get('database', 0):.1f} ms, load generator {per.get('client', 0):.1f} ms "
        f"({n} requests in {load.duration:.0f} s, {n / load.duration:.0f}/s{capacity}); "
        f"the API processes waited {waited:.1f} s for a CPU while using {load.cpu.get('api', 0):.1f} s",
        f"findings per read: {load.findings_per_read}",
        *_sessions_note(load.sessions),
    ]


def _sessions_note(sessions: dict[str, Any]) -> list[str]:
    """The database sessions line (see ``SessionSampler``)."""
    if not sessions.get("samples"):
        return []
    waits = ", ".join(f"{k} {v}" for k, v in sessions["lock waits"].items()) or "none"
    lines = [
        f"database sessions (mean of {sessions['samples']} samples): "
        f"{sessions['mean active']:.1f} running a statement, "
        f"{sessions['mean idle in transaction']:.1f} idle in a transaction, "
        f"{sessions['mean lock wait']:.1f} waiting for a lock (at most "
        f"{sessions['max lock wait']}; {waits})"
    ]
    statements = sessions.get("statements waiting") or {}
    if statements:
        top, count = next(iter(statements.items()))
        total = sum(sessions["lock waits"].values())
        lines.append(f"statement waiting for a lock most often ({count} of {total}): {top}")
    return lines


def verdicts(t1: float | None, t2: float | None, load: LoadResult | None,
             targets: Targets = Targets(), phases: Sequence[str] = PHASES,
             ) -> list[tuple[bool, str]]:
    """One ``(met, line)`` per target of the phases run: worker scaling, p95 latency, errors,
    and annotations acknowledged == stored. A phase that was run but measured nothing fails."""
    out: list[tuple[bool, str]] = []
    if "scaling" in phases:
        out.append(_scaling_verdict(t1, t2, targets))
    if "load" in phases:
        out.extend(_load_verdicts(load, targets))
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _scaling_verdict(t1: float | None, t2: float | None, targets: Targets) -> tuple[bool, str]:
    """2 workers against 1, by the median upload-to-done times."""
    if not (t1 and t2):
        return False, "workers: not measured (NOT met)"
    ratio = t2 / t1
    ok = ratio <= targets.ratio
    return ok, (f"workers: 2 workers {t2:.2f} s / 1 worker {t1:.2f} s = {ratio:.2f}x "
                f"(target <= {targets.ratio:.2f}x, {_met(ok)})")


def _load_verdicts(load: LoadResult | None, targets: Targets) -> list[tuple[bool, str]]:
    """The worst p95, the errors, and the annotations acknowledged against those stored."""
    if load is None:
        return [(False, "load: not measured (NOT met)")]
    out: list[tuple[bool, str]] = []
    summary = {k: v for k, v in load.summary().items() if v["count"]}
    if not summary:
        out.append((False, "load: no successful request (NOT met)"))
    else:
        kind, worst = max(summary.items(), key=lambda kv: kv[1]["p95_ms"])
        ok = worst["p95_ms"] <= targets.p95_ms
        out.append((ok, f"load: worst p95 {worst['p95_ms']:.1f} ms ({kind}) with "
                        f"{load.clients} clients (target <= {targets.p95_ms:.0f} ms, {_met(ok)})"))
    errors = load.error_count()
    ok = errors <= targets.errors
    out.append((ok, f"errors: {errors} of {load.requests()} requests "
                    f"(target {targets.errors}, {_met(ok)})"))
    same = load.acked == load.stored
    ok = same and load.lost == 0 and load.stored == load.distinct_stored \
        and load.retry_mismatches == 0
    out.append((ok, f"annotations: acked == stored: {'yes' if same else 'no'} "
                    f"({load.acked} acknowledged, {load.stored} stored, {load.lost} acknowledged "
                    f"but missing, {load.stored - load.distinct_stored} stored twice, "
                    f"{load.retry_mismatches} retries answered with another annotation; "
                    f"{_met(ok)})"))
    return out


def to_json(config: dict[str, Any], runs: Sequence[PipelineRun], load: LoadResult | None,
            lines: Sequence[tuple[bool, str]]) -> dict[str, Any]:
    """Everything measured, with the configuration and the machine."""
    t1, t2 = median_seconds(runs, 1), median_seconds(runs, 2)
    return {
        "machine": machine_info(),
        "config": config,
        "targets": dataclasses.asdict(Targets()),
        "pipeline": {
            "runs": [dataclasses.asdict(r) for r in runs],
            "median_seconds": {"1": t1, "2": t2},
            "ratio": (t2 / t1) if t1 and t2 else None,
        },
        "load": None if load is None else {
            **{k: v for k, v in dataclasses.asdict(load).items() if k != "latencies"},
            "requests": load.requests(),
            "summary": load.summary(),
        },
        "verdicts": [line for _, line in lines],
        "targets_met": all(ok for ok, _ in lines),
    }


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _interrupt_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the stack and the database are removed either way."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _phases(text: str) -> tuple[str, ...]:
    """``"scaling,load"`` -> the phases, in the order they run."""
    chosen = {t.strip() for t in text.split(",") if t.strip()}
    unknown = chosen - set(PHASES)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown phase(s) {', '.join(sorted(unknown)) or '(none)'}; known: {', '.join(PHASES)}"
        )
    return tuple(p for p in PHASES if p in chosen)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options, with the defaults that depend on ``--quick`` filled in."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pipeline", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true",
                        help="one timed upload per worker count and 10 s of load")
    parser.add_argument("--phases", type=_phases, default=PHASES,
                        help="phases to run, comma-separated (default: scaling,load)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed uploads per worker count (default 3, --quick 1)")
    parser.add_argument("--plan-size", type=lambda t: make_large.parse_sizes(t)[0], default=None,
                        help="entities of the large plan added to the package (default 10k; "
                             "0 for the sample alone)")
    parser.add_argument("--plans", type=int, default=2,
                        help="copies of the large plan in each of architecture and fire (default 2)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent reviewers (200)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds of load (default 30, --quick 10)")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean pause of a reviewer between two requests, seconds (5.0: "
                             "a person reads a finding or draws a cloud between two clicks)")
    parser.add_argument("--api-workers", type=int, default=2,
                        help="uvicorn worker processes (default 2: one per core)")
    parser.add_argument("--redis-db", type=int, default=DEFAULT_REDIS_DB,
                        help=f"Redis database used as the broker, emptied (default {DEFAULT_REDIS_DB})")
    parser.add_argument("--cache-dir", type=Path, default=make_large.CACHE_DIR,
                        help="where the large plans are kept (default: benchmarks/.cache)")
    parser.add_argument("--logs", type=Path, default=None,
                        help="copy the API and worker logs into this folder")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when a target is not met")
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.plan_size = 10_000 if args.plan_size is None else args.plan_size
    args.duration = args.duration or (10.0 if args.quick else 30.0)
    return args


def _keep_logs(work: Path, dest: Path | None) -> None:
    """Copy the API and worker logs out of the temporary folder before it is removed."""
    if dest is None:
        return
    dest.mkdir(parents=True, exist_ok=True)
    for log in work.glob("*.log"):
        shutil.copyfile(log, dest / log.name)


def run(args: argparse.Namespace, log: Log = _say) -> dict[str, Any]:
    """The chosen phases on a stack of their own; returns the JSON report."""
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k not in ("json", "check", "logs")}
    config["load_average_before"] = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="lianshen-bench-"))
    runs: list[PipelineRun] = []
    load: LoadResult | None = None
    try:
        heavy, drawings = build_upload(work / "heavy", PHASE_A_SAMPLE, args.plan_size, args.plans,
                                       args.cache_dir)
        light, _ = build_upload(work / "light", PHASE_B_SAMPLE)
        config.update(package_drawings=drawings, package_bytes=len(heavy))
        with running_stack(work, args.redis_db, args.api_workers, log) as stack:
            config["database"] = stack.database_url.rsplit("/", 1)[1]
            api = Api(stack.base_url)
            try:
                counts = (1, 2) if "scaling" in args.phases else ()
                runs, light_sub = phase_a(stack, api, heavy, light, counts, args.repeat, log)
                if "load" in args.phases:
                    api.call("bureau", "post", f"/api/submissions/{light_sub}/intake",
                             json={"decision": "accept"})
                    log(f"load: {args.clients} reviewers for {args.duration:.0f} s "
                        f"on submission {light_sub}")
                    load = run_load(stack, api, light_sub, args.clients, args.duration,
                                    args.think)
            finally:
                api.close()
    finally:
        _keep_logs(work, args.logs)
        shutil.rmtree(work, ignore_errors=True)
    config["load_average_after"] = os.getloadavg()
    lines = verdicts(median_seconds(runs, 1), median_seconds(runs, 2), load,
                     phases=args.phases)
    report = to_json(config, runs, load, lines)
    report["tables"] = {
        "pipeline": pipeline_table(runs) if "scaling" in args.phases else "",
        "load": load_table(load) if load is not None else "",
    }
    before, after = config["load_average_before"][0], config["load_average_after"][0]
    report["notes"] = [
        *scaling_notes(runs),
        *(load_notes(load) if load is not None else []),
        f"machine: load average (1 min) {before:.1f} before, {after:.1f} after, "
        f"on {os.cpu_count()} cores; API {args.api_workers} processes",
    ]
    report["pipeline"]["model"] = two_worker_model(runs)
    return report


def main(argv: list[str] | None = None) -> int:
    """Run, print the tables, verdicts and notes; 2 when the stack failed, 130 on Ctrl-C."""
    args = parse_args(argv)
    _interrupt_on_sigterm()
    try:
        report = run(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the stack and the database were removed", file=sys.stderr)
        return 130
    if report["tables"]["pipeline"]:
        print("## upload to all findings")
        print()
        print(report["tables"]["pipeline"])
        print()
    if report["tables"]["load"]:
        print(f"## {args.clients} reviewers")
        print()
        print(report["tables"]["load"])
        print()
    for line in report["verdicts"]:
        print(line)
    for line in report["notes"]:
        print(line)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n",
                             encoding="utf-8")
    return 1 if args.check and not report["targets_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
