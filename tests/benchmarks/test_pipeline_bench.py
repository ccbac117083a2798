"""The pipeline benchmark runs end to end on a real stack, reports every figure it promises, and
leaves nothing behind.

Its figures decide whether the distributed mode is good enough, so a harness that timed an
upload whose processing failed, counted failed requests as fast ones, lost track of which
annotations were stored, or left a database or a worker process behind would mislead or
harm. These tests run the command line at the smallest size (tiny plans, ten reviewers, a few
seconds of load) against the real PostgreSQL and Redis, interrupt a run with Ctrl-C, and
check the pure parts (percentiles, log parsing, verdicts, the load generator's HTTP client) on
made-up figures and a real local socket. Nothing here asserts how long anything takes.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import pipeline
from benchmarks.pipeline import (
    HttpConnection,
    LoadResult,
    PipelineRun,
    Targets,
    group_members,
    parse_task_times,
    percentile,
    two_worker_model,
    verdicts,
    worker_trouble,
)

ROOT = Path(__file__).resolve().parents[2]
PLAN_SIZE = 2000
SAMPLE_DRAWINGS = 5


def _services_missing() -> str | None:
    """Why the end-to-end tests cannot run here, or None when PostgreSQL and Redis answer."""
    try:
        pipeline._pg_admin().close()
    except pipeline.BenchError as exc:
        return str(exc)
    try:
        import redis

        redis.Redis.from_url(f"redis://{pipeline.REDIS_HOST}/0", socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"Redis is not reachable: {exc}"
    return None


needs_services = pytest.mark.skipif(
    _services_missing() is not None, reason=f"needs PostgreSQL and Redis: {_services_missing()}"
)


def _free_redis_db() -> int:
    """A Redis database that holds nothing, so that a benchmark run started by someone else
    at the same time (on the default database) is never disturbed."""
    import redis

    for db in (15, 14, 12, 11, 10, 9, 8):
        client = redis.Redis.from_url(f"redis://{pipeline.REDIS_HOST}/{db}", socket_timeout=2)
        if client.dbsize() == 0:
            return db
    pytest.skip("no empty Redis database among 8-15")


def _database_exists(name: str) -> bool:
    with pipeline._pg_admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() \
            is not None


def _stack_pids(stderr: str) -> list[int]:
    """The API and worker process-group leaders the run announced on stderr."""
    return [int(p) for p in re.findall(r"(?:API|worker) pid (\d+)", stderr)]


def _assert_nothing_left(stderr: str, redis_db: int) -> None:
    """No database, process or broker claim of the run remains."""
    names = re.findall(r"database (lianshen_bench_\w+) created", stderr)
    assert len(names) == 1, stderr
    assert not _database_exists(names[0])
    pids = _stack_pids(stderr)
    assert pids, stderr
    for pid in pids:
        assert group_members(pid) == [], f"process group {pid} still has processes"
    import redis

    client = redis.Redis.from_url(f"redis://{pipeline.REDIS_HOST}/{redis_db}", socket_timeout=2)
    assert client.get(pipeline.LOCK_KEY) is None


def _command(tmp: Path, redis_db: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "benchmarks.pipeline", "--quick", "--plan-size", str(PLAN_SIZE),
        "--plans", "1", "--clients", "10", "--think", "0.2", "--redis-db", str(redis_db),
        "--cache-dir", str(tmp / "cache"), *extra,
    ]


@pytest.fixture(scope="module")
def smallest_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, Any], int]:
    """One command-line run at the smallest size: stdout, stderr, the JSON and the Redis db."""
    if _services_missing():
        pytest.skip(f"needs PostgreSQL and Redis: {_services_missing()}")
    tmp = tmp_path_factory.mktemp("pipeline")
    out = tmp / "pipeline.json"
    db = _free_redis_db()
    proc = subprocess.run(
        _command(tmp, db, "--duration", "3", "--json", str(out)),
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr, json.loads(out.read_text(encoding="utf-8")), db


@needs_services
@pytest.mark.timeout(900)
def test_report_has_both_tables_and_every_verdict(
    smallest_run: tuple[str, str, dict[str, Any], int],
) -> None:
    stdout, _, data, _ = smallest_run
    assert "## upload to all findings" in stdout and "## 10 reviewers" in stdout
    for column in ("workers", "upload->done s", "ingested s", "checked s", "longest check s",
                   "request", "p50 ms", "p95 ms", "p99 ms", "errors"):
        assert column in stdout
    for prefix in ("workers: 2 workers", "load: worst p95", "errors: ", "annotations: acked == stored"):
        assert any(line.startswith(prefix) for line in stdout.splitlines()), prefix
    assert data["verdicts"] == [ln for ln in stdout.splitlines() if ln.startswith(
        ("workers:", "load:", "errors:", "annotations:"))]
    assert data["targets"] == {"ratio": 0.6, "p95_ms": 200.0, "errors": 0}
    assert {"machine", "config", "pipeline", "load", "targets_met", "notes"} <= set(data)


@needs_services
@pytest.mark.timeout(900)
def test_every_timed_upload_was_processed_completely(
    smallest_run: tuple[str, str, dict[str, Any], int],
) -> None:
    _, _, data, _ = smallest_run
    runs = data["pipeline"]["runs"]
    timed = [r for r in runs if not r["warmup"]]
    assert [r["workers"] for r in timed] == [1, 2]
    assert [r["workers"] for r in runs if r["warmup"]] == [1, 2]
    for r in timed:
        # the sample's five drawings plus the plan in architecture and in fire
        assert r["drawings"] == SAMPLE_DRAWINGS + 2
        assert r["failed"] == []
        assert r["tasks"]["ingest"]["count"] == r["drawings"]
        assert r["tasks"]["check"]["count"] == 6
        assert r["tasks"]["aggregate"]["count"] == 1
        assert 0 < r["server"]["ingested"] <= r["server"]["checked"] <= r["server"]["done"]
        assert r["server"]["done"] <= r["seconds"]
        assert r["cpu"]["workers"] > 0
    # the same package gives the same findings whatever the number of workers
    assert len({r["findings"] for r in timed}) == 1 and timed[0]["findings"] > 0
    medians = data["pipeline"]["median_seconds"]
    assert data["pipeline"]["ratio"] == pytest.approx(medians["2"] / medians["1"])
    model = data["pipeline"]["model"]
    assert model["one"] == medians["1"] and 0 < model["two"] <= model["one"]


@needs_services
@pytest.mark.timeout(900)
def test_load_counts_requests_and_checks_the_stored_annotations(
    smallest_run: tuple[str, str, dict[str, Any], int],
) -> None:
    _, _, data, _ = smallest_run
    load = data["load"]
    assert load["clients"] == 10
    summary = load["summary"]
    assert summary["post annotation"]["count"] > 0 and summary["read findings"]["count"] > 0
    for row in summary.values():
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert load["requests"] == sum(r["count"] + r["errors"] for r in summary.values())
    assert load["lost"] == 0
    assert load["stored"] == load["distinct_stored"]
    if not load["errors"]:
        assert load["acked"] == load["stored"]
    assert load["findings_per_read"] > 0
    assert load["cpu"]["api"] > 0 and load["cpu"]["client"] > 0
    assert load["sessions"]["samples"] > 0 and "statements waiting" in load["sessions"]


@needs_services
@pytest.mark.timeout(900)
def test_run_leaves_no_database_process_or_broker_claim(
    smallest_run: tuple[str, str, dict[str, Any], int],
) -> None:
    _, stderr, data, db = smallest_run
    assert data["config"]["database"] in stderr
    _assert_nothing_left(stderr, db)


@needs_services
@pytest.mark.timeout(600)
def test_ctrl_c_removes_the_stack_and_the_database(tmp_path: Path) -> None:
    db = _free_redis_db()
    proc = subprocess.Popen(
        _command(tmp_path, db, "--phases", "load", "--duration", "600"),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if "[pipeline] load:" in line:
            break
    assert any("[pipeline] load:" in ln for ln in seen), "".join(seen)
    time.sleep(2)  # the reviewers are working
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    _assert_nothing_left(stderr, db)


# --- the pure parts -------------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    ten = [float(v) for v in range(1, 11)]
    assert percentile(ten, 95) == 10.0  # rank 9.5 rounds up: the slowest of ten requests
    assert percentile(ten, 50) == 5.0
    assert percentile([1.0, 2.0, 3.0], 25) == 1.0
    assert math.isnan(percentile([], 50))


WORKER_LOG = """\
[2026-01-01 10:00:00,000: INFO/MainProcess] Task tasks.pipeline.ingest[1f] received
[2026-01-01 10:00:02,000: INFO/ForkPoolWorker-1] Task tasks.pipeline.ingest[1f] succeeded in 2.25s: None
[2026-01-01 10:00:03,000: INFO/ForkPoolWorker-1] Task tasks.pipeline.ingest[2a] succeeded in 0.5s: None
[2026-01-01 10:00:04,000: INFO/ForkPoolWorker-1] Task tasks.pipeline.check[3b] succeeded in 1.0s: None
"""


def test_task_times_are_read_from_worker_logs() -> None:
    assert parse_task_times(WORKER_LOG) == {"ingest": [2.25, 0.5], "check": [1.0]}
    assert parse_task_times("") == {}


def test_worker_trouble_names_a_retry_or_an_error() -> None:
    assert worker_trouble(WORKER_LOG) is None
    retry = ("[2026-01-01 10:00:05,000: INFO/ForkPoolWorker-1] Task tasks.pipeline.check[4c] "
             "retry: Retry in 2s: OperationalError('server closed the connection')")
    assert worker_trouble(WORKER_LOG + retry + "\n") == retry
    error = "[2026-01-01 10:00:06,000: ERROR/ForkPoolWorker-1] Task tasks.pipeline.ingest[5d] raised"
    assert worker_trouble(error) == error


def _load(**over: Any) -> LoadResult:
    base: dict[str, Any] = {
        "clients": 200, "duration": 30.0, "think": 1.0,
        "latencies": {"post annotation": [50.0] * 95 + [150.0] * 5,
                      "read findings": [20.0] * 100},
        "errors": {}, "acked": 100, "stored": 100, "distinct_stored": 100, "lost": 0,
        "retry_mismatches": 0, "findings_per_read": 21,
    }
    return LoadResult(**(base | over))


def test_verdicts_on_made_up_figures() -> None:
    lines = verdicts(10.0, 5.5, _load())
    assert [ok for ok, _ in lines] == [True, True, True, True]
    assert lines[0][1].startswith("workers: 2 workers 5.50 s / 1 worker 10.00 s = 0.55x")
    assert "worst p95 50.0 ms (post annotation)" in lines[1][1]

    slow = verdicts(10.0, 6.5, _load(latencies={"post annotation": [250.0] * 10}))
    assert [ok for ok, _ in slow][:2] == [False, False]
    assert "NOT met" in slow[0][1] and "NOT met" in slow[1][1]

    failed = verdicts(10.0, 5.0, _load(errors={"read findings": {"500": 2, "ReadTimeout": 1}}))
    assert failed[2] == (False, "errors: 3 of 203 requests (target 0, NOT met)")

    for broken in (_load(lost=1), _load(stored=101, distinct_stored=100),
                   _load(acked=99), _load(retry_mismatches=1)):
        ok, line = verdicts(10.0, 5.0, broken)[3]
        assert not ok and line.startswith("annotations:"), line


def _run(workers: int, seconds: float, ingest: tuple[float, float], check: tuple[float, float],
         warmup: bool = False) -> PipelineRun:
    tasks = {"ingest": {"count": 9, "sum": ingest[0], "max": ingest[1]},
             "check": {"count": 6, "sum": check[0], "max": check[1]},
             "aggregate": {"count": 1, "sum": 0.2, "max": 0.2}}
    return PipelineRun(workers=workers, seconds=seconds, submission_id=1, drawings=9,
                       findings=5, server={}, tasks=tasks, failed=[], warmup=warmup)


def test_two_worker_model_halves_each_stage_down_to_its_longest_task() -> None:
    runs = [
        _run(1, 3.0, (1.0, 0.5), (1.0, 0.5), warmup=True),  # warm-ups never count
        _run(1, 12.0, (4.0, 1.0), (4.0, 3.0)),
        _run(1, 10.0, (4.0, 1.0), (4.0, 3.0)),  # the median of the three
        _run(1, 9.0, (4.0, 1.0), (4.0, 3.0)),
        _run(2, 6.0, (5.0, 1.0), (5.0, 3.0)),  # 2-worker runs do not enter the model
    ]
    # 10 s - 8.2 s of tasks = 1.8 s of the rest; ingest halves to 2 s, checks stop at the
    # longest rule group (3 s), aggregation is one task (0.2 s)
    assert two_worker_model(runs) == {"one": 10.0, "two": 7.0, "ratio": 0.7}
    assert two_worker_model(runs[-1:]) is None


def test_verdicts_judge_only_the_phases_run() -> None:
    assert [line.split(":")[0] for _, line in verdicts(10.0, 5.0, None, phases=("scaling",))] \
        == ["workers"]
    assert verdicts(None, None, None, phases=("scaling",)) == [
        (False, "workers: not measured (NOT met)")
    ]
    assert [line.split(":")[0] for _, line in verdicts(None, None, _load(), phases=("load",))] \
        == ["load", "errors", "annotations"]
    nothing = verdicts(None, None, _load(latencies={}, errors={"post annotation": {"500": 3}}),
                       Targets(), phases=("load",))
    assert nothing[0] == (False, "load: no successful request (NOT met)")


# --- the load generator's HTTP client, against a real socket ---------------------------------


async def _serve_canned(answers: list[bytes]) -> tuple[Any, int, list[bytes]]:
    """A local server that reads one request at a time and writes the next canned answer;
    each request is recorded with the number of the connection it came on."""
    requests: list[bytes] = []
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        number = b"%d:" % connections
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            requests.append(number + head + await reader.readexactly(length))
            writer.write(answers.pop(0))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port, requests


def test_http_client_reads_length_and_chunked_bodies_on_one_connection() -> None:
    async def scenario() -> None:
        server, port, requests = await _serve_canned([
            b'HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 8\r\n'
            b'\r\n{"id":7}',
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
            b'7\r\n{"a":"x\r\n3\r\ny"}\r\n0\r\n\r\n',  # a string split across chunks
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: 21\r\n\r\nInternal Server Error",
        ])
        conn = HttpConnection("127.0.0.1", port, timeout=5)
        try:
            assert await conn.request("POST", "/a", "tok", {"k": "批注"}) == (201, {"id": 7})
            assert await conn.request("GET", "/b", "tok") == (200, {"a": "xy"})
            assert await conn.request("GET", "/c") == (404, None)
            assert await conn.request("GET", "/d") == (500, "Internal Server Error")
        finally:
            await conn.close()
            server.close()
            await server.wait_closed()
        assert [r.split(b":", 1)[0] for r in requests] == [b"1"] * 4  # kept alive
        first = requests[0].decode()
        assert first.startswith("1:POST /a HTTP/1.1\r\n")
        assert "Authorization: Bearer tok\r\n" in first and "Content-Type: application/json" in first
        assert json.loads(requests[0].split(b"\r\n\r\n", 1)[1]) == {"k": "批注"}
        assert "Authorization" not in requests[2].decode()

    asyncio.run(scenario())


def test_http_client_reconnects_when_the_server_closed_an_idle_connection() -> None:
    async def scenario() -> None:
        served = 0

        async def one_then_close(reader: asyncio.StreamReader,
                                 writer: asyncio.StreamWriter) -> None:
            nonlocal served
            await reader.readuntil(b"\r\n\r\n")
            served += 1
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: %d\r\n\r\n%d" % (len(str(served)), served))
            await writer.drain()
            writer.close()  # as uvicorn does after its keep-alive timeout

        server = await asyncio.start_server(one_then_close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        conn = HttpConnection("127.0.0.1", port, timeout=5)
        try:
            assert await conn.request("GET", "/a") == (200, 1)
            await asyncio.sleep(0.2)  # a reviewer thinking; the server hangs up meanwhile
            assert await conn.request("GET", "/b") == (200, 2)
        finally:
            await conn.close()
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())


def test_http_client_does_not_reuse_a_connection_idle_past_the_keep_alive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipeline, "KEEPALIVE_SECONDS", 0.1)
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

    async def scenario() -> list[bytes]:
        server, port, requests = await _serve_canned([ok, ok, ok])
        conn = HttpConnection("127.0.0.1", port, timeout=5)
        try:
            await conn.request("GET", "/a")
            await conn.request("GET", "/b")  # at once: same connection
            await asyncio.sleep(0.3)
            await conn.request("GET", "/c")  # after the keep-alive: a new one
        finally:
            await conn.close()
            server.close()
            await server.wait_closed()
        return requests

    requests = asyncio.run(scenario())
    assert [r.split(b":", 1)[0] for r in requests] == [b"1", b"1", b"2"]


def test_http_client_times_out_and_reconnects() -> None:
    async def scenario() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()  # never answers

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        conn = HttpConnection("127.0.0.1", port, timeout=0.3)
        try:
            with pytest.raises(TimeoutError):
                await conn.request("GET", "/slow")
            assert conn._writer is None  # a broken exchange never reuses its connection
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())


def test_group_members_finds_this_process() -> None:
    assert os.getpid() in group_members(os.getpgid(0))
