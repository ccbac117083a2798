"""Input validation of the JSON and form bodies: unstorable text, missing form fields, and
the login checked before an upload's body is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.harness import Platform, make_platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    return make_platform(tmp_path_factory.mktemp("inputs"))


@pytest.mark.parametrize("raw", ['"a\\u0000b"', '"a\\ud800b"'])
def test_unstorable_text_is_422(platform: Platform, raw: str) -> None:
    r = platform.client.post(
        "/api/projects",
        content=('{"name": ' + raw + "}").encode(),
        headers=platform.login("applicant") | {"content-type": "application/json"},
    )
    assert r.status_code == 422, r.text


def test_upload_without_the_package_field(platform: Platform) -> None:
    pid = platform.new_project("字段缺失")
    r = platform.client.post(
        f"/api/projects/{pid}/submissions",
        headers=platform.login("applicant"),
        files={"other": ("x.zip", b"PK", "application/zip")},
    )
    assert r.status_code == 422
    assert r.json()["detail"]["problems"][0]["where"] == "package"


def test_upload_needs_login_before_anything(platform: Platform, tmp_path: Path) -> None:
    pid = platform.new_project("未登录")
    r = platform.client.post(
        f"/api/projects/{pid}/submissions",
        files={"package": ("x.zip", b"PK" * 1000, "application/zip")},
    )
    assert r.status_code == 401
    r = platform.client.post(
        f"/api/projects/{pid}/submissions",
        headers=platform.login("reviewer-fire"),
        files={"package": ("x.zip", b"PK", "application/zip")},
    )
    assert r.status_code == 403


def test_openapi_documents_the_upload_field(platform: Platform) -> None:
    spec = platform.client.get("/api/openapi.json").json()
    body = spec["paths"]["/api/projects/{project_id}/submissions"]["post"]["requestBody"]
    assert "package" in body["content"]["multipart/form-data"]["schema"]["properties"]
