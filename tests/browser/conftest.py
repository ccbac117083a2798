"""The platform as the README starts it, and a real Chromium driving its pages.

``lianshen serve --demo`` runs in a subprocess on a free port with its own data folder (SQLite,
the embedded broker and worker), so the pages are tested exactly as a new user meets them:
the demo users, the sample package submitted and processed by the embedded worker. The browser
is Debian's Chromium (``/usr/bin/chromium``), driven by Playwright; no browser is downloaded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "browser-test-password"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}


def _browser_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (/usr/bin/chromium); apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e .[test])"
    return None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll until ``predicate`` returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (httpx.HTTPError, OSError) as exc:
            last, value = exc, None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last})")


@dataclass
class Server:
    """A running ``lianshen serve --demo`` and an API client that logs in as anyone."""

    base: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = httpx.post(
                f"{self.base}/api/auth/login",
                json={"username": username, "password": PASSWORD},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def api(self, username: str, method: str, path: str, **kw: Any) -> httpx.Response:
        """Call the API as ``username``."""
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=60, **kw)

    def wait_processed(self, submission_id: int, timeout: float = 600) -> dict[str, Any]:
        """The submission once its automated processing has finished."""

        def done() -> dict[str, Any] | None:
            r = self.api("bureau", "GET", f"/api/submissions/{submission_id}")
            body: dict[str, Any] = r.json()
            return body if r.status_code == 200 and body["processing"] in ("done", "failed") else None

        result: dict[str, Any] = wait_until(done, timeout, f"processing of submission {submission_id}")
        return result

    def submit_accepted(self, project_id: int, package: bytes, name: str = "package.zip") -> dict[str, Any]:
        """Upload ``package`` as the applicant, wait for its processing and accept it at intake
        as the bureau; the submission as the intake answer gives it."""
        r = self.api("applicant", "POST", f"/api/projects/{project_id}/submissions",
                     files={"package": (name, package, "application/zip")})
        assert r.status_code == 201, r.text
        sub = self.wait_processed(r.json()["id"])
        r = self.api("bureau", "POST", f"/api/submissions/{sub['id']}/intake", json={"decision": "accept"})
        assert r.status_code == 200, r.text
        return dict(r.json())


def _serve_command(port: int) -> list[str]:
    args = ["--demo", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    return [sys.executable, "-m", "lianshen.cli", "serve", *args]


def _children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (the embedded worker runs in a session of its own)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(x) for x in out.stdout.split()]


def _stop_group(pgid: int, wait: Callable[[float], bool]) -> None:
    """SIGTERM a process group, SIGKILL it if it is still there after the grace time."""
    for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        if wait(grace):
            return


def _gone(pid: int) -> Callable[[float], bool]:
    def wait(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.2)
        return False

    return wait


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server, then the worker it started (its own process group), which the
    server does not always stop itself when it is terminated by a signal."""
    workers = _children(process.pid)

    def server_gone(seconds: float) -> bool:
        try:
            process.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False

    _stop_group(process.pid, server_gone)
    for pid in workers:
        _stop_group(pid, _gone(pid))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``lianshen serve --demo`` on a free port, with the demo package processed."""
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    data = tmp_path_factory.mktemp("lianshen-browser")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANSHEN_")}
    env.update(
        {
            "LIANSHEN_DATA_DIR": str(data / "var"),
            "LIANSHEN_DEMO_PASSWORD": PASSWORD,
            "PYTHONPATH": str(ROOT),
        }
    )
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            _serve_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(f"http://127.0.0.1:{port}", process, data, log)
    try:
        wait_until(
            lambda: process.poll() is None
            and httpx.get(f"{srv.base}/api/health", timeout=5).status_code == 200,
            180,
            "the platform's health check",
        )
        demo = srv.api("bureau", "GET", "/api/submissions").json()
        assert demo, "the demo package was not submitted"
        srv.wait_processed(demo[-1]["id"])
        yield srv
    except BaseException:
        sys.stderr.write(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    """Debian's Chromium, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What a page did that it must not: dialogs, uncaught errors, console errors (which include
    every request the server answered with an error status)."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.dialogs or self.errors or self.console)


def open_page(browser: Any, server: Server, username: str | None) -> tuple[Any, Watch]:
    """A new browser context (its own session storage), logged in as ``username`` via the
    login form, with dialogs and page errors recorded."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    watch = Watch()

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: watch.console.append(f"{msg.text} {msg.location}") if msg.type == "error" else None,
    )
    page.goto(f"{server.base}/#/login")
    if username is not None:
        page.fill("[data-testid=login-username]", username)
        page.fill("[data-testid=login-password]", PASSWORD)
        page.click("[data-testid=login-submit]")
        page.wait_for_selector("[data-testid=who]")
    return page, watch


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of the page under ``tests/browser/screenshots``."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@pytest.fixture()
def sample_zip(tmp_path: Path) -> Callable[[str], Path]:
    """A sample package written as a zip file (what an applicant uploads)."""

    def make(name: str) -> Path:
        from samples import build_package

        folder = build_package(tmp_path / "pkg", name)
        archive = shutil.make_archive(str(tmp_path / name), "zip", folder)
        return Path(archive)

    return make
