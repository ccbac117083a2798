"""The whole review workflow over HTTP, from upload to consolidated decision (SQLite, eager).

This is the path each demo role walks; the same flow runs against PostgreSQL with real worker
processes in ``test_distributed.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from review_api.workflow import DEPARTMENTS
from tests.service.harness import Platform, make_platform, package_zip


@pytest.fixture()
def platform(tmp_path: Path) -> Platform:
    return make_platform(tmp_path)


def run_full_review(p: Platform, zip_bytes: bytes) -> dict[str, object]:
    """Upload → intake → five opinions → consolidation → revise → round 2 → approve."""
    applicant, bureau = p.as_("applicant"), p.as_("bureau")
    project_id = p.new_project("一号住宅楼")
    r = p.submit(project_id, zip_bytes)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["round"] == 1 and sub["status"] == "intake"
    state = applicant("get", f"/api/submissions/{sub['id']}").json()
    assert state["processing"] == "done", state
    assert state["progress"]["done"] == state["progress"]["total"]
    assert all(d["status"] == "ingested" for d in state["drawings"])
    findings = applicant("get", f"/api/submissions/{sub['id']}/findings").json()

    # reviewers see nothing before the bureau accepts
    assert p.as_("reviewer-fire")("get", f"/api/submissions/{sub['id']}").status_code == 404
    r = bureau("post", f"/api/submissions/{sub['id']}/intake", json={"decision": "accept"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_review"
    assert {d["department"] for d in r.json()["deadlines"] if d["step"] == "review"} == set(
        DEPARTMENTS
    )

    for dept in DEPARTMENTS:
        rev = p.as_(f"reviewer-{dept}")
        own = [f for f in findings if f["discipline"] == dept]
        items = []
        if own:
            r = rev("patch", f"/api/findings/{own[0]['id']}", json={"review_status": "confirmed"})
            assert r.status_code == 200, r.text
            items.append({"text": f"请按 {own[0]['code']} 修改", "finding_id": own[0]["id"]})
        drawing = next(d for d in state["drawings"] if d["discipline"] == dept)
        r = rev(
            "post",
            f"/api/drawings/{drawing['id']}/annotations",
            json={"geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
                  "text": f"{dept} 标注", "kind": "cloud"},
        )
        assert r.status_code == 201, r.text
        verdict = "revise" if items else "pass"
        r = rev("post", f"/api/submissions/{sub['id']}/opinions",
                json={"department": dept, "verdict": verdict, "items": items})
        assert r.status_code == 201, r.text
    assert applicant("get", f"/api/submissions/{sub['id']}").json()["status"] == "consolidation"

    r = bureau("post", f"/api/submissions/{sub['id']}/consolidated-opinion",
               json={"decision": "revise", "note": "请按意见修改"})
    assert r.status_code == 201, r.text
    opinion = r.json()
    assert opinion["verification_code"]
    assert p.client.get(f"/api/verify/{opinion['verification_code']}").json()["valid"] is True

    r2 = p.submit(project_id, zip_bytes)
    assert r2.status_code == 201, r2.text
    sub2 = r2.json()
    assert sub2["round"] == 2
    assert applicant("get", f"/api/submissions/{sub['id']}").json()["status"] == "resubmitted"
    bureau("post", f"/api/submissions/{sub2['id']}/intake", json={"decision": "accept"})
    for dept in DEPARTMENTS:
        r = p.as_(f"reviewer-{dept}")(
            "post", f"/api/submissions/{sub2['id']}/opinions",
            json={"department": dept, "verdict": "pass", "items": []},
        )
        assert r.status_code == 201, r.text
    r = bureau("post", f"/api/submissions/{sub2['id']}/consolidated-opinion",
               json={"decision": "approve"})
    assert r.status_code == 201, r.text
    docs = applicant("get", f"/api/submissions/{sub2['id']}/documents").json()
    assert [d["kind"] for d in docs] == ["certificate"]
    return {"submission": sub, "findings": findings, "second": sub2}


def test_whole_workflow_embedded(platform: Platform) -> None:
    out = run_full_review(platform, package_zip("residential_tower_violations"))
    codes = {f["code"] for f in out["findings"]}  # type: ignore[attr-defined]
    assert {"FIRE-003", "PLAN-001"} & codes
    supervisor = platform.as_("supervisor")
    verify = supervisor("get", "/api/audit/verify").json()
    assert verify["valid"] is True and verify["events"] > 20
    actions = [e["action"] for e in supervisor("get", "/api/audit?limit=1000").json()["events"]]
    for expected in ("submission.submit", "submission.accept", "finding.review",
                     "annotation.create", "opinion.give", "submission.revise",
                     "submission.resubmit", "submission.approve", "document.issue"):
        assert expected in actions, expected


def test_illegal_transition_is_409_with_allowed_actions(platform: Platform) -> None:
    project_id = platform.new_project()
    sub = platform.submit(project_id, package_zip()).json()
    r = platform.as_("bureau")(
        "post", f"/api/submissions/{sub['id']}/consolidated-opinion", json={"decision": "approve"}
    )
    assert r.status_code == 409
    body = r.json()
    assert body["current"] == "intake" and set(body["allowed"]) == {"accept", "return"}


def test_return_at_intake_then_resubmit(platform: Platform) -> None:
    project_id = platform.new_project()
    sub = platform.submit(project_id, package_zip()).json()
    again = platform.submit(project_id, package_zip())
    assert again.status_code == 409  # one round at a time
    r = platform.as_("bureau")("post", f"/api/submissions/{sub['id']}/intake",
                               json={"decision": "return", "note": "缺少人防计算书"})
    assert r.json()["status"] == "returned" and r.json()["note"] == "缺少人防计算书"
    assert platform.submit(project_id, package_zip()).json()["round"] == 2
