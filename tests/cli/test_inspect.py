"""``lianshen inspect`` as a user runs it: JSON shape of API.md, texts, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ezdxf
import pytest

from lianshen.cli import main

API_KEYS = {
    "file",
    "status",
    "dxf_version",
    "encoding",
    "unit",
    "sheets",
    "layers",
    "unmapped_layers",
    "stats",
    "findings",
}
FINDING_KEYS = {
    "code",
    "slug",
    "discipline",
    "severity",
    "message",
    "clause",
    "measured",
    "limit",
    "unit",
    "file",
    "sheet",
    "location",
    "handles",
}


def _drawing(tmp_path: Path) -> Path:
    doc = ezdxf.new("R2018")
    doc.units = 4
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(0, 0), (4000, 0), (4000, 3000), (0, 3000)], close=True, dxfattribs={"layer": "SPACE"}
    )
    msp.add_text("卧室", dxfattribs={"layer": "SPACE", "insert": (1000, 1000)})
    msp.add_line((0, 0), (1, 1), dxfattribs={"layer": "家具 FURNITURE"})
    path = tmp_path / "plan.dxf"
    doc.saveas(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["inspect", "--no-progress", *args])
    return code, capsys.readouterr().out


def test_json_has_the_api_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--json", str(_drawing(tmp_path)))
    assert code == 0
    report = json.loads(out)
    assert API_KEYS <= set(report)
    assert report["status"] == "ok" and report["dxf_version"] == "R2018"
    assert report["unit"] == "mm" and report["encoding"] == "utf-8"
    assert report["layers"] == {"A-AREA": ["SPACE"], "A-AREA-IDEN": ["SPACE"]}
    assert report["unmapped_layers"] == ["家具 FURNITURE"]
    assert {"entities", "layers", "blocks"} <= set(report["stats"])
    assert report["stats"]["entities"] == 3
    (sheet,) = report["sheets"]
    assert set(sheet) >= {"sheet_no", "title", "floor", "bbox_m"}
    assert sheet["bbox_m"] == [0.0, 0.0, 4.0, 3.0]
    codes = [f["code"] for f in report["findings"]]
    assert codes == ["DXF-007"]
    assert FINDING_KEYS <= set(report["findings"][0])
    assert "texts" not in report


def test_texts_are_decoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--json", "--texts", str(_drawing(tmp_path)))
    assert code == 0 and json.loads(out)["texts"] == ["卧室"]
    code, out = _run(capsys, "--texts", str(_drawing(tmp_path)))
    assert code == 0 and "卧室" in out and "A-AREA" in out


def test_refused_file_exits_2_with_dxf001(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "photo.dxf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    code, out = _run(capsys, "--json", str(bad))
    assert code == 2
    report = json.loads(out)
    assert report["status"] == "refused"
    (finding,) = report["findings"]
    assert finding["code"] == "DXF-001" and finding["slug"] == "unreadable"
    assert "photo.dxf" in finding["message"] and "Traceback" not in out
    code, out = _run(capsys, str(bad))
    assert code == 2 and out.startswith("DXF-001")


def test_missing_file_is_refused_not_crashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, str(tmp_path / "nope.dxf"))
    assert code == 2 and "nope.dxf" in out


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("lianshen")
    proc = subprocess.run(
        [str(exe), "inspect", "--json", str(_drawing(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "ok"


def test_file_inside_a_package_is_read_with_its_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from samples import build_package

    package = build_package(tmp_path)
    code, out = _run(capsys, "--json", str(package / "civil_defence" / "shelter.dxf"))
    assert code == 0
    report = json.loads(out)
    # the firm's layers.toml maps 房间轮廓 / 房间名称; the folder gives the discipline
    assert "房间轮廓" in report["layers"]["A-AREA"]
    assert "房间轮廓" not in report["unmapped_layers"]
    assert {f["discipline"] for f in report["findings"]} == {"civil_defence"}
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    floors = {s["sheet_no"]: s["floor"] for s in report["sheets"]}
    assert floors["R-01"] == "-2"
