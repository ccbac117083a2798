"""The implemented rules match the rule catalogue: codes, slugs, documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checkers.registry import load_all

CATALOGUE = Path(__file__).resolve().parents[2].parent / "shared" / "rules" / "CATALOGUE.md"


def _catalogue() -> dict[str, str]:
    rows = re.findall(
        r"^\| ((?:PLAN|ARCH|FIRE|CDEF|LTNG|JOINT)-\d{3}) \| ([a-z0-9-]+) \|",
        CATALOGUE.read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    return dict(rows)


pytestmark = pytest.mark.skipif(not CATALOGUE.is_file(), reason="shared catalogue not present")


def test_catalogue_is_read() -> None:
    codes = _catalogue()
    assert len(codes) >= 55 and codes["FIRE-003"] == "evacuation-distance"


def test_every_registered_rule_is_in_the_catalogue_with_its_slug() -> None:
    catalogue = _catalogue()
    for code, rule in load_all().items():
        assert code in catalogue, code
        assert rule.slug == catalogue[code], code


def test_every_registered_rule_is_documented() -> None:
    for code, rule in load_all().items():
        doc = rule.doc
        assert rule.title, code
        assert rule.clause and rule.clause != "—", code
        for part in ("Fails when", "Passes when", "Known limits"):
            assert part in doc, f"{code}: docstring lacks '{part}'"


def test_the_whole_catalogue_is_implemented() -> None:
    assert sorted(load_all()) == sorted(_catalogue())


def test_every_rule_has_fixtures_in_its_test_module() -> None:
    tests = Path(__file__).resolve().parent
    text = "\n".join(p.read_text(encoding="utf-8") for p in tests.glob("test_*.py"))
    missing = [code for code in load_all() if code not in text]
    assert missing == [], f"rules without pass/fail fixtures: {missing}"
