"""Receiving a drawing package: size limit, zip guards, layout check, then storage.

The body's size is limited while it streams in, before this module sees it (``BodyLimit`` in
``review_api/app.py``: 413 at the limit instead of a full disk). The zip goes through the same
guards as the command line (member count, inflated size counted while inflating, compression
ratio, ``..``/absolute names, links) and the same layout survey, plus a magic-bytes check of
every DXF. Every problem is listed in one 422 answer.

Files are stored under keys built from a random id (never from the uploaded names); the rows
are created only after every file is stored, and a failure on the way removes what was stored,
so nothing is ever half-stored.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from checkers.package import PackageError, open_package, survey_package
from drawings import Discipline, IngestLimits, UnreadableDrawingError
from drawings.limits import limits_from_env
from drawings.sniff import sniff
from review_api.storage import Storage, StorageError

logger = logging.getLogger(__name__)

__all__ = ["PackageRejected", "StoredFile", "StoredPackage", "sha256_file", "store_package"]


class PackageRejected(Exception):
    """The package cannot be accepted; ``problems`` lists every ``(where, zh, en)``."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{w}: {en}" for w, _, en in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One stored drawing: discipline, path inside the package, key, checksum, size."""

    discipline: str
    file: str
    key: str
    sha256: str
    size: int


@dataclass(slots=True)
class StoredPackage:
    """What ``store_package`` stored, ready to become rows."""

    prefix: str
    package_key: str
    package_sha256: str
    project_toml: str
    layers_toml: str | None
    drawings: list[StoredFile] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (packages and drawings can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_dxf_heads(
    files: dict[Discipline, list[Path]], root: Path, limits: IngestLimits
) -> list[tuple[str, str, str]]:
    """A ``.dxf`` name is not enough: the first bytes must look like a DXF file."""
    problems = []
    for paths in files.values():
        for p in paths:
            rel = p.relative_to(root).as_posix()
            try:
                sniff(p, max_bytes=limits.max_bytes, display_name=rel)
            except UnreadableDrawingError as exc:
                problems.append((rel, exc.message, exc.message_en))
    return problems


def store_package(zip_path: Path, sha256: str, storage: Storage) -> StoredPackage:
    """Check the zip and store the package and its drawings.

    Raises:
        PackageRejected: every problem found (nothing is stored).
    """
    try:
        with open_package(zip_path) as root:
            survey = survey_package(root, strict=True)
            problems = survey.problems + _check_dxf_heads(survey.files, root, limits_from_env())
            if problems:
                raise PackageRejected(problems)
            assert survey.project_text is not None
            prefix = f"packages/{uuid.uuid4().hex}"
            stored = StoredPackage(
                prefix=prefix,
                package_key=f"{prefix}/package.zip",
                package_sha256=sha256,
                project_toml=survey.project_text,
                layers_toml=survey.layers_text,
            )
            try:
                storage.put_file(stored.package_key, zip_path)
                n = 0
                for d, paths in survey.files.items():
                    for p in paths:
                        n += 1
                        key = f"{prefix}/drawings/{n:03d}.dxf"
                        storage.put_file(key, p)
                        stored.drawings.append(
                            StoredFile(
                                d.value, f"{d.value}/{p.name}", key, sha256_file(p), p.stat().st_size
                            )
                        )
            except BaseException:
                _remove_quietly(storage, prefix)
                raise
            return stored
    except PackageError as exc:
        raise PackageRejected(exc.problems) from exc


def _remove_quietly(storage: Storage, prefix: str) -> None:
    """Remove what was stored under ``prefix`` after a failure; a store that is down now
    too must not hide the first error (the orphans are logged for the operator)."""
    try:
        storage.delete_prefix(prefix)
    except StorageError:
        logger.exception("could not remove %s after a failed upload", prefix)


def temp_upload_dir() -> Path:
    """A private temporary folder for one upload (removed by ``discard``)."""
    return Path(tempfile.mkdtemp(prefix="lianshen-upload-"))


def discard(folder: Path) -> None:
    """Remove an upload's temporary folder."""
    shutil.rmtree(folder, ignore_errors=True)
