"""A real S3-compatible server for tests: moto's standalone ``moto.server`` on localhost.

Import the fixture into a test module to use it::

    from tests.service.s3server import S3Server, s3_server  # noqa: F401

``s3_server`` is session-scoped: one server process serves every test of the run, so each
test should use its own bucket (:func:`unique_bucket`). The server's log goes to a file in
pytest's temporary folder, not to a pipe, because a pipe nobody reads would fill up and stall
the server under a large upload.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["S3Server", "free_port", "s3_server", "start_moto_server", "unique_bucket"]

STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class S3Server:
    """Where the test server listens and the (arbitrary) credentials it accepts."""

    endpoint_url: str
    access_key: str = "testing"
    secret_key: str = "testing"
    region: str = "us-east-1"


def free_port() -> int:
    """A localhost TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def unique_bucket() -> str:
    """A fresh, valid bucket name, so tests sharing the server do not see each other's keys."""
    return f"test-{uuid.uuid4().hex[:16]}"


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts)."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def start_moto_server(log_path: Path) -> tuple[subprocess.Popen[bytes], S3Server]:
    """Start ``python -m moto.server`` on a free port and wait until it answers."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"moto server did not start on {endpoint}:\n{tail}")
        time.sleep(0.1)
    return process, S3Server(endpoint_url=endpoint)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server, killing it if it does not exit promptly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One moto S3 server for the whole test run, stopped at its end."""
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    process, server = start_moto_server(log_path)
    try:
        yield server
    finally:
        stop(process)
