"""``project.toml`` validation: every problem is found and named, defaults come from the catalogue."""

from __future__ import annotations

import pytest

from checkers.params import ProjectParamError, parse_project

GOOD = """
[project]
name = "临沂市某住宅小区 3#楼"
code_edition = "2025"
drawing_unit = "mm"
retrofit = false
[planning]
far_max = 2.5
density_max = 0.30
green_ratio_min = 0.35
height_max_m = 80.0
setback_road_m = 10.0
setback_boundary_m = 8.0
parking_per_100m2 = 1.0
[building."3#"]
use = "residential"
height_m = 54.0
floors_above = 18
floors_below = 2
gross_floor_area_m2 = 12800.0
[fire."3#"]
building_class = "class2"
resistance_grade = 1
sprinklers = "full"
[civil_defence]
rule = "ground_floor_area"
use = "personnel_shelter"
capacity_persons = 1500
collapse_factor = 0.5
[lightning]
class_declared = 2
"""


def test_the_standard_example_parses_with_defaults() -> None:
    p = parse_project(GOOD)
    assert p.name == "临沂市某住宅小区 3#楼" and p.code_edition == "2025"
    assert p.planning.far_max == 2.5 and p.planning.far_min is None
    b = p.building("3#")
    assert b.use == "residential" and b.floors_above == 18
    assert p.building() is b  # the only building
    assert b.dwelling_door_min_m == (0.90, 0.80, 0.80, 0.70)  # catalogue default (K)
    f = p.fire_of()
    assert f.resistance_grade == 1 and f.single_exit_max_area_m2 == 200.0
    assert f.single_exit_max_persons == (50, 25, 15)
    cd = p.civil_defence
    assert cd.unit_area_limit == 2000.0 and cd.blast_area_limit == 500.0 and cd.per_person == 1.0
    assert cd.min_entrances == 2 and cd.tile_tolerance == 0.03
    assert p.lightning.class_declared == 2 and p.lightning.down_spacing_class1_m == 12.0


def test_single_building_may_write_tables_directly() -> None:
    p = parse_project('[building]\nuse = "office"\nheight_m = 30.0\n[fire]\nresistance_grade = 2\n')
    assert p.building().use == "office" and p.fire_of().resistance_grade == 2


def test_empty_file_gives_defaults() -> None:
    p = parse_project("")
    assert p.code_edition == "2025" and p.drawing_unit == "mm" and not p.buildings


def test_every_problem_is_listed_with_its_key() -> None:
    bad = """
[project]
code_edition = "2019"
colour = "red"
[planning]
far_max = -1
green_ratio_min = 35
[building."3#"]
use = "castle"
floors_above = 18.5
[fire."3#"]
resistance_grade = 5
sprinklers = true
[civil_defence]
rule = "percent"
[lightning]
class_declared = "二类"
[extra]
x = 1
"""
    with pytest.raises(ProjectParamError) as info:
        parse_project(bad)
    keys = [k for k, _, _ in info.value.problems]
    assert keys == [
        "extra",
        "project.code_edition",
        "project.colour",
        "planning.far_max",
        "planning.green_ratio_min",
        "building.3#.use",
        "building.3#.floors_above",
        "fire.3#.resistance_grade",
        "fire.3#.sprinklers",
        "lightning.class_declared",
        "civil_defence.percent",
    ]
    text = info.value.message
    assert "project.toml" in text and "2019" in text and "0.35" in text
    assert "castle" in info.value.message_en


def test_invalid_toml_is_refused_with_the_reason() -> None:
    with pytest.raises(ProjectParamError) as info:
        parse_project("[project\nname = 1")
    assert "TOML" in info.value.message_en


def test_far_min_above_far_max_is_refused() -> None:
    with pytest.raises(ProjectParamError) as info:
        parse_project("[planning]\nfar_max = 2.0\nfar_min = 3.0\n")
    assert info.value.problems[0][0] == "planning.far_min"
