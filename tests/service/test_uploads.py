"""Upload validation through the real API (SQLite, eager pipeline).

What an applicant's upload must never do (RELIABILITY.md §0.10, §1.1, §1.4, §4.3): fill the disk
past the size limit, inflate a zip bomb, write outside the extraction folder, or leave half a
package behind. Every refusal is checked twice: the answer (413 or 422 with every problem, each
with ``where``, ``message`` and ``message_en``) and the state afterwards (no new submission or
drawing rows, no new stored files).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import stat
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from review_api.app import create_app
from review_api.models import Drawing, Submission, UploadAttempt
from review_api.storage import LocalStorage, StorageError
from tests.service.harness import Platform, make_platform, package_zip

SMALL_LIMIT = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
BOMB_BYTES = 24 * 1024 * 1024


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    return make_platform(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="module")
def project(platform: Platform) -> int:
    return platform.new_project("上传校验项目")


def sample_members() -> dict[str, bytes]:
    """The members of the clean sample package, to build bad packages from."""
    with zipfile.ZipFile(io.BytesIO(package_zip())) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def make_zip(
    members: dict[str, bytes],
    *,
    symlinks: dict[str, str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A zip of ``members`` (names written exactly as given) plus symbolic-link members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = compression
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            info.create_system = 3
            zf.writestr(info, target)
    return buf.getvalue()


def patch_sizes(data: bytes, name: str, *, compressed: int | None = None,
                uncompressed: int | None = None) -> bytes:
    """Rewrite the sizes a zip declares for ``name`` (local header and central directory),
    leaving the compressed bytes alone: how a bomb lies about itself."""
    out = bytearray(data)
    raw = name.encode()
    # signature, offset of the name length, offset of the name, offset of the compressed size
    for sig, len_at, name_at, comp_at in ((b"PK\x03\x04", 26, 30, 18),
                                          (b"PK\x01\x02", 28, 46, 20)):
        pos = out.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", out, pos + len_at)[0]
            if bytes(out[pos + name_at : pos + name_at + n]) == raw:
                if compressed is not None:
                    struct.pack_into("<I", out, pos + comp_at, compressed)
                if uncompressed is not None:
                    struct.pack_into("<I", out, pos + comp_at + 4, uncompressed)
            pos = out.find(sig, pos + 4)
    return bytes(out)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What an upload may create: submission and drawing rows, stored files."""

    submissions: int
    drawings: int
    keys: tuple[str, ...]


def snapshot(p: Platform) -> Snapshot:
    with p.runtime.db.session() as s:
        subs = s.scalar(select(func.count()).select_from(Submission)) or 0
        drawings = s.scalar(select(func.count()).select_from(Drawing)) or 0
    return Snapshot(subs, drawings, tuple(p.runtime.storage.list_keys("")))


def refused(p: Platform, project_id: int, body: bytes, status: int = 422) -> Any:
    """Upload ``body``; assert the status and that nothing was stored. Returns the JSON."""
    before = snapshot(p)
    r = p.submit(project_id, body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"  # the 413 of the body limit too
    assert snapshot(p) == before, "a refused upload left rows or files behind"
    return r.json()


def problems(answer: Any) -> list[dict[str, str]]:
    """The problem list of a 422 answer; every item says where, in Chinese and in English."""
    items = answer["detail"]["problems"]
    assert items, answer
    for item in items:
        assert set(item) == {"where", "message", "message_en"}, item
        assert item["where"] and item["message"] and item["message_en"], item
    return list(items)


def wheres(answer: Any) -> set[str]:
    return {item["where"] for item in problems(answer)}


# ---------------------------------------------------------------- size limit (413)


@pytest.fixture()
def small(tmp_path: Path) -> Platform:
    return make_platform(tmp_path, max_upload_bytes=SMALL_LIMIT)


def test_body_over_limit_with_content_length_is_413(small: Platform) -> None:
    project_id = small.new_project()
    body = package_zip()
    assert len(body) > SMALL_LIMIT
    answer = refused(small, project_id, body, status=413)
    assert str(SMALL_LIMIT) in answer["detail"]


def test_uploads_beyond_the_per_user_rate_are_429_before_the_body_is_read(
    tmp_path: Path,
) -> None:
    """S7: a user may start ``max_uploads_per_minute`` uploads a minute, refused ones too
    (checking a package costs as much as storing it); the next is 429 with Retry-After and
    stores nothing, another user is not affected, and the count empties with the minute."""
    p = make_platform(tmp_path, max_uploads_per_minute=3)
    project_id = p.new_project()
    assert [p.submit(project_id, b"not a zip").status_code for _ in range(3)] == [422] * 3
    answer = refused(p, project_id, package_zip(), status=429)
    assert "3" in answer["detail"]
    r = p.submit(project_id, package_zip())
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    other = p.new_project("同事的项目", user="applicant-colleague")
    assert p.submit(other, b"not a zip", user="applicant-colleague").status_code == 422
    with p.runtime.db.session() as s:  # a minute later
        s.execute(update(UploadAttempt).values(
            at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=61)))
    assert p.submit(project_id, package_zip()).status_code == 201


def _multipart_chunks(payload_size: int) -> Iterator[bytes]:
    """A multipart body sent as a stream: no Content-Length, only chunked transfer."""
    yield (
        b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"package\"; "
        b"filename=\"package.zip\"\r\nContent-Type: application/zip\r\n\r\n"
    )
    sent = 0
    while sent < payload_size:
        yield b"P" * 8192
        sent += 8192
    yield b"\r\n--XBOUNDARY--\r\n"


def test_chunked_body_over_limit_is_413(small: Platform) -> None:
    project_id = small.new_project()
    before = snapshot(small)
    headers = small.login("applicant") | {"content-type": "multipart/form-data; boundary=XBOUNDARY"}
    r = small.client.post(
        f"/api/projects/{project_id}/submissions",
        headers=headers,
        content=_multipart_chunks(4 * SMALL_LIMIT),
    )
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert r.status_code == 413, r.text
    assert str(SMALL_LIMIT) in r.json()["detail"]
    assert snapshot(small) == before


def test_chunked_json_body_over_limit_is_413(small: Platform) -> None:
    """Any endpoint, not just uploads: the limit is counted on the raw body."""
    headers = small.login("applicant") | {"content-type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(2 * SMALL_LIMIT // 4096):
            yield b"n" * 4096
        yield b'"}'

    r = small.client.post("/api/projects", headers=headers, content=chunks())
    assert r.status_code == 413, r.text


def test_body_under_limit_still_works(small: Platform) -> None:
    """The limit refuses what is over it, not every chunked request."""
    headers = small.login("applicant") | {"content-type": "application/json"}
    r = small.client.post("/api/projects", headers=headers, content=iter([b'{"name": "ok"}']))
    assert r.status_code == 201, r.text


# ---------------------------------------------------------------- zip bombs


def test_zip_bomb_by_ratio_is_refused(platform: Platform, project: int) -> None:
    members = sample_members()
    members["fire/bomb.dxf"] = bytes(BOMB_BYTES)
    answer = refused(platform, project, make_zip(members))
    assert "fire/bomb.dxf" in wheres(answer)


def test_zip_bomb_with_lying_compressed_size_is_refused(platform: Platform, project: int) -> None:
    """The directory claims a compressed size that makes the ratio look harmless; the archive
    is far too small to hold that many compressed bytes."""
    members = sample_members()
    members["fire/bomb.dxf"] = bytes(BOMB_BYTES)
    data = patch_sizes(make_zip(members), "fire/bomb.dxf", compressed=BOMB_BYTES)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("fire/bomb.dxf")
        assert info.file_size / info.compress_size < 2  # the ratio check alone is fooled
    answer = refused(platform, project, data)
    assert "fire/bomb.dxf" in wheres(answer)


def test_zip_member_larger_than_declared_is_refused(platform: Platform, project: int) -> None:
    """The directory claims a tiny uncompressed size; the data inflates to much more."""
    members = sample_members()
    members["fire/bomb.dxf"] = bytes(BOMB_BYTES)
    data = patch_sizes(make_zip(members), "fire/bomb.dxf", uncompressed=4096)
    answer = refused(platform, project, data)
    assert "fire/bomb.dxf" in wheres(answer)


def test_too_many_members_is_refused(platform: Platform, project: int) -> None:
    members = sample_members() | {f"fire/extra{i:04d}.dxf": b"0\r\nEOF\r\n" for i in range(600)}
    answer = refused(platform, project, make_zip(members))
    assert any("600" in p["message_en"] or "members" in p["message_en"] for p in problems(answer))


# ---------------------------------------------------------------- hostile names


def test_path_traversal_names_are_all_listed(platform: Platform, project: int) -> None:
    members = sample_members() | {
        "../x.dxf": b"x",
        "fire/../../escape.dxf": b"x",
        "/abs/x.dxf": b"x",
        "C:\\x.dxf": b"x",
        "..\\win.dxf": b"x",
    }
    data = make_zip(members, symlinks={"fire/link.dxf": "/etc/passwd"})
    answer = refused(platform, project, data)
    listed = wheres(answer)
    for name in ("../x.dxf", "fire/../../escape.dxf", "/abs/x.dxf", "C:\\x.dxf", "..\\win.dxf",
                 "fire/link.dxf"):
        assert name in listed, (name, listed)


def test_markup_in_member_names_stays_json_data(platform: Platform, project: int) -> None:
    hostile = "fire/<svg onload=alert(1)>.png"
    folder = "<img src=x onerror=alert(1)>"
    script = "lightning/<script>alert(1)<\\script>.dxf"
    members = sample_members() | {hostile: PNG, f"{folder}/a.dxf": b"x", script: b"<script>"}
    before = snapshot(platform)
    r = platform.submit(project, make_zip(members))
    assert r.status_code == 422, r.text
    assert snapshot(platform) == before
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    listed = wheres(r.json())
    assert hostile in listed and f"{folder}/" in listed, listed
    # the backslash is read as a folder separator: the name is kept as data, whole
    assert "lightning/<script>alert(1)<" in listed, listed


# ---------------------------------------------------------------- layout: every problem at once


def test_every_layout_problem_in_one_answer(platform: Platform, project: int) -> None:
    members = sample_members()
    del members["lightning/roof.dxf"]  # a missing discipline
    members["project.toml"] = b'[project]\nname = "x"\ndrawing_unit = "furlong"\n[planning\n'
    members["fire/notes.txt"] = "说明".encode()  # not a DXF in a discipline folder
    members["architecture/photo.dxf"] = PNG  # a PNG renamed to .dxf
    members["civil_defence/empty.dxf"] = b""  # an empty drawing
    members["misc/readme.txt"] = b"hello"  # an unknown folder
    members["stray.dxf"] = members["planning/site.dxf"]  # a drawing at the top
    answer = refused(platform, project, make_zip(members))
    listed = wheres(answer)
    expected = {
        "lightning/",
        "fire/notes.txt",
        "architecture/photo.dxf",
        "civil_defence/empty.dxf",
        "misc/",
        "stray.dxf",
    }
    assert expected <= listed, expected - listed
    assert any(w.startswith("project.toml") for w in listed), listed


@pytest.mark.parametrize(
    "project_toml",
    [
        pytest.param(b"\xff\xfe not utf-8", id="not-utf8"),
        pytest.param(b"[project\nname = ", id="not-toml"),
    ],
)
def test_bad_project_toml_is_named(platform: Platform, project: int, project_toml: bytes) -> None:
    members = sample_members() | {"project.toml": project_toml}
    assert any(w.startswith("project.toml") for w in wheres(refused(platform, project,
                                                                     make_zip(members))))


def test_missing_project_toml_and_all_disciplines(platform: Platform, project: int) -> None:
    answer = refused(platform, project, make_zip({"readme.txt": b"nothing here"}))
    listed = wheres(answer)
    assert {"project.toml", "planning/", "architecture/", "fire/", "civil_defence/",
            "lightning/"} <= listed, listed


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"this is not a zip file at all", id="text"),
        pytest.param(PNG, id="png"),
        pytest.param(b"", id="empty"),
        pytest.param(package_zip()[: len(package_zip()) // 2], id="truncated-zip"),
        pytest.param(package_zip()[-2000:], id="zip-tail-only"),
    ],
)
def test_not_a_zip_is_refused(platform: Platform, project: int, body: bytes) -> None:
    answer = refused(platform, project, body)
    assert problems(answer)


def test_corrupt_member_data_is_refused(platform: Platform, project: int) -> None:
    """A member whose compressed bytes are damaged (the CRC or the deflate stream fails)."""
    data = bytearray(make_zip(sample_members()))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("fire/plans.dxf")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 100, start + 400):
        data[i] ^= 0x5A
    answer = refused(platform, project, bytes(data))
    assert "fire/plans.dxf" in wheres(answer)


def test_encrypted_member_is_refused(platform: Platform, project: int) -> None:
    data = bytearray(make_zip(sample_members(), compression=zipfile.ZIP_STORED))
    # set the "encrypted" flag on every member: a client cannot give us the password
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        while pos >= 0:
            struct.pack_into("<H", data, pos + flag_at, struct.unpack_from("<H", data,
                                                                            pos + flag_at)[0] | 1)
            pos = data.find(sig, pos + 4)
    answer = refused(platform, project, bytes(data))
    assert "fire/plans.dxf" in wheres(answer)


def test_duplicate_and_clashing_names_are_refused(platform: Platform, project: int) -> None:
    members = sample_members()
    data = make_zip(members | {"fire/plans.dxf/inner.dxf": b"x"})
    answer = refused(platform, project, data)
    assert any(w.startswith("fire/plans.dxf") for w in wheres(answer))


def test_overlong_member_name_is_refused(platform: Platform, project: int) -> None:
    name = "fire/" + "长" * 200 + ".dxf"  # 600 bytes in UTF-8: no file system takes it
    answer = refused(platform, project, make_zip(sample_members() | {name: b"x"}))
    assert name in wheres(answer)


# ---------------------------------------------------------------- storage failure mid-way


class FailingStorage(LocalStorage):
    """A local store whose ``put_file`` fails on the ``fail_on``-th call (disk gone)."""

    def __init__(self, root: Path, fail_on: int) -> None:
        super().__init__(root)
        self.calls = 0
        self.fail_on = fail_on

    def put_file(self, key: str, src: Path) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise StorageError(f"cannot store key {key!r}: no space left on device")
        super().put_file(key, src)


def with_storage(p: Platform, storage: LocalStorage) -> Platform:
    """The same platform (database, settings, users) served with another storage."""
    from tasks import pipeline

    rt = dataclasses.replace(p.runtime, storage=storage)
    pipeline.set_runtime(rt)
    return Platform(p.settings, rt, TestClient(create_app(p.settings, rt)))


@pytest.mark.parametrize("fail_on", [1, 3, 6])  # the zip, then the five drawings
def test_storage_failure_while_storing_is_503_and_nothing_stays(
    tmp_path: Path, fail_on: int
) -> None:
    base = make_platform(tmp_path)
    storage = FailingStorage(base.settings.files_dir, fail_on=fail_on)
    p = with_storage(base, storage)
    project_id = p.new_project()
    before = snapshot(p)
    r = p.submit(project_id, package_zip())
    assert r.status_code == 503, r.text
    assert r.headers.get("retry-after")
    assert storage.calls == fail_on
    assert snapshot(p) == before, "half a package was left behind"


def test_valid_package_is_stored_after_refusals(tmp_path: Path) -> None:
    """The control: the same checks see what an accepted upload creates (so the refusal
    tests would notice a leftover), and a failed attempt does not block the next one."""
    base = make_platform(tmp_path)
    p = with_storage(base, FailingStorage(base.settings.files_dir, fail_on=2))
    project_id = p.new_project()
    before = snapshot(p)
    assert p.submit(project_id, package_zip()).status_code == 503
    r = p.submit(project_id, package_zip())
    assert r.status_code == 201, r.text
    after = snapshot(p)
    assert after.submissions == before.submissions + 1
    assert after.drawings == before.drawings + 5
    assert len(after.keys) > len(before.keys)


def test_cleanup_failure_does_not_hide_the_storage_error(tmp_path: Path) -> None:
    """The store goes down for good mid-way: removing the part stored fails as well; the
    answer is still the 503 of the first failure, not a 500."""

    class DownStorage(FailingStorage):
        def delete_prefix(self, prefix: str) -> None:
            raise StorageError("storage unreachable")

    base = make_platform(tmp_path)
    p = with_storage(base, DownStorage(base.settings.files_dir, fail_on=3))
    project_id = p.new_project()
    r = p.submit(project_id, package_zip())
    assert r.status_code == 503, r.text
    assert "no space left" in r.json()["reason"]
    with p.runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


def test_package_zipped_by_finder_or_explorer_is_accepted(platform: Platform) -> None:
    """OS metadata (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``), Windows separators and GBK
    names without the UTF-8 flag (Chinese Windows) are not problems of the package; the
    drawings are stored under the names their authors gave them, the metadata is not."""
    project_id = platform.new_project("访达压缩")
    gbk = "建筑平面".encode("gbk")
    placeholder = "A" * len(gbk) + ".dxf"
    members = {f"tower/{name}": data for name, data in sample_members().items()}
    members[f"tower/architecture/{placeholder}"] = members.pop("tower/architecture/plans.dxf")
    members = {name.replace("/", "\\") if name.startswith("tower/fire") else name: data
               for name, data in members.items()}
    members |= {
        "__MACOSX/tower/._project.toml": b"\x00\x05\x16\x07",
        "tower/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "tower/fire/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "tower/planning/Thumbs.db": b"\xd0\xcf\x11\xe0",
    }
    data = make_zip(members)
    # the name bytes as Explorer writes them: GBK, and no UTF-8 flag
    data = data.replace(f"architecture/{placeholder}".encode(), b"architecture/" + gbk + b".dxf")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "tower/architecture/建筑平面.dxf" not in zf.namelist()  # zipfile reads CP437
    before = snapshot(platform)
    r = platform.submit(project_id, data)
    assert r.status_code == 201, r.text
    after = snapshot(platform)
    assert after.drawings == before.drawings + 5
    state = platform.as_("applicant")("get", f"/api/submissions/{r.json()['id']}").json()
    expected = {name for name in sample_members() if name.endswith(".dxf")}
    expected = expected - {"architecture/plans.dxf"} | {"architecture/建筑平面.dxf"}
    assert {d["file"] for d in state["drawings"]} == expected
