"""The dashboard's figures on a known data set, worked out by hand below, in JSON and CSV.

Two projects (times China Standard Time, March 2026; office hours 09:00–18:00 = 1 working day):

A, round 1 (sent back): intake Mon 2nd 09:00–18:00 (1.0 day, on time); fire review Tue 3rd
09:00–Tue 10th 18:00 (6.0 days, ends exactly at its deadline: on time); planning review Tue 3rd
09:00–Wed 11th 12:00 (6.333 days, late); consolidation Wed 11th 12:00–Thu 12th 12:00 (1.0);
revision Thu 12th 12:00–Mon 16th 12:00 (the applicant's 2.0 days).
A, round 2 (approved): intake Mon 16th 12:00–Tue 17th 12:00 (1.0); fire review Tue 17th
12:00–Wed 18th 12:00 (1.0); consolidation Wed 18th 12:00–Fri 20th 18:00 (2.667, at its deadline).
B, round 1 (in review): intake Mon 9th 08:00–09:00 (0.0); planning review since Mon 9th 09:00
(red), fire review since Mon 16th 10:00 (yellow: 45 of 53 office hours), lightning review
since Fri 20th 09:00 (green).
Now: Mon 23rd 10:00. Findings: A1 FIRE-003 ×3 (2 confirmed, 1 dismissed), PLAN-001 ×1 open;
B1 FIRE-003 ×1 open. Ratings: A1 2 (差评), A2 5.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from review_api.calendar import CST
from review_api.models import Finding, Project, Step, Submission, User
from review_api.supervision import stats
from review_api.supervision.models import Rating
from review_api.supervision.settings import SupervisionSettings
from tests.service.harness import Platform, make_platform

NOW = dt.datetime(2026, 3, 23, 10, tzinfo=CST)
YELLOW = SupervisionSettings().yellow_share


def t(d: int, h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, d, h, m, tzinfo=CST)


def _sub(s: Any, project: Project, rnd: int, status: str, created: dt.datetime,
         applicant: User) -> Submission:
    sub = Submission(project_id=project.id, round=rnd, status=status, processing="done",
                     package_key="-", package_sha256="0" * 64, package_name="p.zip",
                     project_toml="", created_by=applicant.id, created_at=created)
    s.add(sub)
    s.flush()
    return sub


def _step(s: Any, sub: Submission, step: str, dept: str | None, start: dt.datetime,
          end: dt.datetime | None) -> None:
    s.add(Step(submission_id=sub.id, step=step, department=dept, started_at=start, ended_at=end))


def _finding(s: Any, sub: Submission, key: str, code: str, status: str) -> None:
    s.add(Finding(submission_id=sub.id, subject_key=key, source="rule", code=code, slug=code,
                  discipline="fire" if code.startswith("FIRE") else "planning",
                  severity="error", message="m", message_en="m", clause="c",
                  review_status=status))


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    p = make_platform(tmp_path_factory.mktemp("stats"))
    with p.runtime.db.session() as s:
        applicant = s.scalar(select(User).where(User.username == "applicant"))
        assert applicant is not None
        pa = Project(name="A 项目", organization_id=applicant.organization_id,
                     created_by=applicant.id)
        pb = Project(name="=B 项目", organization_id=applicant.organization_id,
                     created_by=applicant.id)  # a name a spreadsheet would run as a formula
        s.add_all([pa, pb])
        s.flush()
        a1 = _sub(s, pa, 1, "resubmitted", t(2, 9), applicant)
        a2 = _sub(s, pa, 2, "approved", t(16, 12), applicant)
        b1 = _sub(s, pb, 1, "in_review", t(9, 8), applicant)
        _step(s, a1, "intake", None, t(2, 9), t(2, 18))
        _step(s, a1, "review", "fire", t(3, 9), t(10, 18))
        _step(s, a1, "review", "planning", t(3, 9), t(11, 12))
        _step(s, a1, "consolidation", None, t(11, 12), t(12, 12))
        _step(s, a1, "revision", None, t(12, 12), t(16, 12))
        _step(s, a2, "intake", None, t(16, 12), t(17, 12))
        _step(s, a2, "review", "fire", t(17, 12), t(18, 12))
        _step(s, a2, "consolidation", None, t(18, 12), t(20, 18))
        _step(s, b1, "intake", None, t(9, 8), t(9, 9))
        _step(s, b1, "review", "planning", t(9, 9), None)
        _step(s, b1, "review", "fire", t(16, 10), None)
        _step(s, b1, "review", "lightning", t(20, 9), None)
        for i, status in enumerate(("confirmed", "confirmed", "dismissed")):
            _finding(s, a1, f"f{i}", "FIRE-003", status)
        _finding(s, a1, "p0", "PLAN-001", "open")
        _finding(s, b1, "f9", "FIRE-003", "open")
        s.add_all([
            Rating(submission_id=a1.id, user_id=applicant.id, score=2, comment="太慢",
                   created_at=t(16, 9)),
            Rating(submission_id=a2.id, user_id=applicant.id, score=5, comment="",
                   created_at=t(21, 9)),
        ])
    return p


@pytest.fixture(scope="module")
def figures(platform: Platform) -> dict[str, Any]:
    with platform.runtime.db.session() as s:
        return stats.compute(s, platform.settings, now=NOW, yellow_share=YELLOW)


def row(figures: dict[str, Any], unit: str, step: str) -> dict[str, Any]:
    return next(r for r in figures["steps"] if r["unit"] == unit and r["step"] == step)


def test_on_time_rate_and_durations_per_department_and_step(figures: dict[str, Any]) -> None:
    intake = row(figures, "bureau", "intake")
    assert (intake["completed"], intake["on_time"], intake["on_time_rate"]) == (3, 3, 1.0)
    assert (intake["mean_working_days"], intake["median_working_days"]) == (0.667, 1.0)
    fire = row(figures, "fire", "review")
    assert (fire["completed"], fire["on_time"], fire["on_time_rate"]) == (2, 2, 1.0)
    assert (fire["mean_working_days"], fire["median_working_days"]) == (3.5, 3.5)
    assert (fire["running"], fire["yellow"], fire["red"]) == (1, 1, 0)
    planning = row(figures, "planning", "review")
    assert (planning["completed"], planning["late"], planning["on_time_rate"]) == (1, 1, 0.0)
    assert planning["mean_working_days"] == 6.333 and planning["red"] == 1
    lightning = row(figures, "lightning", "review")
    assert lightning["completed"] == 0 and lightning["on_time_rate"] is None
    assert lightning["mean_working_days"] is None and lightning["running"] == 1
    consolidation = row(figures, "bureau", "consolidation")
    assert (consolidation["completed"], consolidation["on_time_rate"]) == (2, 1.0)
    assert consolidation["mean_working_days"] == 1.833
    assert consolidation["median_working_days"] == 1.833
    assert len(figures["steps"]) == 7  # bureau: intake, consolidation; five reviews
    assert figures["limits"] == {"intake": 1, "review": 5, "consolidation": 2}


def test_open_items_by_age_and_red_and_yellow_now(figures: dict[str, Any]) -> None:
    ages = {b["bucket"]: b["count"] for b in figures["open_by_age"]}
    assert ages == {"0-1": 0, "1-2": 1, "2-3": 0, "3-5": 0, "5-10": 1, "10+": 1}
    ten_plus = next(b for b in figures["open_by_age"] if b["bucket"] == "10+")
    assert ten_plus["by_status"]["red"] == 1 and ten_plus["by_step"]["review"] == 1
    now = figures["now"]
    assert (now["red"], now["yellow"], now["green"], now["paused"]) == (1, 1, 1, 0)
    assert [(i["department"], i["status"]) for i in now["items"]] == [
        ("planning", "red"), ("fire", "yellow")]
    assert now["items"][0]["due_at"] == t(16, 18)
    assert now["items"][0]["responsible"] == "规划：李规划、审查二planning"
    assert now["items"][1]["working_days_used"] == 5.0


def test_findings_by_rule_code(figures: dict[str, Any]) -> None:
    assert figures["findings_by_rule"] == [
        {"code": "FIRE-003", "discipline": "fire", "severity": "error", "total": 4, "open": 1,
         "confirmed": 2, "dismissed": 1},
        {"code": "PLAN-001", "discipline": "planning", "severity": "error", "total": 1,
         "open": 1, "confirmed": 0, "dismissed": 0},
    ]


def test_rounds_per_project_with_authority_and_applicant_time(figures: dict[str, Any]) -> None:
    rp = figures["rounds_per_project"]
    assert rp["histogram"] == [{"rounds": 1, "projects": 1}, {"rounds": 2, "projects": 1}]
    assert (rp["mean"], rp["max"]) == (1.5, 2)
    a, b = rp["projects"]
    assert (a["project"], a["rounds"], a["status"]) == ("A 项目", 2, "approved")
    assert a["authority_working_days"] == 13.0 and a["applicant_working_days"] == 2.0
    assert b["authority_working_days"] == 10.111 and b["applicant_working_days"] == 0.0


def test_satisfaction_per_department(figures: dict[str, Any]) -> None:
    sat = figures["satisfaction"]
    assert sat["overall"] == {"ratings": 2, "mean": 3.5, "low": 1,
                              "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}
    units = {u["unit"]: u for u in sat["units"]}
    assert (units["bureau"]["ratings"], units["bureau"]["mean"]) == (2, 3.5)
    assert (units["fire"]["ratings"], units["fire"]["mean"]) == (2, 3.5)
    assert (units["planning"]["ratings"], units["planning"]["mean"]) == (1, 2.0)
    assert units["planning"]["low"] == 1
    assert units["lightning"]["ratings"] == 0 and units["lightning"]["mean"] is None


def test_period_selects_finished_steps_submissions_and_ratings(platform: Platform) -> None:
    with platform.runtime.db.session() as s:
        f = stats.compute(s, platform.settings, now=NOW, yellow_share=YELLOW,
                          date_from=dt.date(2026, 3, 16), date_to=dt.date(2026, 3, 23))
    assert row(f, "bureau", "intake")["completed"] == 1
    assert row(f, "fire", "review")["mean_working_days"] == 1.0
    assert row(f, "planning", "review")["completed"] == 0
    assert row(f, "bureau", "consolidation")["mean_working_days"] == 2.667
    assert f["rounds_per_project"]["histogram"] == [{"rounds": 1, "projects": 1}]
    assert f["findings_by_rule"] == []
    assert f["satisfaction"]["overall"]["ratings"] == 2
    assert f["now"]["red"] == 1  # the present does not depend on the period


def parse_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_has_the_same_figures(figures: dict[str, Any]) -> None:
    rows = parse_csv(stats.to_csv(figures))
    cells = {(r["section"], r["unit"], r["step"], r["key"], r["metric"]): r["value"]
             for r in rows}
    for r in figures["steps"]:
        for metric in ("completed", "on_time", "on_time_rate", "mean_working_days",
                       "median_working_days", "red", "yellow"):
            expected = "" if r[metric] is None else str(r[metric])
            assert cells[("steps", r["unit"], r["step"], "", metric)] == expected
    assert cells[("findings_by_rule", "fire", "", "FIRE-003", "total")] == "4"
    assert cells[("open_by_age", "", "", "10+", "count")] == "1"
    assert cells[("now", "", "", "red", "count")] == "1"
    assert cells[("satisfaction", "planning", "", "", "mean")] == "2.0"
    assert cells[("rounds_per_project", "", "", "2", "projects")] == "1"
    labels = {r["label"] for r in rows if r["section"] == "project"}
    assert labels == {"A 项目", "'=B 项目"}  # formula-like text is quoted


def test_stats_endpoint_json_csv_and_charts(platform: Platform) -> None:
    sup = platform.as_("supervisor")
    r = sup("get", "/api/supervision/stats")
    assert r.status_code == 200
    assert row(r.json(), "planning", "review")["late"] == 1  # finished figures: any "now"
    r = sup("get", "/api/supervision/stats", params={"format": "csv", "from": "2026-03-01"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    cells = {(x["section"], x["unit"], x["step"], x["metric"]): x["value"]
             for x in parse_csv(r.text) if x["section"] == "steps"}
    assert cells[("steps", "fire", "review", "completed")] == "2"
    assert sup("get", "/api/supervision/stats?from=2026-03-10&to=2026-03-01").status_code == 422
    for name in ("on_time", "duration", "open_by_age", "findings", "rounds", "now",
                 "satisfaction"):
        png = sup("get", f"/api/supervision/charts/{name}.png")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG"), name
    assert sup("get", "/api/supervision/charts/nope.png").status_code == 404
    for user in ("bureau", "reviewer-fire", "applicant", "admin"):
        assert platform.as_(user)("get", "/api/supervision/stats").status_code == 403, user


def test_stats_of_an_empty_platform(tmp_path: Path) -> None:
    p = make_platform(tmp_path)
    with p.runtime.db.session() as s:
        f = stats.compute(s, p.settings, now=NOW, yellow_share=YELLOW)
    assert all(r["completed"] == 0 and r["on_time_rate"] is None for r in f["steps"])
    assert f["rounds_per_project"] == {"histogram": [], "mean": None, "max": None,
                                       "projects": []}
    assert parse_csv(stats.to_csv(f))
