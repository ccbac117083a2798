"""The sample package generator: reproducible bytes, clean intake, and a design that passes.

The residential sample is the reference package of the platform, so these tests read it back
through the platform's own loader (``drawings.load``) and check it the way the rule catalogue
will: required layer groups, storeys and registration, the planning indicators against the
geometry, room and stair dimensions, fire compartments and exits, the shelter, the lightning
mesh. A failure here means the sample no longer shows what it is meant to show.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import ezdxf
import pytest
from ezdxf import recover
from ezdxf.tools.juliandate import juliandate
from shapely import affinity, union_all
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize

from drawings import DrawingModel, LayerMap, SemanticObject, load
from drawings.layers import PRESETS, REQUIRED, preset_aliases
from drawings.model import Discipline
from samples import build_package
from samples.make_samples import main as make_samples_main
from samples.residential import FILES, STAMP, UNMAPPED

ROOT = Path(__file__).resolve().parents[2]

DRAWINGS = {
    "planning": "planning/site.dxf",
    "architecture": "architecture/plans.dxf",
    "fire": "fire/plans.dxf",
    "civil_defence": "civil_defence/shelter.dxf",
    "lightning": "lightning/roof.dxf",
}
FLOORS = {
    "planning": {"G-01": None, "G-02": None},
    "architecture": {"A-01": None, "A-02": "-2", "A-03": "-1", "A-04": "1", "A-05": "2",
                     "A-06": "RF"},
    "fire": {"F-01": None, "F-02": "-2", "F-03": "-1", "F-04": "1", "F-05": "2", "F-06": None},
    "civil_defence": {"R-01": "-2", "R-02": None},
    "lightning": {"E-01": "RF", "E-02": None},
}
BAD_INTAKE = {"DXF-001", "DXF-002", "DXF-003", "DXF-004", "DXF-005", "DXF-006", "DXF-008",
              "DXF-009", "DXF-010", "DXF-011", "DXF-012"}
# Building frame (axis 1/A at the origin, metres): the tower's outer wall faces and stair rooms.
TOWER = box(-0.1, -0.1, 39.7, 15.7)
TOWER_STAIRS = {(12.9, 9.7, 15.5, 15.5), (24.1, 9.7, 26.7, 15.5)}


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="module")
def models(package: Path) -> dict[str, DrawingModel]:
    layer_map = LayerMap.from_toml((package / "layers.toml").read_text(encoding="utf-8"))
    return {
        disc: load(package / rel, discipline=disc, layer_map=layer_map, display_name=rel)
        for disc, rel in DRAWINGS.items()
    }


@pytest.fixture(scope="module")
def project(package: Path) -> dict[str, object]:
    return tomllib.loads((package / "project.toml").read_text(encoding="utf-8"))


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _sheet(model: DrawingModel, sheet_no: str) -> int:
    return next(s.index for s in model.sheets if s.sheet_no == sheet_no)


def _on(model: DrawingModel, group: str, sheet: int | None = None) -> list[SemanticObject]:
    return [o for o in model.group(group) if sheet is None or o.sheet == sheet]


def _polygons(objs: Iterable[SemanticObject]) -> list[Polygon]:
    return [o.geometry for o in objs if o.geometry.geom_type == "Polygon" and o.kind != "INSERT"
            and not o.in_block]


def _inserts(objs: Iterable[SemanticObject]) -> list[SemanticObject]:
    return [o for o in objs if o.kind == "INSERT"]


def _texts(objs: Iterable[SemanticObject]) -> list[SemanticObject]:
    return [o for o in objs if o.text is not None]


def _sides(geom: BaseGeometry) -> tuple[float, float]:
    """Short and long side of the minimum rotated rectangle."""
    rect = geom.minimum_rotated_rectangle
    pts = list(rect.exterior.coords)
    a = math.dist(pts[0], pts[1])
    b = math.dist(pts[1], pts[2])
    return min(a, b), max(a, b)


def _rooms(model: DrawingModel, sheet: int) -> list[tuple[str, Polygon]]:
    """Room outlines (A-AREA) with the one name (A-AREA-IDEN) written inside each."""
    names = _texts(_on(model, "A-AREA-IDEN", sheet))
    out = []
    for poly in _polygons(_on(model, "A-AREA", sheet)):
        inside = [t.text for t in names if poly.contains(t.geometry) and t.text]
        assert len(inside) == 1, f"room at {poly.bounds} has names {inside}"
        out.append((inside[0], poly))
    return out


def _to_building(geom: BaseGeometry, point: tuple[float, float], rotation: float
                 ) -> BaseGeometry:
    """Site-plan geometry -> building frame (axis 1/A at the origin, axis 1 along y)."""
    moved = affinity.translate(geom, -point[0], -point[1])
    return affinity.rotate(moved, -rotation, origin=(0, 0))


def _registered(model: DrawingModel, sheet: int, geom: BaseGeometry) -> BaseGeometry:
    """Plan geometry -> building frame, through the sheet's axis-1/A origin."""
    origin = model.sheets[sheet].origin
    assert origin is not None
    return affinity.translate(geom, -origin[0], -origin[1])


def _indicators(model: DrawingModel) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in _texts(model.group("G-ANNO-INDX")):
        assert t.text is not None
        name, _, value = t.text.partition("：")
        number = re.match(r"[0-9.]+", value)
        if number is not None:
            out[name] = float(number.group(0))
    return out


def _all_text(model: DrawingModel) -> str:
    return "\n".join(t.text for t in model.texts)


# --------------------------------------------------------------------------------------------
# The package and its bytes
# --------------------------------------------------------------------------------------------


def test_build_package_writes_every_file_into_out_dir_name(package: Path) -> None:
    assert package.name == "residential_tower"
    for rel in FILES:
        assert (package / rel).is_file(), rel
    assert sorted(_digests(package)) == sorted(FILES)


def test_unknown_sample_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown sample package"):
        build_package(tmp_path, "office_block")


def test_building_twice_gives_identical_bytes(tmp_path: Path, package: Path) -> None:
    again = build_package(tmp_path / "again")
    assert _digests(again) == _digests(package)
    # Fresh interpreters with other string hash seeds: no set order leaks into the files
    # (ezdxf orders its CLASS entries by iterating a set of type names).
    for seed in ("1", "2", "4711"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = tmp_path / f"seed{seed}"
        subprocess.run(
            [sys.executable, "-m", "samples.make_samples", str(out)],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )
        assert _digests(out / "residential_tower") == _digests(package), seed


def _header_values(raw: bytes) -> dict[str, str]:
    """Header variables as written (ezdxf resets some of them when it loads a file)."""
    lines = raw.decode("latin-1").split("\n")
    out: dict[str, str] = {}
    for i in range(0, len(lines) - 3, 2):
        if lines[i].strip() == "9" and lines[i + 1].startswith("$"):
            out[lines[i + 1].strip()] = lines[i + 3].strip()
        if lines[i + 1].strip() == "ENDSEC":
            break
    return out


def test_volatile_header_values_are_fixed(package: Path) -> None:
    for rel in DRAWINGS.values():
        raw = (package / rel).read_bytes()
        header = _header_values(raw)
        for var in ("$TDCREATE", "$TDUCREATE", "$TDUPDATE", "$TDUUPDATE"):
            assert float(header[var]) == pytest.approx(juliandate(STAMP), abs=1e-6)
        guids = {header["$FINGERPRINTGUID"], header["$VERSIONGUID"]}
        assert len(guids) == 2 and "{00000000-0000-0000-0000-000000000000}" not in guids
        stamps = set(re.findall(rb"@ (\d{4}-\d\d-\d\dT[0-9:.+]+)", raw))
        assert stamps == {STAMP.isoformat().encode()}


def test_cli_prints_the_files_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert make_samples_main([str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "residential_tower" / rel) for rel in FILES]


def test_package_mentions_no_local_paths(package: Path) -> None:
    for p in package.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert str(package).encode() not in data
            assert b"/tmp/" not in data and b"/home/" not in data


@pytest.mark.parametrize("disc", sorted(DRAWINGS))
def test_drawing_opens_in_ezdxf_without_audit_errors(package: Path, disc: str) -> None:
    path = package / DRAWINGS[disc]
    doc = ezdxf.readfile(path)
    auditor = doc.audit()
    assert not auditor.has_errors and not auditor.fixes
    doc2, auditor2 = recover.readfile(path)
    assert not auditor2.has_errors and not auditor2.fixes
    assert doc.header["$INSUNITS"] == 4
    msp = doc.modelspace()
    assert len(msp.query("DIMENSION")) > 0
    assert len(msp.query("MTEXT")) > 0
    frames = [e for e in msp.query("INSERT") if e.dxf.name.startswith("TK-")]
    assert len(frames) == len(FLOORS[disc])
    for frame in frames:
        tags = {a.dxf.tag for a in frame.attribs}
        assert {"SHEET_NO", "TITLE", "FLOOR", "SCALE"} <= tags


def test_releases_and_code_pages(package: Path, models: dict[str, DrawingModel]) -> None:
    raw = (package / DRAWINGS["planning"]).read_bytes()
    assert "用地红线".encode("gbk") in raw
    assert "用地红线".encode() not in raw
    assert b"ANSI_936" in raw and b"AC1015" in raw
    assert models["planning"].release == "R2000"
    for disc in ("architecture", "fire", "civil_defence", "lightning"):
        assert models[disc].release in ("R2013", "R2018")
        assert models[disc].encoding == "utf-8"


def test_mtext_formatting_is_written_and_decoded(package: Path,
                                                 models: dict[str, DrawingModel]) -> None:
    raw = (package / DRAWINGS["lightning"]).read_bytes().decode("utf-8")
    assert "{\\fSimSun|b1|i0|c134;\\H1.4x;防雷设计说明}\\P" in raw
    text = _all_text(models["lightning"])
    assert "防雷类别：二类" in text
    assert "\\P" not in text and "\\fSimSun" not in text


# --------------------------------------------------------------------------------------------
# Intake: groups, findings, sheets, registration
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("disc", sorted(DRAWINGS))
def test_required_groups_and_no_intake_problems(models: dict[str, DrawingModel],
                                                disc: str) -> None:
    model = models[disc]
    present = {o.group for o in model.objects}
    assert set(REQUIRED[Discipline(disc)]) <= present
    codes = {f.code for f in model.findings}
    assert not codes & BAD_INTAKE, [f.message for f in model.findings]
    (unmapped,) = [f for f in model.findings if f.code == "DXF-007"]
    names = {d.rpartition(":")[0] for d in unmapped.details}
    assert names == set(UNMAPPED[disc])


@pytest.mark.parametrize("disc", sorted(DRAWINGS))
def test_sheet_storeys(models: dict[str, DrawingModel], disc: str) -> None:
    found = {s.sheet_no: s.floor for s in models[disc].sheets}
    assert found == FLOORS[disc]
    for s in models[disc].sheets:
        assert s.source == "frame" and s.title and s.scale


def test_storey_is_read_from_the_title_where_floor_is_empty(package: Path) -> None:
    empty = []
    for rel in DRAWINGS.values():
        doc = ezdxf.readfile(package / rel)
        for ref in doc.modelspace().query("INSERT"):
            if ref.dxf.name.startswith("TK-"):
                attrs = {a.dxf.tag: a.dxf.text for a in ref.attribs}
                if not attrs["FLOOR"] and "层" in attrs["TITLE"]:
                    empty.append(attrs["TITLE"])
    assert "一层平面图" in empty and "地下一层防火分区平面图" in empty


def test_axis_origin_registers_the_building_on_every_plan_sheet(
    models: dict[str, DrawingModel],
) -> None:
    checked = 0
    for disc in ("architecture", "fire", "civil_defence"):
        model = models[disc]
        for sheet in model.sheets:
            if sheet.floor is None:
                continue
            assert sheet.origin is not None, (disc, sheet.sheet_no)
            stairs = {
                tuple(round(v, 3) for v in _registered(model, sheet.index, poly).bounds)
                for name, poly in _rooms(model, sheet.index)
                if name == "楼梯间"
            }
            assert TOWER_STAIRS <= stairs, (disc, sheet.sheet_no, stairs)
            checked += 1
    lightning = models["lightning"]
    (roof,) = _polygons(lightning.group("E-LTNG-ROOF"))
    reg = _registered(lightning, _sheet(lightning, "E-01"), roof)
    assert reg.symmetric_difference(TOWER).area < 1e-6
    assert checked == 10


@pytest.mark.parametrize("disc", sorted(DRAWINGS))
def test_every_object_lies_on_a_sheet(models: dict[str, DrawingModel], disc: str) -> None:
    assert all(o.sheet is not None for o in models[disc].objects)


def test_ground_floor_walls_outline_the_site_footprint(models: dict[str, DrawingModel]) -> None:
    arch = models["architecture"]
    for sheet_no in ("A-04", "A-05", "A-06"):
        sheet = _sheet(arch, sheet_no)
        walls = union_all(_polygons(_on(arch, "A-WALL", sheet)))
        assert walls.geom_type == "Polygon"
        outer = _registered(arch, sheet, Polygon(walls.exterior))
        assert outer.intersection(TOWER).area / outer.union(TOWER).area >= 0.98
        assert outer.hausdorff_distance(TOWER) <= 0.5


def test_bldg_block_places_the_building_on_the_site(models: dict[str, DrawingModel],
                                                    project: dict[str, object]) -> None:
    for disc in ("planning", "fire"):
        model = models[disc]
        (bldg,) = model.buildings
        assert bldg.name == "3#"
        assert dict(bldg.attrs) == {
            "NAME": "3#", "FLOORS_ABOVE": "18", "FLOORS_BELOW": "2", "HEIGHT": "54.0",
            "USE": "residential", "GFA": "11319.12",
        }
        assert bldg.rotation == pytest.approx(12.0)
        (outline,) = _polygons(model.group("G-BLDG-OUTL"))
        local = _to_building(outline, bldg.point, bldg.rotation)
        assert local.hausdorff_distance(TOWER) < 1e-3
    building = project["building"]
    assert isinstance(building, dict) and "3#" in building
    assert building["3#"]["gross_floor_area_m2"] == pytest.approx(11319.12)


def test_layers_toml_adds_a_firm_alias_used_in_a_drawing(package: Path,
                                                         models: dict[str, DrawingModel]) -> None:
    firm = tomllib.loads((package / "layers.toml").read_text(encoding="utf-8"))["aliases"]
    preset_names = {a for p in PRESETS for names in preset_aliases(p).values() for a in names}
    used = {info.name: info for info in models["civil_defence"].layers if info.entities}
    hits = 0
    for group, aliases in firm.items():
        for alias in aliases:
            assert alias not in preset_names
            if alias in used:
                assert used[alias].group == group
                hits += 1
    assert hits >= 1
    rooms = _rooms(models["civil_defence"], _sheet(models["civil_defence"], "R-01"))
    assert {o.layer for o in models["civil_defence"].group("A-AREA")} == {"房间轮廓"}
    assert any(name == "人员掩蔽区" for name, _ in rooms)


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


def test_indicator_table_matches_geometry_and_planning_conditions(
    models: dict[str, DrawingModel], project: dict[str, object],
) -> None:
    plan = models["planning"]
    ind = _indicators(plan)
    (red,) = _polygons(plan.group("G-SITE-REDL"))
    (outline,) = _polygons(plan.group("G-BLDG-OUTL"))
    (basement,) = _polygons(plan.group("G-BLDG-BASE"))
    (control,) = _polygons(plan.group("G-SITE-CTRL"))
    green = union_all(_polygons(plan.group("G-GREN")))
    stalls = _polygons(plan.group("G-PARK"))
    planning = project["planning"]
    building = project["building"]
    assert isinstance(planning, dict) and isinstance(building, dict)
    gfa = building["3#"]["gross_floor_area_m2"]
    site = red.area
    assert ind["用地面积"] == pytest.approx(site, abs=0.01)
    assert ind["总建筑面积"] == pytest.approx(gfa, rel=0.005)
    assert ind["建筑基底面积"] == pytest.approx(outline.area, abs=0.01)
    assert abs(ind["容积率"] - gfa / site) <= 0.01
    assert abs(ind["建筑密度"] - outline.area / site * 100) <= 0.5
    assert abs(ind["绿地率"] - green.area / site * 100) <= 0.5
    assert ind["建筑高度"] == building["3#"]["height_m"] == 54.0
    assert ind["机动车停车位"] == len(stalls)
    assert "层数：18/-2" in _all_text(plan)
    assert gfa / site <= planning["far_max"]
    assert outline.area / site <= planning["density_max"]
    assert green.area / site >= planning["green_ratio_min"]
    assert len(stalls) >= math.ceil(planning["parking_per_100m2"] * gfa / 100)
    assert building["3#"]["height_m"] <= planning["height_max_m"]
    assert red.buffer(0.01).contains(outline) and red.buffer(0.01).contains(basement)
    assert control.buffer(0.01).contains(outline)
    assert outline.distance(red.exterior) >= planning["setback_boundary_m"]
    roads = [o.geometry for o in plan.group("G-ROAD-REDL")]
    assert min(outline.distance(r) for r in roads) >= planning["setback_road_m"]
    assert not any(outline.intersects(r) or basement.crosses(r) for r in roads)


def test_shelter_area_agrees_between_planning_notes_and_units(
    models: dict[str, DrawingModel],
) -> None:
    units = _polygons(models["civil_defence"].group("R-UNIT"))
    total = sum(u.area for u in units)
    assert _indicators(models["planning"])["人防建筑面积"] == pytest.approx(total, rel=0.005)
    declared = re.search(r"人防建筑面积([0-9.]+)㎡", _all_text(models["civil_defence"]))
    assert declared is not None
    assert float(declared.group(1)) == pytest.approx(total, rel=0.005)


# --------------------------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------------------------


MINIMUM_AREA = {"卧室": 5.0, "次卧": 5.0, "主卧": 9.0, "起居室": 10.0, "厨房": 4.0, "合用前室": 6.0,
                "前室": 4.5}
DAYLIT = {"卧室", "次卧", "主卧", "起居室", "厨房"}


def _window_area(model: DrawingModel, sheet: int, room: Polygon) -> float:
    numbers = _texts(_on(model, "A-WIND-IDEN", sheet))
    total = 0.0
    for w in _inserts(_on(model, "A-WIND", sheet)):
        if w.geometry.distance(room) > 0.01:
            continue
        nearest = min(numbers, key=lambda t: t.geometry.distance(w.geometry))
        assert nearest.text is not None and nearest.geometry.distance(w.geometry) <= 1.5
        height = int(nearest.text[-2:]) / 10
        assert w.size is not None and w.size[0] == pytest.approx(int(nearest.text[-4:-2]) / 10)
        total += w.size[0] * height
    return total


@pytest.mark.parametrize("sheet_no", ["A-04", "A-05"])
def test_dwelling_rooms_meet_the_residential_minimums(models: dict[str, DrawingModel],
                                                      sheet_no: str) -> None:
    model = models["architecture"]
    sheet = _sheet(model, sheet_no)
    rooms = _rooms(model, sheet)
    fixtures = _inserts(_on(model, "A-FIXT", sheet))
    seen = set()
    for name, poly in rooms:
        seen.add(name)
        if name in MINIMUM_AREA:
            assert poly.area >= MINIMUM_AREA[name], (name, poly.area)
        if name in ("卧室", "次卧", "主卧"):
            assert _sides(poly)[0] >= 1.8
        if name in DAYLIT:
            assert _window_area(model, sheet, poly) >= poly.area / 7, (name, poly.bounds)
        if name == "卫生间":
            kinds = {f.block.split("-")[0] for f in fixtures
                     if f.block and poly.contains(f.geometry)}
            assert kinds == {"WC", "BASIN", "SHOWER"}
            assert poly.area >= 2.5
        if name == "走道":
            assert _sides(poly)[0] >= 1.2
        if name == "合用前室":
            assert _sides(poly)[0] >= 2.4
    assert {"卧室", "主卧", "次卧", "起居室", "厨房", "卫生间", "走道", "合用前室", "前室",
            "楼梯间"} <= seen


def test_no_habitable_rooms_below_ground(models: dict[str, DrawingModel]) -> None:
    model = models["architecture"]
    for sheet_no in ("A-02", "A-03"):
        names = {name for name, _ in _rooms(model, _sheet(model, sheet_no))}
        assert not names & {"卧室", "主卧", "次卧", "起居室", "客厅", "厨房"}


@pytest.mark.parametrize("disc", ["architecture", "fire", "civil_defence"])
def test_door_and_window_numbers_belong_to_blocks_of_their_size(
    models: dict[str, DrawingModel], disc: str,
) -> None:
    model = models[disc]
    for number_group, block_group in (("A-DOOR-IDEN", "A-DOOR"), ("A-WIND-IDEN", "A-WIND")):
        for sheet in model.sheets:
            blocks = _inserts(_on(model, block_group, sheet.index))
            for t in _texts(_on(model, number_group, sheet.index)):
                assert t.text is not None
                dist = sorted((b.geometry.distance(t.geometry), k) for k, b in enumerate(blocks))
                assert dist[0][0] <= 1.5, t.text
                assert len(dist) == 1 or dist[1][0] - dist[0][0] >= 0.05, t.text
                size = blocks[dist[0][1]].size
                assert size is not None
                assert size[0] == pytest.approx(int(t.text[-4:-2]) / 10), t.text


@pytest.mark.parametrize("sheet_no", ["A-02", "A-03", "A-04", "A-05", "A-06"])
def test_stair_flights_width_treads_and_risers(models: dict[str, DrawingModel],
                                               sheet_no: str) -> None:
    model = models["architecture"]
    sheet = _sheet(model, sheet_no)
    objs = _on(model, "A-STRS", sheet)
    flights = _polygons(objs)
    treads = [o.geometry for o in objs if o.kind == "LINE"]
    assert len(flights) >= 4
    for flight in flights:
        width, length = _sides(flight)
        assert width >= 1.10
        lines = [t for t in treads if flight.buffer(1e-6).contains(t)]
        steps = len(lines) + 1
        assert length / steps >= 0.26
        assert 2 <= steps + 1 <= 18


# --------------------------------------------------------------------------------------------
# Fire
# --------------------------------------------------------------------------------------------


def test_compartments_exits_front_rooms_and_fire_lift(models: dict[str, DrawingModel]) -> None:
    model = models["fire"]
    for sheet in model.sheets:
        if sheet.floor is None:
            continue
        limit = 1000.0 if sheet.floor.startswith("-") else 3000.0
        areas = _on(model, "F-AREA", sheet.index)
        labels = [t.text for t in _texts(areas)]
        exits = _inserts(_on(model, "F-EXIT", sheet.index))
        for comp in _polygons(areas):
            assert comp.area <= limit
            assert sum(1 for t in _texts(areas) if comp.contains(t.geometry)) == 1
            mine = [e.geometry for e in exits if e.geometry.distance(comp) < 0.01]
            assert len(mine) >= 2, (sheet.sheet_no, comp.bounds)
            for i, a in enumerate(mine):
                for b in mine[i + 1:]:
                    assert a.distance(b) >= 5.0
        assert all(label and re.fullmatch(r"防火分区\d+", label) for label in labels)
        for front in _polygons(_on(model, "F-FRNT", sheet.index)):
            assert front.area >= 6.0 and _sides(front)[0] >= 2.4
        assert len(_polygons(_on(model, "F-EVTR", sheet.index))) == 1
        cores = _on(model, "F-STRS", sheet.index)
        assert {t.text for t in _texts(cores)} <= {"防烟楼梯间", "封闭楼梯间"}
        assert len(_polygons(cores)) >= 2


def test_fire_lane_and_rescue_site(models: dict[str, DrawingModel]) -> None:
    local: dict[str, dict[str, BaseGeometry]] = {}
    for disc in ("planning", "fire"):
        model = models[disc]
        (bldg,) = model.buildings
        (lane,) = _polygons(model.group("F-LANE"))
        (rescue,) = _polygons(model.group("F-SITE"))
        (outline,) = _polygons(model.group("G-BLDG-OUTL"))
        # narrowest width >= 4 m: eroding by just under 2 m leaves one connected piece
        eroded = lane.buffer(-1.99)
        assert eroded.geom_type == "Polygon" and not eroded.is_empty
        short, long = _sides(rescue)
        assert short >= 10.0 and long >= 20.0
        assert 5.0 <= rescue.distance(outline) <= 10.0
        local[disc] = {
            "lane": _to_building(lane, bldg.point, bldg.rotation),
            "rescue": _to_building(rescue, bldg.point, bldg.rotation),
        }
        tower = _to_building(outline, bldg.point, bldg.rotation)
        span = _to_building(rescue, bldg.point, bldg.rotation).bounds
        assert span[0] <= tower.bounds[0] and span[2] >= tower.bounds[2]  # a whole long side
    for key in ("lane", "rescue"):
        assert local["planning"][key].hausdorff_distance(local["fire"][key]) <= 0.2


# --------------------------------------------------------------------------------------------
# Civil defence
# --------------------------------------------------------------------------------------------


def test_shelter_units_entrances_and_collapse_zone(models: dict[str, DrawingModel],
                                                   project: dict[str, object]) -> None:
    civil = models["civil_defence"]
    sheet = _sheet(civil, "R-01")
    (unit,) = _polygons(civil.group("R-UNIT"))
    blasts = _polygons(civil.group("R-BLST"))
    plan = models["planning"]
    (outline,) = _polygons(plan.group("G-BLDG-OUTL"))
    assert outline.area <= unit.area <= 2000.0  # rule "ground_floor_area"
    assert any(t.text == "防护单元一" and unit.contains(t.geometry)
               for t in _texts(civil.group("R-UNIT")))
    for b in blasts:
        assert b.area <= 500.0
        assert unit.contains(b.buffer(-0.2))
    assert union_all(blasts).area >= 0.97 * unit.area
    entrances = _inserts(civil.group("R-ENTR"))
    assert sorted(e.attrs["KIND"] for e in entrances) == ["main", "secondary"]
    assert all(e.geometry.distance(unit) < 0.01 for e in entrances)
    (bldg,) = plan.buildings
    tower = _to_building(outline, bldg.point, bldg.rotation)
    height = 54.0
    defence = project["civil_defence"]
    assert isinstance(defence, dict)
    for e in entrances:
        local = _registered(civil, sheet, e.geometry)
        assert not local.intersects(tower)  # outdoors
        if e.attrs["KIND"] == "main":
            assert local.distance(tower) > defence["collapse_factor"] * height
    rooms = _rooms(civil, sheet)
    shelter = sum(p.area for name, p in rooms if name == "人员掩蔽区")
    assert defence["capacity_persons"] <= shelter / 1.0


def test_basement_compartments_do_not_straddle_protective_units(
    models: dict[str, DrawingModel],
) -> None:
    fire, civil = models["fire"], models["civil_defence"]
    f_sheet, c_sheet = _sheet(fire, "F-02"), _sheet(civil, "R-01")
    units = [_registered(civil, c_sheet, u) for u in _polygons(_on(civil, "R-UNIT", c_sheet))]
    comps = [_registered(fire, f_sheet, c) for c in _polygons(_on(fire, "F-AREA", f_sheet))]
    for comp in comps:
        for unit in units:
            if comp.intersection(unit).area > 0.01:
                assert unit.contains(comp.buffer(-0.2))


# --------------------------------------------------------------------------------------------
# Lightning
# --------------------------------------------------------------------------------------------


def test_lightning_mesh_band_and_down_conductors(models: dict[str, DrawingModel]) -> None:
    model = models["lightning"]
    (roof,) = _polygons(model.group("E-LTNG-ROOF"))
    lines = []
    for o in model.group("E-LTNG-TERM"):
        g = o.geometry
        lines.append(g.exterior if g.geom_type == "Polygon" else g)
    net = union_all(lines)
    cells = list(polygonize(net.geoms if hasattr(net, "geoms") else [net]))
    assert roof.difference(union_all(cells)).area < 0.01
    for cell in cells:
        a, b = _sides(cell)
        assert (a <= 10 and b <= 10) or (a <= 8 and b <= 12)
    assert roof.exterior.difference(net.buffer(0.5)).length < 0.01  # perimeter band
    downs = [o.geometry.centroid for o in model.group("E-LTNG-DOWN")]
    assert len(downs) >= 2
    ring = LineString(roof.exterior.coords)
    at = sorted(ring.project(Point(p.x, p.y)) for p in downs)
    gaps = [b - a for a, b in zip(at, at[1:], strict=False)] + [ring.length - at[-1] + at[0]]
    assert max(gaps) <= 18.0


# --------------------------------------------------------------------------------------------
# Notes agree across disciplines
# --------------------------------------------------------------------------------------------


def test_design_notes_agree_across_drawings(models: dict[str, DrawingModel]) -> None:
    text = {disc: _all_text(m) for disc, m in models.items()}
    for disc in ("architecture", "fire", "civil_defence", "lightning"):
        assert "地上18层" in text[disc] and "地下2层" in text[disc]
    for disc in ("architecture", "fire", "civil_defence", "lightning", "planning"):
        assert "建筑高度54.0m" in text[disc]
    for disc in ("architecture", "fire", "civil_defence", "planning"):
        assert "±0.000相当于绝对标高86.450m" in text[disc]
        assert "室外设计地坪-0.300" in text[disc]
    assert "防雷类别：二类" in text["lightning"]
    assert "二类高层住宅" in text["fire"]


# --------------------------------------------------------------------------------------------
# Code quality of the generator
# --------------------------------------------------------------------------------------------


def test_ruff_and_mypy_pass() -> None:
    venv = Path(sys.executable).parent
    ruff = subprocess.run(
        [str(venv / "ruff"), "check", "samples", "tests/samples"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "samples"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
