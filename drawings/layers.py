"""Logical layer groups of the submission standard, and the alias maps that reach them.

Checkers are written against the logical layer groups of section 3 of the drawing submission
standard (``G-SITE-REDL``, ``A-WALL``, ``F-AREA`` ...), never against raw layer names, because
every firm names its layers differently. This module holds the group table (:data:`GROUPS`), the
groups each discipline requires (:data:`REQUIRED`) and :class:`LayerMap`, which turns a raw DXF
layer name into a group through the shipped presets (``tarch``: the TArch defaults;
``institute``: common institute conventions) plus a firm's own ``layers.toml``.

Matching rules, all from section 3 of the standard:

* Layer names are compared after :func:`normalize_layer_name`: case-insensitive, xref prefix
  (``XREF|NAME``) ignored, ``-`` and ``_`` alike, surrounding whitespace ignored.
* Every canonical group name is an alias of itself, whatever presets apply.
* Aliases may contain ``*`` (any run of characters, also none); no other character is special,
  so a layer name full of ``[``, ``?`` or markup is only ever compared literally.
* Exact aliases beat wildcard ones; among wildcards the longest literal prefix wins, then the
  most literal characters. So ``A-DOOR-IDEN`` is the door-number layer, not ``A-DOOR*``.
* One raw layer may belong to one text group and one geometry group at once (TArch ``SPACE``
  holds room outlines and room names); :meth:`LayerMap.group_for` picks by entity kind.

The loader calls :meth:`LayerMap.group_for` for every entity, so results are cached per raw layer
name; the cache is bounded and each lookup is linear in the name's length (times the number of
wildcard aliases, a few dozen), so hostile files with a million distinct or very long layer
names cost time proportional to their size, no more.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final

from drawings.errors import DrawingError
from drawings.model import Discipline

__all__ = [
    "GROUPS",
    "MAX_ALIASES",
    "MAX_ALIAS_LENGTH",
    "MAX_TOML_CHARS",
    "PRESETS",
    "REQUIRED",
    "TEXT_GROUPS",
    "GroupSpec",
    "LayerMap",
    "LayerMapError",
    "normalize_layer_name",
    "preset_aliases",
]


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """One logical layer group of the standard's table.

    Attributes:
        name: The canonical name (GB/T 50001-2017 ch. 13 style), e.g. ``"F-AREA"``.
        meaning_zh: What the group holds, in Chinese, for findings and the viewer.
        meaning_en: The same in English.
        text: The group holds text (numbers, names, labels, the indicator table). Text groups
            share raw layers with geometry groups, so the loader needs to know which is which.
        closed: The standard expects closed boundaries here, so an open outline is a designer
            mistake worth an intake finding rather than something to silently skip.
        expected: The "expected entities" column of the standard's table.
    """

    name: str
    meaning_zh: str
    meaning_en: str
    text: bool
    closed: bool
    expected: str = ""


_GROUP_TABLE: Final[tuple[GroupSpec, ...]] = (
    GroupSpec(
        "G-SITE-REDL", "用地红线", "site boundary (land red line)", False, True, "closed polyline"
    ),
    GroupSpec("G-ROAD-REDL", "道路红线", "road red line", False, False, "lines / polylines"),
    GroupSpec("G-SITE-CTRL", "建筑控制线", "building control line", False, True, "closed polyline"),
    GroupSpec(
        "G-BLDG-OUTL",
        "建筑轮廓（总平面）",
        "building footprint on the site plan",
        False,
        True,
        "closed polyline",
    ),
    GroupSpec("G-BLDG-BASE", "地下室轮廓", "basement outline", False, True, "closed polyline"),
    GroupSpec("G-GREN", "绿地", "green areas", False, True, "closed polylines / hatches"),
    GroupSpec("G-PARK", "车位", "parking stalls", False, False, "closed rectangles or blocks"),
    GroupSpec(
        "G-ANNO-INDX",
        "经济技术指标",
        "indicator table",
        True,
        False,
        "TEXT / MTEXT `名称：值 单位`",
    ),
    GroupSpec("A-WALL", "墙体", "walls", False, False, "lines, polylines, hatches"),
    GroupSpec("A-COLU", "柱", "columns", False, False, "closed polylines, hatches"),
    GroupSpec("A-DOOR", "门", "doors", False, False, "INSERT"),
    GroupSpec("A-DOOR-IDEN", "门编号", "door numbers", True, False, "TEXT"),
    GroupSpec("A-WIND", "窗", "windows", False, False, "INSERT / lines"),
    GroupSpec("A-WIND-IDEN", "窗编号", "window numbers", True, False, "TEXT"),
    GroupSpec("A-STRS", "楼梯", "stair flights and tread lines", False, False, "polylines, lines"),
    GroupSpec("A-EVTR", "电梯", "lifts", False, False, "closed polylines / INSERT"),
    GroupSpec("A-FIXT", "卫生洁具", "sanitary fixtures", False, False, "INSERT"),
    GroupSpec("A-AREA", "房间轮廓", "room boundaries", False, True, "closed polylines"),
    GroupSpec("A-AREA-IDEN", "房间名称", "room names", True, False, "TEXT / MTEXT"),
    GroupSpec("A-AXIS", "轴线", "axis lines", False, False, "lines"),
    GroupSpec("A-AXIS-IDEN", "轴号", "axis labels", True, False, "TEXT / INSERT with attribute"),
    GroupSpec("F-AREA", "防火分区", "fire compartments", False, True, "closed polylines"),
    GroupSpec("F-SPRK", "喷淋范围", "sprinklered parts", False, True, "closed polylines"),
    GroupSpec("F-EXIT", "安全出口", "safe exits", False, False, "INSERT / POINT"),
    GroupSpec("F-STRS", "疏散楼梯间", "evacuation stair cores", False, True, "closed polylines"),
    GroupSpec("F-FRNT", "前室", "front rooms", False, True, "closed polylines"),
    GroupSpec("F-EVTR", "消防电梯", "fire lifts", False, True, "closed polylines"),
    GroupSpec("F-LANE", "消防车道", "fire lanes", False, True, "closed polylines"),
    GroupSpec(
        "F-SITE",
        "消防登高操作场地",
        "rescue sites for aerial appliances",
        False,
        True,
        "closed polylines",
    ),
    GroupSpec("R-UNIT", "防护单元", "protective units", False, True, "closed polylines"),
    GroupSpec("R-BLST", "抗爆单元", "anti-blast units", False, True, "closed polylines"),
    GroupSpec(
        "R-ENTR", "人防出入口", "shelter entrances", False, False, "INSERT with attribute KIND"
    ),
    GroupSpec(
        "E-LTNG-ROOF",
        "屋面轮廓（防雷平面）",
        "roof outline on the lightning plan",
        False,
        True,
        "closed polyline",
    ),
    GroupSpec(
        "E-LTNG-TERM",
        "接闪带/接闪网",
        "air-termination band / mesh",
        False,
        False,
        "lines, polylines",
    ),
    GroupSpec("E-LTNG-DOWN", "引下线", "down conductors", False, False, "INSERT / CIRCLE / POINT"),
)

GROUPS: Final[Mapping[str, GroupSpec]] = MappingProxyType({g.name: g for g in _GROUP_TABLE})
"""Every group of the standard's table, in table order."""

TEXT_GROUPS: Final[frozenset[str]] = frozenset(g.name for g in _GROUP_TABLE if g.text)
"""The groups that hold text rather than geometry."""

REQUIRED: Final[Mapping[Discipline, tuple[str, ...]]] = MappingProxyType(
    {
        Discipline.PLANNING: ("G-SITE-REDL", "G-BLDG-OUTL"),
        Discipline.ARCHITECTURE: ("A-WALL", "A-DOOR", "A-AREA", "A-AREA-IDEN", "A-AXIS"),
        Discipline.FIRE: ("F-AREA", "F-EXIT"),
        Discipline.CIVIL_DEFENCE: ("R-UNIT", "R-ENTR"),
        Discipline.LIGHTNING: ("E-LTNG-ROOF", "E-LTNG-TERM", "E-LTNG-DOWN"),
    }
)
"""Groups whose absence from a drawing of that discipline is a ``DXF-005`` finding."""

PRESETS: Final[tuple[str, ...]] = ("tarch", "institute")
"""The shipped alias presets, in the order they are applied."""

MAX_TOML_CHARS: Final = 1_000_000
"""A ``layers.toml`` comes with an uploaded package; a real one is a few kilobytes."""

MAX_ALIASES: Final = 5_000
"""Aliases a ``layers.toml`` may declare: each wildcard is tried against every new layer name."""

MAX_ALIAS_LENGTH: Final = 255
"""The longest layer name AutoCAD accepts; a longer alias could never match a real layer."""

_CACHE_LIMIT: Final = 65_536
"""Raw layer names remembered per map; beyond that lookups are computed, not stored."""

_PACKAGE: Final = "drawings"
_ALLOWED_TOP_LEVEL: Final = ("aliases", "presets")
_LINE_RE: Final = re.compile(r"at line (\d+)")
_BARE_KEY_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,80}")
_BOUND_XREF_RE: Final = re.compile(r"^[^$]*\$\d+\$")


def normalize_layer_name(name: str) -> str:
    """Return the form under which layer names and aliases are compared.

    Drawings arrive from many CAD setups: the same layer shows up as ``A-WALL``, ``a_wall`` or
    ``XREF-ARCH|A-WALL`` when the floor plan is an external reference. The standard therefore
    matches case-insensitively, ignores the xref prefix (all of it, for nested references such as
    ``SITE|ARCH|A-WALL``; a bound xref's ``XREF$0$A-WALL`` likewise) and treats ``-`` and ``_`` alike. ``casefold`` rather than ``lower`` so
    that non-ASCII letters fold the same way everywhere.

    Args:
        name: A raw layer name, or an alias pattern (``*`` is kept as it is).

    Returns:
        The normalized name; ``""`` for a blank name.
    """
    base = name.strip().rpartition("|")[2]
    bound = _BOUND_XREF_RE.match(base)
    if bound is not None:  # a bound xref: "XREF$0$A-WALL" is the xref's layer "A-WALL"
        base = base[bound.end() :]
    return base.strip().casefold().replace("_", "-")


def _printable(text: str) -> str:
    """A line of user text for a message: control characters escaped, at most 80 characters."""
    short = text[:80]
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in short)
    return shown + ("…" if len(text) > 80 else "")


def _show(value: object) -> str:
    """Quote a user-supplied value for a message: escaped, Chinese kept, never unbounded."""
    if isinstance(value, str):
        return f'"{_printable(value)}"'
    return _printable(repr(value))


class LayerMapError(DrawingError, ValueError):
    """A ``layers.toml`` (or a preset) that cannot be used, refused with a specific reason.

    A firm's alias map decides which raw layers the checkers see; guessing around a mistake in
    it would silently drop walls or fire compartments from review, so the map is refused as a
    whole with a message a designer can act on: the file, the key and what was expected.

    Attributes:
        reason: Short machine-readable key: ``invalid-toml``, ``too-large``, ``unknown-key``,
            ``not-a-table``, ``unknown-group``, ``not-a-list``, ``not-a-string``,
            ``empty-alias``, ``bad-alias``, ``too-long``, ``too-many``, ``unknown-preset``,
            ``conflict``.
        message: The explanation in Simplified Chinese (the users' language).
        message_en: The same in English.
        file: The file the map came from.
        key: The TOML key at fault (``aliases.A-AREA``, ``presets``), or ``None`` when the fault
            is the file as a whole (not valid TOML, too large).
    """

    def __init__(
        self,
        reason: str,
        message: str,
        message_en: str,
        *,
        file: str,
        key: str | None = None,
    ) -> None:
        self.reason = reason
        self.message = message
        self.message_en = message_en
        self.file = file
        self.key = key
        super().__init__(f"{message}\n{message_en}")


def _fail(source: str, key: str | None, reason: str, zh: str, en: str) -> LayerMapError:
    """Build a :class:`LayerMapError` whose messages start with the file and the key."""
    where_zh = f"{source}：{key}：" if key else f"{source}："
    where_en = f"{source}: {key}: " if key else f"{source}: "
    return LayerMapError(reason, where_zh + zh, where_en + en, file=source, key=key)


def _toml_key(key: str) -> str:
    """A key as written in TOML: bare when it may be, else quoted (and shortened)."""
    return key if _BARE_KEY_RE.fullmatch(key) else _show(key)


def _group_key(group: str) -> str:
    """The TOML key of one group's alias list, as a designer would write it."""
    return f"aliases.{_toml_key(group)}"


def _suggest_group(name: str) -> tuple[str, str]:
    """A "did you mean" hint for an unknown group name, in Chinese and English (or empty)."""
    wanted = normalize_layer_name(name)
    for group in GROUPS:
        if normalize_layer_name(group) == wanted:
            return f'（应写作 "{group}"）', f' (write it as "{group}")'
    close = difflib.get_close_matches(name.upper(), list(GROUPS), n=1)
    if close:
        return f'（是否应为 "{close[0]}"？）', f' (did you mean "{close[0]}"?)'
    return "", ""


def _check_alias_text(alias: object, group: str, index: int, source: str) -> str:
    """Validate one alias of a group and return it stripped (its spelling for documentation)."""
    key = _group_key(group)
    item_zh, item_en = f"第 {index + 1} 项", f"item {index + 1}"
    if not isinstance(alias, str):
        raise _fail(
            source,
            key,
            "not-a-string",
            f'{item_zh}（{_show(alias)}）不是字符串；别名应为图层名字符串，如 "WALL"。',
            f"{item_en} ({_show(alias)}) is not a string; an alias must be a layer name string "
            'such as "WALL".',
        )
    stripped = alias.strip()
    if not stripped:
        raise _fail(
            source,
            key,
            "empty-alias",
            f"{item_zh}为空；别名应为非空的图层名。",
            f"{item_en} is empty; an alias must be a non-empty layer name.",
        )
    if len(stripped) > MAX_ALIAS_LENGTH:
        raise _fail(
            source,
            key,
            "too-long",
            f"{item_zh}长 {len(stripped)} 个字符；图层名最长 {MAX_ALIAS_LENGTH} 个字符。",
            f"{item_en} is {len(stripped)} characters long; a layer name has at most "
            f"{MAX_ALIAS_LENGTH}.",
        )
    if "|" in stripped:
        raise _fail(
            source,
            key,
            "bad-alias",
            f'{item_zh} {_show(stripped)} 含有 "|"；外部参照前缀在匹配时已被忽略，'
            "别名应只写图层名本身。",
            f'{item_en} {_show(stripped)} contains "|"; the xref prefix is ignored when '
            "matching, so an alias must be the bare layer name.",
        )
    if not normalize_layer_name(stripped).replace("*", ""):
        raise _fail(
            source,
            key,
            "bad-alias",
            f"{item_zh} {_show(stripped)} 只有通配符，会匹配所有图层；别名至少应含一个字符。",
            f"{item_en} {_show(stripped)} is only wildcards and would match every layer; an "
            "alias must contain at least one literal character.",
        )
    return stripped


def _check_aliases(raw: object, source: str) -> dict[str, tuple[str, ...]]:
    """Validate an ``[aliases]`` table: known group -> list of non-empty alias strings."""
    if not isinstance(raw, Mapping):
        raise _fail(
            source,
            "aliases",
            "not-a-table",
            f"值为 {_show(raw)}；应为表 [aliases]，每个键是图层组名，值是别名列表，"
            '如 "A-AREA" = ["房间轮廓"]。',
            f"the value is {_show(raw)}; expected a table [aliases] whose keys are layer groups "
            'and values lists of aliases, such as "A-AREA" = ["房间轮廓"].',
        )
    out: dict[str, tuple[str, ...]] = {}
    total = 0
    for group, values in raw.items():
        if not isinstance(group, str) or group not in GROUPS:
            hint_zh, hint_en = _suggest_group(str(group))
            raise _fail(
                source,
                _group_key(str(group)),
                "unknown-group",
                f"未知的图层组{hint_zh}；应为提交标准第 3 节表中的组名之一："
                + "、".join(GROUPS)
                + "。",
                f"unknown layer group{hint_en}; expected one of the groups in section 3 of the "
                "submission standard: " + ", ".join(GROUPS) + ".",
            )
        if not isinstance(values, list | tuple):
            raise _fail(
                source,
                _group_key(group),
                "not-a-list",
                f'值为 {_show(values)}；应为别名列表，如 ["房间轮廓", "ROOM_OUTLINE"]。',
                f"the value is {_show(values)}; expected a list of aliases such as "
                '["房间轮廓", "ROOM_OUTLINE"].',
            )
        total += len(values)
        if total > MAX_ALIASES:
            raise _fail(
                source,
                _group_key(group),
                "too-many",
                f'别名总数超过 {MAX_ALIASES} 个；请合并为通配符（如 "A-WALL*"）。',
                f'more than {MAX_ALIASES} aliases in all; use wildcards such as "A-WALL*".',
            )
        out[group] = tuple(
            _check_alias_text(alias, group, index, source) for index, alias in enumerate(values)
        )
    return out


def _check_presets(raw: object, source: str) -> tuple[str, ...]:
    """Validate the top-level ``presets`` list of a ``layers.toml``."""
    expected_zh = "应为预设名列表，取值为 " + "、".join(f'"{p}"' for p in PRESETS)
    expected_en = "expected a list of preset names out of " + ", ".join(f'"{p}"' for p in PRESETS)
    if not isinstance(raw, list | tuple):
        raise _fail(
            source,
            "presets",
            "not-a-list",
            f'值为 {_show(raw)}；{expected_zh}，如 presets = ["tarch"]。',
            f'the value is {_show(raw)}; {expected_en}, such as presets = ["tarch"].',
        )
    for index, name in enumerate(raw):
        if not isinstance(name, str):
            raise _fail(
                source,
                "presets",
                "not-a-string",
                f"第 {index + 1} 项（{_show(name)}）不是字符串；{expected_zh}。",
                f"item {index + 1} ({_show(name)}) is not a string; {expected_en}.",
            )
        if name not in PRESETS:
            raise _fail(
                source,
                "presets",
                "unknown-preset",
                f"第 {index + 1} 项 {_show(name)} 不是已知的预设；{expected_zh}。",
                f"item {index + 1} {_show(name)} is not a known preset; {expected_en}.",
            )
    return tuple(p for p in PRESETS if p in raw)


def _parse_document(
    text: str, source: str, *, allow_presets: bool
) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...] | None]:
    """Parse a ``layers.toml``-format document into (aliases, presets or ``None``)."""
    if len(text) > MAX_TOML_CHARS:
        raise _fail(
            source,
            None,
            "too-large",
            f"文件有 {len(text)} 个字符；图层映射文件最多 {MAX_TOML_CHARS} 个字符。",
            f"the file has {len(text)} characters; a layer map has at most {MAX_TOML_CHARS}.",
        )
    text = text.removeprefix("\ufeff")  # Windows editors save UTF-8 with a byte-order mark.
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        line_zh = line_en = ""
        found = _LINE_RE.search(detail)
        if found:
            number = int(found.group(1))
            lines = text.split("\n")
            content = f"`{_printable(lines[number - 1])}`" if 0 < number <= len(lines) else ""
            line_zh = f"第 {number} 行 {content}："
            line_en = f"line {number} {content}: "
        elif "end of document" in detail:
            line_zh, line_en = "文件末尾：", "end of file: "
        raise _fail(
            source,
            None,
            "invalid-toml",
            f"{line_zh}不是有效的 TOML（{detail}）；应为 [aliases] 表，"
            '如 "A-AREA" = ["房间轮廓", "ROOM_OUTLINE"]。',
            f"{line_en}not valid TOML ({detail}); expected an [aliases] table such as "
            '"A-AREA" = ["房间轮廓", "ROOM_OUTLINE"].',
        ) from None
    allowed = _ALLOWED_TOP_LEVEL if allow_presets else ("aliases",)
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint_zh = f'（是否应为 "{close[0]}"？）' if close else ""
            hint_en = f' (did you mean "{close[0]}"?)' if close else ""
            raise _fail(
                source,
                _toml_key(key),
                "unknown-key",
                f"未知的顶层键{hint_zh}；只允许 " + "、".join(allowed) + "。",
                f"unknown top-level key{hint_en}; only " + ", ".join(allowed) + " are allowed.",
            )
    aliases = _check_aliases(data.get("aliases", {}), source)
    presets = _check_presets(data["presets"], source) if "presets" in data else None
    return aliases, presets


def _read_preset(name: str) -> str:
    """The text of a shipped preset file, from wherever the package is installed.

    ``importlib.resources`` finds package data in wheels, zips and source trees alike. While
    ``drawings`` is a namespace package under an editable install, its search path also holds
    the installer's path-hook marker, which ``importlib.resources`` (Python 3.11) rejects with
    ``NotADirectoryError``; the presets then sit next to this module, so read them from there.
    """
    try:
        resource = resources.files(_PACKAGE) / "presets" / f"{name}.toml"
        return resource.read_text(encoding="utf-8")
    except (ModuleNotFoundError, NotADirectoryError, TypeError):
        return (Path(__file__).parent / "presets" / f"{name}.toml").read_text(encoding="utf-8")


@cache
def preset_aliases(name: str) -> Mapping[str, tuple[str, ...]]:
    """The aliases of one shipped preset, group -> aliases as written in the preset file.

    Presets are TOML files inside the package (``drawings/presets/NAME.toml``, same format as a
    firm's ``layers.toml``) so that they can be read, diffed and documented without Python.

    Args:
        name: One of :data:`PRESETS`.

    Returns:
        A read-only mapping in the file's order.

    Raises:
        LayerMapError: ``name`` is not a preset (reason ``unknown-preset``), or the shipped file
            is broken.
    """
    source = f"presets/{name}.toml"
    if name not in PRESETS:
        raise _fail(
            source,
            None,
            "unknown-preset",
            "没有这个预设；可用的预设为 " + "、".join(PRESETS) + "。",
            "no such preset; the presets are " + ", ".join(PRESETS) + ".",
        )
    aliases, _ = _parse_document(_read_preset(name), source, allow_presets=False)
    return MappingProxyType(aliases)


@dataclass(frozen=True, slots=True)
class _Alias:
    """One alias as declared: its normalized pattern, its spelling, its group and its origin."""

    pattern: str
    spelling: str
    group: str
    origin: str  # "canonical", the preset's file, or the firm's file


@dataclass(frozen=True, slots=True)
class _Wildcard:
    """A compiled ``*`` pattern: literal parts between the stars, and its specificity."""

    parts: tuple[str, ...]
    group: int
    rank: tuple[int, int, int]

    def matches(self, name: str) -> bool:
        """Glob-match with ``*`` only: prefix, suffix, then the middle parts leftmost-first.

        Leftmost-first is exact for patterns whose only operator is ``*`` and takes at most
        one pass over the name per part, so no pattern can make matching super-linear
        (unlike a backtracking regular expression such as ``.*a.*b.*c``).
        """
        first, last = self.parts[0], self.parts[-1]
        end = len(name) - len(last)
        if end < len(first) or not name.startswith(first) or not name.endswith(last):
            return False
        pos = len(first)
        for part in self.parts[1:-1]:
            if part:
                found = name.find(part, pos, end)
                if found < 0:
                    return False
                pos = found + len(part)
        return True


@dataclass(frozen=True, slots=True)
class _Resolution:
    """What one raw layer maps to: every candidate, and the winners per entity kind."""

    candidates: tuple[str, ...]
    text: str | None
    geometry: str | None


_UNMAPPED: Final = _Resolution((), None, None)
_EXACT_RANK: Final = (0, 0, 0)
_GROUP_INDEX: Final[Mapping[str, int]] = MappingProxyType({g: i for i, g in enumerate(GROUPS)})
_GROUP_NAMES: Final[tuple[str, ...]] = tuple(GROUPS)


class LayerMap:
    """Maps raw DXF layer names to the standard's logical layer groups.

    Built from the canonical group names (always), the chosen presets and a firm's aliases.
    Instances are immutable apart from a bounded lookup cache, and cheap to build.

    Args:
        aliases: A firm's aliases, group -> alias patterns, added to the presets.
        presets: Which shipped presets apply (default: all of :data:`PRESETS`).
        source: The file the firm's aliases came from, named in error messages.

    Raises:
        LayerMapError: An unknown group or preset, a malformed alias, or an alias that would put
            one layer into two geometry groups (or two text groups).
    """

    def __init__(
        self,
        aliases: Mapping[str, Sequence[str]] | None = None,
        *,
        presets: Iterable[str] = PRESETS,
        source: str = "layers.toml",
    ) -> None:
        chosen = _check_presets(presets if isinstance(presets, str) else list(presets), source)
        firm = _check_aliases(aliases if aliases is not None else {}, source)
        self._source = source
        self._presets = chosen
        declared = [_Alias(normalize_layer_name(g), g, g, "canonical") for g in GROUPS]
        for preset in chosen:
            for group, names in preset_aliases(preset).items():
                declared.extend(
                    _Alias(normalize_layer_name(a), a, group, f"presets/{preset}.toml")
                    for a in names
                )
        for group, names in firm.items():
            declared.extend(_Alias(normalize_layer_name(a), a, group, source) for a in names)
        self._aliases = self._deduplicate(declared)
        exact: dict[str, list[int]] = {}
        wild: list[_Wildcard] = []
        for alias in self._aliases:
            index = _GROUP_INDEX[alias.group]
            if "*" not in alias.pattern:
                exact.setdefault(alias.pattern, []).append(index)
                continue
            parts = tuple(alias.pattern.split("*"))
            rank = (1, -len(parts[0]), -sum(len(p) for p in parts))
            wild.append(_Wildcard(parts, index, rank))
        self._exact: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in exact.items()}
        self._wild: tuple[_Wildcard, ...] = tuple(wild)
        self._cache: dict[str, _Resolution] = {}

    @staticmethod
    def _deduplicate(declared: list[_Alias]) -> tuple[_Alias, ...]:
        """Drop repeats of an alias in the same group; refuse one in two groups of one kind.

        A layer may hold one text group and one geometry group (``SPACE``), but a layer in two
        geometry groups would make a wall a column too, and which one wins would depend on
        declaration order. Identical patterns are compared after normalization, so ``WALL`` and
        ``wall`` are the same alias. The refusal names where the first mapping came from; a
        firm that really means something else by a preset's layer name can drop that preset.
        """
        seen: dict[str, list[_Alias]] = {}
        kept: list[_Alias] = []
        for alias in declared:
            earlier = seen.setdefault(alias.pattern, [])
            if any(e.group == alias.group for e in earlier):
                continue
            kind = GROUPS[alias.group].text
            clash = next((e for e in earlier if GROUPS[e.group].text == kind), None)
            if clash is not None:
                what_zh = "文字" if kind else "图形"
                what_en = "text" if kind else "geometry"
                if clash.origin == "canonical":
                    by_zh = f"是标准组名 {clash.group} 本身"
                    by_en = f"is the group name {clash.group}"
                else:
                    by_zh = f"已由 {clash.origin} 映射到 {clash.group}"
                    by_en = f"is already mapped to {clash.group} by {clash.origin}"
                if clash.origin.startswith("presets/"):
                    fix_zh = "请删除该别名，或用 presets = [...] 排除该预设。"
                    fix_en = "Remove the alias, or leave that preset out with presets = [...]."
                else:
                    fix_zh, fix_en = "请删除该别名。", "Remove the alias."
                raise _fail(
                    alias.origin,
                    _group_key(alias.group),
                    "conflict",
                    f"别名 {_show(alias.spelling)} {by_zh}；一个图层最多属于一个{what_zh}组。"
                    + fix_zh,
                    f"the alias {_show(alias.spelling)} {by_en}; a layer belongs to at most one "
                    f"{what_en} group. " + fix_en,
                )
            earlier.append(alias)
            kept.append(alias)
        return tuple(kept)

    @classmethod
    def default(cls) -> LayerMap:
        """The map used when a package has no ``layers.toml``: both presets and the group names."""
        return cls()

    @classmethod
    def from_toml(cls, text: str, *, source: str = "layers.toml") -> LayerMap:
        """Build the map of a package from its ``layers.toml``.

        The file adds aliases to the presets (``[aliases]``), and may restrict which presets
        apply with a top-level ``presets = ["tarch"]`` (default: all). A leading UTF-8
        byte-order mark is accepted.

        Args:
            text: The file's content.
            source: The file's name in the package, named in error messages.

        Raises:
            LayerMapError: The file is not valid TOML, has a key other than ``aliases`` and
                ``presets``, names an unknown group or preset, has a value that is not a list of
                non-empty strings, or maps a layer into two groups of one kind.
        """
        aliases, presets = _parse_document(text, source, allow_presets=True)
        return cls(aliases, presets=PRESETS if presets is None else presets, source=source)

    @property
    def presets(self) -> tuple[str, ...]:
        """The presets in effect, in application order."""
        return self._presets

    @property
    def source(self) -> str:
        """The file the firm's aliases came from."""
        return self._source

    def candidates(self, layer: str) -> tuple[str, ...]:
        """Every group this raw layer may belong to, most specific first.

        Exact aliases come before wildcard ones; wildcards with a longer literal prefix, then
        more literal characters, come first; ties keep the table order. Meant for diagnostics
        (``lianshen layers``, "why is this layer unmapped?"); the loader uses :meth:`group_for`.
        """
        return self._lookup(layer).candidates

    def group_for(self, layer: str, *, is_text: bool) -> str | None:
        """The group an entity on ``layer`` belongs to, or ``None`` when it is not semantic.

        Only the most specific aliases that match the layer count: ``A-DOOR-IDEN`` matches the
        exact alias of A-DOOR-IDEN and the wildcard ``A-DOOR*``, and is the door-number layer
        only. Among those there is one text group and one geometry group at most: the same
        alias in two groups of one kind is refused when the map is built, and two different
        wildcards that tie exactly (rare, firm-made) are settled by table order.

        * Text (``is_text=True``) goes to the text group when the layer has one, else to the
          geometry group: the label ``防火分区1`` drawn on the F-AREA layer is the compartment's
          label, and checkers look for it among F-AREA objects.
        * Geometry (``is_text=False``) goes to the geometry group, and to ``None`` on a layer
          that is only a text group. A circle around an axis number on TArch's ``AXIS`` or a
          leader on ``A-DOOR-IDEN`` is not a text object, and putting it in the text group
          would hand checkers shapes where they expect strings; it is simply not semantic.

        Args:
            layer: The raw layer name as stored in the DXF.
            is_text: Whether the entity's content is text: TEXT, MTEXT, ATTRIB, and INSERTs
                that carry their meaning in attributes (axis bubbles with a number attribute).

        Returns:
            The group name, or ``None``.
        """
        found = self._lookup(layer)
        if is_text:
            return found.text if found.text is not None else found.geometry
        return found.geometry

    def describe(self) -> dict[str, list[str]]:
        """Every group (table order) with its alias patterns as written, canonical name first.

        Aliases that normalize to the same pattern are listed once, in their first spelling;
        for documentation and ``lianshen layers``.
        """
        out: dict[str, list[str]] = {g: [] for g in GROUPS}
        for alias in self._aliases:
            out[alias.group].append(alias.spelling)
        return out

    def _lookup(self, layer: str) -> _Resolution:
        """Resolve a raw layer name once, then answer from the cache.

        The cache is keyed by the raw name (no normalization on a hit) and stops growing at
        ``_CACHE_LIMIT`` entries, so memory stays bounded whatever a file declares.
        """
        found = self._cache.get(layer)
        if found is None:
            found = self._resolve(layer)
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[layer] = found
        return found

    def _resolve(self, layer: str) -> _Resolution:
        """Rank every matching alias; linear in the name's length times the wildcard count."""
        name = normalize_layer_name(layer)
        best: dict[int, tuple[int, int, int]] = dict.fromkeys(
            self._exact.get(name, ()), _EXACT_RANK
        )
        for wildcard in self._wild:
            if wildcard.matches(name):
                previous = best.get(wildcard.group)
                if previous is None or wildcard.rank < previous:
                    best[wildcard.group] = wildcard.rank
        if not best:
            return _UNMAPPED
        order = sorted(best, key=lambda g: (best[g], g))
        top = best[order[0]]
        text = geometry = None
        for index in order:
            if best[index] != top:
                break
            group = _GROUP_NAMES[index]
            if group in TEXT_GROUPS:
                text = text or group
            else:
                geometry = geometry or group
        return _Resolution(tuple(_GROUP_NAMES[g] for g in order), text, geometry)

    def __repr__(self) -> str:
        return (
            f"LayerMap(presets={list(self._presets)!r}, source={self._source!r}, "
            f"aliases={len(self._aliases)})"
        )
