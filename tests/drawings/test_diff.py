"""Entity-level comparison of two rounds: known edits give exactly those changes."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest
from ezdxf.math import Vec3

from checkers.package import read_layer_map
from drawings import load
from drawings.diff import compare
from drawings.model import DrawingModel
from samples import build_package


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("diff"), "office_building")


def _load(package: Path, path: Path) -> DrawingModel:
    return load(path, discipline="architecture", layer_map=read_layer_map(package))


def _frames(doc: ezdxf.document.Drawing) -> dict[str, ezdxf.entities.Insert]:
    return {
        a.dxf.text: i
        for i in doc.modelspace().query("INSERT")
        for a in i.attribs
        if a.dxf.tag == "SHEET_NO"
    }


def _in_frame(doc: ezdxf.document.Drawing, frame: ezdxf.entities.Insert) -> list[object]:
    from ezdxf import bbox

    box = bbox.extents([frame])
    out = []
    for e in doc.modelspace():
        eb = bbox.extents([e], fast=True)
        if eb.has_data and box.inside(eb.center):
            out.append(e)
    return out


def _unit(doc: ezdxf.document.Drawing) -> float:
    return 1000.0 if doc.header.get("$INSUNITS", 4) == 4 else 1.0


def _edit(src: Path, dst: Path) -> dict[str, str]:
    """Move one wall 0.5 m, widen one door, add one door, renumber A-03 and move sheet A-05."""
    doc = ezdxf.readfile(src)
    u = _unit(doc)
    frames = _frames(doc)
    on_a03 = _in_frame(doc, frames["A-03"])
    wall = next(e for e in on_a03 if e.dxftype() == "LWPOLYLINE" and e.dxf.layer == "AE-WALL")
    wall.translate(0.5 * u, 0, 0)
    doors = [e for e in on_a03 if e.dxftype() == "INSERT" and e.dxf.layer == "AE-DOOR"]
    widened, template = doors[0], doors[-1]
    widened.dxf.xscale = widened.dxf.xscale * 1.4
    added = template.copy()
    doc.modelspace().add_entity(added)
    added.translate(3.0 * u, 0, 0)
    for a in frames["A-03"].attribs:
        if a.dxf.tag == "SHEET_NO":
            a.dxf.text = "A-03R"
    for e in _in_frame(doc, frames["A-05"]):
        e.translate(0, -200.0 * u, 0)
    doc.saveas(dst)
    return {"wall": wall.dxf.handle, "door": widened.dxf.handle, "added": added.dxf.handle}


def test_known_edits_are_reported_exactly(package: Path, tmp_path: Path) -> None:
    src = package / "architecture" / "plans.dxf"
    edited = tmp_path / "plans.dxf"
    handles = _edit(src, edited)
    diff = compare(_load(package, src), _load(package, edited))
    summary = diff.summary()["counts"]
    assert summary == {"moved": 1, "modified": 1, "added": 1}, diff.summary()
    (moved,) = diff.of("moved")
    assert moved.handle == handles["wall"] and "0.50 m" in moved.detail_en
    (modified,) = diff.of("modified")
    assert modified.handle == handles["door"] and "size" in modified.detail_en
    (added,) = diff.of("added")
    assert added.handle == handles["added"]
    pairs = {p.old: p for p in diff.sheets}
    assert pairs["A-03"].new == "A-03R" and pairs["A-03"].renumbered
    assert pairs["A-05"].new == "A-05" and pairs["A-05"].shift[1] == pytest.approx(-200.0)
    assert sum(pairs["A-05"].counts.values()) == 0


def test_same_drawing_has_no_changes(package: Path) -> None:
    src = package / "architecture" / "plans.dxf"
    m = _load(package, src)
    diff = compare(m, _load(package, src))
    assert diff.changes == []
    assert all(not p.renumbered and p.shift == (0.0, 0.0) for p in diff.sheets)


def test_removed_object(package: Path, tmp_path: Path) -> None:
    src = package / "architecture" / "plans.dxf"
    doc = ezdxf.readfile(src)
    door = next(e for e in doc.modelspace().query("INSERT") if e.dxf.layer == "AE-DOOR")
    handle = door.dxf.handle
    doc.modelspace().delete_entity(door)
    out = tmp_path / "plans.dxf"
    doc.saveas(out)
    diff = compare(_load(package, src), _load(package, out))
    assert [(c.kind, c.handle) for c in diff.changes] == [("removed", handle)]


def test_tolerance_must_be_positive(package: Path) -> None:
    m = _load(package, package / "architecture" / "plans.dxf")
    with pytest.raises(ValueError):
        compare(m, m, tolerance=0)


def test_dict_shape(package: Path) -> None:
    m = _load(package, package / "architecture" / "plans.dxf")
    d = compare(m, m).to_dict()
    assert set(d) == {"added", "removed", "modified", "moved", "sheets", "summary"}


def test_swapped_sheets_are_paired_by_content(package: Path, tmp_path: Path) -> None:
    """Two storeys' frames swap places in model space: no object changes, two shifts."""
    src = package / "architecture" / "plans.dxf"
    doc = ezdxf.readfile(src)
    frames = _frames(doc)
    a, b = frames["A-03"], frames["A-04"]
    delta = Vec3(b.dxf.insert) - Vec3(a.dxf.insert)
    on_a, on_b = _in_frame(doc, a), _in_frame(doc, b)
    for e in on_a:
        e.translate(*delta)
    for e in on_b:
        e.translate(*(-delta))
    out = tmp_path / "plans.dxf"
    doc.saveas(out)
    diff = compare(_load(package, src), _load(package, out))
    assert diff.changes == []
    shifted = {p.old: p for p in diff.sheets if p.shift != (0.0, 0.0)}
    assert set(shifted) == {"A-03", "A-04"}
    assert shifted["A-03"].new == "A-03"
