"""The benchmark plan generator writes valid, realistic, reproducible DXF.

The benchmarks are only as meaningful as their input: a generator that drifted into invalid DXF,
an odd entity mix or run-to-run differences would make the figures incomparable. These tests
run the command line on a small plan (a fraction of one storey's worth of entities is enough to
contain every entity type) and check the file with ezdxf itself. No timing is asserted here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import ezdxf
import pytest
from ezdxf import recover
from ezdxf.document import Drawing
from ezdxf.entities import DXFGraphic

ROOT = Path(__file__).resolve().parents[2]
N = 2000


def _generate(out: Path, *extra: str, n: int = N) -> Path:
    subprocess.run(
        [sys.executable, "-m", "benchmarks.make_large", "--entities", str(n), "--out", str(out),
         *extra],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    )
    return out


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("plan") / "plan.dxf")


@pytest.fixture(scope="module")
def doc(plan: Path) -> Drawing:
    return ezdxf.readfile(plan)


def test_header_is_r2018_in_millimetres(doc: Drawing) -> None:
    assert doc.dxfversion == "AC1032"
    assert doc.header["$INSUNITS"] == 4
    assert doc.header["$MEASUREMENT"] == 1


def test_model_space_holds_exactly_n_entities(doc: Drawing) -> None:
    assert len(doc.modelspace()) == N


def test_entity_mix_resembles_a_tarch_plan(doc: Drawing) -> None:
    types = Counter(e.dxftype() for e in doc.modelspace())
    share = {t: c / N for t, c in types.items()}
    assert share["LINE"] + share["LWPOLYLINE"] >= 0.55
    assert 0.07 <= share["TEXT"] + share["MTEXT"] <= 0.16
    assert 0.03 <= share["INSERT"] <= 0.12
    assert 0.02 <= share["HATCH"] <= 0.08
    assert 0.02 <= share["DIMENSION"] <= 0.06
    assert types["MTEXT"] >= 1
    assert types["CIRCLE"] >= 1


def test_layers_carry_the_expected_content(doc: Drawing) -> None:
    by_layer: dict[str, Counter[str]] = {}
    for e in doc.modelspace():
        by_layer.setdefault(e.dxf.layer, Counter())[e.dxftype()] += 1
    assert {"LINE", "LWPOLYLINE"} <= set(by_layer["WALL"])
    assert set(by_layer["COLUMN"]) == {"LWPOLYLINE", "HATCH"}
    assert set(by_layer["DOOR_FIRE"]) == {"INSERT"}
    assert set(by_layer["DOOR_FIRE_TEXT"]) == {"TEXT"}
    assert set(by_layer["WINDOW"]) == {"INSERT"}
    assert set(by_layer["WINDOW_TEXT"]) == {"TEXT"}
    assert set(by_layer["SPACE"]) == {"LWPOLYLINE", "TEXT"}
    assert set(by_layer["DOTE"]) == {"LINE"}
    assert set(by_layer["AXIS_TEXT"]) == {"TEXT"}
    assert set(by_layer["PUB_DIM"]) == {"DIMENSION"}


def _texts(doc: Drawing, layer: str) -> list[str]:
    return [e.dxf.text for e in doc.modelspace().query(f'TEXT[layer=="{layer}"]')]


def test_annotation_reads_like_a_chinese_plan(doc: Drawing) -> None:
    rooms = set(_texts(doc, "SPACE"))
    assert {"卧室", "起居室", "厨房", "卫生间", "走道"} <= rooms
    assert all(re.fullmatch(r"(M|FM乙)\d{4}", t) for t in _texts(doc, "DOOR_FIRE_TEXT"))
    assert "M0921" in _texts(doc, "DOOR_FIRE_TEXT")
    assert all(re.fullmatch(r"C\d{4}", t) for t in _texts(doc, "WINDOW_TEXT"))
    assert "C1518" in _texts(doc, "WINDOW_TEXT")
    notes = [e.text for e in doc.modelspace().query("MTEXT")]
    assert notes and all(re.search(r"[\u4e00-\u9fff]", n) for n in notes)


def test_rooms_are_closed_and_contain_their_names(doc: Drawing) -> None:
    from shapely.geometry import Point, Polygon

    rooms = [
        Polygon(e.get_points("xy"))
        for e in doc.modelspace().query('LWPOLYLINE[layer=="SPACE"]')
        if e.closed
    ]
    assert rooms
    for text in doc.modelspace().query('TEXT[layer=="SPACE"]'):
        p = Point(text.dxf.insert.x, text.dxf.insert.y)
        assert any(r.contains(p) for r in rooms), text.dxf.text


def test_blocks_and_hatches_are_complete(doc: Drawing) -> None:
    door = next(iter(doc.modelspace().query('INSERT[layer=="DOOR_FIRE"]')))
    assert sorted(e.dxftype() for e in doc.blocks[door.dxf.name]) == ["ARC", "LINE"]
    patterns = Counter(h.dxf.pattern_name for h in doc.modelspace().query("HATCH"))
    assert patterns["SOLID"] > 0 and patterns["ANSI31"] > 0
    for dim in doc.modelspace().query("DIMENSION"):
        rendered = Counter(e.dxftype() for e in doc.blocks[dim.dxf.geometry])
        assert rendered["LINE"] >= 3 and rendered["MTEXT"] == 1
        assert dim.get_measurement() > 0


def test_recover_audit_finds_nothing(plan: Path) -> None:
    _, auditor = recover.readfile(plan)
    assert not auditor.has_errors, [e.message for e in auditor.errors]
    assert not auditor.has_fixes, [f.message for f in auditor.fixes]


def test_handles_are_unique_and_below_the_seed(plan: Path) -> None:
    handles: list[int] = []
    seed = 0
    previous = ""
    with open(plan, encoding="utf-8") as f:
        lines = iter(f)
        for code, value in zip(lines, lines, strict=True):
            value = value.strip()
            if previous == "$HANDSEED":
                seed = int(value, 16)
            elif code.strip() in ("5", "105"):
                handles.append(int(value, 16))
            previous = value
    assert len(handles) == len(set(handles))
    assert max(handles) < seed


def test_same_count_gives_the_same_bytes(plan: Path, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again.dxf")
    assert again.read_bytes() == plan.read_bytes()


def _signature(e: DXFGraphic) -> tuple[str, list[tuple[str, str]]]:
    attribs: dict[str, Any] = {
        k: v for k, v in e.dxfattribs().items() if k not in ("handle", "owner")
    }
    if e.dxftype() == "LWPOLYLINE":
        attribs["points"] = list(e.get_points("xy"))  # type: ignore[attr-defined]
    elif e.dxftype() == "HATCH":
        attribs["paths"] = [list(p.vertices) for p in e.paths]  # type: ignore[attr-defined]
        pattern = e.pattern  # type: ignore[attr-defined]
        attribs["pattern"] = [
            (line.angle, tuple(line.base_point), tuple(line.offset), line.dash_length_items)
            for line in (pattern.lines if pattern else [])
        ]
    elif e.dxftype() == "DIMENSION":
        block = e.doc.blocks[e.dxf.geometry]  # type: ignore[union-attr]
        attribs["rendered"] = [
            (b.dxftype(), sorted((k, str(v)) for k, v in b.dxfattribs().items()
                                 if k not in ("handle", "owner")))
            for b in block
        ]
    return e.dxftype(), sorted((k, str(v)) for k, v in attribs.items())


def test_text_writer_matches_the_ezdxf_object_model(doc: Drawing, tmp_path: Path) -> None:
    reference = ezdxf.readfile(_generate(tmp_path / "ref.dxf", "--writer", "ezdxf"))
    ours = [_signature(e) for e in doc.modelspace()]
    theirs = [_signature(e) for e in reference.modelspace()]
    assert len(ours) == len(theirs) == N
    for a, b in zip(ours, theirs, strict=True):
        assert a == b


def test_partial_storey_still_has_every_entity_type(tmp_path: Path) -> None:
    small = ezdxf.readfile(_generate(tmp_path / "small.dxf", n=400))
    types = {e.dxftype() for e in small.modelspace()}
    assert {"TEXT", "MTEXT", "CIRCLE", "DIMENSION", "LINE", "LWPOLYLINE"} <= types
