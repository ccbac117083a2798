"""The viewer's endpoints over HTTP (no browser): payload, thumbnail, context, live events.

On the test harness's platform (SQLite, eager pipeline) with the pages mounted, as
``create_app`` mounts them.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from review_api.models import User
from tests.service.harness import Platform, make_platform, package_zip
from viewer.api import _open_stream, _poll, payload_keys, prepare_drawing
from viewer.vector import MAGIC
from viewer.web import mount


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    p = make_platform(tmp_path_factory.mktemp("viewer-api"))
    mount(p.client.app)  # type: ignore[arg-type]
    mount(p.client.app)  # type: ignore[arg-type]  # a second call changes nothing
    return p


@pytest.fixture(scope="module")
def submission(platform: Platform) -> dict[str, Any]:
    project_id = platform.new_project("看图接口测试")
    r = platform.submit(project_id, package_zip("residential_tower"))
    assert r.status_code == 201, r.text
    state: dict[str, Any] = platform.as_("applicant")("get", f"/api/submissions/{r.json()['id']}").json()
    assert state["processing"] == "done"
    return state


def drawing_id(sub: dict[str, Any], discipline: str = "fire") -> int:
    found: int = next(d["id"] for d in sub["drawings"] if d["discipline"] == discipline)
    return found


def test_pages_and_static_files_are_served_with_the_csp(platform: Platform) -> None:
    for path in ("/", "/login", "/viewer/1"):
        r = platform.client.get(path)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<script type=\"module\" src=\"/static/js/app.js\">" in r.text
    assert platform.client.get("/static/js/viewer/canvas.js").status_code == 200
    zh = platform.client.get("/static/i18n/zh-CN.json").json()
    en = platform.client.get("/static/i18n/en.json").json()
    assert set(zh) == set(en) and zh["app.name"] == "联审平台"
    assert platform.client.get("/static/../review_api/settings.py").status_code == 404


def test_vector_payload_is_gzipped_cached_and_validated(platform: Platform, submission: dict[str, Any]) -> None:
    did = drawing_id(submission)
    storage = platform.runtime.storage
    keys = payload_keys(did)
    for key in (keys.raw, keys.gz):
        if storage.exists(key):
            storage.delete(key)
    bureau = platform.as_("bureau")
    r = bureau("get", f"/api/drawings/{did}/vector", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.headers["content-encoding"] == "gzip"
    assert r.content[:4] == MAGIC  # httpx decodes the gzip body
    assert storage.exists(keys.raw) and storage.exists(keys.gz)
    assert gzip.decompress(storage.get_bytes(keys.gz)) == storage.get_bytes(keys.raw) == r.content
    raw = bureau("get", f"/api/drawings/{did}/vector", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.content == r.content
    etag = r.headers["etag"]
    again = bureau("get", f"/api/drawings/{did}/vector", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    size = int.from_bytes(r.content[8:12], "little")
    head = json.loads(r.content[16 : 16 + size])
    assert head["file"] == "fire/plans.dxf" and head["counts"]["paths"] > 0


def test_prepare_drawing_stores_what_the_endpoint_serves(platform: Platform, submission: dict[str, Any]) -> None:
    from drawings.serialize import loads
    from review_api.models import Drawing

    did = drawing_id(submission, "planning")
    with platform.runtime.db.session() as s:
        d = s.get(Drawing, did)
        assert d is not None and d.model_key
        model = loads(platform.runtime.storage.get_bytes(d.model_key))
    prepare_drawing(platform.runtime.storage, did, model)
    stored = platform.runtime.storage.get_bytes(payload_keys(did).raw)
    served = platform.as_("applicant")("get", f"/api/drawings/{did}/vector")
    assert served.status_code == 200 and served.content == stored


def test_viewer_endpoints_hide_drawings_from_outsiders(platform: Platform, submission: dict[str, Any]) -> None:
    did = drawing_id(submission)
    for path in (f"/api/drawings/{did}/vector", f"/api/drawings/{did}/thumbnail.png",
                 f"/api/drawings/{did}/context"):
        assert platform.client.get(path).status_code == 401
        assert platform.as_("applicant-other")("get", path).status_code == 404
        assert platform.as_("applicant")("get", path).status_code == 200
    missing = platform.as_("bureau")("get", "/api/drawings/999999/vector")
    assert missing.status_code == 404


def test_thumbnail_is_a_png_and_context_lists_the_siblings(platform: Platform, submission: dict[str, Any]) -> None:
    did = drawing_id(submission)
    r = platform.as_("applicant")("get", f"/api/drawings/{did}/thumbnail.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert platform.runtime.storage.exists(payload_keys(did).thumb)
    ctx = platform.as_("applicant")("get", f"/api/drawings/{did}/context").json()
    assert ctx["drawing"]["id"] == did and ctx["submission"]["id"] == submission["id"]
    assert {d["discipline"] for d in ctx["drawings"]} == {
        "planning", "architecture", "fire", "civil_defence", "lightning"
    }


def _user(platform: Platform, username: str) -> User:
    from sqlalchemy import select

    with platform.runtime.db.session() as s:
        u = s.scalar(select(User).where(User.username == username))
        assert u is not None
        s.expunge(u)
        return u


def test_event_polls_report_changes_to_each_party_as_allowed(platform: Platform, submission: dict[str, Any]) -> None:
    rt = platform.runtime
    sid = submission["id"]
    did = drawing_id(submission)
    platform.as_("bureau")("post", f"/api/submissions/{sid}/intake", json={"decision": "accept"})
    platform.login("reviewer-architecture")
    platform.login("applicant")
    arch = _open_stream(rt, platform.tokens["reviewer-architecture"], sid, None)
    appl = _open_stream(rt, platform.tokens["applicant"], sid, None)
    first = _poll(rt, arch)
    assert [kind for kind, _ in first] == ["status"]
    assert first[0][1]["status"] == "in_review" and first[0][1]["processing"] == "done"
    _poll(rt, appl)

    fire = platform.as_("reviewer-fire")
    public = fire("post", f"/api/drawings/{did}/annotations", json={
        "geometry": {"type": "Point", "coordinates": [1.0, 2.0]}, "text": "公开批注", "kind": "text"})
    internal = fire("post", f"/api/drawings/{did}/annotations", json={
        "geometry": {"type": "Point", "coordinates": [3.0, 4.0]}, "text": "内部批注", "kind": "text",
        "internal": True})
    assert public.status_code == internal.status_code == 201
    fire("post", f"/api/submissions/{sid}/opinions", json={"department": "fire", "verdict": "pass", "items": []})

    seen = {(e["action"], e["object_id"], e["drawing_id"]) for kind, e in _poll(rt, arch) if kind == "change"}
    assert ("annotation.create", str(public.json()["id"]), did) in seen
    assert ("annotation.create", str(internal.json()["id"]), did) in seen
    assert any(action == "opinion.give" for action, _, _ in seen)
    told = {(e["action"], e["object_id"]) for kind, e in _poll(rt, appl) if kind == "change"}
    assert ("annotation.create", str(public.json()["id"])) in told
    assert ("annotation.create", str(internal.json()["id"])) not in told
    assert not any(action == "opinion.give" for action, _ in told)
    assert _poll(rt, arch) == []  # nothing new: the cursor moved on


def test_event_stream_refuses_bad_tokens_and_invisible_submissions(platform: Platform, submission: dict[str, Any]) -> None:
    sid = submission["id"]
    assert platform.client.get(f"/api/submissions/{sid}/events").status_code == 401
    assert platform.client.get(f"/api/submissions/{sid}/events?token=nope").status_code == 401
    platform.login("applicant-other")
    other = platform.tokens["applicant-other"]
    r = platform.client.get(f"/api/submissions/{sid}/events", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 404


def test_static_translations_cover_every_key_used_by_the_scripts() -> None:
    import re

    static = Path(__file__).resolve().parents[2] / "viewer" / "static"
    zh = json.loads((static / "i18n" / "zh-CN.json").read_text(encoding="utf-8"))
    used: set[str] = set()
    for js in (static / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt\(\"([a-z_]+\.[a-z_.]+)\"", js.read_text(encoding="utf-8")))
    assert used and not (used - set(zh)), sorted(used - set(zh))
