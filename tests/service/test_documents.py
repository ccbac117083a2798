"""The bureau's consolidation and the issued documents, over HTTP (SQLite, eager pipeline).

One case is walked through once per module: a project whose name carries markup, the sample
package with seeded violations, five departments' findings, annotations and opinions, two of
which cite the same cross-drawing finding. The documents issued for it are then checked the way
an outsider would: pyHanko's validator against the trust root on disk, the QR code decoded from
the PDF's own image, the text extracted from the PDF, and single-byte tampering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import socket
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pypdf
import pytest
import zxingcpp
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from review_api.documents import DocumentContent, render_pdf, wrap_text
from review_api.exports.items import ConsolidationItem, suggestions
from review_api.models import Document
from review_api.signing import (
    SealPlacement,
    SigningError,
    SigningSettings,
    bureau_key,
    sign_pdf,
    validate_pdf,
)
from review_api.workflow import DEPARTMENTS
from tests.service.harness import (
    Platform,
    make_platform,
    package_zip,
    platform_on,
)

HOSTILE_PROJECT = '住宅<script>alert("x")</script>项目'
INTERNAL_TEXT = "内部意见-不得外传"


# --- the case ----------------------------------------------------------------------------------


def _finding(findings: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(f for f in findings if f["code"] == code)


def build_case(p: Platform, project_name: str = HOSTILE_PROJECT) -> dict[str, Any]:
    """Upload → intake → findings reviewed, annotations, replies, five opinions → consolidation.

    Architecture and fire both cite the cross-drawing finding JOINT-001; fire adds an internal
    annotation that the applicant must never see; the applicant replies to a public one.
    """
    bureau, applicant = p.as_("bureau"), p.as_("applicant")
    project_id = p.new_project(project_name)
    r = p.submit(project_id, package_zip("residential_tower_violations"))
    assert r.status_code == 201, r.text
    sub_id = r.json()["id"]
    state = applicant("get", f"/api/submissions/{sub_id}").json()
    assert state["processing"] == "done", state
    findings = applicant("get", f"/api/submissions/{sub_id}/findings").json()
    r = bureau("post", f"/api/submissions/{sub_id}/intake", json={"decision": "accept"})
    assert r.status_code == 200, r.text
    joint = _finding(findings, "JOINT-001")
    annotations: dict[str, int] = {}
    for dept in DEPARTMENTS:
        rev = p.as_(f"reviewer-{dept}")
        own = next(f for f in findings if f["discipline"] == dept and f["location"])
        r = rev("patch", f"/api/findings/{own['id']}", json={"review_status": "confirmed"})
        assert r.status_code == 200, r.text
        r = rev("post", f"/api/drawings/{own['drawing_id']}/annotations",
                json={"geometry": own["location"], "text": f"{dept} 请复核此处", "kind": "cloud",
                      "finding_id": own["id"]})
        assert r.status_code == 201, r.text
        annotations[dept] = r.json()["id"]
    fire = p.as_("reviewer-fire")
    fire_drawing = next(d for d in state["drawings"] if d["discipline"] == "fire")
    r = fire("post", f"/api/drawings/{fire_drawing['id']}/annotations",
             json={"geometry": {"type": "Point", "coordinates": [520.0, 50.0]},
                   "text": INTERNAL_TEXT, "kind": "text", "internal": True})
    assert r.status_code == 201, r.text
    annotations["internal"] = r.json()["id"]
    r = applicant("post", f"/api/annotations/{annotations['fire']}/replies",
                  json={"text": "=HYPERLINK(\"http://x\") 已知悉，将修改"})
    assert r.status_code == 201, r.text
    opinions = {
        "architecture": [{"text": "建筑图与消防图墙体不一致，请统一", "finding_id": joint["id"]}],
        "fire": [
            {"text": "墙体与建筑图不一致，影响防火分隔", "finding_id": joint["id"]},
            {"text": "请按标注修改", "annotation_id": annotations["fire"]},
        ],
        "planning": [{"text": "请按规划条件调整", "annotation_id": annotations["planning"]}],
    }
    for dept in DEPARTMENTS:
        items = opinions.get(dept, [])
        r = p.as_(f"reviewer-{dept}")(
            "post", f"/api/submissions/{sub_id}/opinions",
            json={"department": dept, "verdict": "revise" if items else "pass", "items": items},
        )
        assert r.status_code == 201, r.text
    assert bureau("get", f"/api/submissions/{sub_id}").json()["status"] == "consolidation"
    return {"project_id": project_id, "submission_id": sub_id, "findings": findings,
            "annotations": annotations, "joint_id": joint["id"]}


def pdf_text(pdf: bytes) -> str:
    """All the PDF's text, whitespace removed: the extractor reads the two-byte codes of the
    font's encoding CMap one byte at a time and puts NULs and spaces between the glyphs."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    return "".join(text.replace("\x00", " ").split())


def qr_texts(pdf: bytes) -> list[str]:
    """Every QR code found in the PDF's images."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [
        result.text
        for page in reader.pages
        for image in page.images
        for result in zxingcpp.read_barcodes(image.image)
    ]


def demo_roots(p: Platform) -> list[asn1_x509.Certificate]:
    """The trust root as an outsider gets it: the public download, no login."""
    r = p.client.get("/api/signing/roots")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-pem-file"
    assert r.content == (p.settings.data_dir / "pki" / "ca.crt").read_bytes()
    return [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in x509.load_pem_x509_certificates(r.content)
    ]


def pyhanko_status(pdf: bytes, roots: list[asn1_x509.Certificate]) -> Any:
    """pyHanko's own validation of the only signature, against ``roots``, offline."""
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return validate_pdf_signature(reader.embedded_signatures[0], context)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    p = make_platform(tmp_path_factory.mktemp("documents"))
    yield p
    p.client.close()


@pytest.fixture(scope="module")
def case(platform: Platform) -> dict[str, Any]:
    return build_case(platform)


@pytest.fixture(scope="module")
def issued(platform: Platform, case: dict[str, Any]) -> dict[str, Any]:
    """The consolidated opinion, issued with the JOINT-001 pair merged."""
    bureau = platform.as_("bureau")
    view = bureau("get", f"/api/submissions/{case['submission_id']}/consolidation").json()
    pair = next(g for g in view["suggestions"] if "same_finding" in g["reasons"])
    r = bureau("post", f"/api/submissions/{case['submission_id']}/consolidated-opinion",
               json={"decision": "revise", "note": "请按意见修改后重新报审", "merges": [pair["keys"]]})
    assert r.status_code == 201, r.text
    body = r.json()
    pdf = platform.as_("applicant")("get", body["pdf_url"])
    assert pdf.status_code == 200
    return {"answer": body, "pdf": pdf.content, "view": view, "pair": pair}


# --- consolidation -------------------------------------------------------------------------------


def test_consolidation_groups_every_item_by_discipline_with_real_names(
    platform: Platform, case: dict[str, Any]
) -> None:
    view = platform.as_("bureau")("get", f"/api/submissions/{case['submission_id']}/consolidation")
    assert view.status_code == 200, view.text
    body = view.json()
    items = [i for g in body["groups"] for i in g["items"]]
    assert [g["discipline"] for g in body["groups"]] == [
        d for d in ("planning", "architecture", "fire", "civil_defence", "lightning")
        if any(i["department"] == d for i in items)
    ]
    for g in body["groups"]:
        assert all(i["department"] == g["discipline"] for i in g["items"])
    sources = {i["source"] for i in items}
    assert sources == {"opinion_item", "finding", "annotation"}
    # 3 opinions with 4 items; every confirmed finding and open annotation not cited appears
    assert sum(i["source"] == "opinion_item" for i in items) == 4
    cited_annotations = {case["annotations"]["fire"], case["annotations"]["planning"]}
    open_annotations = set(case["annotations"].values()) - cited_annotations
    assert {i["annotation_id"] for i in items if i["source"] == "annotation"} == open_annotations
    names = {i["reviewer"] for i in items}
    assert {"赵消防", "张建筑", "李规划"} <= names
    internal = next(i for i in items if i["annotation_id"] == case["annotations"]["internal"])
    assert internal["internal"] is True and internal["text"] == INTERNAL_TEXT
    fire_item = next(i for i in items if i["annotation_id"] == case["annotations"]["fire"]
                     and i["source"] == "opinion_item")
    assert fire_item["clause"] and fire_item["geometry"] and fire_item["file"] == "fire/plans.dxf"


def test_consolidation_suggests_the_pair_two_departments_raised(
    platform: Platform, case: dict[str, Any]
) -> None:
    body = platform.as_("bureau")(
        "get", f"/api/submissions/{case['submission_id']}/consolidation"
    ).json()
    items = {i["key"]: i for g in body["groups"] for i in g["items"]}
    same = [g for g in body["suggestions"] if "same_finding" in g["reasons"]]
    assert len(same) == 1
    keys = same[0]["keys"]
    assert len(keys) == 2 and same[0]["departments"] == ["architecture", "fire"]
    assert {items[k]["finding_id"] for k in keys} == {case["joint_id"]}
    assert {items[k]["reviewer"] for k in keys} == {"张建筑", "赵消防"}


def test_suggestions_need_same_clause_and_same_place() -> None:
    def item(key: str, dept: str, clause: str, x: float) -> ConsolidationItem:
        return ConsolidationItem(
            key=key, source="annotation", department=dept, reviewer="r",
            reviewer_organization="o", text="t", clause=clause,
            geometry={"type": "Point", "coordinates": [x, 0.0]},
        )

    items = [
        item("a", "fire", "GB 50016-2014 5.5.17", 0.0),
        item("b", "architecture", "GB 50016-2014  5.5.17", 1.5),  # same clause, 1.5 m away
        item("c", "planning", "GB 50016-2014 5.5.17", 40.0),  # same clause, elsewhere
        item("d", "lightning", "GB 50057-2010 4.2.1", 0.5),  # same place, other clause
        item("e", "fire", "GB 50016-2014 5.5.17", 0.2),  # same department as a: joins via b
    ]
    found = suggestions(items)
    assert [(g.keys, g.reasons) for g in found] == [
        (["a", "b", "e"], ["same_clause_same_place"])
    ]


def test_consolidation_is_for_the_bureau_and_supervisor_only(
    platform: Platform, case: dict[str, Any]
) -> None:
    url = f"/api/submissions/{case['submission_id']}/consolidation"
    assert platform.as_("supervisor")("get", url).status_code == 200
    assert platform.as_("applicant")("get", url).status_code == 403
    assert platform.as_("reviewer-fire")("get", url).status_code == 403
    assert platform.as_("applicant-other")("get", url).status_code == 404
    assert platform.client.get(url).status_code == 401


def test_preview_is_an_unsigned_draft_and_issues_nothing(
    platform: Platform, case: dict[str, Any]
) -> None:
    bureau = platform.as_("bureau")
    sub = case["submission_id"]
    r = bureau("post", f"/api/submissions/{sub}/consolidated-opinion/preview",
               json={"decision": "revise"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "草稿" in pdf_text(r.content)
    assert PdfFileReader(io.BytesIO(r.content)).embedded_signatures == []
    assert bureau("get", f"/api/submissions/{sub}/documents").json() == []
    assert bureau("get", f"/api/submissions/{sub}").json()["status"] == "consolidation"
    denied = platform.as_("applicant")(
        "post", f"/api/submissions/{sub}/consolidated-opinion/preview", json={"decision": "revise"}
    )
    assert denied.status_code == 403


def test_bad_merges_are_refused_before_anything_changes(
    platform: Platform, case: dict[str, Any]
) -> None:
    bureau = platform.as_("bureau")
    sub = case["submission_id"]
    url = f"/api/submissions/{sub}/consolidated-opinion"
    for merges in ([["item:999999", "finding:1"]], [["finding:1"]]):
        r = bureau("post", url, json={"decision": "revise", "merges": merges})
        assert r.status_code == 422, r.text
    assert bureau("get", f"/api/submissions/{sub}").json()["status"] == "consolidation"
    assert bureau("get", f"/api/submissions/{sub}/documents").json() == []


# --- the issued opinion --------------------------------------------------------------------------


def test_opinion_is_typeset_text_in_an_embedded_cjk_font(
    platform: Platform, case: dict[str, Any], issued: dict[str, Any]
) -> None:
    pdf = issued["pdf"]
    text = pdf_text(pdf)
    assert "施工图联合审查意见书" in text and "需修改后重新报审" in text
    assert "".join(HOSTILE_PROJECT.split()) in text
    assert issued["answer"]["verification_code"] in text
    assert INTERNAL_TEXT not in text  # internal annotations stay inside the authorities
    for name in ("赵消防", "张建筑", "李规划"):
        assert name in text
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts = [
        font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    ]
    assert fonts
    for font in fonts:
        assert re.fullmatch(r"/[A-Z]{6}\+.+", str(font["/BaseFont"])), "a subset, embedded"
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile2", "/FontFile3"))


def test_opinion_prints_the_audit_chain_head_it_was_issued_at(
    platform: Platform, issued: dict[str, Any]
) -> None:
    """The document carries the chain's head at issue (printed and kept with it), and that
    head is an event of the trail as the supervisor reads it."""
    code = issued["answer"]["verification_code"]
    with platform.runtime.db.session() as s:
        seq, digest = s.execute(
            select(Document.audit_seq, Document.audit_hash)
            .where(Document.verification_code == code)
        ).one()
    assert seq is not None and seq > 0 and digest is not None
    assert f"审计链Audittrail第{seq}条记录·{digest}" in pdf_text(issued["pdf"])
    events = platform.as_("supervisor")("get", f"/api/audit?after_seq={seq - 1}&limit=1").json()
    assert [(e["seq"], e["hash"]) for e in events["events"]] == [(seq, digest)]


def test_opinion_numbers_items_and_merges_only_what_was_asked(
    platform: Platform, case: dict[str, Any], issued: dict[str, Any]
) -> None:
    view = issued["view"]
    all_items = [i for g in view["groups"] for i in g["items"] if not i["internal"]]
    assert issued["answer"]["items"] == len(all_items) - 1  # the one pair became one item
    text = pdf_text(issued["pdf"])
    numbers = [int(n) for n in re.findall(r"(\d+)．【", text)]
    assert numbers == list(range(1, issued["answer"]["items"] + 1))
    merged = re.search(r"\d+．【建筑、消防】", text)
    assert merged is not None, "the merged item names both disciplines"
    tail = text[merged.end():]
    assert tail.index("张建筑") < tail.index("赵消防") < tail.index("．【")
    events = platform.as_("supervisor")("get", "/api/audit?limit=1000").json()["events"]
    issue = next(e for e in events if e["action"] == "document.issue")
    assert issue["after"]["merges"] == [issued["pair"]["keys"]]


def test_opinion_signature_validates_against_the_trust_root(
    platform: Platform, issued: dict[str, Any]
) -> None:
    status = pyhanko_status(issued["pdf"], demo_roots(platform))
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.docmdp_ok is not False
    assert "行政审批服务局" in status.signing_cert.subject.native["common_name"]
    reader = PdfFileReader(io.BytesIO(issued["pdf"]))
    sig = reader.embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    widget = sig.sig_field["/Kids"][0] if "/Kids" in sig.sig_field else sig.sig_field
    rect = [float(v) for v in widget["/Rect"]]
    assert rect[2] - rect[0] > 50 and rect[3] - rect[1] > 50, "a visible seal"


def test_signature_is_not_trusted_against_another_root(
    platform: Platform, issued: dict[str, Any], tmp_path: Path
) -> None:
    other = bureau_key(tmp_path)  # another demo CA
    status = pyhanko_status(issued["pdf"], list(other.trust_roots))
    assert status.intact and not status.trusted and not status.bottom_line


def test_qr_code_decodes_to_the_verification_url(
    platform: Platform, issued: dict[str, Any]
) -> None:
    code = issued["answer"]["verification_code"]
    assert qr_texts(issued["pdf"]) == [f"http://127.0.0.1:8000/verify/{code}"]
    assert issued["answer"]["verify_url"] == f"http://127.0.0.1:8000/verify/{code}"


def test_verify_by_code_reports_issuer_date_decision_and_hash(
    platform: Platform, case: dict[str, Any], issued: dict[str, Any]
) -> None:
    code = issued["answer"]["verification_code"]
    r = platform.client.get(f"/api/verify/{code}")
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True and body["kind"] == "opinion" and body["decision"] == "revise"
    assert body["document_sha256"] == hashlib.sha256(issued["pdf"]).hexdigest()
    assert body["project"] == HOSTILE_PROJECT and body["issued_at"]
    assert "行政审批服务局" in body["issuer"] and "吴审批" in body["signer"]
    assert body["signature"]["trusted"] and body["signature"]["whole_file"]
    unknown = platform.client.get("/api/verify/0000-0000-0000-0000-0000").json()
    assert unknown["valid"] is False and unknown["project"] is None


@pytest.mark.parametrize("where", ["start", "middle", "signature", "end"])
def test_a_file_altered_by_one_byte_is_not_genuine(
    platform: Platform, issued: dict[str, Any], where: str
) -> None:
    pdf = issued["pdf"]
    contents = pdf.index(b"/Contents <") + len(b"/Contents <") + 40
    position = {"start": 10, "middle": len(pdf) // 2, "signature": contents,
                "end": len(pdf) - 3}[where]
    tampered = bytearray(pdf)
    tampered[position] = (tampered[position] + 1) % 256
    exact = platform.client.post("/api/verify", files={"document": ("o.pdf", pdf)}).json()
    assert exact["valid"] is True
    r = platform.client.post("/api/verify", files={"document": ("o.pdf", bytes(tampered))})
    assert r.status_code == 200 and r.json()["valid"] is False
    assert validate_pdf(bytes(tampered), tuple(demo_roots(platform))).genuine is False


def test_a_tampered_stored_copy_is_reported_by_the_code(
    platform: Platform, issued: dict[str, Any]
) -> None:
    code = issued["answer"]["verification_code"]
    storage = platform.runtime.storage
    key = next(k for k in storage.list_keys("documents/") if code in k)
    original = storage.get_bytes(key)
    tampered = bytearray(original)
    tampered[len(tampered) // 3] ^= 0x01
    storage.put_bytes(key, bytes(tampered))
    try:
        body = platform.client.get(f"/api/verify/{code}").json()
        assert body["valid"] is False and body["signature"]["intact"] is False
        page = platform.client.get(f"/verify/{code}")
        assert "NOT genuine" in page.text
    finally:
        storage.put_bytes(key, original)
    assert platform.client.get(f"/api/verify/{code}").json()["valid"] is True


def test_public_page_escapes_everything_and_runs_no_script(
    platform: Platform, issued: dict[str, Any]
) -> None:
    code = issued["answer"]["verification_code"]
    r = platform.client.get(f"/verify/{code}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "真实有效" in r.text and hashlib.sha256(issued["pdf"]).hexdigest() in r.text
    assert "<script" not in r.text and "style=" not in r.text
    assert "&lt;script&gt;" in r.text
    hostile = platform.client.get('/verify/"><script>alert(1)<%2Fscript>')
    assert hostile.status_code == 404 and "<script" not in hostile.text


def test_documents_list_and_download_for_parties_only(
    platform: Platform, case: dict[str, Any], issued: dict[str, Any]
) -> None:
    sub = case["submission_id"]
    docs = platform.as_("applicant")("get", f"/api/submissions/{sub}/documents").json()
    assert [(d["kind"], d["verification_code"]) for d in docs] == [
        ("opinion", issued["answer"]["verification_code"])
    ]
    url = issued["answer"]["pdf_url"]
    assert platform.as_("reviewer-fire")("get", url).status_code == 200
    assert platform.as_("applicant-other")("get", url).status_code == 404
    assert platform.client.get(url).status_code == 401


def test_certificate_lists_the_approved_drawings_with_their_hashes(
    platform: Platform, case: dict[str, Any], issued: dict[str, Any]
) -> None:
    bureau = platform.as_("bureau")
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
    r = bureau("post", f"/api/submissions/{sub2}/consolidated-opinion", json={"decision": "approve"})
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["kind"] == "certificate"
    pdf = platform.as_("applicant")("get", answer["pdf_url"]).content
    text = pdf_text(pdf)
    assert "施工图联合审查合格书" in text and "审查合格，予以通过" in text
    drawings = platform.as_("applicant")("get", f"/api/submissions/{sub2}").json()["drawings"]
    assert len(drawings) == 5
    for d in drawings:
        assert d["sha256"] in text and d["file"] in text
    status = pyhanko_status(pdf, demo_roots(platform))
    assert status.bottom_line
    code = answer["verification_code"]
    assert qr_texts(pdf) == [f"http://127.0.0.1:8000/verify/{code}"]
    body = platform.client.get(f"/api/verify/{code}").json()
    assert body["valid"] is True and body["kind"] == "certificate" and body["decision"] == "approve"


# --- keys and typesetting ------------------------------------------------------------------------


def test_demo_pki_is_created_once_with_private_key_files_0600(platform: Platform) -> None:
    folder = platform.settings.data_dir / "pki"
    for name in ("bureau.key", "ca.key"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    before = (folder / "bureau.crt").read_bytes()
    bureau_key(platform.settings.data_dir)
    assert (folder / "bureau.crt").read_bytes() == before


def _small_pdf() -> tuple[bytes, SealPlacement]:
    return render_pdf(DocumentContent(
        title="测试", fields=[], decision="通过", verification_code="C",
        verify_url="http://h/verify/C", issuer="局", signer="人", issued_at=dt.datetime.now(dt.UTC),
    ))


def _issue(
    ca_key: rsa.RSAPrivateKey, issuer: x509.Name, common_name: str, key: rsa.RSAPrivateKey,
    serial: int, *extensions: tuple[x509.ExtensionType, bool],
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(issuer).public_key(key.public_key()).serial_number(serial)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(ca_key, hashes.SHA256())


def _pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _ca(tmp: Path, password: bytes) -> SigningSettings:
    """A CA, a bureau key (encrypted) and a time-stamp authority key of its own: what a
    deployment configures. The TSA's certificate and key are left in ``tmp`` as tsa.pem/tsa.key."""
    ca_key, key, tsa_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试根证书")])
    ca_cert = _issue(ca_key, ca_name, "测试根证书", ca_key, 1,
                     (x509.BasicConstraints(ca=True, path_length=None), True))
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )
    cert = _issue(ca_key, ca_name, "某市行政审批局", key, 2, (usage, True))
    tsa = _issue(ca_key, ca_name, "测试时间戳服务", tsa_key, 3, (usage, True),
                 (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), True))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    ))
    (tmp / "tsa.key").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    _pem(tmp / "tsa.pem", tsa)
    return SigningSettings(
        signing_key_file=tmp / "key.pem", signing_cert_file=_pem(tmp / "cert.pem", cert),
        signing_chain_file=_pem(tmp / "chain.pem", ca_cert), signing_key_password="s3cret-pass",
    )


def test_configured_key_signs_and_its_root_verifies(tmp_path: Path) -> None:
    config = _ca(tmp_path, b"s3cret-pass")
    key = bureau_key(tmp_path / "data", config)
    assert not (tmp_path / "data" / "pki").exists(), "no demo CA when a key is configured"
    assert key.subject == "某市行政审批局"
    pdf, placement = _small_pdf()
    signed = sign_pdf(pdf, key, placement, reason="test")
    assert validate_pdf(signed, key.trust_roots).genuine
    demo = bureau_key(tmp_path / "demo")
    assert validate_pdf(signed, demo.trust_roots).genuine is False


def test_wrong_key_password_is_a_clear_error(tmp_path: Path) -> None:
    config = _ca(tmp_path, b"s3cret-pass")
    config.signing_key_password = None
    with pytest.raises(SigningError, match="LIANSHEN_SIGNING_KEY_PASSWORD"):
        bureau_key(tmp_path / "data", config)


def test_signing_keeps_the_seal_box(tmp_path: Path) -> None:
    key = bureau_key(tmp_path)
    pdf, _ = _small_pdf()
    signed = sign_pdf(pdf, key, SealPlacement(0, (100, 100, 220, 220)), reason="r")
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    widget = sig.sig_field["/Kids"][0] if "/Kids" in sig.sig_field else sig.sig_field
    assert [round(float(v)) for v in widget["/Rect"]] == [100, 100, 220, 220]


def test_chinese_lines_break_between_characters_never_before_closing_punctuation() -> None:
    def measure(s: str) -> float:
        return float(len(s))

    text = "疏散距离超过限值，请调整楼梯间位置（或增设安全出口）。GB 50016-2014 5.5.17 applies。"
    lines = wrap_text(text, 10, measure)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines[1:]:
        assert line[0] not in "，。）、；：？！"
    for line in lines:
        assert not line.endswith("（")
        assert len(line) <= 11  # one hanging punctuation mark at most
    assert any("50016-2014" in line for line in lines), "a Latin word is never cut when it fits"


class _TsaHandler(BaseHTTPRequestHandler):
    """An RFC 3161 time-stamp authority on loopback, answering with pyHanko's own TSA code."""

    stamper: Any = None

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = self.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def tsa(tmp_path: Path) -> Iterator[tuple[str, SigningSettings, dt.datetime]]:
    """A configured key whose CA also certifies a loopback TSA with a known clock."""
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    config = _ca(tmp_path, b"s3cret-pass")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    handler = type("Handler", (_TsaHandler,), {"stamper": DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(tmp_path / "tsa.pem")),
        tsa_key=load_private_key_from_pemder(str(tmp_path / "tsa.key"), passphrase=None),
        fixed_dt=when,
    )})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", config, when
    finally:
        server.shutdown()
        server.server_close()


def test_time_stamp_authority_makes_pades_b_t(
    tsa: tuple[str, SigningSettings, dt.datetime], tmp_path: Path
) -> None:
    url, config, when = tsa
    key = bureau_key(tmp_path / "data", config)
    pdf, placement = _small_pdf()
    signed = sign_pdf(pdf, key, placement, reason="r", tsa_url=url)
    report = validate_pdf(signed, key.trust_roots)
    assert report.genuine and report.timestamped and report.signing_time == when
    plain = validate_pdf(sign_pdf(pdf, key, placement, reason="r"), key.trust_roots)
    assert plain.genuine and not plain.timestamped and plain.signing_time != when


def test_unreachable_time_stamp_authority_is_a_clear_error(
    tsa: tuple[str, SigningSettings, dt.datetime], tmp_path: Path
) -> None:
    _, config, _ = tsa
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pdf, placement = _small_pdf()
    with pytest.raises(SigningError, match="时间戳服务"):
        sign_pdf(pdf, bureau_key(tmp_path / "data", config), placement, reason="r",
                 tsa_url=f"http://127.0.0.1:{port}/tsa")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """A fresh platform on SQLite, and on PostgreSQL when it is reachable."""
    with platform_on(request.param, tmp_path) as p:
        yield p


def test_two_officers_deciding_at_once_issue_one_document(any_database: Platform) -> None:
    p = any_database
    case = build_case(p, "并发签发项目")
    url = f"/api/submissions/{case['submission_id']}/consolidated-opinion"
    headers = p.login("bureau")
    clients = [TestClient(p.client.app), TestClient(p.client.app)]
    start = threading.Barrier(2)
    answers: list[int] = []

    def decide(client: TestClient, decision: str) -> None:
        start.wait()
        answers.append(client.post(url, headers=headers, json={"decision": decision}).status_code)

    threads = [threading.Thread(target=decide, args=(c, d))
               for c, d in zip(clients, ("revise", "approve"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 409]
    docs = p.as_("bureau")("get", f"/api/submissions/{case['submission_id']}/documents").json()
    assert len(docs) == 1
    assert p.client.get(f"/api/verify/{docs[0]['verification_code']}").json()["valid"] is True
    stored = p.runtime.storage.list_keys(f"documents/{case['submission_id']}/")
    assert stored == [f"documents/{case['submission_id']}/{docs[0]['verification_code']}.pdf"]


def test_document_font_is_configurable_and_a_missing_one_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from review_api.documents import NOTO_BODY, FontError

    monkeypatch.setenv("LIANSHEN_DOCUMENT_FONT_FILE", "/nonexistent/font.ttf")
    with pytest.raises(FontError, match="LIANSHEN_DOCUMENT_FONT_FILE"):
        _small_pdf()
    if not Path(NOTO_BODY).is_file():
        pytest.skip("fonts-noto-cjk is not installed (scripts/setup.sh --test installs it)")
    monkeypatch.setenv("LIANSHEN_DOCUMENT_FONT_FILE", NOTO_BODY)
    pdf, _ = _small_pdf()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[1]
             for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts == {"NotoSerifCJKSC"}, "one font for body and headings, its simplified face"
