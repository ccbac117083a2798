"""Yellow and red warnings: raised exactly once at a controlled ``now``, sent to the named
people responsible (in the app, and by e-mail through a real local SMTP server process),
also when two runs race on PostgreSQL, and from the periodic task."""

from __future__ import annotations

import datetime as dt
import mailbox
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from review_api import workflow
from review_api.calendar import CST
from review_api.demo import ensure_user
from review_api.models import Finding, Project, Step, Submission, User
from review_api.security import hash_password
from review_api.supervision.alerts import raise_warnings
from review_api.supervision.models import FeedEvent, Notification, StepWarning
from review_api.supervision.settings import SupervisionSettings
from tests.service.harness import (
    PASSWORD,
    Platform,
    fresh_postgres,
    make_platform,
    postgres_available,
    wait_for,
)

NO_MAIL = SupervisionSettings(smtp_host="")


def cst(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=CST)


START = cst(2026, 3, 2, 10)  # Monday: five-day reviews are due Monday 9 March 18:00
GREEN, YELLOW, RED = cst(2026, 3, 3, 10), cst(2026, 3, 6, 10), cst(2026, 3, 10, 9)


def user_id(p: Platform, username: str) -> int:
    with p.runtime.db.session() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        assert uid is not None
        return uid


def make_case(p: Platform, name: str, *, start: dt.datetime = START, accept: bool = True,
              officer: str = "bureau") -> int:
    """A submission taken through the real workflow functions (no upload, no pipeline), its
    intake ended and its review steps started at ``start``; the submission id."""
    with p.runtime.db.session() as s:
        applicant = s.scalar(select(User).where(User.username == "applicant"))
        bureau = s.scalar(select(User).where(User.username == officer))
        assert applicant is not None and bureau is not None
        project = Project(name=name, organization_id=applicant.organization_id,
                          created_by=applicant.id)
        s.add(project)
        s.flush()
        sub = Submission(project_id=project.id, round=1, status="intake", processing="done",
                         package_key="-", package_sha256="0" * 64, package_name="p.zip",
                         project_toml="", created_by=applicant.id, created_at=start)
        s.add(sub)
        s.flush()
        workflow.open_intake(s, p.settings, sub, applicant)
        s.flush()
        s.execute(update(Step).where(Step.submission_id == sub.id)
                  .values(started_at=start - dt.timedelta(hours=1)))
        if accept:
            workflow.transition(s, p.settings, sub, "accept", bureau)
            s.flush()
            s.execute(update(Step).where(Step.submission_id == sub.id, Step.step == "intake")
                      .values(ended_at=start))
            s.execute(update(Step).where(Step.submission_id == sub.id, Step.step == "review")
                      .values(started_at=start))
        return sub.id


def finish_reviews(p: Platform, sub_id: int, at: dt.datetime) -> None:
    """All five departments gave their opinion at ``at``: consolidation starts then."""
    with p.runtime.db.session() as s:
        sub = s.get(Submission, sub_id)
        assert sub is not None
        workflow.close_steps(s, sub, None, step="review")
        workflow.transition(s, p.settings, sub, "all_opinions", None)
        s.flush()
        s.execute(update(Step).where(Step.submission_id == sub_id, Step.step == "review")
                  .values(ended_at=at))
        s.execute(update(Step).where(Step.submission_id == sub_id, Step.step == "consolidation")
                  .values(started_at=at))


def run(p: Platform, now: dt.datetime, sup: SupervisionSettings = NO_MAIL) -> list[tuple[int, str]]:
    with p.runtime.db.session() as s:
        return [(r.warning.step_id, r.warning.level)
                for r in raise_warnings(s, p.settings, sup, now=now)]


def notified(p: Platform, username: str) -> list[str]:
    """The titles of the user's notifications, read through the API as that user."""
    r = p.as_(username)("get", "/api/notifications")
    assert r.status_code == 200, r.text
    return [n["title"] for n in r.json()["notifications"]]


@pytest.fixture()
def platform(tmp_path: Path) -> Platform:
    p = make_platform(tmp_path)
    with p.runtime.db.session() as s:  # a second bureau officer, to tell "the" officer apart
        ensure_user(s, "bureau2", "冯审批", "bureau", None, "行政审批服务局", "bureau",
                    password_hash=hash_password(PASSWORD))
    return p


def test_yellow_and_red_are_raised_exactly_once(platform: Platform) -> None:
    sub_id = make_case(platform, "预警项目")
    assert run(platform, GREEN) == []
    yellow = run(platform, YELLOW)
    assert len(yellow) == 5 and {lvl for _, lvl in yellow} == {"yellow"}
    assert run(platform, YELLOW) == []
    assert run(platform, YELLOW + dt.timedelta(hours=5)) == []  # still yellow: nothing new
    red = run(platform, RED)
    assert sorted(red) == sorted((sid, "red") for sid, _ in yellow)
    assert run(platform, RED) == [] and run(platform, RED + dt.timedelta(days=9)) == []

    with platform.runtime.db.session() as s:
        assert s.scalar(select(func.count(StepWarning.id))) == 10
        kinds = s.scalars(select(FeedEvent.kind).where(FeedEvent.kind.like("warning.%"))).all()
        assert sorted(kinds) == ["warning.red"] * 5 + ["warning.yellow"] * 5
        w = s.scalar(select(StepWarning).where(StepWarning.level == "red").limit(1))
        assert w is not None and w.submission_id == sub_id
        assert w.due_at == cst(2026, 3, 9, 18)
    titles = notified(platform, "reviewer-fire")
    assert len(titles) == 2
    assert titles[0].startswith("【红色预警】预警项目") and "消防审查" in titles[0]
    assert titles[1].startswith("【黄色预警】预警项目")
    assert len(notified(platform, "reviewer2-fire")) == 2
    assert notified(platform, "applicant") == [] and notified(platform, "bureau") == []


def test_a_step_found_red_gets_only_its_red_warning(platform: Platform) -> None:
    make_case(platform, "直接超期")
    assert {lvl for _, lvl in run(platform, RED)} == {"red"}
    assert run(platform, RED) == []


def test_warning_goes_to_the_people_working_on_the_case(platform: Platform) -> None:
    sub_id = make_case(platform, "有人办理的项目", officer="bureau2")
    with platform.runtime.db.session() as s:  # reviewer2-fire has reviewed a finding
        s.add(Finding(submission_id=sub_id, subject_key="k1", source="rule", code="FIRE-003",
                      slug="x", discipline="fire", severity="error", message="m",
                      message_en="m", clause="c", review_status="confirmed",
                      reviewed_by=user_id(platform, "reviewer2-fire"), reviewed_at=START))
    run(platform, YELLOW)
    assert len(notified(platform, "reviewer2-fire")) == 1
    assert notified(platform, "reviewer-fire") == []
    assert len(notified(platform, "reviewer-planning")) == 1  # nobody acted: the department

    finish_reviews(platform, sub_id, cst(2026, 3, 6, 12))  # consolidation: 2 days → Tue 10th
    raised = run(platform, cst(2026, 3, 10, 18, 30))
    assert len(raised) == 1 and raised[0][1] == "red"
    assert [t[:6] for t in notified(platform, "bureau2")] == ["【红色预警】"]  # the officer
    assert notified(platform, "bureau") == []


def test_intake_warning_goes_to_every_bureau_officer(platform: Platform) -> None:
    make_case(platform, "待受理项目", accept=False)
    raised = run(platform, cst(2026, 3, 3, 18, 5))  # 1 day from Monday → Tuesday 18:00
    assert [lvl for _, lvl in raised] == ["red"]
    assert len(notified(platform, "bureau")) == 1 and len(notified(platform, "bureau2")) == 1


def test_revision_and_finished_steps_never_warn(platform: Platform) -> None:
    sub_id = make_case(platform, "修改中的项目")
    finish_reviews(platform, sub_id, cst(2026, 3, 3, 10))
    with platform.runtime.db.session() as s:
        sub = s.get(Submission, sub_id)
        assert sub is not None
        workflow.transition(s, platform.settings, sub, "revise", None)
    assert run(platform, cst(2026, 6, 1)) == []  # months later: the applicant's time
    r = platform.as_("supervisor")("get", "/api/supervision/steps").json()
    assert [x["status"] for x in r] == ["paused"]


def test_notifications_are_private_and_can_be_marked_read(platform: Platform) -> None:
    make_case(platform, "已读测试")
    run(platform, YELLOW)
    fire = platform.as_("reviewer-fire")
    body = fire("get", "/api/notifications").json()
    assert body["unread"] == 1
    nid = body["notifications"][0]["id"]
    assert platform.as_("reviewer-planning")("post", f"/api/notifications/{nid}/read").status_code == 404
    r = fire("post", f"/api/notifications/{nid}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert fire("get", "/api/notifications").json()["unread"] == 0
    assert fire("get", "/api/notifications?unread=true").json()["notifications"] == []


# --- e-mail through a real SMTP server process --------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpServer:
    """``python -m aiosmtpd`` writing every message it receives into a Maildir."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port, self.box = port, folder / "maildir"
        self.log = (folder / "smtpd.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.box)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_for(self._accepts, 30, "the SMTP server to listen", every=0.1)

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def messages(self) -> list[tuple[str, str, str]]:
        """(recipient, decoded subject, body) of every message received."""
        out = []
        for m in mailbox.Maildir(self.box, create=False):
            body = m.get_payload(decode=True)
            assert isinstance(body, bytes)
            out.append((str(m["To"]), str(make_header(decode_header(m["Subject"]))),
                        body.decode("utf-8")))
        return sorted(out)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture()
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path, free_port())
    try:
        yield server
    finally:
        server.stop()


def set_email(p: Platform, username: str, email: str) -> None:
    with p.runtime.db.session() as s:
        s.execute(update(User).where(User.username == username).values(email=email))


def test_warning_email_reaches_the_responsible_person(platform: Platform,
                                                      smtp: SmtpServer) -> None:
    from tasks.supervision import run_once

    set_email(platform, "reviewer-fire", "zhao.fire@example.org")
    set_email(platform, "reviewer2-fire", "fire2@example.org")
    set_email(platform, "reviewer-planning", "li.planning@example.org")
    set_email(platform, "bureau", "bureau@example.org")  # not responsible for reviews
    make_case(platform, "邮件项目")
    sup = SupervisionSettings(smtp_host="127.0.0.1", smtp_port=smtp.port,
                              smtp_from="jiancha@example.org")
    out = run_once(platform.runtime, sup, YELLOW)
    assert len(out["warnings"]) == 5 and out["email"]["sent"] == 3
    mails = smtp.messages()
    assert [m[0] for m in mails] == [
        "fire2@example.org", "li.planning@example.org", "zhao.fire@example.org"]
    to, subject, body = mails[2]
    assert subject.startswith("【黄色预警】邮件项目") and "消防审查" in subject
    assert "责任人：消防：赵消防、审查二fire" in body and "YELLOW warning" in body
    assert run_once(platform.runtime, sup, YELLOW)["email"]["sent"] == 0  # nothing twice
    with platform.runtime.db.session() as s:
        statuses = dict(s.execute(select(Notification.email_to, Notification.email_status)
                                  .where(Notification.email_to.is_not(None))).all())
        assert set(statuses.values()) == {"sent"}
        assert s.scalar(select(func.count(Notification.id))
                        .where(Notification.email_status == "none")) == 7  # no address


def test_email_is_retried_until_the_server_answers(platform: Platform, tmp_path: Path) -> None:
    from tasks.supervision import run_once

    set_email(platform, "reviewer-fire", "zhao.fire@example.org")
    make_case(platform, "重试项目")
    port = free_port()  # nothing listens here yet
    sup = SupervisionSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_max_attempts=3,
                              smtp_timeout_seconds=5)
    first = run_once(platform.runtime, sup, YELLOW)
    assert first["email"] == {"sent": 0, "failed": 0, "retry": 1}
    with platform.runtime.db.session() as s:
        n = s.scalar(select(Notification).where(Notification.email_to.is_not(None)))
        assert n is not None and n.email_status == "pending" and n.email_attempts == 1
        assert n.email_error and "Error" in n.email_error
    server = SmtpServer(tmp_path, port)
    try:
        assert run_once(platform.runtime, sup, YELLOW)["email"]["sent"] == 1
        assert [m[0] for m in server.messages()] == ["zhao.fire@example.org"]
    finally:
        server.stop()


def test_email_gives_up_after_the_last_attempt(platform: Platform) -> None:
    from tasks.supervision import run_once

    set_email(platform, "reviewer-fire", "zhao.fire@example.org")
    make_case(platform, "失败项目")
    sup = SupervisionSettings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_max_attempts=1)
    assert run_once(platform.runtime, sup, YELLOW)["email"]["failed"] == 1
    assert run_once(platform.runtime, sup, RED)["email"]["failed"] == 1  # the red one
    with platform.runtime.db.session() as s:
        assert set(s.scalars(select(Notification.email_status)
                             .where(Notification.email_to.is_not(None)))) == {"failed"}


def test_periodic_task_raises_warnings(platform: Platform) -> None:
    from tasks.supervision import raise_warnings as task

    make_case(platform, "定时任务项目")
    result = task.apply(kwargs={"now": RED.isoformat()}).get()
    assert {w["level"] for w in result["warnings"]} == {"red"} and len(result["warnings"]) == 5
    assert task.apply(kwargs={"now": RED.isoformat()}).get()["warnings"] == []


# --- two runs at once on PostgreSQL ----------------------------------------------------------


@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL at 127.0.0.1:5432 is not reachable")
def test_concurrent_runs_raise_each_warning_once_on_postgres(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        p = make_platform(tmp_path, database_url=url)
        for i in range(3):
            make_case(p, f"并发项目{i}")
        barrier = threading.Barrier(4)
        results: list[list[tuple[int, str]]] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                barrier.wait()
                results.append(run(p, RED))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        raised = [w for r in results for w in r]
        assert len(raised) == 15 and len(set(raised)) == 15  # 3 cases × 5 departments, once
        with p.runtime.db.session() as s:
            assert s.scalar(select(func.count(StepWarning.id))) == 15
            assert s.scalar(select(func.count(Notification.id))) == 30  # two reviewers each
            seqs = s.scalars(select(FeedEvent.seq).order_by(FeedEvent.seq)).all()
            assert seqs == list(range(1, len(seqs) + 1))  # dense: no gap, no repeat
        p.runtime.db.dispose()


# --- the task in a real worker process -----------------------------------------------------


def test_worker_process_runs_the_task_and_mails_the_responsible_person(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """The periodic task in a ``celery worker`` process on the embedded broker, configured by
    environment like ``lianshen worker``: the warning e-mail reaches the person, once."""
    import os

    from tasks.supervision import raise_warnings as task

    p = make_platform(tmp_path, eager=False)
    set_email(p, "reviewer-lightning", "zhou.lightning@example.org")
    make_case(p, "进程项目")
    env = dict(os.environ) | {
        "LIANSHEN_DATA_DIR": str(p.settings.data_dir),
        "LIANSHEN_DATABASE_URL": p.settings.resolved_database_url,
        "LIANSHEN_BROKER_URL": p.settings.resolved_broker_url,
        "LIANSHEN_SMTP_HOST": "127.0.0.1",
        "LIANSHEN_SMTP_PORT": str(smtp.port),
        "LIANSHEN_SMTP_FROM": "jiancha@example.org",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks.supervision", "worker", "--loglevel=INFO",
         "--concurrency=1", "-Q", "lianshen", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        task.delay(now=RED.isoformat())
        mails = wait_for(smtp.messages, 120, "the warning e-mail")
        assert [(to, subject[:6]) for to, subject, _ in mails] == [
            ("zhou.lightning@example.org", "【红色预警】")]
        task.delay(now=RED.isoformat())  # a second run raises and sends nothing

        def second_run_done() -> bool:
            return (tmp_path / "worker.log").read_bytes().count(b"succeeded") >= 2

        wait_for(second_run_done, 120, "the second run")
        assert len(smtp.messages()) == 1
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        log.close()
    with p.runtime.db.session() as s:
        assert s.scalar(select(func.count(StepWarning.id))) == 5
