"""The applicant's rating (好差评): only the applicant, only after a decision, once; and the
event feed an external supervision system reads (steps, warnings, ratings; paged by cursor)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from review_api import workflow
from review_api.models import Submission
from tests.service.harness import Platform, make_platform
from tests.service.test_supervision_warnings import YELLOW, cst, finish_reviews, make_case, run

DEPTS = ["bureau", "architecture", "civil_defence", "fire", "lightning", "planning"]


@pytest.fixture()
def platform(tmp_path: Path) -> Platform:
    return make_platform(tmp_path)


def decide(p: Platform, sub_id: int, action: str) -> None:
    """The bureau's decision (``revise``/``approve`` after review, ``return`` at intake)."""
    if action != "return":
        finish_reviews(p, sub_id, cst(2026, 3, 4))
    with p.runtime.db.session() as s:
        sub = s.get(Submission, sub_id)
        assert sub is not None
        workflow.transition(s, p.settings, sub, action, None)


def rate(p: Platform, user: str, sub_id: int, **body: object) -> object:
    return p.as_(user)("post", f"/api/submissions/{sub_id}/rating",
                       json={"score": 4, "comment": ""} | body)


def test_only_the_applicant_after_a_decision_and_once(platform: Platform) -> None:
    sub_id = make_case(platform, "评价项目")
    early = rate(platform, "applicant", sub_id)
    assert early.status_code == 409 and "in_review" in early.json()["detail"]  # type: ignore[attr-defined]
    decide(platform, sub_id, "revise")
    for user, status in (("reviewer-fire", 403), ("bureau", 403), ("supervisor", 403),
                         ("applicant-colleague", 403), ("applicant-other", 404)):
        assert rate(platform, user, sub_id).status_code == status, user  # type: ignore[attr-defined]
    for bad in (0, 6, "五"):
        assert rate(platform, "applicant", sub_id, score=bad).status_code == 422  # type: ignore[attr-defined]
    assert rate(platform, "applicant", sub_id, comment="x" * 2001).status_code == 422  # type: ignore[attr-defined]

    r = rate(platform, "applicant", sub_id, score=5, comment="  办理很快  ")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert (body["score"], body["comment"], body["departments"]) == (5, "办理很快", DEPTS)
    again = rate(platform, "applicant", sub_id, score=1)
    assert again.status_code == 409  # type: ignore[attr-defined]
    got = platform.as_("applicant")("get", f"/api/submissions/{sub_id}/rating").json()
    assert got["rating"]["score"] == 5  # the first rating stands
    actions = [e["action"] for e in
               platform.as_("supervisor")("get", "/api/audit?limit=1000").json()["events"]]
    assert actions.count("rating.give") == 1


@pytest.mark.parametrize("action", ["return", "approve"])
def test_a_return_at_intake_or_an_approval_is_a_decision(platform: Platform, action: str) -> None:
    sub_id = make_case(platform, "决定项目", accept=action != "return")
    decide(platform, sub_id, action)
    assert rate(platform, "applicant", sub_id, score=3).status_code == 201  # type: ignore[attr-defined]


def test_who_sees_a_rating(platform: Platform) -> None:
    sub_id = make_case(platform, "查看评价")
    decide(platform, sub_id, "approve")
    url = f"/api/submissions/{sub_id}/rating"
    assert platform.as_("applicant")("get", url).json() == {"rating": None}
    rate(platform, "applicant", sub_id, score=4)
    for user in ("applicant", "applicant-colleague", "bureau", "supervisor"):
        assert platform.as_(user)("get", url).json()["rating"]["score"] == 4, user
    assert platform.as_("reviewer-fire")("get", url).status_code == 403
    assert platform.as_("applicant-other")("get", url).status_code == 404


def test_a_low_rating_is_sent_to_the_supervisors(platform: Platform) -> None:
    sub_id = make_case(platform, "差评项目")
    decide(platform, sub_id, "revise")
    rate(platform, "applicant", sub_id, score=2, comment="等待太久")
    titles = [n["title"] for n in
              platform.as_("supervisor")("get", "/api/notifications").json()["notifications"]]
    assert titles == ["【差评】差评项目 第1轮 评分 2"]
    other = make_case(platform, "好评项目")
    decide(platform, other, "approve")
    rate(platform, "applicant", other, score=5)
    assert platform.as_("supervisor")("get", "/api/notifications").json()["unread"] == 1


# --- the event feed ------------------------------------------------------------------------


def events(p: Platform, since: int = 0, limit: int = 100) -> dict[str, object]:
    r = p.as_("supervisor")("get", "/api/supervision/events",
                            params={"since": since, "limit": limit})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_feed_of_steps_warnings_and_ratings_in_order(platform: Platform) -> None:
    sub_id = make_case(platform, "事件项目")
    first = events(platform)
    kinds = [(e["kind"], e["data"]["step"]) for e in first["events"]]  # type: ignore[attr-defined,index]
    assert kinds == [("step.start", "intake"), ("step.end", "intake")] + [
        ("step.start", "review")] * 5
    assert [e["seq"] for e in first["events"]] == list(range(1, 8))  # type: ignore[attr-defined]
    assert first["next"] == 7
    end = first["events"][1]  # type: ignore[index]
    assert end["data"]["on_time"] is True and end["submission_id"] == sub_id
    assert events(platform, since=7) == {"events": [], "next": 7}
    assert events(platform)["events"] == first["events"]  # reading again adds nothing

    run(platform, YELLOW)
    decide(platform, sub_id, "revise")
    rate(platform, "applicant", sub_id, score=4, comment="好")
    later = events(platform, since=7)
    kinds2 = [e["kind"] for e in later["events"]]  # type: ignore[attr-defined]
    assert kinds2[:5] == ["warning.yellow"] * 5
    assert kinds2.count("step.end") == 6 and kinds2.count("step.start") == 2  # reviews,
    assert kinds2[-1] == "rating"  # consolidation, revision; then the rating
    rating = later["events"][-1]  # type: ignore[index]
    assert rating["data"]["score"] == 4 and rating["data"]["project"] == "事件项目"
    warning = later["events"][0]  # type: ignore[index]
    assert warning["data"]["level"] == "yellow" and warning["data"]["notified"]


def test_feed_pages_by_cursor_without_gaps_or_repeats(platform: Platform) -> None:
    for i in range(3):
        make_case(platform, f"分页项目{i}")
    seen: list[int] = []
    cursor = 0
    while True:
        page = events(platform, since=cursor, limit=4)
        if not page["events"]:
            break
        seen += [e["seq"] for e in page["events"]]  # type: ignore[attr-defined]
        cursor = page["next"]  # type: ignore[assignment]
    assert seen == list(range(1, 22))  # 3 cases × 7 step events
    assert events(platform, since=cursor) == {"events": [], "next": 21}


def test_feed_is_for_supervisors(platform: Platform) -> None:
    for user in ("bureau", "reviewer-fire", "applicant", "admin"):
        r = platform.as_(user)("get", "/api/supervision/events")
        assert r.status_code == 403, user
    assert platform.client.get("/api/supervision/events").status_code == 401
    assert platform.as_("supervisor")("get", "/api/supervision/events?since=-1").status_code == 422


def test_every_step_ends_after_it_starts_in_the_feed(platform: Platform) -> None:
    sub_id = make_case(platform, "顺序项目")
    decide(platform, sub_id, "approve")
    evs = events(platform, limit=1000)["events"]
    first: dict[int, int] = {}
    for e in evs:  # type: ignore[attr-defined]
        if e["kind"] == "step.start":
            first[e["step_id"]] = e["seq"]
        elif e["kind"] == "step.end":
            assert first[e["step_id"]] < e["seq"]
    with platform.runtime.db.session() as s:
        assert s.scalar(select(Submission.status).where(Submission.id == sub_id)) == "approved"
