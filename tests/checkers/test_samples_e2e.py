"""End to end: the sample packages through intake and every rule.

The clean packages give no error or warning; the packages with seeded violations give exactly
the seeded ones, each at its place (``expected_findings.json`` written by the generator).
"""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import shape

from checkers.registry import load_all
from checkers.report import check_package
from samples import build_package

PACKAGES = [
    "residential_tower",
    "residential_tower_violations",
    "office_building",
    "office_building_violations",
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, list[dict], int]]:
    out = {}
    root = tmp_path_factory.mktemp("samples")
    for name in PACKAGES:
        pkg = build_package(root, name)
        report, code = check_package(pkg)
        expected = json.loads((pkg / "expected_findings.json").read_text(encoding="utf-8"))
        out[name] = (report.to_dict(), expected, code)
    return out


@pytest.mark.parametrize("name", ["residential_tower", "office_building"])
def test_clean_packages_have_no_error_or_warning(reports: dict, name: str) -> None:
    report, expected, code = reports[name]
    assert expected == []
    serious = [
        (f["code"], f["sheet"], f["message"])
        for f in report["findings"]
        if f["severity"] in ("error", "warning")
    ]
    assert serious == [] and code == 0
    assert {f["code"] for f in report["findings"]} <= {"DXF-007"}


def test_every_rule_runs_on_the_clean_residential_package(reports: dict) -> None:
    report, _, _ = reports["residential_tower"]
    assert report["not_checked"] == []
    assert len(load_all()) >= 59


@pytest.mark.parametrize("name", ["residential_tower_violations", "office_building_violations"])
def test_seeded_violations_are_found_exactly(reports: dict, name: str) -> None:
    report, expected, code = reports[name]
    assert expected and code == 3
    serious = [f for f in report["findings"] if f["severity"] in ("error", "warning")]
    for e in expected:
        near = shapely.Point(e["near"])
        hits = [
            f
            for f in serious
            if f["code"] == e["code"]
            and f["file"] == e["file"]
            and f["sheet"] == e["sheet"]
            and f["location"] is not None
            and shape(f["location"]).distance(near) <= 1.5
        ]
        assert hits, (
            e,
            [(f["code"], f["sheet"], f["location"]) for f in serious if f["code"] == e["code"]],
        )
        assert hits[0]["severity"] == e["severity"], e
    assert {f["code"] for f in serious} == {e["code"] for e in expected}
