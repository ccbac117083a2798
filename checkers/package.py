"""A drawing package (folder or zip) → ``CheckContext`` plus package-level intake problems.

The package layout is the submission standard's §1: ``project.toml``, one folder per
discipline with DXF files, optional ``layers.toml``. Everything missing or wrong is collected
and reported at once (一次告知): a refused package lists every problem.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from checkers.context import CheckContext, Drawing
from checkers.params import ProjectParamError, ProjectParams, parse_project
from drawings import Discipline, IngestLimits, IntakeFinding, LayerMap, UnreadableDrawingError, load
from drawings.layers import LayerMapError

__all__ = [
    "LoadedPackage",
    "PackageError",
    "PackageSurvey",
    "load_package",
    "open_package",
    "read_layer_map",
    "survey_package",
]

MAX_ZIP_MEMBERS = 500
MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
MAX_MEMBER_BYTES = 256 * 1024 * 1024
"""One member: above the largest drawing ingestion accepts (200 MiB), so unpacking a bigger one
would only fill the disk before the drawing is refused anyway."""
MAX_ZIP_RATIO = 200
_NOT_A_ZIP = ("不是文件夹也不是完好的 zip 压缩包", "neither a folder nor an intact zip file")
# what damaged member data makes zipfile raise while reading (a lying header offset gives
# OSError from seek); errors while writing the extracted copy are not the member's fault
_DAMAGED = (
    zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
    OSError,
)
_OS_METADATA = frozenset({"__MACOSX"})
_OS_METADATA_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
_SUPPORTED = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                        zipfile.ZIP_LZMA})
NAME_MAX_BYTES = 255  # one path component, as Linux, macOS and Windows file systems allow
PATH_MAX_CHARS = 1024


class PackageError(Exception):
    """The package is refused; ``problems`` lists every ``(where, zh, en)``."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{w}: {en}" for w, _, en in problems))


@dataclass(slots=True)
class LoadedPackage:
    """The loaded package: the context for the rules and the per-drawing intake findings."""

    context: CheckContext
    intake: list[tuple[Drawing | None, IntakeFinding]] = field(default_factory=list)
    refused: list[tuple[str, UnreadableDrawingError]] = field(default_factory=list)


@contextmanager
def open_package(path: Path) -> Iterator[Path]:
    """The package folder: ``path`` itself, or a zip safely extracted to a temporary folder.

    Zip members are checked before anything is extracted: their count, their declared sizes
    against the archive's real size and the compression ratio (zip bombs, including bombs whose
    directory lies about the compressed size), their names (absolute paths, ``..`` with either
    slash, drive letters, names too long for a file system, clashes: zip slip) and their kind
    (links, encrypted or unsupported members). Damaged member data found while extracting is a
    problem of that member, never a crash. Every problem is listed at once (一次告知).
    Operating-system metadata (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``) is skipped, so a
    package zipped by the Finder or Explorer is read like any other.
    """
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        raise PackageError([(path.name, *_NOT_A_ZIP)])
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageError([(path.name, *_NOT_A_ZIP)]) from exc
    tmp = Path(tempfile.mkdtemp(prefix="lianshen-package-"))
    try:
        with zf:
            _extract(zf, _checked_members(path, zf.infolist()), tmp, path.name)
        roots = [p for p in tmp.iterdir() if p.is_dir()]
        if not (tmp / "project.toml").exists() and len(roots) == 1:
            yield roots[0]  # the zip holds one top-level package folder
        else:
            yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it.

    Without the UTF-8 flag zipfile reads names as CP437, but the zip tools of Chinese Windows
    write them in GBK (and some tools write UTF-8 without setting the flag): such names are
    decoded again, as UTF-8 first, then as GB18030 (which contains GBK). A name that is
    neither stays as read.
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    """The member's path with Windows separators read as separators."""
    return PurePosixPath(_member_name(info).replace("\\", "/"))


def _is_os_metadata(name: PurePosixPath) -> bool:
    """Files the operating system adds when zipping a folder; nobody submitted them."""
    return bool(_OS_METADATA & set(name.parts)) or name.name.lower() in _OS_METADATA_FILES


def _name_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    """Why the member's name cannot be extracted safely, as ``(zh, en)``; None when it can."""
    raw = _member_name(info)
    name = _member_path(info)
    if raw.startswith(("/", "\\")) or ".." in name.parts or ":" in raw or not name.parts:
        return "文件名含非法路径（绝对路径或 ..）", "unsafe path in the archive"
    if len(raw) > PATH_MAX_CHARS or any(len(p.encode()) > NAME_MAX_BYTES for p in name.parts):
        return "文件名过长", "name too long for a file system"
    return None


def _kind_problem(info: zipfile.ZipInfo, archive_size: int) -> tuple[str, str] | None:
    """Why the member's content cannot be extracted safely, as ``(zh, en)``; None when it can."""
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "不允许符号链接", "symbolic links are not allowed"
    if info.flag_bits & 0x1:
        return "文件已加密，请上传未加密的压缩包", "encrypted; upload an archive without a password"
    if info.compress_type not in _SUPPORTED:
        return (
            "压缩方式不受支持，请用标准 zip（deflate）重新压缩",
            "unsupported compression method; zip it again with standard deflate",
        )
    if info.header_offset + info.compress_size > archive_size:
        # the directory claims more compressed bytes than the archive holds: a ratio computed
        # from it would let a bomb through
        return (
            "压缩包目录中的大小与实际不符（疑似压缩炸弹）",
            "declared sizes do not match the archive (zip bomb)",
        )
    if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
        return "压缩比异常（疑似压缩炸弹）", "suspicious compression ratio (zip bomb)"
    if not info.compress_size and info.file_size:
        return "压缩比异常（疑似压缩炸弹）", "suspicious compression ratio (zip bomb)"
    return None


def _checked_members(path: Path, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The members to extract, after every check that needs no decompression.

    Raises:
        PackageError: with every problem found.
    """
    if len(infos) > MAX_ZIP_MEMBERS:
        raise PackageError(
            [(path.name, f"压缩包内文件过多（{len(infos)}）", f"too many members ({len(infos)})")]
        )
    if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
        raise PackageError([(path.name, "解压后体积过大", "too large when unpacked")])
    archive_size = path.stat().st_size
    problems: list[tuple[str, str, str]] = []
    members: list[zipfile.ZipInfo] = []
    for info in infos:
        problem = _name_problem(info) or _kind_problem(info, archive_size)
        if problem is None and info.file_size > MAX_MEMBER_BYTES:
            problem = (
                f"单个文件过大（{info.file_size / 2**20:.0f} MB，上限 {MAX_MEMBER_BYTES // 2**20} MB）",
                f"member too large ({info.file_size / 2**20:.0f} MB, limit {MAX_MEMBER_BYTES // 2**20} MB)",
            )
        if problem is not None:
            problems.append((_member_name(info), *problem))
        elif not _is_os_metadata(_member_path(info)):
            members.append(info)
    files = Counter(_member_path(i) for i in members if not i.is_dir())
    folders = {parent for name in files for parent in name.parents}
    for info in members:
        name = _member_path(info)
        if not info.is_dir() and (files[name] > 1 or name in folders):
            problems.append(
                (
                    _member_name(info),
                    "文件名与压缩包内其他文件或文件夹重复",
                    "name clashes with another file or folder in the archive",
                )
            )
    if problems:
        raise PackageError(problems)
    return [i for i in members if not i.is_dir()]


def _extract(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], tmp: Path, name: str) -> None:
    """Extract ``members`` under ``tmp`` at paths built from checked names only.

    Raises:
        PackageError: member data is damaged (every damaged member is listed), or more bytes
            inflate than allowed: declared sizes in the directory can lie, so what is really
            inflated is counted.
    """
    problems: list[tuple[str, str, str]] = []
    written = 0
    for info in members:
        target = tmp.joinpath(*_member_path(info).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        member = 0
        try:
            with target.open("wb") as dst:
                for chunk in _inflate(zf, info):
                    written += len(chunk)
                    member += len(chunk)
                    if member > MAX_MEMBER_BYTES:
                        raise _Damaged
                    if written > MAX_ZIP_BYTES:
                        raise PackageError([(name, "解压后体积过大", "too large when unpacked")])
                    dst.write(chunk)
        except _Damaged:
            problems.append(
                (
                    _member_name(info),
                    "文件已损坏（或大小与压缩包目录不符），请重新压缩后上传",
                    "damaged data (or sizes that do not match the directory); zip it again",
                )
            )
            target.unlink(missing_ok=True)
    if problems:
        raise PackageError(problems)


class _Damaged(Exception):
    """Reading a member's data failed: the archive, not the server, is at fault."""


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's inflated bytes in chunks; zipfile stops at the declared size and checks
    the CRC, so data longer than declared ends as a damaged member."""
    try:
        with zf.open(info) as src:
            while chunk := src.read(1 << 20):
                yield chunk
    except _DAMAGED as exc:
        raise _Damaged(_member_name(info)) from exc


def read_layer_map(root: Path) -> LayerMap:
    """The package's layer map: the presets plus ``layers.toml`` when the package has one.

    Raises:
        LayerMapError: ``layers.toml`` is invalid (the message names the key and the reason).
    """
    layers = root / "layers.toml"
    if not layers.is_file():
        return LayerMap.default()
    return LayerMap.from_toml(layers.read_text(encoding="utf-8-sig"), source="layers.toml")


@dataclass(slots=True)
class PackageSurvey:
    """What a package folder holds before any drawing is read, and what is wrong with it."""

    params: ProjectParams
    layer_map: LayerMap
    files: dict[Discipline, list[Path]]
    problems: list[tuple[str, str, str]]
    project_text: str | None = None
    layers_text: str | None = None


def survey_package(root: Path, *, strict: bool = False) -> PackageSurvey:
    """Read ``project.toml`` and ``layers.toml`` and list the drawings of each discipline.

    Every problem is collected (一次告知). With ``strict`` (uploads to the platform), files other
    than DXF inside the discipline folders and stray files at the top are problems too, since
    the platform would otherwise keep files nobody reviews; so are drawings at the top level.
    """
    problems: list[tuple[str, str, str]] = []
    survey = PackageSurvey(ProjectParams(), LayerMap.default(), {}, problems)
    project = root / "project.toml"
    if not project.is_file():
        problems.append(
            ("project.toml", "缺少项目参数文件 project.toml", "project.toml is missing")
        )
    else:
        try:
            survey.project_text = project.read_text(encoding="utf-8-sig")
            survey.params = parse_project(survey.project_text)
        except ProjectParamError as exc:
            # a syntax error names no key: the file is the place to look
            problems += [("project.toml" if w == "(TOML)" else w, zh, en) for w, zh, en in exc.problems]
        except UnicodeDecodeError:
            problems.append(("project.toml", "不是 UTF-8 文本", "is not UTF-8 text"))
    if (root / "layers.toml").is_file():
        try:
            survey.layer_map = read_layer_map(root)
            survey.layers_text = (root / "layers.toml").read_text(encoding="utf-8-sig")
        except LayerMapError as exc:
            problems.append(("layers.toml", exc.message, exc.message_en))
        except UnicodeDecodeError:
            problems.append(("layers.toml", "不是 UTF-8 文本", "is not UTF-8 text"))
    for d in Discipline:
        folder = root / d.value
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
        found = [p for p in entries if p.is_file() and p.suffix.lower() == ".dxf"]
        if strict:
            problems += [
                (
                    f"{d.value}/{p.name}",
                    "不是 DXF 图纸文件（只接受 .dxf）",
                    "not a DXF drawing (only .dxf files are accepted)",
                )
                for p in entries
                if p not in found
            ]
        if not found:
            problems.append(
                (
                    f"{d.value}/",
                    f"缺少{_ZH[d]}图纸（{d.value}/*.dxf）",
                    f"no {d.value} drawing ({d.value}/*.dxf)",
                )
            )
        survey.files[d] = found
    for extra in sorted(root.iterdir(), key=lambda p: p.name):
        if extra.is_dir() and extra.name not in {d.value for d in Discipline}:
            problems.append(
                (
                    f"{extra.name}/",
                    "未知文件夹，图纸应放在五个专业文件夹中",
                    "unknown folder; drawings go in the five discipline folders",
                )
            )
        elif strict and extra.is_file() and extra.suffix.lower() in (".dxf", ".dwg"):
            problems.append(
                (
                    extra.name,
                    "图纸应放在对应的专业文件夹中，不能放在送审包根目录",
                    "drawings go in their discipline folder, not at the top of the package",
                )
            )
    return survey


def load_package(
    root: Path,
    *,
    limits: IngestLimits | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadedPackage:
    """Read ``project.toml``, ``layers.toml`` and every drawing of a package folder.

    Raises:
        PackageError: the package is refused (missing disciplines, bad parameters, unreadable
            layer map...), with every problem listed.
    """
    survey = survey_package(root)
    if survey.problems:
        raise PackageError(survey.problems)
    params, layer_map, files = survey.params, survey.layer_map, survey.files
    drawings: list[Drawing] = []
    loaded = LoadedPackage(context=CheckContext(params=params, drawings=()))
    for d, paths in files.items():
        for p in paths:
            rel = f"{d.value}/{p.name}"
            if progress is not None:
                progress(rel)
            try:
                model = load(
                    p,
                    discipline=d,
                    layer_map=layer_map,
                    limits=limits,
                    drawing_unit=params.drawing_unit,
                    codepage=params.codepage,
                    display_name=rel,
                )
            except UnreadableDrawingError as exc:
                loaded.refused.append((rel, exc))
                continue
            model.materialize()  # rules touch every geometry, often repeatedly
            drawing = Drawing(d, rel, model)
            drawings.append(drawing)
            loaded.intake += [(drawing, f) for f in model.findings]
    names = {b.attrs.get("NAME") or b.name for dr in drawings for b in dr.model.buildings}
    unknown = [
        n for n in list(params.buildings) + list(params.fire) if n and names and n not in names
    ]
    if unknown:
        raise PackageError(
            [
                (
                    f"building.{n}",
                    "项目参数中的建筑名称在总平面图的 BLDG 块中不存在",
                    "no BLDG block on the site plan carries this NAME",
                )
                for n in sorted(set(unknown))
            ]
        )
    loaded.context = CheckContext(params=params, drawings=tuple(drawings))
    return loaded


_ZH = {
    Discipline.PLANNING: "规划",
    Discipline.ARCHITECTURE: "建筑",
    Discipline.FIRE: "消防",
    Discipline.CIVIL_DEFENCE: "人防",
    Discipline.LIGHTNING: "防雷",
}
