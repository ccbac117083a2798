"""``lianshen check`` and ``lianshen rules`` as a design firm runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lianshen.cli import main
from samples import build_package


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("pkg"))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_clean_sample_passes(package: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "check", "--no-progress", "--format", "json", str(package))
    report = json.loads(out)
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"]
    assert set(report) >= {"package", "status", "findings", "summary", "not_checked"}
    assert report["status"] == "checked" and report["summary"]["errors"] == 0
    assert set(report["summary"]) >= {"by_code", "errors", "warnings", "infos"}
    for n in report["not_checked"]:
        assert set(n) >= {"code", "reason"} and n["reason"]


def test_refused_package_exits_2_listing_everything(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    shutil.rmtree(broken / "civil_defence")
    (broken / "project.toml").write_text("[planning]\nfar_max = -2\n", encoding="utf-8")
    code, out = _run(capsys, "check", "--no-progress", "--format", "json", str(broken))
    assert code == 2
    report = json.loads(out)
    assert report["status"] == "refused"
    assert [p["where"] for p in report["problems"]] == ["planning.far_max", "civil_defence/"]
    code, out = _run(capsys, "check", "--no-progress", str(broken))
    assert code == 2 and "一次告知" in out


def test_error_findings_exit_3(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    (broken / "fire" / "notes.dxf").write_bytes(b"PK\x03\x04 not a drawing")
    out_file = tmp_path / "report.json"
    code, _ = _run(
        capsys, "check", "--no-progress", "--format", "json", "--output", str(out_file), str(broken)
    )
    assert code == 3
    report = json.loads(out_file.read_text(encoding="utf-8"))
    refused = [f for f in report["findings"] if f["code"] == "DXF-001"]
    assert refused and refused[0]["file"] == "fire/notes.dxf" and refused[0]["severity"] == "error"


def test_rules_lists_the_implemented_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "rules", "--json")
    assert code == 0
    rules = json.loads(out)
    for r in rules:
        assert set(r) >= {"code", "slug", "discipline", "severity", "clause", "parameters"}
        assert r["clause"] and "Clause:" in r["doc"]
    code, out = _run(capsys, "rules")
    assert code == 0


def test_bcf_output_has_one_topic_per_finding(
    package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile
    from xml.etree import ElementTree as ET

    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    (broken / "fire" / "<b onmouseover=x>.dxf").write_bytes(b"garbage bytes here")
    main(
        [
            "check",
            "--no-progress",
            "--format",
            "json",
            "--output",
            str(tmp_path / "r.json"),
            str(broken),
        ]
    )
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    target = tmp_path / "out.bcf"
    code, out = _run(
        capsys, "check", "--no-progress", "--format", "bcf", "--output", str(target), str(broken)
    )
    assert code == 3 and "BCF" in out
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        assert "bcf.version" in names and "project.bcfp" in names
        assert ET.fromstring(zf.read("bcf.version")).get("VersionId") == "2.1"
        markups = [n for n in names if n.endswith("/markup.bcf")]
        assert len(markups) == len(report["findings"])
        titles = []
        for name in markups:
            raw = zf.read(name)
            assert b"<b onmouseover" not in raw  # hostile file names are escaped
            topic = ET.fromstring(raw).find("Topic")
            assert topic is not None and topic.get("Guid") == name.split("/")[0]
            titles.append(topic.findtext("Title") or "")
            assert topic.findtext("CreationDate") and topic.findtext("Description")
        assert any(t.startswith("DXF-001") and "<b onmouseover=x>" in t for t in titles)
