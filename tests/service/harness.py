"""The platform assembled for tests: settings on a fresh database, the app, users, packages.

Two ways to run the pipeline:

- ``eager``: tasks run inside the calling process (Celery's ``task_always_eager``), so an upload
  returns with its processing finished. For API and access tests on SQLite.
- ``WorkerProcess``: real ``celery worker`` processes against a real broker (Redis, RabbitMQ,
  or the embedded SQLAlchemy transport), configured through ``LIANSHEN_*`` environment
  variables exactly as ``lianshen worker`` is. For the distributed path and fault tests.

PostgreSQL databases are created per test module (``fresh_postgres``) and dropped afterwards,
so tests never see each other's rows.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from review_api.app import create_app
from review_api.db import Database, migrate
from review_api.demo import DEMO_USERS, ensure_demo_users, ensure_user
from review_api.settings import Settings
from review_api.storage import storage_from_settings
from tasks.stages import Runtime

__all__ = [
    "PASSWORD",
    "Platform",
    "WorkerProcess",
    "fresh_postgres",
    "make_platform",
    "package_zip",
    "platform_on",
    "postgres_available",
    "redis_available",
    "wait_for",
    "zip_folder",
]

PASSWORD = "test-password-123"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379"
ROOT = Path(__file__).resolve().parents[2]


def _pg_connect(dbname: str = "test") -> Any:
    import psycopg

    return psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=True,
        connect_timeout=3,
    )


def postgres_available() -> bool:
    """Whether the local PostgreSQL answers (scripts/services.sh starts it in CI)."""
    try:
        _pg_connect().close()
        return True
    except Exception:  # noqa: BLE001
        return False


def redis_available() -> bool:
    """Whether the local Redis answers."""
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database; its SQLAlchemy URL. Dropped afterwards."""
    name = f"lianshen_t_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with _pg_connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@dataclass
class Platform:
    """A migrated platform: settings, runtime, the app and a test client."""

    settings: Settings
    runtime: Runtime
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        """Authorization headers for ``username`` (cached)."""
        if username not in self.tokens:
            r = self.client.post(
                "/api/auth/login", json={"username": username, "password": password}
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def as_(self, username: str) -> Callable[..., Any]:
        """``as_("bureau")("get", "/api/...", json=...)``."""
        headers = self.login(username)

        def call(method: str, url: str, **kw: Any) -> Any:
            return self.client.request(method, url, headers=headers | kw.pop("headers", {}), **kw)

        return call

    def submit(self, project_id: int, zip_bytes: bytes, user: str = "applicant") -> Any:
        """Upload a package as ``user``; returns the response."""
        return self.client.post(
            f"/api/projects/{project_id}/submissions",
            headers=self.login(user),
            files={"package": ("package.zip", zip_bytes, "application/zip")},
        )

    def new_project(self, name: str = "测试项目", user: str = "applicant") -> int:
        r = self.client.post("/api/projects", headers=self.login(user), json={"name": name})
        assert r.status_code == 201, r.text
        project_id: int = r.json()["id"]
        return project_id


def make_platform(
    tmp_path: Path, *, database_url: str = "", eager: bool = True, **overrides: Any
) -> Platform:
    """A platform on a fresh data dir (and ``database_url`` when given), with the demo users
    (password ``PASSWORD``) plus a second firm and a second reviewer per department."""
    from tasks import pipeline
    from tasks.celery_app import app as celery_app
    from tasks.celery_app import configure

    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        task_always_eager=eager,
        login_max_failures=overrides.pop("login_max_failures", 50),
        max_uploads_per_minute=overrides.pop("max_uploads_per_minute", 1000),
        **overrides,
    )
    migrate(settings)
    rt = Runtime(settings, Database(settings), storage_from_settings(settings))
    configure(celery_app, settings)
    pipeline.set_runtime(rt)
    ensure_demo_users(rt, PASSWORD)
    _extra_users(rt)
    client = TestClient(create_app(settings, rt))
    return Platform(settings, rt, client)


def _extra_users(rt: Runtime) -> None:
    """A second applicant of another firm, a second applicant of the demo firm and a second
    reviewer for every department: what the access-control tests need."""
    from review_api.security import hash_password

    extra = [
        ("applicant-other", "钱另司", "applicant", None, "另一家设计院", "firm"),
        ("applicant-colleague", "冯同事", "applicant", None, DEMO_USERS[0][4], "firm"),
    ] + [
        (f"reviewer2-{d}", f"审查二{d}", "reviewer", d, org, "department")
        for _, _, role, d, org, _ in DEMO_USERS
        if role == "reviewer" and d is not None
    ]
    pw = hash_password(PASSWORD)
    with rt.db.session() as s:
        for row in extra:
            ensure_user(s, *row, password_hash=pw)


@contextmanager
def platform_on(backend: str, tmp_path: Path, **options: Any) -> Iterator[Platform]:
    """``make_platform`` on a fresh SQLite file (``"sqlite"``) or a fresh PostgreSQL database
    (``"postgresql"``; the test is skipped when PostgreSQL does not answer). Connections are
    closed afterwards so the database can be dropped."""
    if backend != "sqlite" and not postgres_available():
        import pytest

        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (CI starts it)")
    with nullcontext("") if backend == "sqlite" else fresh_postgres() as url:
        p = make_platform(tmp_path, database_url=url, **options)
        try:
            yield p
        finally:
            p.runtime.db.dispose()


_ZIPS: dict[str, bytes] = {}


def zip_folder(folder: Path) -> bytes:
    """The folder as zip bytes (members relative to the folder)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return buf.getvalue()


def package_zip(name: str = "residential_tower") -> bytes:
    """A sample package as zip bytes (built once per test run)."""
    if name not in _ZIPS:
        import tempfile

        from samples import build_package

        tmp = Path(tempfile.mkdtemp(prefix="lianshen-pkg-"))
        try:
            _ZIPS[name] = zip_folder(build_package(tmp, name))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _ZIPS[name]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class WorkerProcess:
    """A real ``celery worker`` process configured like ``lianshen worker`` (env variables)."""

    def __init__(self, settings: Settings, log: Path, *, concurrency: int = 1,
                 extra_env: dict[str, str] | None = None) -> None:
        env = dict(os.environ)
        env.update(
            {
                "LIANSHEN_DATA_DIR": str(settings.data_dir),
                "LIANSHEN_DATABASE_URL": settings.resolved_database_url,
                "LIANSHEN_BROKER_URL": settings.resolved_broker_url,
                "LIANSHEN_STORAGE": settings.storage,
                "LIANSHEN_S3_ENDPOINT_URL": settings.s3_endpoint_url,
                "LIANSHEN_S3_BUCKET": settings.s3_bucket,
                "LIANSHEN_S3_ACCESS_KEY": settings.s3_access_key,
                "LIANSHEN_S3_SECRET_KEY": settings.s3_secret_key,
                "LIANSHEN_S3_REGION": settings.s3_region,
                "LIANSHEN_SECRET_KEY": settings.secret_key,
                "LIANSHEN_MAX_DELIVERIES": str(settings.max_deliveries),
                "LIANSHEN_STALLED_AFTER_SECONDS": str(settings.stalled_after_seconds),
                "LIANSHEN_VISIBILITY_TIMEOUT_SECONDS": str(settings.visibility_timeout_seconds),
                "PYTHONPATH": str(ROOT),
            }
        )
        env.update(extra_env or {})
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks.celery_app", "worker",
             "--loglevel=INFO", f"--concurrency={concurrency}", "-Q", "lianshen",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"w{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def child_pids(self) -> list[int]:
        """The pool processes of this worker (what kill -9 in the middle of a task hits)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(x) for x in out.stdout.split()]

    def stop(self) -> None:
        """Stop the worker and its pool."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        self._out.close()

    def kill_hard(self) -> None:
        """kill -9 the whole worker (main process and pool) at once."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._out.close()
