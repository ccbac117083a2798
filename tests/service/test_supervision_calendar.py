"""The working-day calendar: weekends, public holidays and make-up workdays (调休) as data;
deadlines across them; working time; the administrator's edits through the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from review_api.calendar import (
    CST,
    WorkCalendar,
    YearCalendar,
    add_working_days,
    advance,
    default_calendar,
    is_working_day,
    load_year_file,
    shipped_years,
    working_seconds,
)
from tests.service.harness import Platform, make_platform

D = dt.date


def cst(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=CST)


def due_cst(start: dt.datetime, days: int, cal: WorkCalendar | None = None) -> dt.datetime:
    return add_working_days(start, days, cal).astimezone(CST)


def test_shipped_years_cover_this_and_next_year_and_name_their_notice() -> None:
    assert {2026, 2027} <= set(shipped_years())
    y2026 = load_year_file(2026)
    assert y2026 is not None and not y2026.provisional
    assert "2026年部分节假日安排" in y2026.notice
    y2027 = load_year_file(2027)
    assert y2027 is not None and y2027.provisional  # no notice yet: marked so


def test_2026_holidays_and_make_up_days_from_the_notice() -> None:
    for day in (D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 16), D(2026, 2, 23), D(2026, 4, 6),
                D(2026, 5, 4), D(2026, 5, 5), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 7)):
        assert not is_working_day(day), day
    for day in (D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
                D(2026, 10, 10)):
        assert day.weekday() >= 5 and is_working_day(day), day
    assert is_working_day(D(2026, 3, 10)) and not is_working_day(D(2026, 3, 14))


def test_2026_has_248_working_days() -> None:
    """365 days − 104 weekend days − 19 weekday holidays + 6 make-up Saturdays/Sundays."""
    days = [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    assert sum(is_working_day(d) for d in days) == 248


def test_deadline_across_a_weekend() -> None:
    friday = cst(2026, 3, 6, 15)
    assert due_cst(friday, 1) == cst(2026, 3, 9, 18)
    assert due_cst(friday, 5) == cst(2026, 3, 13, 18)
    weekends_only = WorkCalendar()
    assert due_cst(friday, 1, weekends_only) == cst(2026, 3, 9, 18)


def test_deadline_across_national_day_and_its_make_up_saturday() -> None:
    start = cst(2026, 9, 30, 11)  # Wednesday before the 1–7 October holiday
    assert due_cst(start, 1) == cst(2026, 10, 8, 18)
    assert due_cst(start, 2) == cst(2026, 10, 9, 18)
    assert due_cst(start, 3) == cst(2026, 10, 10, 18)  # Saturday 10 October is a workday
    assert due_cst(start, 5) == cst(2026, 10, 13, 18)
    assert due_cst(start, 5, WorkCalendar()) == cst(2026, 10, 7, 18)  # weekends-only differs


def test_deadline_on_a_make_up_sunday_and_across_spring_festival() -> None:
    assert due_cst(cst(2026, 1, 1), 1) == cst(2026, 1, 4, 18)  # Sunday 4 January works
    assert due_cst(cst(2026, 2, 13), 1) == cst(2026, 2, 14, 18)  # Saturday 14 February works
    assert due_cst(cst(2026, 2, 13), 2) == cst(2026, 2, 24, 18)  # 15–23 February off
    # a start on a holiday counts from the next working day
    assert due_cst(cst(2026, 10, 3), 1) == cst(2026, 10, 8, 18)


def test_deadline_is_returned_in_utc() -> None:
    due = add_working_days(cst(2026, 3, 6, 15), 1)
    assert due.tzinfo == dt.UTC and due == dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)


def test_working_time_counts_office_hours_of_working_days_only() -> None:
    cal = default_calendar()
    assert working_seconds(cst(2026, 3, 6, 17), cst(2026, 3, 9, 10), cal) == 2 * 3600
    assert working_seconds(cst(2026, 3, 6, 20), cst(2026, 3, 9, 8), cal) == 0
    assert working_seconds(cst(2026, 9, 30, 9), cst(2026, 10, 9, 9), cal) == 9 * 3600 * 2
    assert working_seconds(cst(2026, 3, 9), cst(2026, 3, 9), cal) == 0


@pytest.mark.parametrize(
    ("start", "seconds"),
    [(cst(2026, 9, 30, 17), 3 * 3600.0), (cst(2026, 2, 13, 8), 9 * 3600.0 * 2 + 60),
     (cst(2026, 3, 7, 12), 1.0), (cst(2026, 12, 31, 10), 9 * 3600.0 * 30)],
)
def test_advance_is_the_inverse_of_working_time(start: dt.datetime, seconds: float) -> None:
    end = advance(start, seconds)
    assert working_seconds(start, end) == pytest.approx(seconds)
    assert working_seconds(start, end - dt.timedelta(seconds=1)) < seconds


def test_year_calendar_lists_every_problem() -> None:
    bad = YearCalendar(
        year=2026,
        holidays={D(2026, 5, 2): "劳动节", D(2027, 1, 1): "元旦"},
        workdays={D(2026, 5, 2): "x", D(2026, 5, 6): "周三"},
    )
    problems = bad.problems()
    assert len(problems) == 3
    assert any("2027-01-01" in p for p in problems)
    assert any("both a holiday and a workday" in p for p in problems)
    assert any("2026-05-06" in p and "not a weekend day" in p for p in problems)


@pytest.fixture()
def platform(tmp_path: Path) -> Platform:
    return make_platform(tmp_path)


def test_admin_reads_edits_and_resets_a_year(platform: Platform) -> None:
    admin = platform.as_("admin")
    shipped = admin("get", "/api/admin/calendar/2026").json()
    assert shipped["source"] == "file" and shipped["working_days"] == 248
    assert {"date": "2026-10-10", "name": "国庆节调休上班"} in shipped["workdays"]

    body = {
        "notice": "测试：地方增加一天假期",
        "holidays": shipped["holidays"] + [{"date": "2026-03-09", "name": "地方假日"}],
        "workdays": shipped["workdays"],
    }
    r = admin("put", "/api/admin/calendar/2026", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "database" and r.json()["working_days"] == 247
    assert admin("get", "/api/admin/calendar/2026").json()["notice"] == "测试：地方增加一天假期"

    # the edit is in force: the deadline moves past the new holiday
    from review_api.supervision.calendar_store import load_calendar

    with platform.runtime.db.session() as s:
        cal = load_calendar(s)
    assert due_cst(cst(2026, 3, 6, 15), 1, cal) == cst(2026, 3, 10, 18)
    assert due_cst(cst(2026, 10, 9), 1, cal) == cst(2026, 10, 10, 18)  # shipped days kept

    r = admin("delete", "/api/admin/calendar/2026")
    assert r.status_code == 200 and r.json()["source"] == "file"
    with platform.runtime.db.session() as s:
        assert due_cst(cst(2026, 3, 6, 15), 1, load_calendar(s)) == cst(2026, 3, 9, 18)
    actions = [e["action"] for e in
               platform.as_("supervisor")("get", "/api/audit?limit=1000").json()["events"]]
    assert "calendar.save" in actions and "calendar.reset" in actions


def test_a_year_without_data_counts_weekends_and_can_be_entered(platform: Platform) -> None:
    admin = platform.as_("admin")
    assert admin("get", "/api/admin/calendar/2030").json()["source"] == "weekends"
    r = admin("put", "/api/admin/calendar/2030",
              json={"holidays": [{"date": "2030-01-01", "name": "元旦"}], "workdays": []})
    assert r.status_code == 200 and r.json()["source"] == "database"
    years = [y["year"] for y in admin("get", "/api/admin/calendar").json()]
    assert years == sorted(years) and {2026, 2027, 2030} <= set(years)


def test_invalid_calendar_is_refused_with_every_problem(platform: Platform) -> None:
    admin = platform.as_("admin")
    r = admin("put", "/api/admin/calendar/2026", json={
        "holidays": [{"date": "2026-05-01"}, {"date": "2026-05-01"}, {"date": "2025-12-31"}],
        "workdays": [{"date": "2026-05-01"}, {"date": "2026-05-06"}],
    })
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert len(problems) == 5, problems  # twice listed, other year, both, 2 weekdays
    assert admin("get", "/api/admin/calendar/2026").json()["source"] == "file"  # unchanged
    assert admin("put", "/api/admin/calendar/1999", json={}).status_code == 422


def test_only_the_administrator_edits_the_calendar(platform: Platform) -> None:
    for user in ("supervisor", "bureau", "reviewer-fire", "applicant"):
        call = platform.as_(user)
        assert call("put", "/api/admin/calendar/2026", json={}).status_code == 403, user
        assert call("delete", "/api/admin/calendar/2026").status_code == 403, user
    assert platform.as_("supervisor")("get", "/api/admin/calendar/2026").status_code == 200
    assert platform.as_("applicant")("get", "/api/admin/calendar/2026").status_code == 403
    assert platform.client.get("/api/admin/calendar/2026").status_code == 401
