"""Step clocks: deadlines on the working-day calendar, colours at chosen instants, the pause
while the applicant revises, and the supervisor's step list over a real workflow.

Clocks are computed at an explicit ``now``; API-level checks move a step's start instead."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from review_api.calendar import CST, default_calendar
from review_api.models import Step
from review_api.supervision.clock import Interval, step_clock
from tests.service.harness import Platform, make_platform, package_zip

HOUR = 3600.0


def cst(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    """An instant in China Standard Time."""
    return dt.datetime(y, m, d, h, mi, tzinfo=CST)


def review_step(start: dt.datetime, end: dt.datetime | None = None, step: str = "review") -> Step:
    """An unsaved step (clocks need no database)."""
    return Step(id=1, submission_id=1, step=step, department="fire", started_at=start,
                ended_at=end)


def clock_at(st: Step, now: dt.datetime, limit: int | None = 5, pauses: list[Interval] = []):  # noqa: B006
    return step_clock(st, now=now, calendar=default_calendar(), limit=limit, pauses=pauses)


START = cst(2026, 3, 2, 10)  # Monday; 5 working days → Monday 9 March 18:00
DUE = cst(2026, 3, 9, 18)


def test_deadline_and_budget_of_a_five_day_review() -> None:
    c = clock_at(review_step(START), START)
    assert c.due_at == DUE
    assert c.budget_seconds == 8 * HOUR + 5 * 9 * HOUR  # Monday from 10:00, then five days
    assert c.status == "green" and c.used_seconds == 0


@pytest.mark.parametrize(
    ("now", "status", "used_hours"),
    [
        (cst(2026, 3, 4, 10), "green", 18),  # 34 %
        (cst(2026, 3, 5, 18), "green", 35),  # 66.04 %: just under two thirds
        (cst(2026, 3, 6, 10), "yellow", 36),  # 67.9 %
        (cst(2026, 3, 7, 15), "yellow", 44),  # Saturday: the clock does not run
        (cst(2026, 3, 9, 18), "yellow", 53),  # the deadline itself is not overdue
        (cst(2026, 3, 9, 18, 1), "red", 53),
        (cst(2026, 3, 12, 9), "red", 53 + 18),
    ],
)
def test_colour_at_chosen_instants(now: dt.datetime, status: str, used_hours: int) -> None:
    c = clock_at(review_step(START), now)
    assert c.status == status
    assert c.used_seconds == used_hours * HOUR


def test_yellow_share_is_configurable() -> None:
    st, now = review_step(START), cst(2026, 3, 4, 10)  # 34 % used
    assert step_clock(st, now=now, calendar=default_calendar(), limit=5,
                      yellow_share=0.3).status == "yellow"
    assert step_clock(st, now=now, calendar=default_calendar(), limit=5,
                      yellow_share=0.5).status == "green"


def test_pause_stops_the_clock_and_resuming_moves_the_deadline() -> None:
    st = review_step(START)
    pause: list[Interval] = [(cst(2026, 3, 3, 9), cst(2026, 3, 4, 9))]  # one full working day
    during = clock_at(st, cst(2026, 3, 3, 15), pauses=[(cst(2026, 3, 3, 9), None)])
    assert during.status == "paused"
    assert during.used_seconds == 8 * HOUR  # Monday only
    after = clock_at(st, cst(2026, 3, 9, 18, 30), pauses=pause)
    assert after.paused_seconds == 9 * HOUR
    assert after.due_at == cst(2026, 3, 10, 18)  # one working day later
    assert after.status == "yellow"  # without the pause it would be red
    assert clock_at(st, cst(2026, 3, 10, 18, 1), pauses=pause).status == "red"


def test_pause_of_hours_gives_back_those_hours() -> None:
    pause: list[Interval] = [(cst(2026, 3, 3, 10), cst(2026, 3, 3, 13))]
    c = clock_at(review_step(START), cst(2026, 3, 6, 10), pauses=pause)
    assert c.due_at == cst(2026, 3, 10, 12)  # Monday 18:00 + 3 office hours
    assert c.used_seconds == 33 * HOUR


def test_pause_over_non_working_days_changes_nothing() -> None:
    pause: list[Interval] = [(cst(2026, 3, 6, 18), cst(2026, 3, 9, 9))]  # Friday evening–Monday
    c = clock_at(review_step(START), cst(2026, 3, 9, 12), pauses=pause)
    assert c.due_at == DUE and c.paused_seconds == 0


def test_overlapping_pauses_count_once_and_a_running_pause_shows_resume_now_deadline() -> None:
    pauses: list[Interval] = [(cst(2026, 3, 3, 9), cst(2026, 3, 3, 18)),
                              (cst(2026, 3, 3, 12), cst(2026, 3, 4, 9))]
    assert clock_at(review_step(START), cst(2026, 3, 5, 9), pauses=pauses).paused_seconds == 9 * HOUR
    running: list[Interval] = [(cst(2026, 3, 3, 9), None)]
    c = clock_at(review_step(START), cst(2026, 3, 4, 18), pauses=running)
    assert c.status == "paused" and c.due_at == cst(2026, 3, 11, 18)  # two days held


def test_finished_step_is_on_time_or_late() -> None:
    assert clock_at(review_step(START, DUE), cst(2026, 4, 1)).on_time is True
    late = clock_at(review_step(START, cst(2026, 3, 10, 9, 30)), cst(2026, 4, 1))
    assert late.status == "done" and late.on_time is False
    assert late.used_seconds == 53 * HOUR + 0.5 * HOUR


def test_intake_across_national_day_with_make_up_saturday() -> None:
    st = review_step(cst(2026, 9, 30, 17), step="intake")
    c = clock_at(st, cst(2026, 10, 8, 15), limit=1)
    assert c.due_at == cst(2026, 10, 8, 18)
    assert c.budget_seconds == 10 * HOUR  # one hour on 30 September, then 8 October
    assert c.status == "yellow"  # 7 of 10 office hours, eight days later
    assert clock_at(st, cst(2026, 10, 8, 14, 30), limit=1).status == "green"  # 6.5 of 10


def test_revision_step_itself_is_the_applicants_time() -> None:
    c = clock_at(review_step(START, step="revision"), cst(2026, 3, 20), limit=None)
    assert c.status == "paused" and c.due_at is None and c.share_used is None


# --- the step list over a real workflow -------------------------------------------------


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, int, int]:
    """A project whose first round was sent back for revision: (platform, project, round 1)."""
    p = make_platform(tmp_path_factory.mktemp("clock"))
    project = p.new_project("时钟测试项目")
    sub = p.submit(project, package_zip()).json()
    assert p.as_("bureau")("post", f"/api/submissions/{sub['id']}/intake",
                           json={"decision": "accept"}).status_code == 200
    return p, project, sub["id"]


def _steps(p: Platform, **params: str) -> list[dict[str, object]]:
    r = p.as_("supervisor")("get", "/api/supervision/steps", params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, object]] = r.json()
    return rows


def test_step_list_shows_clock_and_named_responsible_people(flow: tuple[Platform, int, int]) -> None:
    p, _, sub_id = flow
    rows = [r for r in _steps(p) if r["submission_id"] == sub_id]
    assert {r["department"] for r in rows} == {
        "planning", "architecture", "fire", "civil_defence", "lightning"}
    fire = next(r for r in rows if r["department"] == "fire")
    assert fire["status"] == "green" and fire["limit_days"] == 5
    assert fire["responsible"] == "消防：赵消防、审查二fire"
    assert [x["username"] for x in fire["responsible_people"]] == [  # type: ignore[attr-defined]
        "reviewer-fire", "reviewer2-fire"]
    for key in ("submission_id", "step", "department", "responsible", "started_at", "due_at",
                "status"):
        assert key in fire


def test_overdue_step_is_red_and_filters_work(flow: tuple[Platform, int, int]) -> None:
    p, _, sub_id = flow
    with p.runtime.db.session() as s:  # the fire review started three weeks ago
        s.execute(update(Step).where(Step.submission_id == sub_id, Step.department == "fire")
                  .values(started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=21)))
    rows = _steps(p)
    assert rows[0]["department"] == "fire" and rows[0]["status"] == "red"  # worst first
    assert [r["department"] for r in _steps(p, status="red")] == ["fire"]
    assert {r["status"] for r in _steps(p, department="planning")} == {"green"}
    assert p.as_("reviewer-fire")("get", "/api/supervision/steps").status_code == 403
    assert p.as_("bureau")("get", "/api/supervision/steps").status_code == 200


def test_revision_pauses_and_the_next_round_resumes(flow: tuple[Platform, int, int]) -> None:
    p, project, sub_id = flow
    for dept in ("planning", "architecture", "fire", "civil_defence", "lightning"):
        r = p.as_(f"reviewer-{dept}")("post", f"/api/submissions/{sub_id}/opinions",
                                       json={"department": dept, "verdict": "pass", "items": []})
        assert r.status_code == 201, r.text
    assert not [r for r in _steps(p) if r["step"] == "review"]  # each ended with its opinion
    r = p.as_("bureau")("post", f"/api/submissions/{sub_id}/consolidated-opinion",
                        json={"decision": "revise", "note": "请修改"})
    assert r.status_code == 201, r.text
    (revision,) = _steps(p)
    assert revision["step"] == "revision" and revision["status"] == "paused"
    assert revision["due_at"] is None and revision["responsible"] == "申请人：王建设"

    second = p.submit(project, package_zip())
    assert second.status_code == 201
    (intake,) = _steps(p)
    assert intake["step"] == "intake" and intake["round"] == 2 and intake["status"] == "green"
    with p.runtime.db.session() as s:
        rev = s.scalar(select(Step).where(Step.submission_id == sub_id, Step.step == "revision"))
        assert rev is not None and rev.ended_at is not None
