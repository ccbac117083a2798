"""A second round in the browser: the reviewer compares the round's drawing with the previous
round (the moved wall shows as the one change), sees the item carried from round one at its
place with the applicant's answer, and closes it with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import ezdxf
import pytest

from review_api.workflow import DEPARTMENTS
from tests.browser.conftest import Server, open_page, screenshot
from tests.browser.test_pages import open_viewer

pytestmark = pytest.mark.timeout(1500)


def _package(tmp: Path, name: str, move_wall: bool = False) -> bytes:
    """A sample package as zip bytes; optionally with one wall of the plans moved 0.5 m."""
    from samples import build_package

    folder = build_package(tmp / name, name)
    if move_wall:
        plans = folder / "architecture" / "plans.dxf"
        doc = ezdxf.readfile(plans)
        wall = next(e for e in doc.modelspace().query("LWPOLYLINE") if e.dxf.layer == "AE-WALL")
        wall.translate(500.0, 0, 0)
        doc.saveas(plans)
    return Path(shutil.make_archive(str(tmp / f"{name}-zip"), "zip", folder)).read_bytes()


def test_second_round_is_compared_and_carried_items_are_closed(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    project = server.api("applicant", "POST", "/api/projects", json={"name": "复审测试：滨江科创园"}).json()
    first = server.submit_accepted(project["id"], _package(tmp_path, "office_building"))
    arch1 = next(d["id"] for d in first["drawings"] if d["file"] == "architecture/plans.dxf")
    note = server.api("reviewer-architecture", "POST", f"/api/drawings/{arch1}/annotations", json={
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [12, 0], [12, 8], [0, 8], [0, 0]]]},
        "text": "请核对此处墙体定位", "kind": "cloud"}).json()
    for d in DEPARTMENTS:
        items = [{"text": "墙体定位与结构不符，请修改", "annotation_id": note["id"]}] if d == "architecture" else []
        r = server.api(f"reviewer-{d}", "POST", f"/api/submissions/{first['id']}/opinions",
                       json={"department": d, "verdict": "revise" if items else "pass", "items": items})
        assert r.status_code == 201, r.text
    assert server.api("bureau", "POST", f"/api/submissions/{first['id']}/consolidated-opinion",
                      json={"decision": "revise"}).status_code == 201
    (item,) = server.api("applicant", "GET", f"/api/submissions/{first['id']}/items").json()
    r = server.api("applicant", "PUT",
                   f"/api/submissions/{first['id']}/items/{item['source_type']}/{item['source_id']}/answer",
                   json={"status": "fixed", "text": "已按规范修改"})
    assert r.status_code == 200, r.text

    second = server.submit_accepted(project["id"], _package(tmp_path, "office_building", move_wall=True))
    arch = next(d["id"] for d in second["drawings"] if d["file"] == "architecture/plans.dxf")
    (carried,) = server.api("bureau", "GET", f"/api/submissions/{second['id']}/carried").json()

    assert carried["drawing_id"] == arch and carried["answer"]["text"] == "已按规范修改"
    page, watch = open_page(browser, server, "reviewer-architecture")
    open_viewer(page, server, arch)
    page.click("[data-testid=tab-rounds]")
    page.click("[data-testid=round-compare]")
    page.wait_for_selector("[data-testid=comparison]")
    assert page.locator("[data-testid=diff-count-moved]").inner_text().endswith(" 1")
    for kind in ("added", "removed", "modified"):
        assert page.locator(f"[data-testid=diff-count-{kind}]").inner_text().endswith(" 0")
    page.locator("[data-testid=change-row]").first.click()
    screenshot(page, "13-round-comparison")

    row = page.locator("[data-testid=carried-row]")
    row.wait_for()
    assert "已按规范修改" in row.inner_text()
    page.fill("[data-testid=carried-reason]", "已核实墙体已移动")
    page.click("[data-testid=carried-close]")
    page.wait_for_selector("[data-testid=carried-reopen]")
    screenshot(page, "14-carried-items")
    after = server.api("bureau", "GET", f"/api/submissions/{second['id']}/carried").json()
    assert [c["status"] for c in after] == ["closed"]
    assert watch.clean, watch
    page.context.close()
