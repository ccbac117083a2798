"""Package intake: folder or zip in, every problem listed at once, hostile archives refused."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from checkers.package import PackageError, load_package, open_package
from samples import build_package


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("pkg"))


def test_sample_package_loads_every_drawing(package: Path) -> None:
    loaded = load_package(package)
    files = sorted(d.file for d in loaded.context.drawings)
    assert files == [
        "architecture/plans.dxf",
        "civil_defence/shelter.dxf",
        "fire/plans.dxf",
        "lightning/roof.dxf",
        "planning/site.dxf",
    ]
    assert not loaded.refused
    assert {f.code for _, f in loaded.intake} == {"DXF-007"}
    assert loaded.context.params.building("3#").floors_above == 18


def test_missing_parts_are_listed_in_one_notice(package: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    shutil.rmtree(broken / "fire")
    shutil.rmtree(broken / "lightning")
    (broken / "project.toml").unlink()
    (broken / "misc").mkdir()
    with pytest.raises(PackageError) as info:
        load_package(broken)
    where = [w for w, _, _ in info.value.problems]
    assert where == ["project.toml", "fire/", "lightning/", "misc/"]


def test_bad_parameters_and_unknown_building_names(package: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    text = (broken / "project.toml").read_text(encoding="utf-8")
    (broken / "project.toml").write_text(text.replace('"3#"', '"5#"'), encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(broken)
    assert [w for w, _, _ in info.value.problems] == ["building.5#"]


def test_unreadable_drawing_is_recorded_and_the_rest_goes_on(package: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(package, broken)
    (broken / "lightning" / "extra.dxf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    loaded = load_package(broken)
    assert [(rel, e.reason) for rel, e in loaded.refused] == [("lightning/extra.dxf", "image")]
    assert len(loaded.context.drawings) == 5


def _zip(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, prefix + p.relative_to(folder).as_posix())
    return target


def test_zip_package_with_or_without_top_folder(package: Path, tmp_path: Path) -> None:
    for prefix in ("", "residential_tower/"):
        archive = _zip(package, tmp_path / f"p{len(prefix)}.zip", prefix)
        with open_package(archive) as root:
            assert (root / "project.toml").is_file()
            assert len(load_package(root).context.drawings) == 5
        assert not root.exists()  # the temporary folder is removed


@pytest.mark.parametrize(
    "member",
    ["../evil.dxf", "/etc/evil.dxf", "planning/../../evil.dxf", "C:/evil.dxf"],
    ids=["dotdot", "absolute", "nested-dotdot", "drive"],
)
def test_zip_slip_names_are_refused(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("project.toml", "")
        zf.writestr(member, "0\nEOF\n")
    with pytest.raises(PackageError) as info, open_package(archive):
        pass
    assert info.value.problems[0][0] == member
    assert not (tmp_path.parent / "evil.dxf").exists()


def test_zip_bomb_is_refused_before_extraction(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("planning/site.dxf", b"0" * (50 * 1024 * 1024))
    with pytest.raises(PackageError) as info, open_package(archive):
        pass
    assert "zip bomb" in info.value.problems[0][2]


def test_not_a_package(tmp_path: Path) -> None:
    f = tmp_path / "x.dxf"
    f.write_text("0\nEOF\n")
    with pytest.raises(PackageError), open_package(f):
        pass


def test_member_over_the_member_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member larger than any drawing could be is refused before it is unpacked; the limit
    is lowered here so the test needs no 256 MB file."""
    import checkers.package as package_module

    monkeypatch.setattr(package_module, "MAX_MEMBER_BYTES", 1000)
    zpath = tmp_path / "big.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("fire/plans.dxf", b"0\nSECTION\n" + b"x" * 5000)
        zf.writestr("project.toml", b"[project]\n")
    with pytest.raises(PackageError) as err, open_package(zpath):
        pass
    assert [p[0] for p in err.value.problems] == ["fire/plans.dxf"]
    assert "too large" in err.value.problems[0][2]
