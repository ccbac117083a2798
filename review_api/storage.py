"""File storage shared by the web service and the Celery workers.

Two backends implement one small :class:`Storage` protocol:

- :class:`LocalStorage` keeps objects as files under one root folder (embedded mode, or a
  shared volume). Writes go to a temporary file in the target folder, are flushed to disk and
  then renamed over the target, so a concurrent reader sees either the old object or the whole
  new one, never a torn write.
- :class:`S3Storage` keeps objects in a bucket of any S3-compatible store (distributed mode).
  S3 makes an object visible only once its upload (single or multipart) has completed, which
  gives the same all-or-nothing guarantee. Transient failures are retried by botocore's
  "standard" retry mode.

Keys are internal names built from ids (``uploads/42/plan.dxf``), never raw user input; still,
:func:`validate_key` refuses anything that could escape a folder or mean different objects on
the two backends, and :class:`LocalStorage` checks again that every resolved path stays
inside its root.

A *prefix* (for :meth:`Storage.list_keys` and :meth:`Storage.delete_prefix`) is a folder-like
key: ``"uploads/42"`` and ``"uploads/42/"`` both match ``uploads/42/a.dxf`` but never
``uploads/420/a.dxf``, so removing one upload cannot touch another whose id merely starts with
the same digits. Both backends apply this rule in the same way.

Every failure surfaces as :class:`StorageError` (or :class:`ObjectMissing` for an absent key)
with a message naming the key and the reason, fit to show to an operator.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from review_api.settings import Settings

__all__ = [
    "CHUNK_SIZE",
    "MAX_KEY_LENGTH",
    "LocalStorage",
    "ObjectMissing",
    "S3Storage",
    "Storage",
    "StorageError",
    "storage_from_settings",
    "validate_key",
]

MAX_KEY_LENGTH = 512
"""Longest accepted key, well inside S3's 1024-byte limit and typical path limits."""

CHUNK_SIZE = 1024 * 1024
"""Bytes per chunk when streaming: large enough to be efficient, small enough to bound memory."""

_PART_SIZE = 8 * 1024 * 1024
"""Size of one part of a multipart upload or ranged download."""

_IO_QUEUE = 16
"""Downloaded chunks (256 KiB each) waiting to be written: bounds a fetch's memory to ~4 MiB."""

_KEY_CHARS = re.compile(r"[A-Za-z0-9._/-]+")
_TEMP_PREFIX = "~tmp-"  # '~' is not a key character, so a temp file can never pass for an object
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_MISSING_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})
_READ_ACTIONS = frozenset({"read", "fetch", "inspect"})


class StorageError(Exception):
    """A storage operation failed; the message names the key (or bucket/folder) and why."""


class ObjectMissing(StorageError):
    """The requested key holds no object."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object stored under key {key!r}")
        self.key = key


@runtime_checkable
class Storage(Protocol):
    """What the service and the workers need from a file store."""

    def put_file(self, key: str, src: Path) -> None:
        """Store the contents of ``src`` under ``key``; readers never see a partial object."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, atomically like :meth:`put_file`."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """The whole object; raises :class:`ObjectMissing` when absent."""
        ...

    def fetch(self, key: str, dest: Path) -> None:
        """Download the object to ``dest`` without holding it in memory."""
        ...

    def open_stream(self, key: str) -> Iterator[bytes]:
        """The object in chunks, for streaming HTTP responses.

        A missing key raises :class:`ObjectMissing` from this call itself, before any chunk,
        so a web handler can still answer 404 instead of a broken 200.
        """
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        ...

    def size(self, key: str) -> int:
        """Size of the object in bytes; raises :class:`ObjectMissing` when absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under the folder-like ``prefix`` (never the whole store)."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Sorted keys under the folder-like ``prefix``; ``""`` lists everything."""
        ...

    def check(self) -> None:
        """Health probe: raise :class:`StorageError` when the store cannot be used."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe object key, else raise :class:`StorageError`.

    Allowed: at most :data:`MAX_KEY_LENGTH` characters from ``[A-Za-z0-9._/-]``, no leading
    ``/``, and no empty, ``.`` or ``..`` segment. These rules block path traversal on the local
    backend and keep every key meaning the same object on both backends (``a/./b`` or ``a//b``
    would be one file locally but distinct S3 objects).
    """
    if not isinstance(key, str):
        raise StorageError(f"storage key must be a string, not {type(key).__name__}")
    shown = key if len(key) <= 80 else key[:80] + "…"
    if not key:
        raise StorageError("storage key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise StorageError(
            f"storage key {shown!r} is {len(key)} characters long; at most {MAX_KEY_LENGTH} allowed"
        )
    if not _KEY_CHARS.fullmatch(key):
        raise StorageError(f"storage key {shown!r} contains characters outside A-Z a-z 0-9 . _ / -")
    if key.startswith("/"):
        raise StorageError(f"storage key {shown!r} must not start with '/'")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise StorageError(f"storage key {shown!r} has an empty, '.' or '..' path segment")
    return key


def _is_key(name: str) -> bool:
    """Whether ``name`` is a valid key; files with other names (temp files) are not objects."""
    try:
        validate_key(name)
    except StorageError:
        return False
    return True


def _prefix_folder(prefix: str, *, allow_all: bool) -> str:
    """The validated folder key of ``prefix`` (one trailing ``/`` dropped); ``""`` for all.

    ``allow_all`` is false for deletion, so that an empty prefix can never wipe the store.
    """
    if prefix == "":
        if allow_all:
            return ""
        raise StorageError("refusing to delete with an empty prefix (it would match every key)")
    folder = prefix[:-1] if prefix.endswith("/") else prefix
    try:
        return validate_key(folder)
    except StorageError as exc:
        raise StorageError(f"invalid prefix {prefix!r}: {exc}") from None


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; best effort where directories cannot be opened."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(exc: OSError) -> str:
    """A short human reason for an ``OSError`` (its strerror, without paths)."""
    return exc.strerror or type(exc).__name__


def _stream_file(handle: IO[bytes]) -> Iterator[bytes]:
    """Yield chunks of an open file and close it when done or abandoned."""
    try:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


class LocalStorage:
    """Objects as files under ``root``; see the module docstring for the guarantees."""

    def __init__(self, root: Path) -> None:
        """Use (and create if needed) the folder ``root``."""
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create storage folder {str(root)!r}: {_reason(exc)}"
            ) from exc
        self.root = root.resolve()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        """The file of ``key``, refused unless it resolves inside the root (symlinks included)."""
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise StorageError(f"storage key {key!r} resolves outside the storage folder")
        return path

    def _write_atomic(self, key: str, write: Callable[[IO[bytes]], None]) -> None:
        """Write through ``write`` into a temp file beside the target, fsync, then rename."""
        path = self._path(key)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            tmp = None
            _fsync_dir(path.parent)
        except OSError as exc:
            raise StorageError(f"cannot store key {key!r}: {_reason(exc)}") from exc
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def put_file(self, key: str, src: Path) -> None:
        """Copy ``src`` into the store under ``key`` (atomic)."""
        try:
            source = src.open("rb")
        except OSError as exc:
            raise StorageError(
                f"cannot store key {key!r}: source file {str(src)!r} unreadable: {_reason(exc)}"
            ) from exc
        with source:
            self._write_atomic(key, lambda out: shutil.copyfileobj(source, out, CHUNK_SIZE))

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (atomic)."""

        def write(out: IO[bytes]) -> None:
            out.write(data)

        self._write_atomic(key, write)

    def _open(self, key: str) -> IO[bytes]:
        """Open the object for reading, mapping absence to :class:`ObjectMissing`."""
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read key {key!r}: {_reason(exc)}") from exc

    def get_bytes(self, key: str) -> bytes:
        """The whole object."""
        with self._open(key) as handle:
            return handle.read()

    def fetch(self, key: str, dest: Path) -> None:
        """Copy the object to ``dest`` in chunks; ``dest`` appears only once complete."""
        with self._open(key) as source:
            _copy_to_dest(key, dest, lambda out: shutil.copyfileobj(source, out, CHUNK_SIZE))

    def open_stream(self, key: str) -> Iterator[bytes]:
        """Chunks of the object; the file is opened (and absence reported) right away."""
        return _stream_file(self._open(key))

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object (a folder is not one)."""
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        """Size in bytes."""
        path = self._path(key)
        if not path.is_file():
            raise ObjectMissing(key)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    def delete(self, key: str) -> None:
        """Remove the object if present."""
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:
            return
        except OSError as exc:
            raise StorageError(f"cannot delete key {key!r}: {_reason(exc)}") from exc

    def delete_prefix(self, prefix: str) -> None:
        """Remove the folder of ``prefix`` with everything in it."""
        folder = _prefix_folder(prefix, allow_all=False)
        path = self._path(folder)
        if not path.is_dir():
            return
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"cannot delete prefix {prefix!r}: {_reason(exc)}") from exc

    def list_keys(self, prefix: str) -> list[str]:
        """Sorted keys of the files under the folder of ``prefix``; temp files are skipped."""
        folder = _prefix_folder(prefix, allow_all=True)
        start = self._path(folder) if folder else self.root
        if not start.is_dir():
            return []
        keys: list[str] = []
        for dirpath, _dirnames, filenames in os.walk(start):
            base = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                key = name if base == "." else f"{base}/{name}"
                if _is_key(key):
                    keys.append(key)
        return sorted(keys)

    def check(self) -> None:
        """The root must be a folder in which a file can be created and removed."""
        try:
            fd, probe = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".probe", dir=self.root)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StorageError(
                f"storage folder {str(self.root)!r} is not writable: {_reason(exc)}"
            ) from exc


def _copy_to_dest(key: str, dest: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a downloaded object to a temp file beside ``dest`` and rename it into place.

    A failed download therefore never leaves a truncated ``dest`` that a later step could
    mistake for the real file.
    """
    tmp: str | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name[:64]}.", suffix=".part", dir=dest.parent)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, dest)
        tmp = None
    except OSError as exc:
        raise StorageError(f"cannot fetch key {key!r} to {str(dest)!r}: {_reason(exc)}") from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


class S3Storage:
    """Objects in one bucket of an S3-compatible store, created on first use if missing."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str = "",
        access_key: str = "",
        secret_key: str = "",
        region: str = "us-east-1",
        max_attempts: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        multipart_threshold: int = 16 * 1024 * 1024,
    ) -> None:
        """Describe the store; no request is made until the first operation.

        Empty ``endpoint_url``/credentials fall back to boto3's defaults (AWS, environment,
        instance profile). A custom endpoint uses path-style addressing, which every
        S3-compatible server (MinIO, Ceph, moto) understands without wildcard DNS.
        """
        if not bucket:
            raise StorageError("S3 storage needs a bucket name (LIANSHEN_S3_BUCKET)")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self._access_key = access_key
        self._secret_key = secret_key
        self._max_attempts = max_attempts
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=_PART_SIZE,
            max_concurrency=4,
            max_io_queue=_IO_QUEUE,
        )
        self._clients: dict[tuple[int, bool], Any] = {}
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r})"

    def _make_client(self, max_attempts: int, connect_timeout: float, read_timeout: float) -> Any:
        """A boto3 S3 client; clients are thread-safe, so one serves all threads."""
        config = Config(
            region_name=self.region,
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            s3={"addressing_style": "path"} if self.endpoint_url else {},
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url or None,
            aws_access_key_id=self._access_key or None,
            aws_secret_access_key=self._secret_key or None,
            config=config,
        )

    def _get_client(self, *, probe: bool) -> Any:
        """This process's client, made on first use and again after a fork.

        A Celery prefork worker may inherit an instance from its parent; a client's pooled
        connections must not be shared between processes, so each process builds its own.
        """
        pid = os.getpid()
        client = self._clients.get((pid, probe))
        if client is None:
            if probe:
                client = self._make_client(
                    1, min(self._connect_timeout, 2.0), min(self._read_timeout, 5.0)
                )
            else:
                client = self._make_client(
                    self._max_attempts, self._connect_timeout, self._read_timeout
                )
            self._clients = {k: v for k, v in self._clients.items() if k[0] == pid}
            self._clients[(pid, probe)] = client
        return client

    @property
    def _client(self) -> Any:
        """The client for all data operations, with retries for transient errors."""
        return self._get_client(probe=False)

    @property
    def _probe_client(self) -> Any:
        """A client for :meth:`check` that fails fast: a health probe must not hang on retries."""
        return self._get_client(probe=True)

    @contextmanager
    def _errors(self, action: str, name: str, kind: str = "key") -> Iterator[None]:
        """Translate boto3/botocore exceptions into :class:`StorageError` naming the object.

        ``kind`` is "key", "prefix" or "bucket". A missing object becomes
        :class:`ObjectMissing` only for reads, where absence is the caller's question.
        """
        endpoint = self.endpoint_url or "the default S3 endpoint"
        subject = f"{kind} {name!r}"
        where = f"at {endpoint}" if kind == "bucket" else f"in bucket {self.bucket!r} at {endpoint}"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if kind == "key" and code in _MISSING_CODES and action in _READ_ACTIONS:
                raise ObjectMissing(name) from None
            message = error.get("Message") or str(exc)
            raise StorageError(f"cannot {action} {subject} {where}: {code}: {message}") from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            raise StorageError(
                f"cannot {action} {subject}: S3 endpoint {endpoint} unreachable ({exc})"
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot {action} {subject} {where}: {exc}") from exc
        except Boto3Error as exc:
            raise StorageError(f"cannot {action} {subject} {where}: {exc}") from exc
        except OSError as exc:
            raise StorageError(f"cannot {action} {subject}: {_reason(exc)}") from exc

    def _prepare_bucket(self, client: Any) -> None:
        """Make sure the bucket exists, creating it when the store answers "not found".

        Several processes may race to create it; "already owned by you" counts as success.
        """
        with self._errors("prepare", self.bucket, "bucket"):
            try:
                client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code not in _MISSING_BUCKET_CODES:
                    raise
                self._create_bucket(client)

    def _ensure_bucket(self) -> None:
        """Prepare the bucket once per instance, before its first operation."""
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self._prepare_bucket(self._client)
                self._bucket_ready = True

    def _create_bucket(self, client: Any) -> None:
        """Create the bucket in the configured region, tolerating a concurrent creator."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region and self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            client.create_bucket(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    @contextmanager
    def _request(self, action: str, key: str) -> Iterator[Any]:
        """Validate ``key``, prepare the bucket, and yield the client with errors translated."""
        validate_key(key)
        self._ensure_bucket()
        with self._errors(action, key):
            yield self._client

    def _head(self, key: str) -> dict[str, Any]:
        """HeadObject of ``key`` (:class:`ObjectMissing` when absent)."""
        with self._request("inspect", key) as client:
            head: dict[str, Any] = client.head_object(Bucket=self.bucket, Key=key)
            return head

    def put_file(self, key: str, src: Path) -> None:
        """Upload ``src``; files above the threshold go up as a multipart upload."""
        if not src.is_file():
            raise StorageError(f"cannot store key {key!r}: source file {str(src)!r} not found")
        with self._request("store", key) as client:
            client.upload_file(str(src), self.bucket, key, Config=self._transfer)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Upload ``data`` in one request."""
        with self._request("store", key) as client:
            client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def _get_body(self, key: str) -> Any:
        """The streaming body of GetObject (:class:`ObjectMissing` when absent)."""
        with self._request("read", key) as client:
            return client.get_object(Bucket=self.bucket, Key=key)["Body"]

    def get_bytes(self, key: str) -> bytes:
        """The whole object."""
        body = self._get_body(key)
        with self._errors("read", key):
            try:
                data: bytes = body.read()
            finally:
                body.close()
        return data

    def fetch(self, key: str, dest: Path) -> None:
        """Download to ``dest`` with ranged, parallel GETs; ``dest`` appears only when complete."""
        with self._request("fetch", key) as client:
            _copy_to_dest(
                key,
                dest,
                lambda out: client.download_fileobj(self.bucket, key, out, Config=self._transfer),
            )

    def open_stream(self, key: str) -> Iterator[bytes]:
        """Chunks of the object; GetObject (and the absence check) happens right away."""
        body = self._get_body(key)
        return self._stream_body(key, body)

    def _stream_body(self, key: str, body: Any) -> Iterator[bytes]:
        """Yield the body's chunks, closing the connection when done or abandoned."""
        try:
            with self._errors("read", key):
                yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        try:
            self._head(key)
        except ObjectMissing:
            return False
        return True

    def size(self, key: str) -> int:
        """Size in bytes, from HeadObject."""
        return int(self._head(key)["ContentLength"])

    def delete(self, key: str) -> None:
        """DeleteObject; S3 already treats a missing key as success."""
        with self._request("delete", key) as client:
            client.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix`` in batches of up to 1000 (the S3 limit).

        Like the local backend removing a folder, this also removes objects under the prefix
        whose names are not valid keys (left there by other tools).
        """
        keys = self._list(prefix, _prefix_folder(prefix, allow_all=False))
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            with self._errors("delete", prefix, "prefix"):
                answer = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )
            failed = answer.get("Errors") or []
            if failed:
                first = failed[0]
                raise StorageError(
                    f"cannot delete {len(failed)} key(s) under prefix {prefix!r}, e.g. "
                    f"{first.get('Key')!r}: {first.get('Code')}: {first.get('Message')}"
                )

    def _list(self, prefix: str, folder: str) -> list[str]:
        """Every object name under ``folder`` (ListObjectsV2, all pages), sorted."""
        self._ensure_bucket()
        names: list[str] = []
        with self._errors("list", prefix, "prefix"):
            paginator = self._client.get_paginator("list_objects_v2")
            pages = paginator.paginate(Bucket=self.bucket, Prefix=f"{folder}/" if folder else "")
            for page in pages:
                names.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(names)

    def list_keys(self, prefix: str) -> list[str]:
        """Sorted valid keys under ``prefix``, like the local backend's listing."""
        return [
            name
            for name in self._list(prefix, _prefix_folder(prefix, allow_all=True))
            if _is_key(name)
        ]

    def check(self) -> None:
        """Reach the endpoint without retries and make sure the bucket exists."""
        self._prepare_bucket(self._probe_client)
        self._bucket_ready = True


def storage_from_settings(settings: Settings) -> Storage:
    """The backend chosen by ``LIANSHEN_STORAGE`` ("local" or "s3")."""
    if settings.storage == "s3":
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
        )
    return LocalStorage(settings.files_dir)
