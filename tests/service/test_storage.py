"""The storage layer on both backends: local files and a real S3-compatible server (moto)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from review_api.settings import Settings
from review_api.storage import (
    CHUNK_SIZE,
    LocalStorage,
    ObjectMissing,
    S3Storage,
    Storage,
    StorageError,
    storage_from_settings,
    validate_key,
)
from tests.service.s3server import S3Server, free_port, s3_server, unique_bucket

__all__ = ["s3_server"]  # the imported fixture is used by name, not referenced

BIG = 20 * 1024 * 1024

HOSTILE_KEYS = [
    "../x",
    "../../etc/passwd",
    "/abs",
    "a//b",
    "a/../b",
    "a/..",
    "..",
    "a/./b",
    "a/",
    "",
    "a\x00b",
    "a\\b",
    "..\\x",
    "x" * 600,
    "图纸/平面图.dxf",
    "a b",
    "a\nb",
]


def make_s3(
    server: S3Server, bucket: str | None = None, region: str | None = None, max_attempts: int = 5
) -> S3Storage:
    """An ``S3Storage`` on ``server``, in a fresh bucket unless one is named."""
    return S3Storage(
        bucket or unique_bucket(),
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        region=region or server.region,
        max_attempts=max_attempts,
    )


def raw_client(server: S3Server) -> Any:
    """A plain boto3 client, to look at the server without going through ``S3Storage``."""
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each test taking ``store`` runs once per backend."""
    if request.param == "local":
        return LocalStorage(tmp_path / "root")
    server: S3Server = request.getfixturevalue("s3_server")
    return make_s3(server)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20 MB file of random bytes (large enough for a multipart upload)."""
    path = tmp_path_factory.mktemp("big") / "big.bin"
    with path.open("wb") as out:
        for _ in range(BIG // CHUNK_SIZE):
            out.write(os.urandom(CHUNK_SIZE))
    return path


def sha256(path: Path) -> str:
    """Digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def files_under(folder: Path) -> set[Path]:
    """Every file and folder below ``folder``."""
    return set(folder.rglob("*"))


def test_both_backends_follow_the_protocol(store: Storage) -> None:
    assert isinstance(store, Storage)


def test_bytes_round_trip(store: Storage) -> None:
    store.put_bytes("projects/1/notes.txt", "审查意见".encode())
    assert store.get_bytes("projects/1/notes.txt").decode() == "审查意见"
    assert store.exists("projects/1/notes.txt")
    assert store.size("projects/1/notes.txt") == len("审查意见".encode())

    store.put_bytes("projects/1/notes.txt", b"replaced")
    assert store.get_bytes("projects/1/notes.txt") == b"replaced"

    store.put_bytes("empty", b"")
    assert store.get_bytes("empty") == b""
    assert store.size("empty") == 0
    assert b"".join(store.open_stream("empty")) == b""


def test_big_file_round_trip_is_streamed(store: Storage, big_file: Path, tmp_path: Path) -> None:
    store.put_file("uploads/7/big.bin", big_file)
    assert store.size("uploads/7/big.bin") == BIG

    dest = tmp_path / "out" / "big.bin"
    tracemalloc.start()
    try:
        store.fetch("uploads/7/big.bin", dest)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sha256(dest) == sha256(big_file)
    assert peak < BIG // 2, f"fetch held {peak} bytes in memory at once"
    assert [p.name for p in dest.parent.iterdir()] == ["big.bin"]  # no temp file left

    digest = hashlib.sha256()
    chunks = 0
    for chunk in store.open_stream("uploads/7/big.bin"):
        assert 0 < len(chunk) <= CHUNK_SIZE
        digest.update(chunk)
        chunks += 1
    assert chunks >= BIG // CHUNK_SIZE
    assert digest.hexdigest() == sha256(big_file)


def test_big_file_goes_up_as_multipart_upload(s3_server: S3Server, big_file: Path) -> None:
    store = make_s3(s3_server)
    store.put_file("uploads/8/big.bin", big_file)
    head = raw_client(s3_server).head_object(Bucket=store.bucket, Key="uploads/8/big.bin")
    assert "-" in head["ETag"], "a multipart upload has an ETag of the form md5-partcount"


def test_listing_and_deletion(store: Storage) -> None:
    for key in ["a/1", "a/2", "a/sub/3", "ab/4", "b/5"]:
        store.put_bytes(key, key.encode())

    assert store.list_keys("a") == ["a/1", "a/2", "a/sub/3"]
    assert store.list_keys("a/") == ["a/1", "a/2", "a/sub/3"]
    assert store.list_keys("a/sub") == ["a/sub/3"]
    assert store.list_keys("") == ["a/1", "a/2", "a/sub/3", "ab/4", "b/5"]
    assert store.list_keys("nothing/here") == []

    store.delete("a/1")
    store.delete("a/1")  # already gone: not an error
    store.delete("never/stored")
    assert not store.exists("a/1")
    assert store.list_keys("a") == ["a/2", "a/sub/3"]

    store.delete_prefix("a")
    assert store.list_keys("a") == []
    assert not store.exists("a/sub/3")
    assert store.list_keys("") == ["ab/4", "b/5"], "a sibling sharing the name start survives"
    store.delete_prefix("nothing/here")

    with pytest.raises(StorageError, match="empty prefix"):
        store.delete_prefix("")
    assert store.list_keys("") == ["ab/4", "b/5"]


def test_missing_key_is_object_missing_naming_the_key(store: Storage, tmp_path: Path) -> None:
    key = "uploads/99/absent.dxf"
    readers: list[Callable[[], object]] = [
        lambda: store.get_bytes(key),
        lambda: store.size(key),
        lambda: store.open_stream(key),  # raised by the call itself, before any chunk
        lambda: store.fetch(key, tmp_path / "dest.dxf"),
    ]
    for read in readers:
        with pytest.raises(ObjectMissing, match="uploads/99/absent.dxf"):
            read()
    assert not store.exists(key)
    assert list(tmp_path.glob("dest*")) == [], "a failed fetch leaves no file behind"
    assert issubclass(ObjectMissing, StorageError)


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=repr)
def test_hostile_keys_are_refused(store: Storage, key: str, tmp_path: Path) -> None:
    before = files_under(tmp_path)
    operations: list[Callable[[], object]] = [
        lambda: store.put_bytes(key, b"x"),
        lambda: store.put_file(key, Path(__file__)),
        lambda: store.get_bytes(key),
        lambda: store.fetch(key, tmp_path / "dest"),
        lambda: store.open_stream(key),
        lambda: store.exists(key),
        lambda: store.size(key),
        lambda: store.delete(key),
    ]
    for operation in operations:
        with pytest.raises(StorageError):
            operation()
    if key not in ("", "a/"):  # "a/" is a valid prefix (the folder "a"); "" lists everything
        with pytest.raises(StorageError):
            store.delete_prefix(key)
        with pytest.raises(StorageError):
            store.list_keys(key)
    with pytest.raises(StorageError):
        validate_key(key)
    assert files_under(tmp_path) == before, "nothing written anywhere"
    assert store.list_keys("") == []


def test_key_rules() -> None:
    assert validate_key("uploads/12/plan-v2.final_A.dxf") == "uploads/12/plan-v2.final_A.dxf"
    assert validate_key("x" * 512) == "x" * 512
    assert validate_key(".hidden/..x/a..b") == ".hidden/..x/a..b"
    with pytest.raises(StorageError, match="513 characters"):
        validate_key("x" * 513)
    with pytest.raises(StorageError, match="characters outside"):
        validate_key("a\\b")


def test_local_paths_cannot_escape_the_root_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    store = LocalStorage(root)
    (root / "link").symlink_to(outside, target_is_directory=True)

    with pytest.raises(StorageError, match="outside the storage folder"):
        store.put_bytes("link/x", b"escape")
    with pytest.raises(StorageError, match="outside the storage folder"):
        store.get_bytes("link/x")
    with pytest.raises(StorageError, match="outside the storage folder"):
        store.delete_prefix("link")
    assert list(outside.iterdir()) == []


def _fail_halfway(store: LocalStorage, key: str, old: bytes) -> Callable[..., None]:
    """A ``copyfileobj`` that writes half the data, checks readers still see ``old``, then fails."""

    def copy(src: IO[bytes], dst: IO[bytes], length: int = 0) -> None:
        dst.write(src.read(1000))
        dst.flush()
        assert store.get_bytes(key) == old, "a reader sees the old object during the write"
        raise OSError(5, "Input/output error")

    return copy


def test_local_failed_write_leaves_no_partial_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(tmp_path / "root")
    folder = store.root / "uploads" / "3"
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(5000))

    monkeypatch.setattr(shutil, "copyfileobj", _fail_halfway(store, "uploads/3/old.bin", b""))
    store.put_bytes("uploads/3/old.bin", b"")
    with pytest.raises(StorageError, match=r"uploads/3/new\.bin.*Input/output error"):
        store.put_file("uploads/3/new.bin", src)
    assert not store.exists("uploads/3/new.bin")
    assert sorted(p.name for p in folder.iterdir()) == ["old.bin"], "no temp file left"

    monkeypatch.setattr(shutil, "copyfileobj", _fail_halfway(store, "uploads/3/old.bin", b"old"))
    store.put_bytes("uploads/3/old.bin", b"old")
    with pytest.raises(StorageError, match="Input/output error"):
        store.put_file("uploads/3/old.bin", src)
    assert store.get_bytes("uploads/3/old.bin") == b"old", "the old object is untouched"
    assert sorted(p.name for p in folder.iterdir()) == ["old.bin"]
    monkeypatch.undo()

    def no_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_fsync)
    with pytest.raises(StorageError, match="No space left on device"):
        store.put_bytes("uploads/3/other.bin", b"data")
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == ["old.bin"]
    assert store.list_keys("") == ["uploads/3/old.bin"]


def test_local_temp_files_are_not_listed(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "root")
    store.put_bytes("u/a", b"a")
    (store.root / "u" / "~tmp-abc.part").write_bytes(b"half")
    assert store.list_keys("u") == ["u/a"]


def test_local_check(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "root")
    store.check()
    shutil.rmtree(store.root)
    store.root.write_bytes(b"not a folder")
    with pytest.raises(StorageError, match="not writable"):
        store.check()


def test_s3_check_passes_on_a_live_server(s3_server: S3Server) -> None:
    make_s3(s3_server).check()


def nowhere() -> S3Server:
    """An endpoint on a free localhost port, where nothing listens."""
    return S3Server(endpoint_url=f"http://127.0.0.1:{free_port()}")


def test_s3_check_fails_fast_where_nothing_listens() -> None:
    store = make_s3(nowhere())
    started = time.monotonic()
    with pytest.raises(StorageError, match="unreachable") as caught:
        store.check()
    assert time.monotonic() - started < 10
    assert store.bucket in str(caught.value)


def test_s3_operations_fail_with_storage_error_where_nothing_listens() -> None:
    store = make_s3(nowhere(), max_attempts=2)
    with pytest.raises(StorageError, match="unreachable"):
        store.put_bytes("a/b", b"x")


def test_s3_bucket_is_created_on_first_use(s3_server: S3Server) -> None:
    client = raw_client(s3_server)
    bucket = unique_bucket()
    with pytest.raises(ClientError):
        client.head_bucket(Bucket=bucket)

    settings = Settings(
        storage="s3",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_bucket=bucket,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_region=s3_server.region,
    )
    store = storage_from_settings(settings)
    assert isinstance(store, S3Storage)
    with pytest.raises(ClientError):
        client.head_bucket(Bucket=bucket)

    store.put_bytes("first", b"1")
    client.head_bucket(Bucket=bucket)
    assert store.get_bytes("first") == b"1"

    second = make_s3(s3_server, bucket)  # another process finding the bucket already there
    assert second.list_keys("") == ["first"]


def test_s3_bucket_outside_us_east_1_is_created(s3_server: S3Server) -> None:
    store = make_s3(s3_server, region="eu-central-1")
    store.put_bytes("k", b"v")
    assert store.get_bytes("k") == b"v"


def test_local_storage_from_settings(tmp_path: Path) -> None:
    store = storage_from_settings(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalStorage)
    assert store.root == (tmp_path / "files").resolve()
    store.put_bytes("x/y", b"z")
    assert (tmp_path / "files" / "x" / "y").read_bytes() == b"z"


def _child_round_trip(store: S3Storage) -> None:
    """Run in a forked child: use the parent's instance (exit code 0 on success)."""
    assert store.get_bytes("from/parent") == b"p"
    store.put_bytes("from/child", b"c")


def test_s3_instance_survives_a_fork(s3_server: S3Server) -> None:
    store = make_s3(s3_server)
    store.put_bytes("from/parent", b"p")  # the parent's client now has pooled connections
    child = multiprocessing.get_context("fork").Process(target=_child_round_trip, args=(store,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert store.get_bytes("from/child") == b"c"
