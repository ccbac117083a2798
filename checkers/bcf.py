"""Findings as a BCF 2.1 archive (buildingSMART BIM Collaboration Format), one topic each.

BCF is what review and BIM tools exchange issues in; a design firm can open ``lianshen check``
results in its own tool. Topic GUIDs are derived from the finding (code, file, handles,
location), so re-running the check on an unchanged package gives the same topics.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["write_bcf"]

_NS = uuid.UUID("8f0e5b8e-6f38-4c3e-9d0e-6c69616e7368")
_PRIORITY = {"error": "Critical", "warning": "Major", "info": "Minor"}


def _xml(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def topic_guid(finding: Mapping[str, Any]) -> str:
    """A stable GUID for a finding."""
    key = json.dumps(
        [
            finding.get("code"),
            finding.get("file"),
            finding.get("sheet"),
            finding.get("handles"),
            finding.get("location"),
            finding.get("message"),
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return str(uuid.uuid5(_NS, key))


def _markup(finding: Mapping[str, Any], guid: str, when: str, author: str) -> bytes:
    markup = ET.Element("Markup")
    topic = ET.SubElement(markup, "Topic", Guid=guid, TopicType="Issue", TopicStatus="Open")
    ET.SubElement(topic, "Title").text = f"{finding['code']} {finding.get('message', '')}"[:250]
    ET.SubElement(topic, "Priority").text = _PRIORITY.get(str(finding.get("severity")), "Minor")
    for label in (finding.get("discipline"), finding.get("code"), finding.get("severity")):
        if label:
            ET.SubElement(topic, "Labels").text = str(label)
    ET.SubElement(topic, "CreationDate").text = when
    ET.SubElement(topic, "CreationAuthor").text = author
    lines = [
        str(finding.get("message", "")),
        str(finding.get("message_en", "")),
        f"条文 Clause: {finding.get('clause', '')}",
    ]
    if finding.get("measured") is not None:
        lines.append(
            f"实测 Measured: {finding['measured']} {finding.get('unit') or ''}"
            f" / 限值 Limit: {finding.get('limit')} {finding.get('unit') or ''}".strip()
        )
    where = " ".join(str(x) for x in (finding.get("file"), finding.get("sheet")) if x)
    if where:
        lines.append(f"位置 Location: {where}")
    if finding.get("handles"):
        lines.append("图元 Handles: " + ", ".join(map(str, finding["handles"])))
    if finding.get("location"):
        lines.append("GeoJSON: " + json.dumps(finding["location"], ensure_ascii=False))
    ET.SubElement(topic, "Description").text = "\n".join(lines)
    return _xml(markup)


def write_bcf(
    findings: Iterable[Mapping[str, Any]],
    target: Path,
    *,
    project: str = "lianshen",
    author: str = "lianshen",
    now: datetime | None = None,
) -> int:
    """Write ``findings`` (API.md FINDING dicts) as a ``.bcf`` zip; returns the topic count."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    version = ET.Element("Version", VersionId="2.1")
    ET.SubElement(version, "DetailedVersion").text = "2.1"
    project_el = ET.Element("ProjectExtension")
    ET.SubElement(project_el, "Project", ProjectId=str(uuid.uuid5(_NS, project))).text = None
    ET.SubElement(project_el.find("Project"), "Name").text = project  # type: ignore[arg-type]
    count = 0
    seen: set[str] = set()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bcf.version", _xml(version))
        zf.writestr("project.bcfp", _xml(project_el))
        for finding in findings:
            guid = topic_guid(finding)
            n = 1
            while guid in seen:  # identical findings stay separate topics
                guid = str(uuid.uuid5(_NS, f"{guid}/{n}"))
                n += 1
            seen.add(guid)
            zf.writestr(f"{guid}/markup.bcf", _markup(finding, guid, when, author))
            count += 1
    return count
