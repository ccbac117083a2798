"""The checks benchmark runs end to end and reports every figure it promises.

Its numbers steer work on the rule catalogue, so a harness that silently dropped a size, timed
the loading along with the rules, or lost the per-rule times would mislead. These tests run the
command line on packages built around tiny plans (a few thousand entities) and check the table,
the JSON and the package contents; they check the per-rule accounting and the verdict on
figures made up for the purpose. Nothing here asserts how long anything takes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from benchmarks import check
from benchmarks._measure import MeasureError, Measurement, Sample
from checkers.findings import NotChecked, Violation
from checkers.registry import Rule
from drawings.model import Severity
from samples import build_package

ROOT = Path(__file__).resolve().parents[2]
SIZES = (2000, 3000)
RESULT_FIELDS = {
    "size", "label", "entities", "package", "ingest", "checks", "error", "ratio", "rules",
    "findings", "not_checked", "crashed", "checks_us_per_entity", "per_rule_seconds",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Path]:
    """One command-line run on two tiny packages, cached in a temporary folder."""
    tmp = tmp_path_factory.mktemp("check")
    out = tmp / "check.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.check", "--sizes", ",".join(map(str, SIZES)),
         "--repeat", "1", "--cache-dir", str(tmp / "cache"), "--json", str(out),
         "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(out.read_text(encoding="utf-8")), tmp / "cache"


def test_table_has_a_row_per_size_and_the_verdict(
    tiny_run: tuple[str, dict[str, Any], Path],
) -> None:
    stdout, _, _ = tiny_run
    lines = stdout.splitlines()
    header = lines[0].split()
    for column in ("size", "entities", "ingest", "checks", "ratio", "rules", "findings", "not",
                   "us/ent"):
        assert column in header
    assert set(lines[1]) <= {"-", " "}
    rows = [ln.split()[0] for ln in lines[2:4]]
    assert rows == ["2k", "3k"]
    verdicts = [ln for ln in lines if ln.startswith("targets: at 100k: not measured; ")]
    assert len(verdicts) == 1
    assert "growth 2k->3k" in verdicts[0]
    assert any(ln.startswith("slowest") for ln in lines)


def test_json_has_every_field(tiny_run: tuple[str, dict[str, Any], Path]) -> None:
    _, data, _ = tiny_run
    assert {"machine", "targets", "results", "growth", "slowest", "targets_met",
            "verdict"} <= set(data)
    assert data["targets"]["ratio"] == 0.25
    assert [r["size"] for r in data["results"]] == list(SIZES)
    for r in data["results"]:
        assert set(r) >= RESULT_FIELDS
        # every drawing of the package was read: the sample's five plus the plan twice
        drawings = r["ingest"]["samples"][0]["result"]["drawings"]
        assert len(drawings) == 7
        assert r["entities"] > 2 * r["size"]
        assert r["error"] is None  # the rule modules imported and ran
        assert r["checks"]["seconds"] >= 0
        assert r["ratio"] is not None
        assert isinstance(r["findings"], int) and isinstance(r["not_checked"], int)
        assert len(r["per_rule_seconds"]) == r["rules"] == 59
    assert len(data["growth"]) == 1


def test_package_is_the_sample_plus_the_plan_twice(
    tiny_run: tuple[str, dict[str, Any], Path], tmp_path: Path,
) -> None:
    _, data, cache = tiny_run
    sample = build_package(tmp_path)
    expected = {p.relative_to(sample).as_posix() for p in sample.rglob("*") if p.is_file()}
    files = set(data["results"][0]["package"]["files"])
    assert files == expected | {"architecture/plan_2000.dxf", "fire/plan_2000.dxf"}
    root = check.package_dir(2000, cache)
    plan = (cache / "plan_2000.dxf").read_bytes()
    assert (root / "architecture" / "plan_2000.dxf").read_bytes() == plan
    assert (root / "fire" / "plan_2000.dxf").read_bytes() == plan
    for rel in expected:
        assert (root / rel).read_bytes() == (sample / rel).read_bytes()
    assert check.ensure_package(2000, cache)["files"] == data["results"][0]["package"]["files"]


def test_setup_runs_before_the_measured_call() -> None:
    sample = check.run_prepared("builtins:len", "[1, 2, 3]", setup="json:loads",
                                summary="builtins:str", preload=())
    assert sample.result == "3"
    assert sample.seconds >= 0 and sample.method in {"ru_maxrss", "vmhwm"}


def _rule(code: str, fn: Any) -> Rule:
    return Rule(code=code, slug=code.lower(), discipline="fire", severity=Severity.ERROR,
                clause="test", params=(), fn=fn)


def test_each_rule_is_timed_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    def two(_: object) -> Iterable[Violation]:
        yield Violation(message="一", message_en="one")
        yield Violation(message="二", message_en="two")

    def absent(_: object) -> Iterable[Violation]:
        raise NotChecked("无", "nothing to check")

    def broken(_: object) -> Iterable[Violation]:
        raise ValueError("boom")

    rules = {c: _rule(c, fn) for c, fn in
             [("FIRE-901", two), ("FIRE-902", absent), ("FIRE-903", broken)]}
    monkeypatch.setattr("checkers.engine.load_all", lambda: rules)
    summary = check.summarize_checks(check.run_timed(object()))
    assert summary["rules"] == 3
    assert list(summary["per_rule"]) == ["FIRE-901", "FIRE-902", "FIRE-903"]
    assert all(t >= 0 for t in summary["per_rule"].values())
    assert summary["findings"] == 3  # two violations and the crash notice
    assert summary["not_checked"] == 2
    assert summary["crashed"] == ["FIRE-903"]
    assert summary["findings_by_rule"] == {"FIRE-901": 2, "FIRE-903": 1}


def _measured(seconds: float, per_rule: dict[str, float]) -> Measurement:
    sample = Sample(seconds=seconds, peak_bytes=0, rss_before=0, maxrss_before=0,
                    maxrss_after=0, hwm_bytes=None, result={"rules": len(per_rule),
                    "findings": 0, "not_checked": 0, "crashed": [], "per_rule": per_rule},
                    preloaded=(), method="ru_maxrss")
    return Measurement(spec="x", args=(), seconds=seconds, peak_bytes=0, samples=(sample,))


def _result(size: int, entities: int, ingest: float, checks: float) -> check.SizeResult:
    per_rule = {"ARCH-001": checks * 0.75, "FIRE-001": checks * 0.25}
    return check.SizeResult(size=size, entities=entities, package={},
                            ingest=_measured(ingest, {}), checks=_measured(checks, per_rule))


def test_verdict_judges_ratio_and_growth_on_given_figures() -> None:
    good = [_result(10_000, 10_000, 1.0, 0.1), _result(100_000, 100_000, 10.0, 1.1)]
    ok, line = check.verdict(good)
    assert ok, line
    assert "0.110x ingest" in line and "exponent 1.04" in line
    assert check.growth(good)[0]["nlogn_exponent"] == pytest.approx(1.097, abs=1e-3)

    quadratic = [_result(10_000, 10_000, 1.0, 0.1), _result(100_000, 100_000, 10.0, 10.0)]
    ok, line = check.verdict(quadratic)
    assert not ok and "exponent 2.00" in line and line.count("NOT met") == 2

    tiny = [_result(10_000, 10_000, 1.0, 0.0001), _result(100_000, 100_000, 10.0, 0.01)]
    ok, line = check.verdict(tiny)
    assert ok and "not judged" in line

    slowest = check.slowest(good)
    assert [s["rule"] for s in slowest] == ["ARCH-001", "FIRE-001"]
    assert slowest[0]["share"] == pytest.approx(0.75)
    assert slowest[0]["exponent"] == pytest.approx(1.041, abs=1e-3)
    assert "ARCH-001" in check.render_slowest(good)


def test_a_stopped_run_names_the_rule_it_was_in() -> None:
    mark = check._RULE_MARK
    stderr = (f"{mark}ARCH-001 0.0 1000.0\n{mark}FIRE-013 0.5 1000.5\nnoise\n"
              f"{mark}JOINT-001 30.5 1030.5\n")
    text = check._where_stopped(stderr, now=1100.5)
    assert "checks ran at least 100.5 s" in text
    assert "stopped in JOINT-001 (started 30.5 s into the checks, after 2 rules)" in text
    assert "slowest finished: FIRE-013 30.0 s, ARCH-001 0.5 s" in text
    assert check._where_stopped("no rule started\n") == ""


def test_a_timeout_is_reported_as_a_failed_measurement() -> None:
    with pytest.raises(MeasureError, match="timed out after 1") as caught:
        check.run_prepared("time:sleep", "30", setup="builtins:float", preload=(), timeout=1)
    assert isinstance(caught.value, check.StoppedRun)
    assert caught.value.at_least is None  # no rule had started


def test_checks_stopped_by_the_timeout_still_count_against_the_targets() -> None:
    done = _result(100_000, 200_000, 6.0, 8.0)
    stopped = check.SizeResult(size=1_000_000, entities=2_000_000, package={},
                               ingest=_measured(65.0, {}), checks=None,
                               error="timed out", checks_at_least=416.0)
    table = check.render_table([done, stopped])
    row = table.splitlines()[-1].split()
    assert row[:5] == ["1M", "2,000,000", "65.00", ">416.000", ">6.400"]
    ok, line = check.verdict([done, stopped])
    assert not ok
    assert "growth 100k->1M: checks stopped by the timeout, exponent >= 1.72" in line
    assert "failed at 1M" in line
    assert check.growth([done, stopped])[0]["exponent"] is None
