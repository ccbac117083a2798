"""Logical layer groups, presets and alias maps against section 3 of the submission standard.

The table below is copied from the standard by hand, independently of the preset files, so a
preset that drifts from the standard fails here.
"""

from __future__ import annotations

import time

import pytest

from drawings import layers
from drawings.errors import DrawingError
from drawings.layers import (
    GROUPS,
    PRESETS,
    REQUIRED,
    TEXT_GROUPS,
    GroupSpec,
    LayerMap,
    LayerMapError,
    normalize_layer_name,
    preset_aliases,
)
from drawings.model import Discipline

# group, tarch preset, institute preset — in the standard's table order.
STANDARD_TABLE: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("G-SITE-REDL", ("REDLINE", "用地红线"), ("A-REDL",)),
    ("G-ROAD-REDL", ("道路红线",), ("A-ROAD-RED",)),
    ("G-SITE-CTRL", ("建筑控制线",), ("A-REDL-ARCH",)),
    ("G-BLDG-OUTL", ("建筑轮廓",), ("A-MAST-ROOF",)),
    ("G-BLDG-BASE", ("地下室轮廓",), ("A-MAST-BASE",)),
    ("G-GREN", ("绿地",), ("A-HATC-GREEN",)),
    ("G-PARK", ("车位",), ("A-PARK",)),
    ("G-ANNO-INDX", ("经济技术指标",), ("A-ANNO-INDX",)),
    ("A-WALL", ("WALL", "PUB_WALL", "CURTWALL", "WALL-MOVE"), ("AE-WALL", "A-WALL*")),
    ("A-COLU", ("COLUMN",), ("S_COLU", "A-COLU*")),
    ("A-DOOR", ("DOOR_FIRE",), ("AE-DOOR*", "A-DOOR*")),
    ("A-DOOR-IDEN", ("DOOR_FIRE_TEXT",), ("A-DOOR-IDEN",)),
    ("A-WIND", ("WINDOW",), ("AE-WIND", "A-WIND*")),
    ("A-WIND-IDEN", ("WINDOW_TEXT",), ("A-WIND-IDEN",)),
    ("A-STRS", ("STAIR",), ("A-STRS*",)),
    ("A-EVTR", ("EVTR",), ("A-EVTR",)),
    ("A-FIXT", ("LATRINE", "洁具"), ("A-FIXT",)),
    ("A-AREA", ("SPACE",), ("AD-AREA-OUTL",)),
    ("A-AREA-IDEN", ("SPACE", "PUB_TEXT"), ("AD-NAME-ROOM",)),
    ("A-AXIS", ("DOTE",), ("A-DOTE", "AD-AXIS-AXIS")),
    ("A-AXIS-IDEN", ("AXIS_TEXT", "AXIS"), ("A-AXIS",)),
    ("F-AREA", ("防火分区",), ("F-AREA",)),
    ("F-SPRK", ("喷淋范围",), ("F-SPRK",)),
    ("F-EXIT", ("安全出口",), ("F-EXIT",)),
    ("F-STRS", ("疏散楼梯",), ("F-STRS",)),
    ("F-FRNT", ("前室",), ("F-FRNT",)),
    ("F-EVTR", ("消防电梯",), ("F-EVTR",)),
    ("F-LANE", ("消防车道",), ("F-LANE",)),
    ("F-SITE", ("登高场地",), ("F-SITE",)),
    ("R-UNIT", ("人防-防护单元",), ("R-UNIT",)),
    ("R-BLST", ("人防-抗爆单元",), ("R-BLST",)),
    ("R-ENTR", ("人防-出入口",), ("R-ENTR",)),
    ("E-LTNG-ROOF", ("屋面轮廓",), ("E-LTNG-ROOF",)),
    ("E-LTNG-TERM", ("防雷", "接闪带"), ("E-LTNG-TERM",)),
    ("E-LTNG-DOWN", ("引下线",), ("E-LTNG-DOWN",)),
]
STANDARD_ORDER = [row[0] for row in STANDARD_TABLE]
STANDARD_TEXT = {"A-DOOR-IDEN", "A-WIND-IDEN", "A-AREA-IDEN", "A-AXIS-IDEN", "G-ANNO-INDX"}
STANDARD_CLOSED = {
    "G-SITE-REDL",
    "G-SITE-CTRL",
    "G-BLDG-OUTL",
    "G-BLDG-BASE",
    "G-GREN",
    "A-AREA",
    "F-AREA",
    "F-SPRK",
    "F-STRS",
    "F-FRNT",
    "F-EVTR",
    "F-LANE",
    "F-SITE",
    "R-UNIT",
    "R-BLST",
    "E-LTNG-ROOF",
}
STANDARD_REQUIRED = {
    Discipline.PLANNING: ("G-SITE-REDL", "G-BLDG-OUTL"),
    Discipline.ARCHITECTURE: ("A-WALL", "A-DOOR", "A-AREA", "A-AREA-IDEN", "A-AXIS"),
    Discipline.FIRE: ("F-AREA", "F-EXIT"),
    Discipline.CIVIL_DEFENCE: ("R-UNIT", "R-ENTR"),
    Discipline.LIGHTNING: ("E-LTNG-ROOF", "E-LTNG-TERM", "E-LTNG-DOWN"),
}

PRESET_ROWS = [
    (preset, group, alias)
    for group, tarch, institute in STANDARD_TABLE
    for preset, names in (("tarch", tarch), ("institute", institute))
    for alias in names
]


@pytest.fixture(scope="module")
def default_map() -> LayerMap:
    return LayerMap.default()


# --- the table -----------------------------------------------------------------------------


def test_groups_follow_the_standard_table_order() -> None:
    assert list(GROUPS) == STANDARD_ORDER
    assert all(isinstance(spec, GroupSpec) and spec.name == name for name, spec in GROUPS.items())


def test_text_and_closed_flags() -> None:
    assert {g for g, spec in GROUPS.items() if spec.text} == STANDARD_TEXT == TEXT_GROUPS
    assert {g for g, spec in GROUPS.items() if spec.closed} == STANDARD_CLOSED


def test_every_group_has_both_meanings() -> None:
    for spec in GROUPS.values():
        assert spec.meaning_zh.strip() and spec.meaning_en.strip() and spec.expected.strip()


def test_required_matches_the_standard() -> None:
    assert dict(REQUIRED) == STANDARD_REQUIRED
    assert set(REQUIRED) == set(Discipline)


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_files_copy_the_standard_verbatim(preset: str) -> None:
    column = 1 if preset == "tarch" else 2
    expected = {row[0]: row[column] for row in STANDARD_TABLE}
    assert dict(preset_aliases(preset)) == expected
    assert list(preset_aliases(preset)) == STANDARD_ORDER


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(LayerMapError) as info:
        preset_aliases("autocad")
    assert info.value.reason == "unknown-preset"


# --- presets map their aliases ------------------------------------------------------------


def _concrete(alias: str) -> list[str]:
    """Layer names an alias stands for: itself, or its wildcard filled in two ways."""
    if "*" not in alias:
        return [alias]
    return [alias.replace("*", ""), alias.replace("*", "-NEW2")]


@pytest.mark.parametrize(("preset", "group", "alias"), PRESET_ROWS)
def test_every_preset_alias_maps_to_its_group(preset: str, group: str, alias: str) -> None:
    text = GROUPS[group].text
    for layer_map in (LayerMap.default(), LayerMap(presets=[preset])):
        for layer in _concrete(alias):
            assert group in layer_map.candidates(layer)
            assert layer_map.group_for(layer, is_text=text) == group


@pytest.mark.parametrize("group", STANDARD_ORDER)
@pytest.mark.parametrize("presets", [PRESETS, ("tarch",), ("institute",), ()])
def test_canonical_names_always_map(group: str, presets: tuple[str, ...]) -> None:
    layer_map = LayerMap(presets=presets)
    text = GROUPS[group].text
    for layer in (group, group.lower(), group.replace("-", "_"), f"  {group.lower()}  "):
        assert layer_map.group_for(layer, is_text=text) == group


# --- normalization --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("A-WALL", "a-wall"),
        ("a_wall", "a-wall"),
        ("A_Wall-Move", "a-wall-move"),
        ("XREF|A-WALL", "a-wall"),
        ("SITE|ARCH|A_WALL", "a-wall"),
        ("  XREF | A-WALL  ", "a-wall"),
        ("\tREDLINE\r\n", "redline"),
        ("平面|防火分区", "防火分区"),
        ("XREF|", ""),
        ("", ""),
        ("A-WALL*", "a-wall*"),
    ],
)
def test_normalize_layer_name(raw: str, normalized: str) -> None:
    assert normalize_layer_name(raw) == normalized


@pytest.mark.parametrize(
    ("layer", "is_text", "group"),
    [
        ("XREF|WALL", False, "A-WALL"),
        ("A|B|REDLINE", False, "G-SITE-REDL"),
        ("总图|用地红线", False, "G-SITE-REDL"),
        (" x | 防火分区 ", False, "F-AREA"),
        ("ARCH|A-DOOR-IDEN", True, "A-DOOR-IDEN"),
        ("wall", False, "A-WALL"),
        ("Pub-Wall", False, "A-WALL"),
        ("pub_wall", False, "A-WALL"),
        ("wall_move", False, "A-WALL"),
        ("door-fire-text", True, "A-DOOR-IDEN"),
        ("s-colu", False, "A-COLU"),
        ("人防_防护单元", False, "R-UNIT"),
        ("f_area", False, "F-AREA"),
        ("F_Area", True, "F-AREA"),
    ],
)
def test_xref_case_and_separator_folding(
    default_map: LayerMap, layer: str, is_text: bool, group: str
) -> None:
    assert default_map.group_for(layer, is_text=is_text) == group


# --- wildcards and specificity ------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "is_text", "group"),
    [
        ("A-DOOR-IDEN", True, "A-DOOR-IDEN"),
        ("A-DOOR-IDEN", False, None),
        ("A-DOOR-1", False, "A-DOOR"),
        ("A-DOOR", False, "A-DOOR"),
        ("AE-DOOR-FIRE", False, "A-DOOR"),
        ("AE-DOOR", False, "A-DOOR"),
        ("A-WALL-MOVE", False, "A-WALL"),
        ("a_wall_move", False, "A-WALL"),
        ("A-WIND-IDEN", True, "A-WIND-IDEN"),
        ("A-WIND-IDEN", False, None),
        ("A-WIND-CURT", False, "A-WIND"),
        ("A-COLU-CONC", False, "A-COLU"),
        ("A-STRS-RAIL", False, "A-STRS"),
        ("AE-WALL-2", False, None),  # AE-WALL is exact, not a wildcard
        ("XA-WALL", False, None),  # a wildcard anchors at the start
    ],
)
def test_wildcard_specificity(
    default_map: LayerMap, layer: str, is_text: bool, group: str | None
) -> None:
    assert default_map.group_for(layer, is_text=is_text) == group


def test_candidates_are_ordered_most_specific_first(default_map: LayerMap) -> None:
    assert default_map.candidates("A-DOOR-IDEN") == ("A-DOOR-IDEN", "A-DOOR")
    assert default_map.candidates("A-WIND-IDEN") == ("A-WIND-IDEN", "A-WIND")
    assert default_map.candidates("A-WALL-MOVE") == ("A-WALL",)


def test_longest_prefix_then_most_literals_win() -> None:
    layer_map = LayerMap(
        {"A-COLU": ["A-WALL-C*"], "A-AREA": ["ROOM*"], "A-AREA-IDEN": ["ROOM*NAME"]}
    )
    assert layer_map.group_for("A-WALL-CONC", is_text=False) == "A-COLU"
    assert layer_map.candidates("A-WALL-CONC") == ("A-COLU", "A-WALL")
    assert layer_map.group_for("A-WALL-BRICK", is_text=False) == "A-WALL"
    # ROOM*NAME has more literal characters than ROOM*: the layer is the room-name layer only.
    assert layer_map.group_for("ROOM-NAME", is_text=True) == "A-AREA-IDEN"
    assert layer_map.group_for("ROOM-NAME", is_text=False) is None
    assert layer_map.group_for("ROOM-OUTLINE", is_text=False) == "A-AREA"
    assert layer_map.group_for("ROOM-OUTLINE", is_text=True) == "A-AREA"


@pytest.mark.parametrize(
    ("pattern", "layer", "matches"),
    [
        ("A*B*C", "ABC", True),
        ("A*B*C", "AXXBXXC", True),
        ("A*B*C", "ACB", False),
        ("A*BC*BC", "ABCBC", True),
        ("A*BC*BC", "ABC", False),
        ("*-WALL", "X-WALL", True),
        ("*-WALL", "-WAL", False),
        ("AB*BA", "ABA", False),
        ("AB*BA", "ABBA", True),
        ("[A]*", "[A]B", True),
        ("[A]*", "AB", False),
        ("A?*", "AB", False),
    ],
)
def test_only_star_is_a_wildcard(pattern: str, layer: str, matches: bool) -> None:
    layer_map = LayerMap({"A-FIXT": [pattern]}, presets=())
    assert (layer_map.group_for(layer, is_text=False) == "A-FIXT") is matches


# --- text / geometry disambiguation -------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "is_text", "group"),
    [
        ("SPACE", True, "A-AREA-IDEN"),
        ("SPACE", False, "A-AREA"),
        ("A-AXIS", True, "A-AXIS-IDEN"),
        ("A-AXIS", False, "A-AXIS"),
        ("AXIS", True, "A-AXIS-IDEN"),
        ("AXIS", False, None),
        ("AXIS_TEXT", False, None),
        ("DOTE", False, "A-AXIS"),
        ("DOTE", True, "A-AXIS"),
        ("A-DOTE", False, "A-AXIS"),
        ("PUB_TEXT", True, "A-AREA-IDEN"),
        ("PUB_TEXT", False, None),
        ("防火分区", True, "F-AREA"),  # the label 防火分区1 belongs with its compartment
        ("F-AREA", True, "F-AREA"),
        ("R-UNIT", True, "R-UNIT"),
        ("经济技术指标", True, "G-ANNO-INDX"),
        ("经济技术指标", False, None),
    ],
)
def test_text_geometry_disambiguation(
    default_map: LayerMap, layer: str, is_text: bool, group: str | None
) -> None:
    assert default_map.group_for(layer, is_text=is_text) == group


def test_institute_axis_without_institute_preset() -> None:
    layer_map = LayerMap(presets=["tarch"])
    assert layer_map.group_for("A-AXIS", is_text=True) == "A-AXIS"
    assert layer_map.candidates("A-AXIS") == ("A-AXIS",)


# --- a firm's layers.toml -----------------------------------------------------------------


FIRM_TOML = """
# the firm's own names
[aliases]
"A-AREA" = ["房间轮廓", "ROOM_OUTLINE"]
"A-AREA-IDEN" = ["房间名称"]
"F-AREA" = ["FIRE-ZONE*"]
"""


@pytest.mark.parametrize(
    ("layer", "is_text", "group"),
    [
        ("房间轮廓", False, "A-AREA"),
        ("room-outline", False, "A-AREA"),
        ("XREF|Room_Outline", False, "A-AREA"),
        ("房间名称", True, "A-AREA-IDEN"),
        ("FIRE_ZONE_B1", False, "F-AREA"),
        ("WALL", False, "A-WALL"),  # presets still apply
        ("A-REDL", False, "G-SITE-REDL"),
        ("SPACE", False, "A-AREA"),
        ("unknown", False, None),
    ],
)
def test_firm_map_adds_aliases(layer: str, is_text: bool, group: str | None) -> None:
    layer_map = LayerMap.from_toml(FIRM_TOML)
    assert layer_map.presets == PRESETS
    assert layer_map.group_for(layer, is_text=is_text) == group


def test_firm_map_accepts_a_byte_order_mark_and_repeats() -> None:
    layer_map = LayerMap.from_toml(
        '\ufeff[aliases]\n"A-WALL" = ["WALL", "wall", "A-WALL", "墙"]\n', source="x/layers.toml"
    )
    assert layer_map.group_for("墙", is_text=False) == "A-WALL"
    assert layer_map.source == "x/layers.toml"
    assert layer_map.describe()["A-WALL"].count("WALL") == 1


def test_empty_file_is_the_default_map() -> None:
    assert LayerMap.from_toml("").describe() == LayerMap.default().describe()


def test_describe_lists_every_group_canonical_first() -> None:
    described = LayerMap.from_toml(FIRM_TOML).describe()
    assert list(described) == STANDARD_ORDER
    assert all(patterns[0] == group for group, patterns in described.items())
    assert described["A-AREA"] == ["A-AREA", "SPACE", "AD-AREA-OUTL", "房间轮廓", "ROOM_OUTLINE"]
    assert described["A-DOOR"] == ["A-DOOR", "DOOR_FIRE", "AE-DOOR*", "A-DOOR*"]
    assert described["F-AREA"] == ["F-AREA", "防火分区", "FIRE-ZONE*"]


@pytest.mark.parametrize(
    ("presets", "layer", "group"),
    [
        ('["tarch"]', "REDLINE", "G-SITE-REDL"),
        ('["tarch"]', "A-REDL", None),
        ('["tarch"]', "A-WALL-MOVE", None),
        ('["institute"]', "A-REDL", "G-SITE-REDL"),
        ('["institute"]', "REDLINE", None),
        ('["institute"]', "SPACE", None),
        ("[]", "REDLINE", None),
        ("[]", "G-SITE-REDL", "G-SITE-REDL"),
        ("[]", "房间轮廓", "A-AREA"),
        ('["institute", "tarch"]', "REDLINE", "G-SITE-REDL"),
    ],
)
def test_presets_restriction(presets: str, layer: str, group: str | None) -> None:
    layer_map = LayerMap.from_toml(f'presets = {presets}\n[aliases]\n"A-AREA" = ["房间轮廓"]\n')
    assert layer_map.group_for(layer, is_text=False) == group


def test_presets_property_keeps_application_order() -> None:
    assert LayerMap.from_toml('presets = ["institute", "tarch"]').presets == PRESETS
    assert LayerMap.from_toml('presets = ["institute"]').presets == ("institute",)


def test_a_preset_conflict_disappears_with_the_preset() -> None:
    text = '[aliases]\n"A-COLU" = ["WALL"]\n'
    with pytest.raises(LayerMapError):
        LayerMap.from_toml(text)
    layer_map = LayerMap.from_toml('presets = ["institute"]\n' + text)
    assert layer_map.group_for("WALL", is_text=False) == "A-COLU"


# --- refusals -----------------------------------------------------------------------------


REFUSALS = [
    pytest.param(
        '[aliases]\n"A-ARAE" = ["x"]\n',
        "unknown-group",
        "aliases.A-ARAE",
        ["未知的图层组", "unknown layer group", "A-AREA"],
        id="unknown-group",
    ),
    pytest.param(
        '[aliases]\n"a_area" = ["x"]\n',
        "unknown-group",
        "aliases.a_area",
        ['应写作 "A-AREA"', 'write it as "A-AREA"'],
        id="group-spelling",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = "房间轮廓"\n',
        "not-a-list",
        "aliases.A-AREA",
        ["应为别名列表", "expected a list of aliases", '"房间轮廓"'],
        id="string-value",
    ),
    pytest.param(
        "[aliases.A-AREA]\nx = 1\n",
        "not-a-list",
        "aliases.A-AREA",
        ["应为别名列表", "expected a list of aliases"],
        id="table-value",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["x", 2]\n',
        "not-a-string",
        "aliases.A-AREA",
        ["第 2 项", "item 2", "不是字符串", "is not a string"],
        id="non-string-alias",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["x", ""]\n',
        "empty-alias",
        "aliases.A-AREA",
        ["第 2 项为空", "item 2 is empty"],
        id="empty-alias",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["   "]\n',
        "empty-alias",
        "aliases.A-AREA",
        ["为空", "is empty"],
        id="blank-alias",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["**"]\n',
        "bad-alias",
        "aliases.A-AREA",
        ["只有通配符", "only wildcards"],
        id="only-wildcards",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["XREF|ROOM"]\n',
        "bad-alias",
        "aliases.A-AREA",
        ["外部参照", "xref prefix"],
        id="xref-in-alias",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["' + "R" * 300 + '"]\n',
        "too-long",
        "aliases.A-AREA",
        ["300", "255"],
        id="too-long",
    ),
    pytest.param(
        "[alias]\n",
        "unknown-key",
        "alias",
        ["未知的顶层键", "unknown top-level key", "aliases"],
        id="unknown-top-level",
    ),
    pytest.param(
        "aliases = 3\n",
        "not-a-table",
        "aliases",
        ["应为表", "expected a table"],
        id="aliases-not-a-table",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = [x]\n',
        "invalid-toml",
        None,
        ["第 2 行", "line 2", '`"A-AREA" = [x]`', "不是有效的 TOML", "not valid TOML"],
        id="invalid-toml",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["x"\n',
        "invalid-toml",
        None,
        ["文件末尾", "end of file"],
        id="invalid-toml-at-end",
    ),
    pytest.param(
        "[aliases\n",
        "invalid-toml",
        None,
        ["第 1 行", "line 1"],
        id="invalid-table-header",
    ),
    pytest.param(
        'presets = "tarch"\n',
        "not-a-list",
        "presets",
        ["应为预设名列表", "expected a list of preset names"],
        id="presets-not-a-list",
    ),
    pytest.param(
        'presets = ["autocad"]\n',
        "unknown-preset",
        "presets",
        ["不是已知的预设", "not a known preset", "autocad"],
        id="unknown-preset",
    ),
    pytest.param(
        "presets = [1]\n",
        "not-a-string",
        "presets",
        ["不是字符串", "not a string"],
        id="preset-not-a-string",
    ),
    pytest.param(
        '[aliases]\n"A-COLU" = ["wall"]\n',
        "conflict",
        "aliases.A-COLU",
        ["presets/tarch.toml", "A-WALL", "图形组", "geometry group"],
        id="conflict-preset",
    ),
    pytest.param(
        '[aliases]\n"A-COLU" = ["A_WALL"]\n',
        "conflict",
        "aliases.A-COLU",
        ["标准组名", "group name A-WALL"],
        id="conflict-canonical",
    ),
    pytest.param(
        '[aliases]\n"A-AREA" = ["R*"]\n"F-AREA" = ["r*"]\n',
        "conflict",
        "aliases.F-AREA",
        ["layers.toml", "A-AREA"],
        id="conflict-within-file",
    ),
    pytest.param(
        '[aliases]\n"A-DOOR-IDEN" = ["AXIS"]\n',
        "conflict",
        "aliases.A-DOOR-IDEN",
        ["A-AXIS-IDEN", "文字组", "text group"],
        id="conflict-text",
    ),
]


@pytest.mark.parametrize(("text", "reason", "key", "fragments"), REFUSALS)
def test_refusals(text: str, reason: str, key: str | None, fragments: list[str]) -> None:
    with pytest.raises(LayerMapError) as info:
        LayerMap.from_toml(text, source="pkg/layers.toml")
    error = info.value
    assert error.reason == reason
    assert error.key == key
    assert error.file == "pkg/layers.toml"
    rendered = str(error)
    # Chinese first, then English; both name the file and the key.
    assert rendered.index(error.message) < rendered.index(error.message_en)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
    for message in (error.message, error.message_en):
        assert message.startswith("pkg/layers.toml")
        if key is not None:
            assert key in message
    for fragment in fragments:
        assert fragment in rendered


def test_layer_map_error_is_a_value_error_and_a_drawing_error() -> None:
    with pytest.raises(ValueError):
        LayerMap.from_toml("x = 1")
    with pytest.raises(DrawingError):
        LayerMap.from_toml("x = 1")


def test_too_large_file_is_refused_before_parsing() -> None:
    with pytest.raises(LayerMapError) as info:
        LayerMap.from_toml("#" * (layers.MAX_TOML_CHARS + 1))
    assert info.value.reason == "too-large"


def test_too_many_aliases_are_refused() -> None:
    names = ", ".join(f'"L{i}"' for i in range(layers.MAX_ALIASES + 1))
    with pytest.raises(LayerMapError) as info:
        LayerMap.from_toml(f'[aliases]\n"A-WALL" = [{names}]\n')
    assert info.value.reason == "too-many"


def test_hostile_values_are_quoted_and_shortened_in_messages() -> None:
    with pytest.raises(LayerMapError) as info:
        LayerMap.from_toml('[aliases]\n"A-AREA" = "' + "\\u0007" + "x" * 5000 + '"\n')
    assert "\x07" not in str(info.value)
    assert len(str(info.value)) < 1000


def test_constructor_validates_like_the_file() -> None:
    with pytest.raises(LayerMapError) as info:
        LayerMap({"NOPE": ["x"]})
    assert info.value.reason == "unknown-group"
    with pytest.raises(LayerMapError) as info:
        LayerMap(presets="tarch")
    assert info.value.reason == "not-a-list"


# --- robustness ---------------------------------------------------------------------------


HOSTILE_LAYERS = [
    "",
    " ",
    "|",
    "||||",
    "<b>WALL</b>",
    "{\\fSimSun|b0|i0;WALL}",
    "\\U+5899",
    "%s%n%x",
    "WALL\x00",
    "\x00\x01\x02\x1b[31mWALL",
    "WALL\u202e",
    "\ud800",
    "🧱",
    "A" * 10_000,
    "|" * 10_000,
    "*" * 10_000,
    "-_" * 5_000,
    "XREF|" * 2_000 + "WALL",
    "A-WALL" + "x" * 10_000,
    "../../etc/passwd",
]


@pytest.mark.parametrize("layer", HOSTILE_LAYERS)
def test_hostile_layer_names_do_not_crash(default_map: LayerMap, layer: str) -> None:
    for is_text in (True, False):
        group = default_map.group_for(layer, is_text=is_text)
        assert group is None or group in GROUPS
    assert all(g in GROUPS for g in default_map.candidates(layer))


@pytest.mark.parametrize(
    ("layer", "group"),
    [
        ("XREF|" * 2_000 + "WALL", "A-WALL"),
        ("A-WALL" + "x" * 10_000, "A-WALL"),
        ("<b>WALL</b>", None),
        ("WALL\x00", None),
        ("*" * 10_000, None),
    ],
)
def test_hostile_layer_names_map_literally(default_map: LayerMap, layer: str, group: str) -> None:
    assert default_map.group_for(layer, is_text=False) == group


@pytest.mark.parametrize(
    "layer", ["0", "Defpoints", "PUB_DIM", "TEXT", "A-ANNO-DIMS", "图框", "WALLS", "A-WAL"]
)
def test_unmapped_layers_return_none(default_map: LayerMap, layer: str) -> None:
    assert default_map.group_for(layer, is_text=True) is None
    assert default_map.group_for(layer, is_text=False) is None
    assert default_map.candidates(layer) == ()


def test_wildcards_stay_linear_on_long_names() -> None:
    layer_map = LayerMap({"A-AREA": ["*a*b*c*d*e*f*g*"]})
    started = time.perf_counter()
    for i in range(200):
        layer_map.group_for("a" * 10_000 + str(i), is_text=False)
    assert time.perf_counter() - started < 5.0


def test_cache_is_consistent_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "_CACHE_LIMIT", 100)
    layer_map = LayerMap.default()
    for i in range(1_000):
        assert layer_map.group_for(f"A-WALL-{i}", is_text=False) == "A-WALL"
        assert layer_map.group_for(f"unmapped-{i}", is_text=True) is None
    assert len(layer_map._cache) <= 100
    for _ in range(3):
        assert layer_map.group_for("SPACE", is_text=True) == "A-AREA-IDEN"
        assert layer_map.group_for("SPACE", is_text=False) == "A-AREA"


def test_maps_do_not_share_caches() -> None:
    first = LayerMap.default()
    assert first.group_for("房间轮廓", is_text=False) is None
    second = LayerMap.from_toml('[aliases]\n"A-AREA" = ["房间轮廓"]\n')
    assert second.group_for("房间轮廓", is_text=False) == "A-AREA"
    assert first.group_for("房间轮廓", is_text=False) is None
