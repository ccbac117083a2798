"""The engine: metadata added to violations, not-checked reasons, crash isolation; registry guards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shapely

from checkers.context import CheckContext
from checkers.engine import run
from checkers.findings import NotChecked, Violation
from checkers.registry import RegistryError, Rule, rule
from checkers.testing import make_context, obj, rectangle
from drawings.model import Severity


def _rule(code: str, fn: object, severity: Severity = Severity.ERROR) -> Rule:
    return Rule(code, "test-slug", "fire", severity, "GB 0000 1.2.3", (), fn)  # type: ignore[arg-type]


def _ctx() -> CheckContext:
    return make_context({"fire": [obj("F-AREA", rectangle(0, 0, 10, 10), floor="1")]})


def test_violations_get_the_rules_metadata() -> None:
    def fails(ctx: CheckContext) -> Iterator[Violation]:
        (item,) = ctx.items("fire", "F-AREA")
        yield ctx.violation(item, "太大", "too big", measured=100.0, limit=50.0, unit="m²")
        yield ctx.violation(item, "宜", "should", severity=Severity.WARNING)

    result = run(_ctx(), [_rule("FIRE-901", fails)])
    first, second = result.findings
    d = first.to_dict()
    assert d["code"] == "FIRE-901" and d["slug"] == "test-slug" and d["discipline"] == "fire"
    assert d["severity"] == "error" and d["clause"] == "GB 0000 1.2.3"
    assert d["file"] == "fire/test.dxf" and d["sheet"] == "F-01"
    assert d["measured"] == 100.0 and d["limit"] == 50.0 and d["unit"] == "m²"
    assert d["location"]["type"] == "Polygon" and d["handles"]
    assert second.severity == Severity.WARNING


def test_not_checked_and_crash_do_not_stop_other_rules() -> None:
    def absent(ctx: CheckContext) -> Iterator[Violation]:
        ctx.require("fire", "F-SITE")
        yield from ()

    def crashes(ctx: CheckContext) -> Iterator[Violation]:
        raise ZeroDivisionError("boom")
        yield  # pragma: no cover

    def fine(ctx: CheckContext) -> Iterator[Violation]:
        yield Violation("ok", "ok", geometry=shapely.Point(0, 0))

    result = run(
        _ctx(), [_rule("FIRE-901", absent), _rule("FIRE-902", crashes), _rule("FIRE-903", fine)]
    )
    assert [c for c, _, _ in result.not_checked] == ["FIRE-901", "FIRE-902"]
    assert "F-SITE" in result.not_checked[0][1]
    assert "boom" in result.not_checked[1][2]
    codes = [(f.code, f.severity) for f in result.findings]
    assert codes == [("FIRE-902", Severity.INFO), ("FIRE-903", Severity.ERROR)]


def test_registry_refuses_bad_rules() -> None:
    def documented(ctx: CheckContext) -> Iterator[Violation]:
        """Title.

        Clause: GB 1 2.3
        """
        yield from ()

    with pytest.raises(RegistryError):
        rule("XYZ-001", "x")(documented)
    with pytest.raises(RegistryError):
        rule("FIRE-999", "x")(lambda ctx: iter(()))  # no docstring, no Clause

    def undocumented_clause(ctx: CheckContext) -> Iterator[Violation]:
        """Title only."""
        yield from ()

    with pytest.raises(RegistryError):
        rule("FIRE-998", "x")(undocumented_clause)


def test_require_raises_not_checked_with_group_meaning() -> None:
    with pytest.raises(NotChecked) as info:
        _ctx().require("fire", "F-LANE")
    assert "消防车道" in info.value.reason and "fire lanes" in info.value.reason_en


def test_violations_before_not_checked_are_kept() -> None:
    def partly(ctx: CheckContext) -> Iterator[Violation]:
        (item,) = ctx.items("fire", "F-AREA")
        yield ctx.violation(item, "一部分", "part")
        raise NotChecked("其余图纸无法配准", "the other sheets cannot be registered")

    result = run(_ctx(), [_rule("FIRE-904", partly)])
    assert [f.code for f in result.findings] == ["FIRE-904"]
    assert result.not_checked == [
        ("FIRE-904", "其余图纸无法配准", "the other sheets cannot be registered")
    ]
