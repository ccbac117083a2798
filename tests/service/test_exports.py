"""Standard exports over HTTP: BCF 2.1 and 3.0, W3C Web Annotation, CSV and the case archive.

The BCF files are read back with a BCF reader library (``bcf-client``, the BCF module of the
IfcOpenShell project, whose classes are generated from the buildingSMART schemas), with its
XML parser made strict: an element or attribute the schema does not know, or a value of the
wrong type, fails the read. No registry package ships the buildingSMART XSD files themselves,
so the order of elements that the schemas' sequences prescribe is checked here as well.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree as ET

import bcf.bcfxml
import pytest
from bcf.xml_parser import XmlParserSerializer
from PIL import Image
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig

from checkers.bcf import write_bcf
from review_api.exports.bcf import item_guid
from review_api.workflow import DEPARTMENTS
from tests.service.harness import Platform, make_platform, package_zip
from tests.service.test_documents import INTERNAL_TEXT, build_case

T = TypeVar("T")
FORMULA = "=cmd|' /C calc'!A0 公式注入"

# The sequences of the buildingSMART schemas (markup.xsd, visinfo.xsd) that the writer uses.
ORDER = {
    "2.1": {
        "Markup": ["Header", "Topic", "Comment", "Viewpoints"],
        "Topic": ["ReferenceLink", "Title", "Priority", "Index", "Labels", "CreationDate",
                  "CreationAuthor", "ModifiedDate", "ModifiedAuthor", "DueDate", "AssignedTo",
                  "Stage", "Description", "BimSnippet", "DocumentReference", "RelatedTopic"],
    },
    "3.0": {
        "Markup": ["Header", "Topic"],
        "Topic": ["ReferenceLinks", "Title", "Priority", "Index", "Labels", "CreationDate",
                  "CreationAuthor", "ModifiedDate", "ModifiedAuthor", "DueDate", "AssignedTo",
                  "Stage", "Description", "BimSnippet", "DocumentReferences", "RelatedTopics",
                  "Comments", "Viewpoints"],
    },
}
COMMENT_ORDER = ["Date", "Author", "Comment", "Viewpoint", "ModifiedDate", "ModifiedAuthor"]
VISINFO_ORDER = ["Components", "OrthogonalCamera", "PerspectiveCamera", "Lines",
                 "ClippingPlanes", "Bitmap", "Bitmaps"]
CAMERA_ORDER = ["CameraViewPoint", "CameraDirection", "CameraUpVector", "ViewToWorldScale",
                "AspectRatio"]


class StrictXml(XmlParserSerializer):
    """bcf-client's parser, failing on anything its schema-generated classes do not define."""

    def __init__(self) -> None:
        super().__init__()
        self.parser = XmlParser(
            context=self.context,
            config=ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True,
                                fail_on_converter_warnings=True),
        )

    def parse(self, xml: bytes, clazz: type[T]) -> T:
        return self.parser.from_bytes(xml, clazz)


def read_bcf(data: bytes, tmp_path: Path, name: str = "export.bcf") -> Any:
    """The archive as bcf-client reads it, topics loaded."""
    path = tmp_path / name
    path.write_bytes(data)
    archive = bcf.bcfxml.load(path, StrictXml())
    assert archive is not None
    _ = archive.topics, archive.project_info
    return archive


def _in_order(element: ET.Element, order: list[str]) -> None:
    tags = [child.tag for child in element]
    unknown = [t for t in tags if t not in order]
    assert not unknown, f"{element.tag}: not in the schema: {unknown}"
    positions = [order.index(t) for t in tags]
    assert positions == sorted(positions), f"{element.tag}: out of schema order: {tags}"


def check_structure(data: bytes, version: str) -> None:
    """Every markup and viewpoint follows its schema's sequences."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert ET.fromstring(zf.read("bcf.version")).get("VersionId") == version
        if version == "3.0":
            assert ET.fromstring(zf.read("extensions.xml")).tag == "Extensions"
        for name in zf.namelist():
            if name.endswith("markup.bcf"):
                markup = ET.fromstring(zf.read(name))
                _in_order(markup, ORDER[version]["Markup"])
                topic = markup.find("Topic")
                assert topic is not None and topic.get("Guid") == name.split("/")[0]
                _in_order(topic, ORDER[version]["Topic"])
                for comment in markup.iter("Comment"):
                    if comment.get("Guid"):
                        _in_order(comment, COMMENT_ORDER)
            elif name.endswith(".bcfv"):
                info = ET.fromstring(zf.read(name))
                _in_order(info, VISINFO_ORDER)
                camera = info.find("OrthogonalCamera")
                assert camera is not None
                _in_order(camera, CAMERA_ORDER)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    p = make_platform(tmp_path_factory.mktemp("exports"))
    yield p
    p.client.close()


@pytest.fixture(scope="module")
def case(platform: Platform) -> dict[str, Any]:
    """The documents module's case, one more annotation with formula-like text, and the
    consolidated opinion issued (so the archive has a signed document)."""
    out = build_case(platform, "导出测试项目")
    sub = out["submission_id"]
    state = platform.as_("bureau")("get", f"/api/submissions/{sub}").json()
    drawing = next(d for d in state["drawings"] if d["discipline"] == "lightning")
    r = platform.as_("reviewer-lightning")(
        "post", f"/api/drawings/{drawing['id']}/annotations",
        json={"geometry": {"type": "LineString", "coordinates": [[10.0, 20.0], [30.0, 20.0]]},
              "text": FORMULA, "kind": "arrow"},
    )
    assert r.status_code == 201, r.text
    out["annotations"]["formula"] = r.json()["id"]
    r = platform.as_("bureau")("post", f"/api/submissions/{sub}/consolidated-opinion",
                               json={"decision": "revise"})
    assert r.status_code == 201, r.text
    out["document"] = r.json()
    return out


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def export(p: Platform, user: str, sub: int, fmt: str) -> Any:
    r = p.as_(user)("get", f"/api/submissions/{sub}/export", params={"format": fmt})
    assert r.status_code == 200, r.text
    return r


def _visible(p: Platform, user: str, case: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Finding ids and annotation ids that ``user`` sees through the API."""
    sub = case["submission_id"]
    findings = [f["id"] for f in p.as_(user)("get", f"/api/submissions/{sub}/findings").json()]
    drawings = p.as_(user)("get", f"/api/submissions/{sub}").json()["drawings"]
    annotations = [
        a["id"]
        for d in drawings
        for a in p.as_(user)("get", f"/api/drawings/{d['id']}/annotations").json()
    ]
    return findings, annotations


# --- BCF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "version"), [("bcf", "2.1"), ("bcf3", "3.0")])
@pytest.mark.parametrize("user", ["reviewer-fire", "applicant"])
def test_bcf_is_read_back_with_every_item(
    platform: Platform, case: dict[str, Any], tmp_path: Path, fmt: str, version: str, user: str
) -> None:
    data = export(platform, user, case["submission_id"], fmt).content
    check_structure(data, version)
    archive = read_bcf(data, tmp_path)
    assert archive.version.version_id == version
    findings, annotations = _visible(platform, user, case)
    expected = {item_guid("finding", i) for i in findings} | {
        item_guid("annotation", i) for i in annotations
    }
    assert set(archive.topics) == expected
    assert len(archive.topics) == len(findings) + len(annotations)
    internal = item_guid("annotation", case["annotations"]["internal"])
    assert (internal in archive.topics) is (user != "applicant")
    leaked = any(INTERNAL_TEXT.encode() in body for body in _members(data).values())
    assert leaked is (user != "applicant")

    fire = archive.topics[item_guid("annotation", case["annotations"]["fire"])]
    assert fire.topic.creation_author.startswith("赵消防")
    assert [c.comment for c in fire.comments] == ['=HYPERLINK("http://x") 已知悉，将修改']
    files = (fire.header.file if version == "2.1" else fire.header.files.file)
    assert [f.filename for f in files] == ["fire/plans.dxf"]
    (viewpoint,) = fire.viewpoints.values()
    camera = viewpoint.visualization_info.orthogonal_camera
    assert camera.camera_direction.z == -1.0 and camera.view_to_world_scale > 0
    lines = viewpoint.visualization_info.lines.line
    assert lines, "the place's outline"
    picture = Image.open(io.BytesIO(viewpoint.snapshot))
    assert picture.format == "PNG" and picture.width >= 100
    for guid in {item_guid("finding", i) for i in findings}:
        handler = archive.topics[guid]
        assert handler.topic.title and handler.topic.description
        labels = handler.topic.labels if version == "2.1" else handler.topic.labels.label
        assert labels


@pytest.mark.parametrize("version", ["2.1", "3.0"])
def test_cli_bcf_is_read_back_too(tmp_path: Path, version: str) -> None:
    findings = [
        {"code": "FIRE-003", "message": "疏散距离过长", "discipline": "fire", "severity": "error",
         "clause": "GB 50016 5.5.17", "file": "fire/plans.dxf", "sheet": "F-03",
         "location": {"type": "Point", "coordinates": [1, 2]}, "handles": ["1A"]},
        {"code": "DXF-001", "message": "<b onmouseover=x>.dxf", "discipline": "fire",
         "severity": "error", "clause": "", "file": None},
    ]
    target = tmp_path / "cli.bcf"
    assert write_bcf(findings, target, project="pkg", version=version) == 2  # type: ignore[arg-type]
    data = target.read_bytes()
    check_structure(data, version)
    archive = read_bcf(data, tmp_path, "cli-read.bcf")
    assert sorted(t.topic.title for t in archive.topics.values()) == [
        "DXF-001 <b onmouseover=x>.dxf", "FIRE-003 疏散距离过长",
    ]


# --- Web Annotation and CSV ----------------------------------------------------------------------


def test_web_annotations_are_a_collection_of_every_item(
    platform: Platform, case: dict[str, Any]
) -> None:
    for user in ("reviewer-fire", "applicant"):
        r = export(platform, user, case["submission_id"], "wa")
        assert r.headers["content-type"].startswith("application/ld+json")
        doc = json.loads(r.content)
        assert "http://www.w3.org/ns/anno.jsonld" in doc["@context"]
        assert doc["type"] == "AnnotationCollection"
        items = doc["first"]["items"]
        assert doc["total"] == len(items) and doc["first"]["type"] == "AnnotationPage"
        findings, annotations = _visible(platform, user, case)
        by_motivation: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            assert item["type"] == "Annotation" and item["id"] and item["body"]
            by_motivation.setdefault(item["motivation"], []).append(item)
        assert len(by_motivation["assessing"]) == len(findings)
        assert len(by_motivation["commenting"]) == len(annotations)
        ids = {i["id"] for i in by_motivation["commenting"]}
        (reply,) = by_motivation["replying"]
        assert reply["target"] in ids and reply["target"].endswith(
            f"/api/annotations/{case['annotations']['fire']}"
        )
        for item in by_motivation["commenting"]:
            selector = item["target"]["selector"]
            assert selector["type"] == "SvgSelector"
            assert ET.fromstring(selector["value"]).tag == "{http://www.w3.org/2000/svg}svg"
            assert item["creator"]["name"]
        assert (INTERNAL_TEXT in r.text) is (user != "applicant")


def test_csv_has_every_item_and_no_formula(platform: Platform, case: dict[str, Any]) -> None:
    r = export(platform, "applicant", case["submission_id"], "csv")
    assert r.content.startswith(b"\xef\xbb\xbf") and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    findings, annotations = _visible(platform, "applicant", case)
    assert sorted(int(x["id"]) for x in rows if x["kind"] == "finding") == sorted(findings)
    assert sorted(int(x["id"]) for x in rows if x["kind"] == "annotation") == sorted(annotations)
    formula = next(x for x in rows if x["kind"] == "annotation"
                   and x["id"] == str(case["annotations"]["formula"]))
    assert formula["text"] == "'" + FORMULA
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@"))
    assert INTERNAL_TEXT not in r.content.decode("utf-8-sig")


# --- the case archive ----------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["bureau", "applicant"])
def test_archive_manifest_matches_its_contents(
    platform: Platform, case: dict[str, Any], user: str
) -> None:
    r = export(platform, user, case["submission_id"], "archive")
    assert r.headers["content-type"] == "application/zip"
    members = _members(r.content)
    manifest = json.loads(members["manifest.json"])
    listed = {e["path"]: e for e in manifest["files"]}
    assert set(listed) == set(members) - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(members[path]).hexdigest(), path
        assert entry["size"] == len(members[path])
    sums = dict(
        reversed(line.split("  ", 1)) for line in members["SHA256SUMS"].decode().splitlines()
    )
    assert sums == {p: e["sha256"] for p, e in listed.items()}

    case_json = json.loads(members["case.json"])
    (round1,) = case_json["rounds"]
    assert len(round1["drawings"]) == 5
    for d in round1["drawings"]:
        assert hashlib.sha256(members[d["path"]]).hexdigest() == d["recorded_sha256"]
    (document,) = round1["documents"]
    assert document["verification_code"] == case["document"]["verification_code"]
    assert hashlib.sha256(members[document["path"]]).hexdigest() == case["document"]["sha256"]
    assert len(round1["opinions"]) == 5, "the decision is out: the applicant reads them too"
    assert round1["findings"] and round1["decision"]["decision"] == "revise"
    fire = next(a for a in round1["annotations"] if a["id"] == case["annotations"]["fire"])
    assert [x["text"] for x in fire["replies"]] == ['=HYPERLINK("http://x") 已知悉，将修改']
    actions = [e["action"] for e in json.loads(members["audit.json"])["events"]]
    for action in ("submission.submit", "opinion.give", "document.issue"):
        assert action in actions
    leaked = any(INTERNAL_TEXT.encode() in body for body in members.values())
    assert leaked is (user != "applicant")


def test_exports_are_for_the_parties_only(platform: Platform, case: dict[str, Any]) -> None:
    url = f"/api/submissions/{case['submission_id']}/export"
    for fmt in ("bcf", "bcf3", "wa", "csv", "archive"):
        assert platform.as_("applicant-other")("get", url, params={"format": fmt}).status_code == 404
        assert platform.client.get(url, params={"format": fmt}).status_code == 401
    assert platform.as_("applicant")("get", url, params={"format": "xlsx"}).status_code == 422


def test_second_round_carries_open_items_into_consolidation_and_archive(
    platform: Platform, case: dict[str, Any]
) -> None:
    """Runs last: it moves the case to round 2."""
    applicant, bureau = platform.as_("applicant"), platform.as_("bureau")
    sub1 = case["submission_id"]
    items = applicant("get", f"/api/submissions/{sub1}/items").json()
    first = items[0]
    r = applicant("put", f"/api/submissions/{sub1}/items/{first['source_type']}/"
                  f"{first['source_id']}/answer", json={"status": "explained", "text": "已说明理由"})
    assert r.status_code == 200, r.text
    r = platform.submit(case["project_id"], package_zip("residential_tower_violations"))
    assert r.status_code == 201, r.text
    sub2 = r.json()["id"]
    assert bureau("post", f"/api/submissions/{sub2}/intake",
                  json={"decision": "accept"}).status_code == 200
    for dept in DEPARTMENTS:
        r = platform.as_(f"reviewer-{dept}")(
            "post", f"/api/submissions/{sub2}/opinions",
            json={"department": dept, "verdict": "pass", "items": []},
        )
        assert r.status_code == 201, r.text
    carried = [c for c in bureau("get", f"/api/submissions/{sub2}/carried").json()
               if c["status"] == "open"]
    assert carried, "round 1's open items come along"
    view = bureau("get", f"/api/submissions/{sub2}/consolidation").json()
    shown = [i for g in view["groups"] for i in g["items"] if i["source"] == "carried"]
    assert sorted(i["key"] for i in shown) == sorted(f"carried:{c['id']}" for c in carried)
    assert all(i["reviewer"] for i in shown)

    members = _members(export(platform, "bureau", sub2, "archive").content)
    rounds = json.loads(members["case.json"])["rounds"]
    assert [r["submission"]["round"] for r in rounds] == [1, 2]
    assert [(a["status"], a["text"]) for a in rounds[0]["item_answers"]] == [
        ("explained", "已说明理由")
    ]
    assert len(rounds[1]["carried_items"]) >= len(carried)
    assert {p.split("/")[1] for p in members if p.startswith("rounds/")} == {"1", "2"}
