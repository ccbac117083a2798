"""Project parameters (``project.toml``, submission standard §5), validated.

Every name, unit and default comes from the parameter table of the rule catalogue. A value that
is unknown, of the wrong type or impossible is refused with the key, the value and what was
expected — all problems at once, so a design firm fixes its file in one go (一次告知).
Defaults marked "national", "K" or "platform" in the catalogue are filled in here; parameters
with no default stay ``None`` and the rules that need them report "not checked".
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BuildingParams",
    "CivilDefenceParams",
    "FireParams",
    "LightningParams",
    "PlanningParams",
    "ProjectParamError",
    "ProjectParams",
    "parse_project",
]

BUILDING_USES = frozenset(
    {
        "residential",
        "office",
        "shop",
        "hotel",
        "school",
        "teaching",
        "medical",
        "kindergarten",
        "nursery",
        "elderly",
        "elderly_care",
        "entertainment",
        "exhibition",
        "dormitory",
        "mixed",
        "apartment",
        "public",
    }
)
SHELTER_USES = (
    "personnel_shelter",
    "medical_aid",
    "team_personnel",
    "team_equipment",
    "supporting",
)
_UNIT_AREA_MAX = {
    "personnel_shelter": 2000.0,
    "medical_aid": 1000.0,
    "team_personnel": 1000.0,
    "team_equipment": 4000.0,
    "supporting": 4000.0,
}
_BLAST_AREA_MAX = {
    "personnel_shelter": 500.0,
    "medical_aid": 500.0,
    "team_personnel": 500.0,
    "team_equipment": 2000.0,
    "supporting": 2000.0,
}
_AREA_PER_PERSON = {"personnel_shelter": 1.0, "team_personnel": 3.0, "medical_aid": 1.0}


class ProjectParamError(ValueError):
    """``project.toml`` is refused; ``problems`` lists every ``(key, zh, en)`` found."""

    def __init__(self, problems: list[tuple[str, str, str]], source: str = "project.toml") -> None:
        self.problems = problems
        self.source = source
        lines = [f"{source}: {key}: {zh} / {en}" for key, zh, en in problems]
        super().__init__("\n".join(lines))

    @property
    def message(self) -> str:
        """All problems in Chinese, one per line."""
        return "\n".join(f"{self.source}：{key}：{zh}" for key, zh, _ in self.problems)

    @property
    def message_en(self) -> str:
        """All problems in English, one per line."""
        return "\n".join(f"{self.source}: {key}: {en}" for key, _, en in self.problems)


@dataclass(frozen=True, slots=True)
class PlanningParams:
    """``[planning]``: limits from the planning conditions (规划条件)."""

    far_max: float | None = None
    far_min: float | None = None
    density_max: float | None = None
    green_ratio_min: float | None = None
    height_max_m: float | None = None
    setback_road_m: float | None = None
    setback_boundary_m: float | None = None
    parking_per_100m2: float | None = None


@dataclass(frozen=True, slots=True)
class BuildingParams:
    """``[building."NAME"]``: declared facts of one building."""

    use: str | None = None
    height_m: float | None = None
    floors_above: int | None = None
    floors_below: int | None = None
    gross_floor_area_m2: float | None = None
    dwelling_door_min_m: tuple[float, float, float, float] = (0.90, 0.80, 0.80, 0.70)


@dataclass(frozen=True, slots=True)
class FireParams:
    """``[fire."NAME"]``: declared fire classification of one building."""

    building_class: str | None = None
    resistance_grade: int | None = None
    sprinklers: str | None = None
    important_public_building: bool = False
    single_exit_max_area_m2: float = 200.0
    single_exit_max_persons: tuple[int, int, int] = (50, 25, 15)
    occupants: int | None = None


@dataclass(frozen=True, slots=True)
class CivilDefenceParams:
    """``[civil_defence]``: the shelter required by the civil-defence conditions."""

    rule: str | None = None
    percent: float | None = None
    use: str | None = None
    unit_area_max_m2: float | None = None
    blast_unit_area_max_m2: float | None = None
    min_entrances: int = 2
    collapse_factor: float = 0.5
    area_per_person_m2: float | None = None
    capacity_persons: int | None = None
    tile_tolerance: float = 0.03

    @property
    def unit_area_limit(self) -> float:
        """CDEF-002 limit: the declared value, else the default for the shelter use (K)."""
        if self.unit_area_max_m2 is not None:
            return self.unit_area_max_m2
        return _UNIT_AREA_MAX.get(self.use or "personnel_shelter", 2000.0)

    @property
    def blast_area_limit(self) -> float:
        """CDEF-003 limit: the declared value, else the default for the shelter use (K)."""
        if self.blast_unit_area_max_m2 is not None:
            return self.blast_unit_area_max_m2
        return _BLAST_AREA_MAX.get(self.use or "personnel_shelter", 500.0)

    @property
    def per_person(self) -> float:
        """CDEF-007 sheltering area per person: declared, else the default for the use (K)."""
        if self.area_per_person_m2 is not None:
            return self.area_per_person_m2
        return _AREA_PER_PERSON.get(self.use or "personnel_shelter", 1.0)


@dataclass(frozen=True, slots=True)
class LightningParams:
    """``[lightning]``: the declared protection class and the strike calculation."""

    class_declared: int | None = None
    n_per_year: float | None = None
    important_crowded: bool = False
    down_spacing_class1_m: float = 12.0


@dataclass(frozen=True, slots=True)
class ProjectParams:
    """Everything ``project.toml`` declares, with the catalogue's defaults filled in."""

    name: str | None = None
    code_edition: str = "2025"
    drawing_unit: str = "mm"
    retrofit: bool = False
    door_frame_deduction_m: float = 0.0
    codepage: str | None = None
    planning: PlanningParams = field(default_factory=PlanningParams)
    buildings: Mapping[str, BuildingParams] = field(default_factory=dict)
    fire: Mapping[str, FireParams] = field(default_factory=dict)
    civil_defence: CivilDefenceParams = field(default_factory=CivilDefenceParams)
    lightning: LightningParams = field(default_factory=LightningParams)

    def building(self, name: str | None = None) -> BuildingParams:
        """The parameters of building ``name``; the only one when the package has one."""
        if name is not None and name in self.buildings:
            return self.buildings[name]
        if len(self.buildings) == 1:
            return next(iter(self.buildings.values()))
        return BuildingParams()

    def fire_of(self, name: str | None = None) -> FireParams:
        """The fire parameters of building ``name``; the only one when there is one."""
        if name is not None and name in self.fire:
            return self.fire[name]
        if len(self.fire) == 1:
            return next(iter(self.fire.values()))
        return FireParams()


# --- validation -----------------------------------------------------------------------------

_Spec = tuple[str, Any]  # (kind, extra): kinds below

_PROJECT: dict[str, _Spec] = {
    "name": ("str", None),
    "code_edition": ("enum", ("2025", "2011")),
    "drawing_unit": ("enum", ("mm", "cm", "dm", "m")),
    "retrofit": ("bool", None),
    "door_frame_deduction_m": ("float+", None),
    "codepage": ("str", None),
}
_PLANNING: dict[str, _Spec] = {
    "far_max": ("float+", None),
    "far_min": ("float+", None),
    "density_max": ("fraction", None),
    "green_ratio_min": ("fraction", None),
    "height_max_m": ("float+", None),
    "setback_road_m": ("float+", None),
    "setback_boundary_m": ("float+", None),
    "parking_per_100m2": ("float+", None),
}
_BUILDING: dict[str, _Spec] = {
    "use": ("enum", tuple(sorted(BUILDING_USES))),
    "height_m": ("float+", None),
    "floors_above": ("int+", None),
    "floors_below": ("int0", None),
    "gross_floor_area_m2": ("float+", None),
    "dwelling_door_min_m": ("floats4", None),
}
_FIRE: dict[str, _Spec] = {
    "building_class": ("enum", ("class1", "class2", "single_multi")),
    "resistance_grade": ("range", (1, 4)),
    "sprinklers": ("enum", ("full", "partial", "none")),
    "important_public_building": ("bool", None),
    "single_exit_max_area_m2": ("float+", None),
    "single_exit_max_persons": ("ints3", None),
    "occupants": ("int0", None),
}
_CIVIL: dict[str, _Spec] = {
    "rule": ("enum", ("ground_floor_area", "percent")),
    "percent": ("fraction", None),
    "use": ("enum", SHELTER_USES),
    "unit_area_max_m2": ("float+", None),
    "blast_unit_area_max_m2": ("float+", None),
    "min_entrances": ("int+", None),
    "collapse_factor": ("float+", None),
    "area_per_person_m2": ("float+", None),
    "capacity_persons": ("int0", None),
    "tile_tolerance": ("fraction", None),
}
_LIGHTNING: dict[str, _Spec] = {
    "class_declared": ("range", (1, 3)),
    "n_per_year": ("float0", None),
    "important_crowded": ("bool", None),
    "down_spacing_class1_m": ("float+", None),
}
_SECTIONS = ("project", "planning", "building", "fire", "civil_defence", "lightning")


def _check(key: str, value: Any, spec: _Spec, problems: list[tuple[str, str, str]]) -> Any:
    kind, extra = spec

    def bad(zh: str, en: str) -> None:
        problems.append((key, f"值 {value!r} 无效，{zh}", f"value {value!r} is invalid, {en}"))

    if kind == "str":
        if not isinstance(value, str):
            bad("应为文本", "expected text")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            bad("应为 true 或 false", "expected true or false")
        return value
    if kind == "enum":
        if value not in extra:
            bad("应为以下之一：" + "、".join(extra), "expected one of " + ", ".join(extra))
        return value
    if kind in ("float+", "float0", "fraction"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            bad("应为数值", "expected a number")
            return None
        v = float(value)
        if kind == "float+" and not v > 0 and key.split(".")[-1] != "door_frame_deduction_m":
            bad("应为正数", "expected a positive number")
        elif v < 0:
            bad("不能为负数", "must not be negative")
        elif kind == "fraction" and v > 1:
            bad(
                "应为 0 到 1 之间的比例（如 35% 写作 0.35）",
                "expected a fraction between 0 and 1 (35% is 0.35)",
            )
        return v
    if kind in ("int+", "int0", "range"):
        if isinstance(value, bool) or not isinstance(value, int):
            bad("应为整数", "expected a whole number")
            return None
        if kind == "int+" and value < 1:
            bad("应为正整数", "expected a positive whole number")
        elif kind == "int0" and value < 0:
            bad("不能为负数", "must not be negative")
        elif kind == "range" and not extra[0] <= value <= extra[1]:
            bad(f"应在 {extra[0]} 到 {extra[1]} 之间", f"expected {extra[0]} to {extra[1]}")
        return value
    if kind in ("floats4", "ints3"):
        n = 4 if kind == "floats4" else 3
        want_int = kind == "ints3"
        ok = (
            isinstance(value, list)
            and len(value) == n
            and all(
                not isinstance(v, bool)
                and isinstance(v, int if want_int else int | float)
                and v > 0
                for v in value
            )
        )
        if not ok:
            bad(f"应为 {n} 个正数的列表", f"expected a list of {n} positive numbers")
            return None
        return tuple(int(v) if want_int else float(v) for v in value)
    raise AssertionError(kind)  # pragma: no cover - specs are static


def _table(
    name: str, data: Any, specs: dict[str, _Spec], problems: list[tuple[str, str, str]]
) -> dict[str, Any]:
    if not isinstance(data, dict):
        problems.append((name, "应为一个表（[…] 段）", "expected a table ([...] section)"))
        return {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{name}.{key}"
        spec = specs.get(key)
        if spec is None:
            problems.append(
                (
                    full,
                    "未知参数，可用参数：" + "、".join(specs),
                    "unknown key; known keys: " + ", ".join(specs),
                )
            )
            continue
        checked = _check(full, value, spec, problems)
        if checked is not None:
            out[key] = checked
    return out


def _per_building(
    name: str, data: Any, specs: dict[str, _Spec], problems: list[tuple[str, str, str]]
) -> dict[str, dict[str, Any]]:
    """``[building]`` directly (one building) or ``[building."3#"]`` tables (keyed by NAME)."""
    if not isinstance(data, dict):
        problems.append((name, "应为一个表", "expected a table"))
        return {}
    if data and all(isinstance(v, dict) for v in data.values()):
        return {str(k): _table(f"{name}.{k}", v, specs, problems) for k, v in data.items()}
    return {"": _table(name, data, specs, problems)}


def parse_project(text: str, *, source: str = "project.toml") -> ProjectParams:
    """Parse and validate ``project.toml``.

    Raises:
        ProjectParamError: with every problem found (invalid TOML, unknown section or key,
            wrong type, impossible value, unknown enum), each naming its key.
    """
    problems: list[tuple[str, str, str]] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectParamError(
            [("(TOML)", f"不是有效的 TOML：{exc}", f"not valid TOML: {exc}")], source
        ) from None
    for key in data:
        if key not in _SECTIONS:
            problems.append(
                (
                    key,
                    "未知的段，可用段：" + "、".join(_SECTIONS),
                    "unknown section; known: " + ", ".join(_SECTIONS),
                )
            )
    project = _table("project", data.get("project", {}), _PROJECT, problems)
    planning = _table("planning", data.get("planning", {}), _PLANNING, problems)
    buildings = _per_building("building", data.get("building", {}), _BUILDING, problems)
    fires = _per_building("fire", data.get("fire", {}), _FIRE, problems)
    civil = _table("civil_defence", data.get("civil_defence", {}), _CIVIL, problems)
    lightning = _table("lightning", data.get("lightning", {}), _LIGHTNING, problems)
    pl = PlanningParams(**planning)
    if pl.far_min is not None and pl.far_max is not None and pl.far_min > pl.far_max:
        problems.append(("planning.far_min", "大于 far_max", "is greater than far_max"))
    if civil.get("rule") == "percent" and "percent" not in civil:
        problems.append(
            (
                "civil_defence.percent",
                'rule = "percent" 时必须给出',
                'required when rule = "percent"',
            )
        )
    if problems:
        raise ProjectParamError(problems, source)
    return ProjectParams(
        **project,
        planning=pl,
        buildings={k: BuildingParams(**v) for k, v in buildings.items() if v or k},
        fire={k: FireParams(**v) for k, v in fires.items() if v or k},
        civil_defence=CivilDefenceParams(**civil),
        lightning=LightningParams(**lightning),
    )
