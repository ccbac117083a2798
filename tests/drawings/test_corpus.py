"""Every real-world DXF of the shared corpus loads, or is refused with a specific reason.

The corpus is used in place (``../shared/corpus/files``), never copied into the repository.
Files with Chinese text must decode to the right characters: real strings from them are asserted.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from drawings import UnreadableDrawingError, load
from drawings.report import inspect_dict
from drawings.serialize import dumps, loads

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FILES = sorted((CORPUS / "files").glob("*.dxf")) if CORPUS.is_dir() else []

# Refused files and the reason each must give. Everything else must load.
REFUSED = {
    "bad_gdal_insert_too_many_errors.dxf": "structure",
}

pytestmark = pytest.mark.skipif(not FILES, reason="shared corpus not present")


def test_manifest_lists_every_file() -> None:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as fp:
        names = {row["file"] for row in csv.DictReader(fp, delimiter="\t")}
    assert {p.name for p in FILES} <= names


@pytest.mark.timeout(120)
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_loads_or_is_refused_specifically(path: Path) -> None:
    if path.name in REFUSED:
        with pytest.raises(UnreadableDrawingError) as info:
            load(path)
        assert info.value.reason == REFUSED[path.name]
        assert path.name in info.value.message and info.value.message_en
        return
    model = load(path)
    report = inspect_dict(model, texts=True)
    json.dumps(report, ensure_ascii=False).encode("utf-8")  # serialisable, no lone surrogates
    for text in report["texts"]:
        assert "\x00" not in text
    assert model.sheets, "every drawing has at least one sheet"
    again = loads(dumps(model))
    assert len(again.objects) == len(model.objects)
    assert [f.code for f in again.findings] == [f.code for f in model.findings]


def _model(name: str):  # noqa: ANN202 - test helper
    return load(CORPUS / "files" / name)


def test_chinese_ansi936_r2018_layer_names() -> None:
    model = _model("cn_bim_student_dxf2_r2018.dxf")
    assert "圆弧" in {layer.name for layer in model.layers}


def test_chinese_layer_names_of_gstar_and_leadframe_files() -> None:
    assert "轮廓线" in {layer.name for layer in _model("cn_leadframe_dfn6v_gstar_r2018.dxf").layers}
    names = {layer.name for layer in _model("cn_leadframe_qfn0606_most_cjk_r2018.dxf").layers}
    assert "CEN(中心线)" in names and "DIM(尺寸标注）" in names


def test_chinese_text_of_pid_legend() -> None:
    model = _model("cn_pid_legend_2308PM-00_r2013.dxf")
    assert "图例" in [t.text for t in model.texts]
    assert "SEI_A1|商标标识" in {layer.name for layer in model.layers}


def test_tarch_file_texts_and_proxies() -> None:
    model = _model("cn_tarch_tch_kernal_proxies_r2013.dxf")
    texts = [t.text for t in model.texts]
    assert "天正单行文字输入" in texts and "房间" in texts
    proxy_layers = {f.layer for f in model.findings if f.code == "DXF-004"}
    assert {"WALL", "WINDOW"} <= proxy_layers
    assert any(layer.group == "A-WALL" for layer in model.layers if layer.name == "WALL")
    # proxy graphics are kept for display
    assert any(d.name == "WALL" and d.path_count > 0 for d in model.display)


def test_uplus_escapes_decoded() -> None:
    texts = [t.text for t in _model("cn_leadframe_4229647_uplus_r2018.dxf").texts]
    assert any("45.0°±5.0°" in t for t in texts)
    assert not any("\\U+" in t for t in texts)


def test_japanese_text_in_qcad_file() -> None:
    assert "日本語" in [t.text for t in _model("prod_qcad_text018_cjk_r2010.dxf").texts]


def test_binary_files_never_use_recover() -> None:
    for name in (
        "bin_acadsharp_sample_r2018.dxf",
        "bin_ezdxf_r12.dxf",
        "bin_netdxf_sample_r2018.dxf",
    ):
        assert _model(name).loaded_via == "binary"


def test_binary_and_ascii_twins_agree() -> None:
    binary = _model("bin_acadsharp_sample_r12.dxf")
    ascii_ = _model("ver_acadsharp_sample_r12_ascii.dxf")
    assert binary.stats.entities == ascii_.stats.entities
    assert sorted(layer.name for layer in binary.layers) == sorted(
        layer.name for layer in ascii_.layers
    )


def test_version_matrix_gives_the_same_drawing() -> None:
    counts = set()
    for version in ("r2000", "r2004", "r2007", "r2013", "r2018"):
        model = _model(f"ver_acad_example_{version}.dxf")
        counts.add(sum(d.path_count for d in model.display))
    assert len(counts) == 1


def test_bound_xref_layers_map_to_groups() -> None:
    model = _model("arch_floorplan_acadmech_r2004.dxf")
    groups = {layer.name: layer.group for layer in model.layers}
    assert groups["xref-Bishop-Overland-08$0$A-WALL"] == "A-WALL"
    assert model.group("A-WALL")
