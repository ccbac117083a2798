"""Who may call what: every role against every endpoint of the review service.

RELIABILITY.md §4.4 S1–S3 on one platform (SQLite, eager pipeline) holding two design firms:

- firm A (``applicant``, ``applicant-colleague``) has project A, whose round is accepted at
  intake (all five departments assigned) and carries annotations (one internal), replies and
  the fire department's opinion; project C, whose round went through the whole review, got the
  bureau's consolidated opinion (an issued document) and the applicant's rating, and now waits
  for the applicant's answers; and project D, whose second round is in review with the items
  carried over from the first;
- firm B (``applicant-other``) has project B, whose round waits at intake, so no reviewer is
  assigned to it.

``CALLS`` is the matrix: one row per request, one expected status per role, and every role in
every row (``cells`` refuses a row with a missing role). ``test_every_route_is_in_the_matrix``
reads the routes from the application itself, so a new endpoint cannot escape the table.
Requests on objects another party owns must be answered exactly like requests on ids that do not
exist (same status, same body): no enumeration oracle. Field-level tests check what applicants
must never receive: internal annotations, and department opinions before the bureau's decision.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from review_api.workflow import DEPARTMENTS
from tests.service.harness import (
    PASSWORD,
    Platform,
    fresh_postgres,
    make_platform,
    package_zip,
    postgres_available,
)
from viewer import api as viewer_api

ROLES: dict[str, str | None] = {
    "applicant": "applicant",  # firm A, author of projects A and C
    "colleague": "applicant-colleague",  # firm A
    "other_firm": "applicant-other",  # firm B
    "reviewer": "reviewer-fire",  # the department of the finding and drawing under test
    "reviewer_other": "reviewer-planning",  # another department, also assigned to A
    "bureau": "bureau",
    "supervisor": "supervisor",
    "admin": "admin",
    "anonymous": None,
}
"""Matrix role → demo user name (None: no token at all)."""

MISSING_ID = 987_654
"""An id no row has: every hidden object must be answered exactly like this one."""

IMPOSSIBLE_IDS = (0, -1, 2**31, 2**63, 10**30)
"""Ids no row can have; they must be answered like ``MISSING_ID``, never with a 5xx."""

PARAM_KIND = {
    "project_id": "project",
    "submission_id": "submission",
    "finding_id": "finding",
    "drawing_id": "drawing",
    "annotation_id": "annotation",
    "document_id": "document",
    "item_id": "carried",
    "notification_id": "notification",
    "user_id": "user",
}
"""Path parameter naming a row → kind of that row (other parameters are names and years)."""

FIRM_A = {
    "pA": "project", "sA": "submission", "fA": "finding", "fJ": "finding", "dA": "drawing",
    "aPub": "annotation", "aInt": "annotation", "aMine": "annotation",
    "pC": "project", "sC": "submission", "fC": "finding", "dC": "drawing", "docC": "document",
    "pD": "project", "sD2": "submission", "cD": "carried",
}
FIRM_B = {"pB": "project", "sB": "submission", "fB": "finding", "dB": "drawing"}
KIND = FIRM_A | FIRM_B | {"target_user": "user", "nSup": "notification"}
"""Every object label of the world → its kind."""

HIDDEN: dict[str, set[str]] = {
    "applicant": set(FIRM_B) | {"aInt", "nSup"},
    "colleague": set(FIRM_B) | {"aInt", "nSup"},
    "other_firm": set(FIRM_A) | {"nSup"},
    "reviewer": set(FIRM_B) | {"nSup"},
    "reviewer_other": set(FIRM_B) | {"nSup"},
    "bureau": {"nSup"},
    "supervisor": set(),
    "admin": set(FIRM_A) | set(FIRM_B) | {"nSup"},
}
"""What each logged-in role must not be able to tell apart from a missing object (``nSup`` is
a notification of the supervisor's)."""


def cells(base: Mapping[str, int], **override: int) -> dict[str, int]:
    """One expected status per role: ``base`` with ``override``; every role, no other key."""
    out = dict(base) | override
    unknown = set(out) - set(ROLES)
    missing = set(ROLES) - set(out)
    assert not unknown and not missing, f"unknown roles {unknown}, missing roles {missing}"
    return out


def everyone(status: int) -> dict[str, int]:
    """The same status for every role, the anonymous caller included (public endpoints)."""
    return dict.fromkeys(ROLES, status)


def logged_in(status: int) -> dict[str, int]:
    """``status`` for every logged-in role, 401 without a token."""
    return dict.fromkeys(ROLES, status) | {"anonymous": 401}


PARTIES_A = cells(logged_in(200), other_firm=404, admin=404)
"""Reading an object of firm A's accepted round: its firm, the assigned departments, the
bureau and the supervisor."""

PARTIES_B = cells(logged_in(404), other_firm=200, bureau=200, supervisor=200)
"""Reading firm B's round at intake: no department is assigned yet."""

ACT_A = cells(logged_in(403), other_firm=404, admin=404)
"""Acting on firm A's round: visible to the parties (so 403), hidden from the rest (404)."""

ONLY = logged_in(403)
"""A role-only endpoint: 403 for every logged-in role (``cells`` adds who may)."""


@dataclass
class World:
    """The platform and the labelled objects the matrix talks about."""

    p: Platform
    client: TestClient
    ids: dict[str, int]
    words: dict[str, str]
    """Path values that are not row ids: a verification code, a chart name, a year."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Texts an applicant must never receive, by what they are."""


Body = Callable[[World], Any]


@dataclass(frozen=True)
class Call:
    """One row of the matrix: a request and the status every role must get."""

    name: str
    method: str
    route: str
    """The path exactly as the application declares it."""
    target: str | None
    """Label of what goes into the path's first parameter (None: a path without one)."""
    expect: dict[str, int]
    json: Body | None = None
    files: Body | None = None
    params: Body | None = None
    """Query parameters."""
    more: Body | None = None
    """Values of the path's further parameters."""
    fresh_login: bool = False
    """Log in anew for this call (logout revokes every token of the user)."""

    @property
    def param(self) -> str | None:
        """The path's first parameter, if it has one."""
        m = re.search(r"\{(\w+)\}", self.route)
        return m.group(1) if m else None


def _empty_zip(_: World) -> dict[str, Any]:
    return {"package": ("package.zip", b"PK\x05\x06" + bytes(18), "application/zip")}


def _some_pdf(_: World) -> dict[str, Any]:
    return {"document": ("opinion.pdf", b"%PDF-1.7\n%not issued here\n", "application/pdf")}


def _new_user(_: World) -> dict[str, Any]:
    return {
        "username": f"matrix-{uuid.uuid4().hex[:10]}", "real_name": "矩阵新用户",
        "password": "matrix-password-1", "role": "supervisor", "organization": "电子监察室",
    }


def _fire_opinion(w: World) -> dict[str, Any]:
    return {
        "department": "fire", "verdict": "revise",
        "items": [{"text": w.secrets["opinion"], "finding_id": w.ids["fA"]}],
    }


def _query(**values: Any) -> Body:
    """Fixed query parameters."""
    return lambda _: values


def _point(text: str, **extra: Any) -> dict[str, Any]:
    return {"geometry": {"type": "Point", "coordinates": [3.0, 4.0]}, "text": text,
            "kind": "cloud", **extra}


CALLS: tuple[Call, ...] = (
    Call("health", "GET", "/api/health", None, everyone(200)),
    Call("openapi", "GET", "/api/openapi.json", None, everyone(200)),
    Call("docs", "GET", "/api/docs", None, everyone(200)),
    Call("docs-oauth2-redirect", "GET", "/docs/oauth2-redirect", None, everyone(200)),
    Call("login", "POST", "/api/auth/login", None, everyone(200),
         json=lambda w: {"username": "applicant-colleague", "password": PASSWORD}),
    Call("logout", "POST", "/api/auth/logout", None, logged_in(204), fresh_login=True),
    Call("me", "GET", "/api/auth/me", None, logged_in(200)),
    Call("create-project", "POST", "/api/projects", None,
         cells(ONLY, applicant=201, colleague=201, other_firm=201),
         json=lambda w: {"name": "矩阵新建项目"}),
    Call("list-projects", "GET", "/api/projects", None, logged_in(200)),
    Call("project-A", "GET", "/api/projects/{project_id}", "pA", PARTIES_A),
    Call("project-B", "GET", "/api/projects/{project_id}", "pB", PARTIES_B),
    Call("upload-while-in-review", "POST", "/api/projects/{project_id}/submissions", "pA",
         cells(ONLY, applicant=409, colleague=409, other_firm=404), files=_empty_zip),
    Call("list-submissions", "GET", "/api/submissions", None, logged_in(200)),
    Call("submission-A", "GET", "/api/submissions/{submission_id}", "sA", PARTIES_A),
    Call("submission-B-at-intake", "GET", "/api/submissions/{submission_id}", "sB", PARTIES_B),
    Call("intake-accept-again", "POST", "/api/submissions/{submission_id}/intake", "sA",
         cells(ACT_A, bureau=409), json=lambda w: {"decision": "accept"}),
    Call("findings", "GET", "/api/submissions/{submission_id}/findings", "sA", PARTIES_A),
    Call("confirm-fire-finding", "PATCH", "/api/findings/{finding_id}", "fA",
         cells(ACT_A, reviewer=200), json=lambda w: {"review_status": "confirmed"}),
    Call("confirm-joint-finding", "PATCH", "/api/findings/{finding_id}", "fJ",
         cells(ACT_A, reviewer=200, reviewer_other=200),
         json=lambda w: {"review_status": "confirmed"}),
    Call("dismiss-without-reason", "PATCH", "/api/findings/{finding_id}", "fA",
         cells(ACT_A, reviewer=422), json=lambda w: {"review_status": "dismissed"}),
    Call("confirm-finding-of-decided-round", "PATCH", "/api/findings/{finding_id}", "fC",
         cells(ACT_A, reviewer=409), json=lambda w: {"review_status": "confirmed"}),
    Call("annotations", "GET", "/api/drawings/{drawing_id}/annotations", "dA", PARTIES_A),
    Call("change-annotation", "PATCH", "/api/annotations/{annotation_id}", "aPub",
         cells(ACT_A, reviewer=200), json=lambda w: {"status": "open"}),
    Call("change-internal-annotation", "PATCH", "/api/annotations/{annotation_id}", "aInt",
         cells(ACT_A, applicant=404, colleague=404, reviewer=200),
         json=lambda w: {"status": "open"}),
    Call("withdraw-annotation", "DELETE", "/api/annotations/{annotation_id}", "aMine",
         cells(ACT_A, reviewer=204)),
    Call("annotate", "POST", "/api/drawings/{drawing_id}/annotations", "dA",
         cells(ACT_A, reviewer=201, reviewer_other=201),
         json=lambda w: _point("矩阵标注", client_key="matrix-annotate")),
    Call("annotate-with-foreign-finding", "POST", "/api/drawings/{drawing_id}/annotations", "dA",
         cells(ACT_A, reviewer=422, reviewer_other=422),
         json=lambda w: _point("引用他人问题", finding_id=w.ids["fB"])),
    Call("reply-public", "POST", "/api/annotations/{annotation_id}/replies", "aPub",
         cells(ACT_A, applicant=201, colleague=201, reviewer=201, reviewer_other=201),
         json=lambda w: {"text": "矩阵回复"}),
    Call("reply-internal", "POST", "/api/annotations/{annotation_id}/replies", "aInt",
         cells(ACT_A, applicant=404, colleague=404, reviewer=201, reviewer_other=201),
         json=lambda w: {"text": "矩阵内部回复"}),
    Call("give-fire-opinion", "POST", "/api/submissions/{submission_id}/opinions", "sA",
         cells(ACT_A, reviewer=201), json=_fire_opinion),
    Call("revise-without-items", "POST", "/api/submissions/{submission_id}/opinions", "sA",
         cells(ACT_A, reviewer=422),
         json=lambda w: {"department": "fire", "verdict": "revise", "items": []}),
    Call("opinions", "GET", "/api/submissions/{submission_id}/opinions", "sA", PARTIES_A),
    Call("consolidation-view", "GET", "/api/submissions/{submission_id}/consolidation", "sA",
         cells(ACT_A, bureau=200, supervisor=200)),
    Call("preview-consolidated-opinion", "POST",
         "/api/submissions/{submission_id}/consolidated-opinion/preview", "sA",
         cells(ACT_A, bureau=200), json=lambda w: {"decision": "approve"}),
    Call("consolidate-in-review", "POST",
         "/api/submissions/{submission_id}/consolidated-opinion", "sA",
         cells(ACT_A, bureau=409), json=lambda w: {"decision": "approve"}),
    Call("documents", "GET", "/api/submissions/{submission_id}/documents", "sC", PARTIES_A),
    Call("document-pdf", "GET", "/api/documents/{document_id}/pdf", "docC", PARTIES_A),
    Call("verify-code", "GET", "/api/verify/{code}", "code", everyone(200)),
    Call("verify-page", "GET", "/verify/{code}", "code", everyone(200)),
    Call("verify-file", "POST", "/api/verify", None, everyone(200), files=_some_pdf),
    Call("signing-roots", "GET", "/api/signing/roots", None, everyone(200)),
    *(
        Call(f"export-{fmt}", "GET", "/api/submissions/{submission_id}/export", "sA", PARTIES_A,
             params=_query(format=fmt))
        for fmt in ("bcf", "wa", "csv", "archive")
    ),
    Call("open-items-in-review", "GET", "/api/submissions/{submission_id}/items", "sA",
         PARTIES_A),
    Call("answer-item", "PUT",
         "/api/submissions/{submission_id}/items/{source_type}/{source_id}/answer", "sC",
         cells(ACT_A, applicant=200, colleague=200),
         json=lambda w: {"status": "fixed", "text": "已按意见修改"},
         more=lambda w: {"source_type": w.words["item_type"], "source_id": w.ids["item"]}),
    Call("carried-items", "GET", "/api/submissions/{submission_id}/carried", "sD2", PARTIES_A),
    Call("decide-carried-item", "PATCH", "/api/carried/{item_id}", "cD",
         cells(ACT_A, reviewer=200), json=lambda w: {"status": "open"}),
    Call("compare-rounds", "GET", "/api/drawings/{drawing_id}/compare", "dA", PARTIES_A,
         params=lambda w: {"with": w.ids["dC"]}),
    Call("rate-again", "POST", "/api/submissions/{submission_id}/rating", "sC",
         cells(ACT_A, applicant=409), json=lambda w: {"score": 4}),
    Call("rating", "GET", "/api/submissions/{submission_id}/rating", "sC",
         cells(ACT_A, applicant=200, colleague=200, bureau=200, supervisor=200)),
    Call("notifications", "GET", "/api/notifications", None, logged_in(200)),
    Call("read-notification", "POST", "/api/notifications/{notification_id}/read", "nSup",
         cells(logged_in(404), supervisor=200)),
    Call("supervision-steps", "GET", "/api/supervision/steps", None,
         cells(ONLY, supervisor=200, bureau=200)),
    Call("supervision-events", "GET", "/api/supervision/events", None,
         cells(ONLY, supervisor=200)),
    Call("supervision-stats", "GET", "/api/supervision/stats", None,
         cells(ONLY, supervisor=200)),
    Call("supervision-chart", "GET", "/api/supervision/charts/{name}.png", "chart",
         cells(ONLY, supervisor=200)),
    Call("calendar-years", "GET", "/api/admin/calendar", None,
         cells(ONLY, admin=200, supervisor=200, bureau=200)),
    Call("calendar-year", "GET", "/api/admin/calendar/{year}", "year",
         cells(ONLY, admin=200, supervisor=200, bureau=200)),
    Call("set-calendar-year", "PUT", "/api/admin/calendar/{year}", "year",
         cells(ONLY, admin=200), json=lambda w: {"notice": "矩阵测试", "holidays": []}),
    Call("reset-calendar-year", "DELETE", "/api/admin/calendar/{year}", "year",
         cells(ONLY, admin=200)),
    Call("audit", "GET", "/api/audit", None, cells(ONLY, supervisor=200)),
    Call("audit-verify", "GET", "/api/audit/verify", None, cells(ONLY, supervisor=200)),
    Call("page-home", "GET", "/", None, everyone(200)),
    Call("page-login", "GET", "/login", None, everyone(200)),
    Call("page-viewer", "GET", "/viewer/{drawing_id}", "dA", everyone(200)),
    Call("static-file", "GET", "/static/{path}", "static_file", everyone(200)),
    Call("drawing-vector", "GET", "/api/drawings/{drawing_id}/vector", "dA", PARTIES_A),
    Call("drawing-thumbnail", "GET", "/api/drawings/{drawing_id}/thumbnail.png", "dA",
         PARTIES_A),
    Call("drawing-context", "GET", "/api/drawings/{drawing_id}/context", "dA", PARTIES_A),
    Call("submission-events", "GET", "/api/submissions/{submission_id}/events", "sA",
         PARTIES_A, params=_query(since=0)),
    Call("list-users", "GET", "/api/users", None, cells(ONLY, admin=200)),
    Call("create-user", "POST", "/api/users", None, cells(ONLY, admin=201), json=_new_user),
    Call("change-user", "PATCH", "/api/users/{user_id}", "target_user",
         cells(ONLY, admin=200), json=lambda w: {"active": True}),
)

KNOWN_BUGS: dict[tuple[str, str], str] = {
}
"""Cells that fail because of a bug outside the access rules: (call, check) → the fix."""


def known_bug(call: Call, check: str) -> list[pytest.MarkDecorator]:
    """A strict xfail mark for a documented bug (it turns into a failure once fixed)."""
    reason = KNOWN_BUGS.get((call.name, check))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


# ---------------------------------------------------------------------------------------------
# the world


def _ok(r: httpx.Response, status: int) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


def _submitted(p: Platform, project_id: int, user: str = "applicant") -> int:
    """A new round of the project, processed (eager pipeline); its id."""
    sub = _ok(p.submit(project_id, package_zip("residential_tower_violations"), user=user), 201)
    state = _ok(p.as_(user)("get", f"/api/submissions/{sub['id']}"), 200)
    assert state["processing"] == "done", state
    return int(sub["id"])


def _drawing(p: Platform, submission_id: int, discipline: str) -> int:
    state = _ok(p.as_("bureau")("get", f"/api/submissions/{submission_id}"), 200)
    return int(next(d["id"] for d in state["drawings"] if d["discipline"] == discipline))


def _finding(p: Platform, submission_id: int, discipline: str) -> int:
    found = _ok(p.as_("bureau")("get", f"/api/submissions/{submission_id}/findings"), 200)
    return int(next(f["id"] for f in found if f["discipline"] == discipline))


def _accept(p: Platform, submission_id: int) -> None:
    _ok(p.as_("bureau")("post", f"/api/submissions/{submission_id}/intake",
                        json={"decision": "accept"}), 200)


def _decide(p: Platform, submission_id: int, marker: str) -> tuple[int, str]:
    """Five "revise" opinions (fire's names a finding) and the bureau's consolidated opinion;
    the id and verification code of the issued document."""
    fire_finding = _finding(p, submission_id, "fire")
    for dept in DEPARTMENTS:
        item: dict[str, Any] = {"text": f"{marker}-{dept}"}
        if dept == "fire":
            item["finding_id"] = fire_finding
        _ok(p.as_(f"reviewer-{dept}")("post", f"/api/submissions/{submission_id}/opinions",
                                       json={"department": dept, "verdict": "revise",
                                             "items": [item]}), 201)
    doc = _ok(p.as_("bureau")("post", f"/api/submissions/{submission_id}/consolidated-opinion",
                              json={"decision": "revise", "note": "请按意见修改"}), 201)
    return int(doc["id"]), str(doc["verification_code"])


def build_world(p: Platform) -> World:
    """Firm A's rounds A (in review), C (decided, rated) and D2 (second round, in review),
    firm B's round B at intake; then the objects the matrix acts on."""
    tag = uuid.uuid4().hex[:8]
    secrets = {
        "internal_annotation": f"内部标注-{tag}",
        "internal_reply": f"内部回复-{tag}",
        "opinion": f"消防部门意见-{tag}",
    }
    ids: dict[str, int] = {"pA": p.new_project("甲院一号楼"), "pC": p.new_project("甲院三号楼"),
                           "pD": p.new_project("甲院四号楼"),
                           "pB": p.new_project("乙院二号楼", user="applicant-other")}
    ids["sA"], ids["sC"] = _submitted(p, ids["pA"]), _submitted(p, ids["pC"])
    ids["sB"] = _submitted(p, ids["pB"], "applicant-other")
    d1 = _submitted(p, ids["pD"])
    for sub in (ids["sA"], ids["sC"], d1):
        _accept(p, sub)
    for suffix in "ABC":
        ids[f"d{suffix}"] = _drawing(p, ids[f"s{suffix}"], "fire")
        ids[f"f{suffix}"] = _finding(p, ids[f"s{suffix}"], "fire")
    ids["fJ"] = _finding(p, ids["sA"], "joint")

    fire = p.as_("reviewer-fire")
    annotations = f"/api/drawings/{ids['dA']}/annotations"
    ids["aPub"] = _ok(fire("post", annotations, json=_point("公开标注")), 201)["id"]
    ids["aMine"] = _ok(fire("post", annotations, json=_point("待撤回标注")), 201)["id"]
    internal = _point(secrets["internal_annotation"], internal=True)
    ids["aInt"] = _ok(fire("post", annotations, json=internal), 201)["id"]
    _ok(fire("post", f"/api/annotations/{ids['aInt']}/replies",
             json={"text": secrets["internal_reply"]}), 201)

    ids["docC"], code = _decide(p, ids["sC"], f"三号楼意见-{tag}")
    _decide(p, d1, f"四号楼一轮意见-{tag}")
    applicant = p.as_("applicant")
    _ok(applicant("post", f"/api/submissions/{ids['sC']}/rating",
                  json={"score": 1, "comment": "矩阵差评"}), 201)  # a low one tells supervisors
    item = _ok(applicant("get", f"/api/submissions/{ids['sC']}/items"), 200)[0]
    ids["item"] = int(item["source_id"])
    ids["sD2"] = _submitted(p, ids["pD"])
    _accept(p, ids["sD2"])
    carried = _ok(p.as_("bureau")("get", f"/api/submissions/{ids['sD2']}/carried"), 200)
    ids["cD"] = int(next(c["id"] for c in carried if c["discipline"] == "fire"))
    notes = _ok(p.as_("supervisor")("get", "/api/notifications"), 200)["notifications"]
    ids["nSup"] = int(notes[0]["id"])

    words = {"code": code, "chart": "on_time", "year": "2099", "item_type": item["source_type"],
             "static_file": "js/app.js"}
    client = TestClient(p.client.app, raise_server_exceptions=False)
    world = World(p, client, ids, words, secrets)
    _ok(fire("post", f"/api/submissions/{ids['sA']}/opinions", json=_fire_opinion(world)), 201)
    ids["target_user"] = _ok(p.as_("admin")("post", "/api/users", json=_new_user(world)), 201)["id"]
    return world


@contextmanager
def short_event_streams() -> Iterator[None]:
    """Event streams that poll a few times and end, instead of staying open for a minute:
    the access decision is made before the first byte, what a stream sends is checked too."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(viewer_api, "EVENT_LIFETIME_S", 0.2)
        mp.setattr(viewer_api, "POLL_INTERVAL_S", 0.05)
        yield


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with short_event_streams():
        yield build_world(make_platform(tmp_path_factory.mktemp("access")))


def perform(w: World, call: Call, role: str, object_id: int | None = None) -> httpx.Response:
    """Send ``call`` as ``role``; ``object_id`` replaces the target's id in the path."""
    path = call.route
    values: dict[str, Any] = {} if call.more is None else call.more(w)
    if call.param is not None:
        assert call.target is not None
        if object_id is not None:
            values[call.param] = object_id
        else:
            values[call.param] = w.ids.get(call.target, w.words.get(call.target))
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    headers: dict[str, str] = {}
    username = ROLES[role]
    if username is not None:
        if call.fresh_login:
            login = {"username": username, "password": PASSWORD}
            token = _ok(w.client.post("/api/auth/login", json=login), 200)["access_token"]
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers = w.p.login(username)
    r: httpx.Response = w.client.request(
        call.method, path, headers=headers,
        json=None if call.json is None else call.json(w),
        files=None if call.files is None else call.files(w),
        params=None if call.params is None else call.params(w),
    )
    if call.fresh_login and username is not None:
        w.p.tokens.pop(username, None)  # logout ended every login of the user, the cached one too
    return r


def as_role(w: World, role: str) -> Callable[..., httpx.Response]:
    """Requests as a logged-in matrix role (a server error is answered, not raised)."""
    username = ROLES[role]
    assert username is not None, "the anonymous caller has no login"
    headers = w.p.login(username)

    def call(method: str, url: str, **kw: Any) -> httpx.Response:
        r: httpx.Response = w.client.request(method, url, headers=headers, **kw)
        return r

    return call


def _answer(r: httpx.Response) -> tuple[int, Any]:
    """Status and body, for comparing two answers."""
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


# ---------------------------------------------------------------------------------------------
# S1: the matrix


def _matrix() -> Iterator[Any]:
    for call in CALLS:
        for role in ROLES:
            yield pytest.param(call, role, id=f"{call.name}-{role}")


@pytest.mark.parametrize(("call", "role"), _matrix())
def test_matrix_cell(world: World, call: Call, role: str) -> None:
    r = perform(world, call, role)
    assert r.status_code == call.expect[role], (
        f"{role} {call.method} {call.route} ({call.name}): expected {call.expect[role]}, "
        f"got {r.status_code} {r.text[:300]}"
    )


def declared_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the application answers, read from its routing table."""
    out = set()
    for ctx in iter_route_contexts(app.routes):
        if ctx.path is None:
            continue
        if isinstance(ctx.original_route, Mount):  # a folder of files: any path below it
            out.add(("GET", ctx.path.rstrip("/") + "/{path}"))
            continue
        for method in ctx.methods or {"GET"}:
            if method != "HEAD":
                out.add((method, ctx.path))
    return out


def test_every_route_is_in_the_matrix(world: World) -> None:
    declared = declared_routes(world.p.client.app)  # type: ignore[arg-type]
    spec = _ok(world.client.get("/api/openapi.json"), 200)
    documented = {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}
    covered = {(c.method, c.route) for c in CALLS}
    assert documented <= declared
    assert declared - covered == set(), "endpoints missing from the access matrix"
    assert covered - declared == set(), "matrix rows for endpoints that do not exist"


def test_every_row_expects_something_of_every_role() -> None:
    for call in CALLS:
        assert set(call.expect) == set(ROLES), call.name
        assert all(s in (200, 201, 204, 401, 403, 404, 409, 422) for s in call.expect.values())
        assert call.expect["anonymous"] in (200, 401), call.name
        assert (call.target is None) == (call.param is None), call.name


# ---------------------------------------------------------------------------------------------
# S2: hidden objects look exactly like missing ones


def _names_a_row(call: Call) -> bool:
    """Whether the call's path names a row whose visibility decides the answer (a public page
    that shows the same shell for any id does not)."""
    return PARAM_KIND.get(call.param or "") is not None and len(set(call.expect.values())) > 1


def _hidden_cases() -> Iterator[Any]:
    for call in CALLS:
        if not _names_a_row(call):
            continue
        kind = PARAM_KIND[call.param or ""]
        for role, hidden in HIDDEN.items():
            for label in sorted(hidden):
                if KIND[label] == kind:
                    yield pytest.param(call, role, label, id=f"{call.name}-{role}-{label}",
                                       marks=known_bug(call, "hidden"))


@pytest.mark.parametrize(("call", "role", "label"), _hidden_cases())
def test_hidden_object_is_answered_like_a_missing_one(
    world: World, call: Call, role: str, label: str
) -> None:
    hidden = _answer(perform(world, call, role, world.ids[label]))
    missing = _answer(perform(world, call, role, MISSING_ID))
    assert hidden[0] in (403, 404), hidden
    assert hidden == missing


def _same_but_id(a: tuple[int, Any], b: tuple[int, Any], id_a: int, id_b: int) -> bool:
    """Equal answers, once the id the caller sent is written the same way in both."""
    text_a = re.sub(rf"\b{id_a}\b", "ID", repr(a))
    text_b = re.sub(rf"\b{id_b}\b", "ID", repr(b))
    return text_a == text_b


@dataclass(frozen=True)
class IdInside:
    """A request with an id in its query or body rather than its path."""

    name: str
    role: str
    method: str
    path: Callable[[World], str]
    send: Callable[[int], dict[str, Any]]
    """The request's ``json`` or ``params`` carrying this id."""
    hidden: str | None
    """Label of an object of that kind hidden from ``role`` (None: there is none)."""


def _opinion_item(**ref: int) -> dict[str, Any]:
    return {"json": {"department": "fire", "verdict": "revise", "items": [{"text": "x", **ref}]}}


ID_INSIDE: tuple[IdInside, ...] = (
    IdInside("annotation-finding", "reviewer", "POST",
             lambda w: f"/api/drawings/{w.ids['dA']}/annotations",
             lambda i: {"json": _point("x", finding_id=i)}, "fB"),
    IdInside("opinion-item-finding", "reviewer", "POST",
             lambda w: f"/api/submissions/{w.ids['sA']}/opinions",
             lambda i: _opinion_item(finding_id=i), "fB"),
    IdInside("opinion-item-annotation", "reviewer", "POST",
             lambda w: f"/api/submissions/{w.ids['sA']}/opinions",
             lambda i: _opinion_item(annotation_id=i), None),
    IdInside("findings-of-drawing", "reviewer", "GET",
             lambda w: f"/api/submissions/{w.ids['sA']}/findings",
             lambda i: {"params": {"drawing_id": i}}, "dB"),
    IdInside("compare-with", "reviewer", "GET",
             lambda w: f"/api/drawings/{w.ids['dA']}/compare",
             lambda i: {"params": {"with": i}}, "dB"),
    IdInside("audit-of-submission", "supervisor", "GET", lambda w: "/api/audit",
             lambda i: {"params": {"submission_id": i}}, None),
    IdInside("audit-after", "supervisor", "GET", lambda w: "/api/audit",
             lambda i: {"params": {"after_seq": i}}, None),
    IdInside("notifications-before", "supervisor", "GET", lambda w: "/api/notifications",
             lambda i: {"params": {"before_id": i}}, None),
    IdInside("events-since", "supervisor", "GET", lambda w: "/api/supervision/events",
             lambda i: {"params": {"since": i}}, None),
)
"""Ids inside requests: hidden ones must look missing, impossible ones must not reach the
database."""


def _send(w: World, req: IdInside, object_id: int) -> tuple[int, Any]:
    return _answer(as_role(w, req.role)(req.method, req.path(w), **req.send(object_id)))


@pytest.mark.parametrize(
    "req", [pytest.param(r, id=r.name) for r in ID_INSIDE if r.hidden is not None]
)
def test_hidden_ids_inside_requests_are_answered_like_missing_ones(
    world: World, req: IdInside
) -> None:
    assert req.hidden is not None and req.hidden in HIDDEN[req.role]
    hidden_id = world.ids[req.hidden]
    hidden, missing = _send(world, req, hidden_id), _send(world, req, MISSING_ID)
    assert hidden[0] < 500 and _same_but_id(hidden, missing, hidden_id, MISSING_ID), (
        hidden, missing)


OVERFLOW_IDS = (2**31, 2**63, 10**30)
"""Ids past every database integer: valid JSON and query numbers all the same."""
ID_INSIDE_BUGS: dict[str, str] = {
}
"""Known failures, each fixed by bounding the field (``le=access.MAX_ID``) in its schema or
``Query``: (request) → where."""


@pytest.mark.parametrize(
    "req",
    [pytest.param(r, id=r.name, marks=[pytest.mark.xfail(strict=True, reason=ID_INSIDE_BUGS[r.name])]
                  if r.name in ID_INSIDE_BUGS else []) for r in ID_INSIDE],
)
def test_impossible_ids_inside_requests_never_reach_the_database(
    world: World, req: IdInside
) -> None:
    missing = _send(world, req, MISSING_ID)
    for bad in OVERFLOW_IDS:
        answer = _send(world, req, bad)
        assert answer[0] < 500, (bad, answer)
        assert answer[0] in (404, 422) or _same_but_id(answer, missing, bad, MISSING_ID), (
            bad, answer, missing)


def _impossible_cases() -> Iterator[Any]:
    for call in CALLS:
        if not _names_a_row(call):
            continue
        role = next(r for r, status in call.expect.items() if status not in (401, 403, 404))
        yield pytest.param(call, role, id=f"{call.name}-{role}", marks=known_bug(call, "impossible"))


def check_impossible_ids(w: World, call: Call, role: str) -> None:
    """Ids no row can have are answered like a missing id, by a role that may act."""
    missing = _answer(perform(w, call, role, MISSING_ID))
    assert missing[0] == 404, missing
    for bad in IMPOSSIBLE_IDS:
        assert _answer(perform(w, call, role, bad)) == missing, bad


@pytest.mark.parametrize(("call", "role"), _impossible_cases())
def test_impossible_ids_are_missing_ids(world: World, call: Call, role: str) -> None:
    check_impossible_ids(world, call, role)


@pytest.fixture(scope="module")
def pg_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """An empty platform on PostgreSQL: every id names nothing there."""
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    with fresh_postgres() as url, short_event_streams():
        p = make_platform(tmp_path_factory.mktemp("access-pg"), database_url=url, eager=False)
        ids = dict.fromkeys([*KIND, "item"], MISSING_ID)
        words = {"code": "none", "chart": "on_time", "year": "2099", "item_type": "finding",
                 "static_file": "js/app.js"}
        yield World(p, TestClient(p.client.app, raise_server_exceptions=False), ids, words,
                    {"opinion": "x"})
        p.runtime.db.dispose()


@pytest.mark.parametrize(("call", "role"), _impossible_cases())
def test_impossible_ids_are_missing_ids_on_postgresql(
    pg_world: World, call: Call, role: str
) -> None:
    check_impossible_ids(pg_world, call, role)


# ---------------------------------------------------------------------------------------------
# S3: what applicants receive


APPLICANTS = ("applicant", "colleague")
AUTHORITIES = ("reviewer", "reviewer_other", "bureau", "supervisor")


def test_internal_annotations_reach_only_the_authorities(world: World) -> None:
    path = f"/api/drawings/{world.ids['dA']}/annotations"
    for role in APPLICANTS:
        rows = _ok(as_role(world, role)("get", path), 200)
        got = {a["id"] for a in rows}
        assert world.ids["aPub"] in got and world.ids["aInt"] not in got, role
        assert not any(a["internal"] for a in rows), role
    for role in AUTHORITIES:
        got = {a["id"] for a in _ok(as_role(world, role)("get", path), 200)}
        assert {world.ids["aPub"], world.ids["aInt"]} <= got, role


def test_department_opinions_reach_the_applicant_after_the_decision(world: World) -> None:
    in_review = f"/api/submissions/{world.ids['sA']}/opinions"
    decided = f"/api/submissions/{world.ids['sC']}/opinions"
    items = f"/api/submissions/{world.ids['sA']}/items"
    for role in APPLICANTS:
        user = as_role(world, role)
        assert _ok(user("get", in_review), 200) == [], role
        assert _ok(user("get", items), 200) == [], role
        assert {o["department"] for o in _ok(user("get", decided), 200)} == set(DEPARTMENTS)
    for role in AUTHORITIES:
        opinions = _ok(as_role(world, role)("get", in_review), 200)
        assert [o["department"] for o in opinions] == ["fire"], role
        assert opinions[0]["items"][0]["text"] == world.secrets["opinion"]


def readable_text(r: httpx.Response) -> str:
    """The answer as text; a zip answer (BCF, the case archive) with every member unpacked,
    since a text deflated inside a zip is not found in its raw bytes."""
    if not r.content.startswith(b"PK\x03\x04"):
        return r.text
    parts = []
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        for info in zf.infolist():
            parts.append(zf.read(info).decode("utf-8", "replace"))
    return "\n".join(parts)


def test_no_applicant_answer_carries_internal_text(world: World) -> None:
    """Every readable endpoint (the exports unpacked), as each applicant of firm A: no internal
    text anywhere."""
    reads = [c for c in CALLS if c.method == "GET"]
    for role in APPLICANTS:
        for call in reads:
            body = readable_text(perform(world, call, role))
            for what, secret in world.secrets.items():
                assert secret not in body, f"{what} leaked to {role} by {call.name}"


def test_the_authorities_do_receive_the_internal_texts(world: World) -> None:
    """The leak test above would pass on empty answers; this proves the texts are there."""
    by_name = {c.name: c for c in CALLS}
    annotations = perform(world, by_name["annotations"], "reviewer").text
    assert world.secrets["internal_annotation"] in annotations
    assert world.secrets["internal_reply"] in annotations
    assert world.secrets["opinion"] in perform(world, by_name["opinions"], "bureau").text
    archive = readable_text(perform(world, by_name["export-archive"], "reviewer"))
    assert world.secrets["internal_annotation"] in archive


def _stream_changes(w: World, role: str) -> list[dict[str, Any]]:
    """The ``change`` events a role's live stream of round A sends from the start."""
    call = next(c for c in CALLS if c.name == "submission-events")
    r = perform(w, call, role)
    assert r.status_code == 200, r.text
    changes = []
    for block in r.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "change":
            changes.append(json.loads(lines["data"]))
    return changes


def test_live_streams_tell_applicants_only_what_they_may_see(world: World) -> None:
    """The viewer's event stream names objects; internal annotations and department opinions
    must not even be announced to the applicant."""
    internal = str(world.ids["aInt"])

    def told(changes: list[dict[str, Any]]) -> tuple[bool, bool]:
        opinion = any(c["action"].startswith("opinion.") for c in changes)
        note = any(c["object_type"] == "annotation" and c["object_id"] == internal
                   for c in changes)
        return opinion, note

    for role in APPLICANTS:
        changes = _stream_changes(world, role)
        assert changes, role  # the stream does report the round's public changes
        assert told(changes) == (False, False), role
    assert told(_stream_changes(world, "reviewer")) == (True, True)


def test_lists_hold_only_what_the_role_may_see(world: World) -> None:
    ids = world.ids
    firm_a = {ids["pA"], ids["pC"], ids["pD"]}
    expect_projects = {
        "applicant": (firm_a, {ids["pB"]}),
        "colleague": (firm_a, {ids["pB"]}),
        "other_firm": ({ids["pB"]}, firm_a),
        "reviewer": (firm_a, {ids["pB"]}),
        "reviewer_other": (firm_a, {ids["pB"]}),
        "bureau": (firm_a | {ids["pB"]}, set()),
        "supervisor": (firm_a | {ids["pB"]}, set()),
        "admin": (set(), firm_a | {ids["pB"]}),
    }
    expect_submissions = {
        "applicant": ({ids["sA"], ids["sC"], ids["sD2"]}, {ids["sB"]}),
        "colleague": ({ids["sA"], ids["sC"], ids["sD2"]}, {ids["sB"]}),
        "other_firm": ({ids["sB"]}, {ids["sA"], ids["sC"], ids["sD2"]}),
        "reviewer": ({ids["sA"], ids["sC"], ids["sD2"]}, {ids["sB"]}),
        "reviewer_other": ({ids["sA"], ids["sC"], ids["sD2"]}, {ids["sB"]}),
        "bureau": ({ids["sA"], ids["sB"], ids["sC"], ids["sD2"]}, set()),
        "supervisor": ({ids["sA"], ids["sB"], ids["sC"], ids["sD2"]}, set()),
        "admin": (set(), {ids["sA"], ids["sB"], ids["sC"], ids["sD2"]}),
    }
    for role, (present, absent) in expect_projects.items():
        user = as_role(world, role)
        projects = _ok(user("get", "/api/projects"), 200)
        got = {p["id"] for p in projects}
        assert present <= got and not absent & got, role
        nested = {s["id"] for p in projects for s in p["submissions"]}
        assert not nested & expect_submissions[role][1], role
        subs = {s["id"] for s in _ok(user("get", "/api/submissions"), 200)}
        assert expect_submissions[role][0] <= subs and not expect_submissions[role][1] & subs, role
    assert _ok(world.p.as_("admin")("get", "/api/projects"), 200) == []


def test_a_firms_projects_list_only_that_firm(world: World) -> None:
    """Whatever the matrix created meanwhile, an applicant's lists hold only the own firm."""
    for role in ("applicant", "colleague", "other_firm"):
        user = as_role(world, role)
        firm = _ok(user("get", "/api/auth/me"), 200)["organization"]
        assert {p["organization"] for p in _ok(user("get", "/api/projects"), 200)} == {firm}
        assert {s["organization"] for s in _ok(user("get", "/api/submissions"), 200)} == {firm}


def test_the_world_is_what_the_matrix_assumes(world: World) -> None:
    """The states the matrix rows rely on (a failing row then points at the world, not at
    the access rules)."""
    bureau = world.p.as_("bureau")
    status = {k: _ok(bureau("get", f"/api/submissions/{world.ids[k]}"), 200)["status"]
              for k in ("sA", "sB", "sC", "sD2")}
    assert status == {"sA": "in_review", "sB": "intake", "sC": "revising", "sD2": "in_review"}
