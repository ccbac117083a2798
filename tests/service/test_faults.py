"""Faults the processing pipeline survives (``RELIABILITY.md`` §4.2), with real processes.

Each fault test runs PostgreSQL, a Redis broker of its own and real ``celery worker``
processes, injects one fault, then checks the invariants through SQL and the API: the
submission's processing reaches ``done``, every drawing a terminal state, the findings are
exactly those of an undisturbed run (I2) and none is stored twice.

- F1: a worker's pool process killed in the middle of an ingestion; the control run shows
  that with Celery's default acknowledgement the same kill loses the work.
- F2: a whole worker killed; Redis delivers its task again after the visibility timeout.
- F3: a drawing whose ingestion kills its worker every time is failed with reason
  "resource" after ``max_deliveries`` (with a DXF-001 finding); the rest of the package completes.
- F4: Redis down while a package is uploaded; the sweeper publishes the work again.
- F5: PostgreSQL connections of the API and of the workers terminated mid-run.
- The stages' idempotence, checked directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from review_api.models import CheckRun, Drawing
from tasks import pipeline, stages
from tests.service.faultkit import (
    LARGE_FILE,
    PROCESSING_WAIT,
    EarlyAckWorker,
    check_runs,
    drawing_rows,
    duplicates,
    findings_of,
    kill,
    large_package,
    processing,
    redis_backlog,
    redis_broker,
    redis_stopped,
    reference_findings,
    require,
    running_task,
    signatures,
    stack,
    stop_consuming,
    upload,
    wait_ingesting,
    wait_processed,
    worker_named,
)
from tests.service.harness import Platform, fresh_postgres, make_platform, package_zip, wait_for

SAMPLE = "residential_tower_violations"


@pytest.fixture(scope="module")
def sample_reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Findings of the sample package processed without any fault."""
    return reference_findings(tmp_path_factory.mktemp("reference"), package_zip(SAMPLE))


@pytest.fixture(scope="module")
def large_reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Findings of the sample plus the large plan, processed without any fault."""
    return reference_findings(tmp_path_factory.mktemp("reference-large"), large_package(SAMPLE))


@pytest.fixture()
def services() -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database and a Redis broker of the test's own."""
    require("postgres", "redis")
    with fresh_postgres() as database_url, redis_broker() as broker_url:
        yield {"database_url": database_url, "broker_url": broker_url}


def assert_like_reference(p: Platform, submission_id: int, reference: list[Any]) -> None:
    """I2: exactly the undisturbed run's findings, none stored twice."""
    found = findings_of(p, submission_id)
    assert duplicates(found) == []
    assert signatures(found) == signatures(reference)


# --- F1 -------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_pool_process_killed_mid_ingest_is_redelivered_to_the_other_worker(
    tmp_path: Path, large_reference: list[Any], services: dict[str, str]
) -> None:
    with stack(tmp_path, workers=2, **services) as st:
        p = st.platform
        sub_id = upload(p, large_package(SAMPLE))
        _, worker, pid, task_id = wait_ingesting(p, sub_id, LARGE_FILE)
        stop_consuming(worker)  # so the redelivery can only go to the other worker
        kill(pid)
        wait_processed(p, sub_id)

        rows = drawing_rows(p, sub_id)
        assert {r["status"] for r in rows.values()} == {"ingested"}, rows
        assert rows[LARGE_FILE]["deliveries"] == 2  # the killed one and the redelivery
        assert {r["deliveries"] for f, r in rows.items() if f != LARGE_FILE} == {1}
        killed = worker_named(st, worker)
        other = next(w for w in st.workers if w is not killed)
        assert "WorkerLostError" in killed.log.read_text(errors="replace")
        assert f"tasks.pipeline.ingest[{task_id}] received" in other.log.read_text(
            errors="replace"
        )
        assert_like_reference(p, sub_id, large_reference)


@pytest.mark.timeout(300)
def test_control_with_early_acks_the_same_kill_loses_the_ingest(
    tmp_path: Path, services: dict[str, str]
) -> None:
    """The F1 scenario on a worker with Celery's defaults: nothing is delivered again."""
    with stack(tmp_path, workers=0, **services) as st:
        st.add_worker(EarlyAckWorker)
        p = st.platform
        sub_id = upload(p, large_package(SAMPLE))
        drawing_id, _, pid, _ = wait_ingesting(p, sub_id, LARGE_FILE)
        kill(pid)

        def settled() -> bool:
            """The worker lost the task, did all the rest, and the broker holds nothing."""
            rows = drawing_rows(p, sub_id)
            return (
                "WorkerLostError" in st.log_text()
                and all(r["status"] == "ingested" for f, r in rows.items() if f != LARGE_FILE)
                and redis_backlog(services["broker_url"]) == (0, 0)
                and running_task("tasks.pipeline.ingest", [drawing_id]) is None
            )

        wait_for(settled, PROCESSING_WAIT, "the worker to finish the other drawings")
        row = drawing_rows(p, sub_id)[LARGE_FILE]
        assert (row["status"], row["deliveries"]) == ("ingesting", 1)
        assert processing(p, sub_id) == "ingesting"  # stuck until the sweeper steps in


# --- F2 -------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_whole_worker_killed_redis_redelivers_after_the_visibility_timeout(
    tmp_path: Path, large_reference: list[Any], services: dict[str, str]
) -> None:
    with stack(tmp_path, workers=1, visibility_timeout_seconds=60, **services) as st:
        p = st.platform
        sub_id = upload(p, large_package(SAMPLE))
        _, _, _, task_id = wait_ingesting(p, sub_id, LARGE_FILE)
        st.workers[0].kill_hard()  # main process and pool at once: nobody rejects the task
        second = st.add_worker()
        wait_processed(p, sub_id)

        rows = drawing_rows(p, sub_id)
        assert {r["status"] for r in rows.values()} == {"ingested"}, rows
        assert rows[LARGE_FILE]["deliveries"] == 2
        # the same message, given back by Redis (the sweeper's would be a new task id)
        assert f"tasks.pipeline.ingest[{task_id}] received" in second.log.read_text(
            errors="replace"
        )
        assert_like_reference(p, sub_id, large_reference)


# --- F3 -------------------------------------------------------------------------------------


class Killer:
    """Kills the pool process that ingests one drawing, once per counted delivery: a drawing
    that takes its worker down every time, as an out-of-memory kill would."""

    def __init__(self, p: Platform, submission_id: int, file: str) -> None:
        self.p, self.submission_id, self.file = p, submission_id, file
        self.kills: list[int] = []  # the delivery count at each kill
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Killer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self._stop.wait(0.2):
                row = drawing_rows(self.p, self.submission_id)[self.file]
                if row["status"] in ("ingested", "failed"):
                    return
                if row["status"] == "ingesting" and row["deliveries"] > len(self.kills):
                    task = running_task("tasks.pipeline.ingest", [row["id"]])
                    if task is not None:
                        try:
                            kill(task[1])
                        except ProcessLookupError:
                            continue  # an earlier kill still listed as running
                        self.kills.append(row["deliveries"])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)


@pytest.mark.timeout(300)
def test_poison_drawing_fails_with_reason_resource_and_the_rest_completes(
    tmp_path: Path, sample_reference: list[Any], services: dict[str, str]
) -> None:
    with stack(tmp_path, workers=2, max_deliveries=2, **services) as st:
        p = st.platform
        sub_id = upload(p, large_package(SAMPLE))
        with Killer(p, sub_id, LARGE_FILE) as killer:
            state = wait_processed(p, sub_id)
        assert killer.errors == []

        assert killer.kills == [1, 2]  # every delivery up to max_deliveries was killed
        rows = drawing_rows(p, sub_id)
        poison = rows.pop(LARGE_FILE)
        assert (poison["status"], poison["error_reason"], poison["deliveries"]) == (
            "failed", "resource", 3,
        )
        assert {r["status"] for r in rows.values()} == {"ingested"}
        shown = next(d for d in state["drawings"] if d["file"] == LARGE_FILE)
        assert shown["status"] == "failed" and "2" in shown["error"], shown
        assert {status for status, _ in check_runs(p, sub_id).values()} == {"done"}
        assert state["processing_error"] is None
        # the applicant hears of it as of any unreadable drawing: one DXF-001 finding
        found = findings_of(p, sub_id)
        refusals = [f for f in found if f["code"] == "DXF-001"]
        assert [(f["file"], f["severity"]) for f in refusals] == [(LARGE_FILE, "error")]
        assert "2" in refusals[0]["message"] and "killed" in refusals[0]["message_en"]
        # the checks ran on the other drawings: the findings of the package without the plan
        assert duplicates(found) == []
        assert signatures([f for f in found if f["code"] != "DXF-001"]) == signatures(
            sample_reference)


# --- F4 -------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_broker_down_during_upload_then_the_sweeper_publishes_again(
    tmp_path: Path,
    sample_reference: list[Any],
    services: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with stack(tmp_path, workers=2, stalled_after_seconds=30, **services) as st:
        p = st.platform
        project_id = p.new_project("断开消息队列")
        with redis_stopped():
            r = Platform.submit(p, project_id, package_zip(SAMPLE))
            assert r.status_code == 201, r.text  # the rows are committed; publishing failed
            sub_id = r.json()["id"]
            refused = [m for m in caplog.messages if m.startswith("could not publish ingest")]
            assert refused and all("Connection refused" in m for m in refused), refused
        # Redis is back, empty: no message of this submission exists anywhere
        assert {r["status"] for r in drawing_rows(p, sub_id).values()} == {"pending"}
        assert redis_backlog(services["broker_url"]) == (0, 0)

        def swept_and_done() -> bool:
            """One sweep (what beat runs every minute), then: is the submission done?"""
            pipeline.sweep.apply()
            return processing(p, sub_id) == "done"

        wait_for(swept_and_done, PROCESSING_WAIT, "the sweeper to restart the pipeline", every=2)
        rows = drawing_rows(p, sub_id)
        assert {r["status"] for r in rows.values()} == {"ingested"}
        assert_like_reference(p, sub_id, sample_reference)


# --- F5 -------------------------------------------------------------------------------------


class Terminator:
    """Terminates the PostgreSQL connections of the API and of the workers, in waves."""

    def __init__(self, database_url: str, waves: int, every: float) -> None:
        self.dbname = urlsplit(database_url).path.lstrip("/")
        self.waves, self.every = waves, every
        self.terminated: dict[str, int] = {}  # by application_name
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(timeout=120)

    def _run(self) -> None:
        import psycopg

        try:
            with psycopg.connect(
                host="127.0.0.1", port=5432, user="postgres", dbname="test", autocommit=True
            ) as admin:
                for _ in range(self.waves):
                    rows = admin.execute(
                        "SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %s AND pid <> pg_backend_pid()",
                        (self.dbname,),
                    ).fetchall()
                    for name, _ in rows:
                        self.terminated[name] = self.terminated.get(name, 0) + 1
                    time.sleep(self.every)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)


def _with_app_name(url: str, name: str) -> str:
    """``url`` whose connections show as ``name`` in ``pg_stat_activity``."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


@pytest.mark.timeout(300)
def test_database_connections_terminated_mid_run(
    tmp_path: Path, sample_reference: list[Any], services: dict[str, str]
) -> None:
    database = services["database_url"]
    api_db = _with_app_name(database, "lianshen-api")
    with stack(
        tmp_path, workers=0, database_url=api_db, broker_url=services["broker_url"]
    ) as st:
        for _ in range(2):
            st.add_worker(database_url=_with_app_name(database, "lianshen-worker"))
        p = st.platform
        get = p.as_("applicant")
        sub_id = upload(p, package_zip(SAMPLE))
        wait_for(
            lambda: any(r["deliveries"] for r in drawing_rows(p, sub_id).values()),
            PROCESSING_WAIT, "the workers to start",
        )
        terminator = Terminator(database, waves=12, every=0.5)
        answers: list[Any] = []
        terminator.start()
        while terminator.running:
            for url in (f"/api/submissions/{sub_id}", f"/api/submissions/{sub_id}/findings",
                        "/api/projects"):
                answers.append(get("get", url))
        terminator.join()
        assert terminator.errors == []
        assert terminator.terminated.get("lianshen-api", 0) > 0, terminator.terminated
        assert terminator.terminated.get("lianshen-worker", 0) > 0, terminator.terminated

        # I5: only answers or 503 with Retry-After during the outage, never another 5xx
        assert {r.status_code for r in answers} <= {200, 503}
        assert all(r.headers.get("retry-after") for r in answers if r.status_code == 503)
        state = wait_processed(p, sub_id)
        assert state["processing_error"] is None
        assert {d["status"] for d in state["drawings"]} == {"ingested"}
        assert {status for status, _ in check_runs(p, sub_id).values()} == {"done"}
        assert_like_reference(p, sub_id, sample_reference)
        verify = p.as_("supervisor")("get", "/api/audit/verify").json()
        assert verify["valid"] is True, verify


# --- idempotence ----------------------------------------------------------------------------


def _set(p: Platform, stmt: Any) -> None:
    with p.runtime.db.session() as s:
        s.execute(stmt)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_stages_delivered_again_store_nothing_twice(tmp_path: Path, database: str) -> None:
    """Each stage run once more while another delivery of it is "still running" (what a
    redelivery or a sweeper's publication does), then once more after it finished."""
    with ExitStack() as resources:
        url = ""
        if database == "postgresql":
            require("postgres")
            url = resources.enter_context(fresh_postgres())
        p = make_platform(tmp_path, database_url=url)  # eager: the first run is complete
        resources.callback(p.runtime.db.dispose)
        sub_id = upload(p, package_zip(SAMPLE))
        before = findings_of(p, sub_id)
        codes = {f["code"] for f in before}
        assert any(c.startswith("DXF-") for c in codes) and any(
            not c.startswith("DXF-") for c in codes
        ), "the sample must give both intake and rule findings"

        rt = p.runtime
        again: list[Callable[[], Any]] = []
        for row in drawing_rows(p, sub_id).values():
            _set(p, update(Drawing).where(Drawing.id == row["id"]).values(status="ingesting"))
            again.append(partial(stages.ingest_drawing, rt, row["id"]))
        for group in stages.GROUPS:
            _set(
                p,
                update(CheckRun)
                .where(CheckRun.submission_id == sub_id, CheckRun.group == group)
                .values(status="running"),
            )
            again.append(partial(stages.check_group, rt, sub_id, group))
        for run in again + again:  # the redelivery, then one after it finished
            run()

        after = findings_of(p, sub_id)
        assert len(after) == len(before)
        assert signatures(after) == signatures(before)
        assert {r["deliveries"] for r in drawing_rows(p, sub_id).values()} == {2}
        assert set(check_runs(p, sub_id).values()) == {("done", 2)}
        assert processing(p, sub_id) == "done"


def test_an_outage_is_retried_without_counting_as_a_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage outage ends a delivery with the worker alive: the task is retried and the
    delivery is not counted (so outages never add up to ``max_deliveries``); a rule group
    that crashes for another reason is recorded as failed."""
    from review_api.storage import StorageError

    p = make_platform(tmp_path)
    rt = p.runtime
    sub_id = upload(p, package_zip(SAMPLE))
    file, drawing = next(iter(drawing_rows(p, sub_id).items()))
    _set(p, update(Drawing).where(Drawing.id == drawing["id"]).values(status="pending"))
    _set(p, update(CheckRun).where(CheckRun.submission_id == sub_id).values(status="pending"))

    def unreachable(*_: Any) -> Any:
        raise StorageError("对象存储暂时无法连接 / storage unreachable")

    monkeypatch.setattr(rt.storage, "fetch", unreachable)
    monkeypatch.setattr(rt.storage, "get_bytes", unreachable)
    for _ in range(rt.settings.max_deliveries + 1):
        with pytest.raises(StorageError):
            stages.ingest_drawing(rt, drawing["id"])
        with pytest.raises(StorageError):
            stages.check_group(rt, sub_id, "fire")
    assert drawing_rows(p, sub_id)[file]["deliveries"] == 1  # the first, eager run
    assert check_runs(p, sub_id)["fire"] == ("running", 1)

    def crash(*_: Any) -> Any:
        raise ValueError("模型文件损坏 / broken model")

    monkeypatch.setattr(rt.storage, "get_bytes", crash)
    stages.check_group(rt, sub_id, "fire")
    assert check_runs(p, sub_id)["fire"] == ("failed", 2)
    monkeypatch.undo()
    stages.ingest_drawing(rt, drawing["id"])
    assert drawing_rows(p, sub_id)[file] == drawing | {"status": "ingested", "deliveries": 2}
    p.runtime.db.dispose()
