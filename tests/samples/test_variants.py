"""The packages with seeded violations and the office building: bytes, intake, expectations.

The checkers are tested end to end against these packages, so each must be reproducible, load
through the platform's intake without structural findings, and carry an
``expected_findings.json`` that names real catalogue codes, real files and sheets, and points
inside the sheet it names. Whether the checkers find exactly those violations is the checkers'
test, not this one.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shapely.geometry import Point, box

from drawings import DrawingModel, LayerMap, load
from drawings.layers import REQUIRED
from drawings.model import Discipline
from samples import SAMPLES, build_package
from samples.office_violations import VIOLATIONS as OFFICE_VIOLATIONS
from samples.residential_violations import VIOLATIONS as TOWER_VIOLATIONS

ROOT = Path(__file__).resolve().parents[2]
NEW = ("residential_tower_violations", "office_building", "office_building_violations")
DRAWINGS = {
    "planning": "planning/site.dxf",
    "architecture": "architecture/plans.dxf",
    "fire": "fire/plans.dxf",
    "civil_defence": "civil_defence/shelter.dxf",
    "lightning": "lightning/roof.dxf",
}
BAD_INTAKE = {"DXF-001", "DXF-002", "DXF-003", "DXF-004", "DXF-005", "DXF-006", "DXF-008",
              "DXF-009", "DXF-010", "DXF-011", "DXF-012"}
# Codes of the rule catalogue, by prefix and count (PLAN-001 ... PLAN-010, ...).
CATALOGUE = {
    f"{prefix}-{k:03d}"
    for prefix, count in (("PLAN", 10), ("ARCH", 12), ("FIRE", 14), ("CDEF", 7), ("LTNG", 6),
                          ("JOINT", 10))
    for k in range(1, count + 1)
}
WARNING_ONLY = {"CDEF-002", "CDEF-003", "CDEF-005", "JOINT-005"}
OFFICE_FLOORS = {
    "planning": {"G-01": None, "G-02": None},
    "architecture": {"A-01": None, "A-02": "-1", "A-03": "1", "A-04": "2", "A-05": "RF"},
    "fire": {"F-01": None, "F-02": "-1", "F-03": "1", "F-04": "2", "F-05": None},
    "civil_defence": {"R-01": "-1", "R-02": None},
    "lightning": {"E-01": "RF", "E-02": None},
}


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("variants")
    built: dict[str, Path] = {}
    for name in NEW:
        start = time.perf_counter()
        built[name] = build_package(out, name)
        assert time.perf_counter() - start < 10.0, name
    return built


@pytest.fixture(scope="module")
def models(packages: dict[str, Path]) -> dict[tuple[str, str], DrawingModel]:
    out: dict[tuple[str, str], DrawingModel] = {}
    for name, folder in packages.items():
        aliases = folder / "layers.toml"
        layer_map = (LayerMap.from_toml(aliases.read_text(encoding="utf-8"))
                     if aliases.exists() else None)
        for disc, rel in DRAWINGS.items():
            out[name, disc] = load(folder / rel, discipline=disc, layer_map=layer_map,
                                   display_name=rel)
    return out


# --------------------------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------------------------


def test_every_sample_is_registered() -> None:
    assert set(NEW) | {"residential_tower"} == set(SAMPLES)


@pytest.mark.parametrize("name", NEW)
def test_building_twice_gives_identical_bytes(tmp_path: Path, packages: dict[str, Path],
                                              name: str) -> None:
    again = build_package(tmp_path, name)
    assert _digests(again) == _digests(packages[name])


def test_cli_all_in_a_fresh_interpreter_gives_the_same_bytes(tmp_path: Path,
                                                             packages: dict[str, Path]) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "4711", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "samples.make_samples", str(tmp_path), "--all"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    printed = [Path(line) for line in done.stdout.split()]
    for name in SAMPLES:
        assert (tmp_path / name / "expected_findings.json") in printed
    for name, folder in packages.items():
        assert _digests(tmp_path / name) == _digests(folder), name


def test_clean_residential_package_is_unchanged_by_the_variant(tmp_path: Path,
                                                               packages: dict[str, Path]) -> None:
    """Only the seeded drawings change: layers.toml is shared, project.toml differs in GFA."""
    clean = build_package(tmp_path, "residential_tower")
    bad = packages["residential_tower_violations"]
    assert (clean / "layers.toml").read_bytes() == (bad / "layers.toml").read_bytes()
    assert json.loads((clean / "expected_findings.json").read_text(encoding="utf-8")) == []
    assert set(_digests(clean)) == set(_digests(bad))


# --------------------------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("disc", sorted(DRAWINGS))
def test_drawing_loads_without_intake_problems(models: dict[tuple[str, str], DrawingModel],
                                               name: str, disc: str) -> None:
    model = models[name, disc]
    codes = {f.code for f in model.findings}
    assert not codes & BAD_INTAKE, [f.message for f in model.findings]
    present = {o.group for o in model.objects}
    assert set(REQUIRED[Discipline(disc)]) <= present, name


@pytest.mark.parametrize("name", ["office_building", "office_building_violations"])
@pytest.mark.parametrize("disc", sorted(DRAWINGS))
def test_office_sheets_and_storeys(models: dict[tuple[str, str], DrawingModel], name: str,
                                   disc: str) -> None:
    model = models[name, disc]
    assert {s.sheet_no: s.floor for s in model.sheets} == OFFICE_FLOORS[disc]
    for s in model.sheets:
        assert s.source == "frame" and s.title and s.scale
        if s.floor is not None and disc != "planning":
            assert s.origin is not None, (disc, s.sheet_no)


def test_office_layer_conventions_swap_the_residential_ones(packages: dict[str, Path]) -> None:
    folder = packages["office_building"]
    assert not (folder / "layers.toml").exists()
    head = {rel: (folder / rel).read_bytes()[:4000] for rel in DRAWINGS.values()}
    assert b"AC1024" in head["architecture/plans.dxf"]
    assert b"AC1015" in head["planning/site.dxf"]
    raw = (folder / "planning" / "site.dxf").read_bytes()
    assert "容积率".encode("gbk") in raw and b"A-REDL" in raw
    assert "防火分区".encode() in (folder / "fire" / "plans.dxf").read_bytes()


# --------------------------------------------------------------------------------------------
# expected_findings.json
# --------------------------------------------------------------------------------------------


def _expected(folder: Path) -> list[dict[str, object]]:
    data = json.loads((folder / "expected_findings.json").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_clean_office_expects_nothing(packages: dict[str, Path]) -> None:
    assert _expected(packages["office_building"]) == []


@pytest.mark.parametrize("name", ["residential_tower_violations", "office_building_violations"])
def test_expected_findings_are_valid(packages: dict[str, Path],
                                     models: dict[tuple[str, str], DrawingModel],
                                     name: str) -> None:
    folder = packages[name]
    by_file = {rel: disc for disc, rel in DRAWINGS.items()}
    findings = _expected(folder)
    assert findings
    for f in findings:
        assert set(f) == {"code", "file", "sheet", "severity", "near"}, f
        code, rel, sheet_no = str(f["code"]), str(f["file"]), str(f["sheet"])
        assert code in CATALOGUE, f
        assert f["severity"] in (("warning",) if code in WARNING_ONLY else ("error", "warning"))
        assert (folder / rel).is_file() and rel in by_file, f
        model = models[name, by_file[rel]]
        sheets = {s.sheet_no: s for s in model.sheets}
        assert sheet_no in sheets, f
        near = f["near"]
        assert isinstance(near, list) and len(near) == 2
        assert box(*sheets[sheet_no].bbox).contains(Point(near)), f


@pytest.mark.parametrize("name", ["residential_tower_violations", "office_building_violations"])
def test_expected_findings_follow_the_violation_list(packages: dict[str, Path],
                                                     name: str) -> None:
    violations = TOWER_VIOLATIONS if name.startswith("residential") else OFFICE_VIOLATIONS
    expected = _expected(packages[name])
    assert [(f["code"], f["file"], f["sheet"], f["severity"]) for f in expected] == [
        (v.code, v.file, v.sheet, v.severity) for v in violations
    ]
    prefixes = {str(f["code"]).split("-")[0] for f in expected}
    if name.startswith("residential"):
        assert prefixes == {"PLAN", "ARCH", "FIRE", "CDEF", "LTNG", "JOINT"}
    else:
        assert len(expected) >= 6 and len(prefixes - {"JOINT"}) >= 4


def test_near_points_lie_on_the_seeded_objects(models: dict[tuple[str, str], DrawingModel],
                                               packages: dict[str, Path]) -> None:
    """Spot checks: the location names the object that carries the mistake."""
    bad = _expected(packages["residential_tower_violations"])
    near = {str(f["code"]): Point(f["near"]) for f in bad}
    arch = models["residential_tower_violations", "architecture"]
    bedrooms = [o.geometry for o in arch.group("A-AREA") if o.geometry.geom_type == "Polygon"
                and abs(o.geometry.area - 4.6) < 0.01]
    assert len(bedrooms) == 1 and bedrooms[0].contains(near["ARCH-004"])
    roof = models["residential_tower_violations", "lightning"]
    assert any(o.geometry.distance(near["LTNG-004"]) < 0.01
               for o in roof.group("E-LTNG-ROOF"))
    office = _expected(packages["office_building_violations"])
    shelter = models["office_building_violations", "civil_defence"]
    assert office[4]["code"] == "CDEF-005"
    assert any(o.geometry.distance(Point(office[4]["near"])) < 1.0
               for o in shelter.group("R-ENTR"))
