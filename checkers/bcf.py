"""Issues as BCF archives (buildingSMART BIM Collaboration Format), versions 2.1 and 3.0.

BCF is what review and BIM tools exchange issues in; a design firm can open ``lianshen check``
results, and the platform's findings and annotations, in its own tool. One topic per issue,
with its comments, and where it has a place on a drawing a viewpoint: an orthogonal camera
looking down at the place (drawing coordinates in metres), the place's outline as lines, and a
snapshot picture.

The layout follows the buildingSMART schemas of each version: ``bcf.version``, the project file
``project.bcfp``, ``extensions.xml`` (3.0), and one folder per topic with ``markup.bcf``,
``viewpoint.bcfv`` and ``snapshot.png``. In 2.1 comments and viewpoints follow the topic in
the markup; in 3.0 they are inside it.

Topic GUIDs of ``lianshen check`` results are derived from the finding (code, file, handles,
location), so re-running the check on an unchanged package gives the same topics.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal
from xml.etree import ElementTree as ET

__all__ = [
    "BcfComment",
    "BcfTopic",
    "BcfViewpoint",
    "finding_description",
    "topic_guid",
    "write_bcf",
    "write_bcf_archive",
]

_NS = uuid.UUID("8f0e5b8e-6f38-4c3e-9d0e-6c69616e7368")
_PRIORITY = {"error": "Critical", "warning": "Major", "info": "Minor"}
MAX_LINES = 400  # outline segments per viewpoint; enough for any mark a person draws
Version = Literal["2.1", "3.0"]


@dataclass(slots=True)
class BcfComment:
    """A comment in a topic's thread."""

    guid: str
    date: datetime
    author: str
    text: str


@dataclass(slots=True)
class BcfViewpoint:
    """Where the topic is: a window on the drawing (metres), its outline, and a picture."""

    guid: str
    center: tuple[float, float]
    width: float
    height: float
    lines: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)
    snapshot: bytes | None = None  # PNG


@dataclass(slots=True)
class BcfTopic:
    """One issue."""

    guid: str
    title: str
    description: str
    author: str
    date: datetime
    status: str = "Open"
    topic_type: str = "Issue"
    priority: str | None = None
    labels: list[str] = field(default_factory=list)
    file: str | None = None  # the drawing the topic is about
    assigned_to: str | None = None
    comments: list[BcfComment] = field(default_factory=list)
    viewpoint: BcfViewpoint | None = None


def _xml(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _when(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(markup: ET.Element, topic: BcfTopic, version: Version) -> None:
    if not topic.file:
        return
    header = _sub(markup, "Header")
    if version == "2.1":
        file_el = _sub(header, "File", isExternal="true")
    else:
        file_el = _sub(_sub(header, "Files"), "File", IsExternal="true")
    _sub(file_el, "Filename", topic.file)
    _sub(file_el, "Date", _when(topic.date))


def _topic_body(t: ET.Element, topic: BcfTopic, version: Version) -> None:
    """Title … Description in the order both schemas prescribe."""
    _sub(t, "Title", topic.title[:250] or topic.guid)
    if topic.priority:
        _sub(t, "Priority", topic.priority)
    labels = [x for x in dict.fromkeys(topic.labels) if x]
    if version == "2.1":
        for label in labels:
            _sub(t, "Labels", label)
    elif labels:
        holder = _sub(t, "Labels")
        for label in labels:
            _sub(holder, "Label", label)
    _sub(t, "CreationDate", _when(topic.date))
    _sub(t, "CreationAuthor", topic.author)
    if topic.assigned_to:
        _sub(t, "AssignedTo", topic.assigned_to)
    _sub(t, "Description", topic.description)


def _comment(parent: ET.Element, c: BcfComment) -> None:
    el = _sub(parent, "Comment", Guid=c.guid)
    _sub(el, "Date", _when(c.date))
    _sub(el, "Author", c.author)
    _sub(el, "Comment", c.text)


def _markup(topic: BcfTopic, version: Version) -> bytes:
    markup = ET.Element("Markup")
    _header(markup, topic, version)
    t = _sub(markup, "Topic", Guid=topic.guid, TopicType=topic.topic_type,
             TopicStatus=topic.status)
    _topic_body(t, topic, version)
    vp = topic.viewpoint
    if version == "2.1":
        for c in topic.comments:
            _comment(markup, c)
        if vp is not None:
            v = _sub(markup, "Viewpoints", Guid=vp.guid)
            _sub(v, "Viewpoint", "viewpoint.bcfv")
            if vp.snapshot:
                _sub(v, "Snapshot", "snapshot.png")
    else:
        if topic.comments:
            holder = _sub(t, "Comments")
            for c in topic.comments:
                _comment(holder, c)
        if vp is not None:
            v = _sub(_sub(t, "Viewpoints"), "ViewPoint", Guid=vp.guid)
            _sub(v, "Viewpoint", "viewpoint.bcfv")
            if vp.snapshot:
                _sub(v, "Snapshot", "snapshot.png")
    return _xml(markup)


def _xyz(parent: ET.Element, tag: str, x: float, y: float, z: float) -> None:
    el = _sub(parent, tag)
    for name, value in (("X", x), ("Y", y), ("Z", z)):
        _sub(el, name, repr(round(float(value), 6)))


def _viewpoint(vp: BcfViewpoint, version: Version) -> bytes:
    """An orthogonal camera 100 m above the place looking down, north up; outline as lines."""
    info = ET.Element("VisualizationInfo", Guid=vp.guid)
    cam = _sub(info, "OrthogonalCamera")
    _xyz(cam, "CameraViewPoint", vp.center[0], vp.center[1], 100.0)
    _xyz(cam, "CameraDirection", 0.0, 0.0, -1.0)
    _xyz(cam, "CameraUpVector", 0.0, 1.0, 0.0)
    _sub(cam, "ViewToWorldScale", repr(round(vp.height, 6)))  # the visible height, metres
    if version == "3.0":
        _sub(cam, "AspectRatio", repr(round(vp.width / vp.height if vp.height else 1.0, 6)))
    if vp.lines:
        lines = _sub(info, "Lines")
        for (x0, y0), (x1, y1) in vp.lines[:MAX_LINES]:
            line = _sub(lines, "Line")
            _xyz(line, "StartPoint", x0, y0, 0.0)
            _xyz(line, "EndPoint", x1, y1, 0.0)
    return _xml(info)


def _project(project: str, version: Version) -> bytes:
    root = ET.Element("ProjectExtension" if version == "2.1" else "ProjectInfo")
    p = _sub(root, "Project", ProjectId=str(uuid.uuid5(_NS, project)))
    _sub(p, "Name", project)
    if version == "2.1":
        _sub(root, "ExtensionSchema", "")
    return _xml(root)


def _extensions(topics: Sequence[BcfTopic]) -> bytes:
    """BCF 3.0's list of the values the topics use (types, statuses, priorities, labels)."""
    root = ET.Element("Extensions")
    groups: list[tuple[str, str, list[str]]] = [
        ("TopicTypes", "TopicType", [t.topic_type for t in topics] or ["Issue"]),
        ("TopicStatuses", "TopicStatus", [t.status for t in topics] or ["Open"]),
        ("Priorities", "Priority", [t.priority for t in topics if t.priority]),
        ("TopicLabels", "TopicLabel", [x for t in topics for x in t.labels if x]),
        ("Users", "User", [t.author for t in topics]
         + [c.author for t in topics for c in t.comments]),
    ]
    for holder, tag, values in groups:
        unique = list(dict.fromkeys(values))
        if unique:
            el = _sub(root, holder)
            for value in unique:
                _sub(el, tag, value)
    return _xml(root)


def _version_file(version: Version) -> bytes:
    root = ET.Element("Version", VersionId=version)
    if version == "2.1":
        _sub(root, "DetailedVersion", "2.1")
    return _xml(root)


def write_bcf_archive(
    topics: Iterable[BcfTopic], target: Path | IO[bytes], *, project: str,
    version: Version = "2.1",
) -> int:
    """Write ``topics`` as a ``.bcf`` zip of ``version``; returns the topic count."""
    listed = list(topics)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bcf.version", _version_file(version))
        zf.writestr("project.bcfp", _project(project, version))
        if version == "3.0":
            zf.writestr("extensions.xml", _extensions(listed))
        for topic in listed:
            zf.writestr(f"{topic.guid}/markup.bcf", _markup(topic, version))
            if topic.viewpoint is not None:
                zf.writestr(f"{topic.guid}/viewpoint.bcfv", _viewpoint(topic.viewpoint, version))
                if topic.viewpoint.snapshot:
                    zf.writestr(f"{topic.guid}/snapshot.png", topic.viewpoint.snapshot)
    return len(listed)


# --- findings of ``lianshen check`` ------------------------------------------------------------


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


def finding_description(finding: Mapping[str, Any]) -> str:
    """A finding's message, clause, measurement and place as a topic description."""
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
    return "\n".join(lines)


def finding_priority(severity: object) -> str:
    """BCF priority of a finding severity."""
    return _PRIORITY.get(str(severity), "Minor")


def write_bcf(
    findings: Iterable[Mapping[str, Any]],
    target: Path,
    *,
    project: str = "lianshen",
    author: str = "lianshen",
    now: datetime | None = None,
    version: Version = "2.1",
) -> int:
    """Write ``findings`` (API.md FINDING dicts) as a ``.bcf`` zip; returns the topic count."""
    when = now or datetime.now(UTC)
    seen: set[str] = set()
    topics = []
    for finding in findings:
        guid = topic_guid(finding)
        n = 1
        while guid in seen:  # identical findings stay separate topics
            guid = str(uuid.uuid5(_NS, f"{guid}/{n}"))
            n += 1
        seen.add(guid)
        topics.append(
            BcfTopic(
                guid=guid,
                title=f"{finding['code']} {finding.get('message', '')}",
                description=finding_description(finding),
                author=author,
                date=when,
                priority=finding_priority(finding.get("severity")),
                labels=[str(x) for x in (finding.get("discipline"), finding.get("code"),
                                         finding.get("severity")) if x],
                file=str(finding["file"]) if finding.get("file") else None,
            )
        )
    buf = io.BytesIO()
    count = write_bcf_archive(topics, buf, project=project, version=version)
    target.write_bytes(buf.getvalue())
    return count
