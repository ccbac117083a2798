"""End to end in a real browser: each role's pages on ``lianshen serve --demo``.

The tests follow one review as the people do it: the applicant uploads a package and watches
it being processed, the bureau accepts the demo package at intake, two reviewers of different
departments annotate the same drawing and see each other's marks live, a reviewer confirms a
finding, the departments give their opinions, the bureau issues the consolidated opinion and
the supervisor verifies the audit trail. A package whose drawing carries markup in a layer
name and a text must show both as text and run nothing.

Each test puts the submission into the state it needs through the API when an earlier test
has not (so one can be run alone), and saves a screenshot of its page in ``screenshots/``.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from review_api.workflow import DEPARTMENTS
from tests.browser.conftest import Server, open_page, screenshot

pytestmark = pytest.mark.timeout(1200)  # the first test also starts the platform

HOSTILE_LAYER = "<img src=x onerror=alert(1)>"
HOSTILE_TEXT = "<script>alert(2)</script>"
LONG = 600_000  # ms: processing a package on a busy machine


def demo_submission(server: Server) -> dict[str, Any]:
    """The demo package's submission (the first one of the demo project)."""
    subs = server.api("bureau", "GET", "/api/submissions").json()
    ours = [s for s in subs if s["project_name"].startswith("示例住宅楼")]
    assert ours, subs
    sub: dict[str, Any] = server.api("bureau", "GET", f"/api/submissions/{ours[-1]['id']}").json()
    return sub


def accepted(server: Server) -> dict[str, Any]:
    """The demo submission, accepted at intake (through the API unless a test did it)."""
    sub = demo_submission(server)
    if sub["status"] == "intake":
        r = server.api("bureau", "POST", f"/api/submissions/{sub['id']}/intake", json={"decision": "accept"})
        assert r.status_code == 200, r.text
        sub = r.json()
    return sub


def drawing_of(sub: dict[str, Any], discipline: str) -> int:
    drawing_id: int = next(d["id"] for d in sub["drawings"] if d["discipline"] == discipline)
    return drawing_id


def open_viewer(page: Any, server: Server, drawing_id: int) -> None:
    """Open the viewer and wait for its first complete view of the drawing."""
    page.goto(f"{server.base}/#/drawings/{drawing_id}")
    page.wait_for_selector("[data-testid=viewer-stage][data-ready='1']", timeout=60_000)


def drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press, move and release the mouse on the drawing (fractions of the canvas size)."""
    box = page.locator(".drawing-overlay").bounding_box()
    x0, y0 = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    x1, y1 = box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=6)
    page.mouse.up()


def annotate(page: Any, tool: str, start: tuple[float, float], end: tuple[float, float], text: str) -> None:
    """Draw an annotation with ``tool`` and save it with ``text``."""
    page.click(f"[data-testid=tool-{tool}]")
    drag(page, start, end)
    page.fill("[data-testid=annotation-text]", text)
    page.click("[data-testid=annotation-save]")
    page.wait_for_selector(f"[data-testid=annotation-item]:has-text('{text}')")


def test_login_page_speaks_chinese_and_switches_to_english(server: Server, browser: Any) -> None:
    page, watch = open_page(browser, server, None)
    assert page.locator("[data-testid=login-submit]").inner_text() == "登录"
    page.fill("[data-testid=login-username]", "applicant")
    page.fill("[data-testid=login-password]", "wrong password")
    page.click("[data-testid=login-submit]")
    error = page.locator(".form-error")
    error.wait_for()
    assert "用户名或密码错误" in error.inner_text()
    screenshot(page, "01-login")
    page.click("[data-testid=lang-switch]")
    page.wait_for_selector("[data-testid=login-submit]:has-text('Log in')")
    page.click("[data-testid=lang-switch]")
    page.wait_for_selector("[data-testid=login-submit]:has-text('登录')")
    assert watch.errors == []
    page.context.close()


def test_applicant_uploads_a_package_and_watches_it_finish(
    server: Server, browser: Any, sample_zip: Any
) -> None:
    archive = sample_zip("office_building")
    page, watch = open_page(browser, server, "applicant")
    page.wait_for_selector("[data-testid=project-card]")
    page.fill("[data-testid=project-name]", "浏览器测试：滨江科创园1#办公楼")
    page.click("[data-testid=project-create]")
    card = page.locator("[data-testid=project-card]", has_text="浏览器测试：滨江科创园1#办公楼")
    card.wait_for()
    card.locator("[data-testid^=upload-open-]").click()
    page.set_input_files("[data-testid=package-file]", str(archive))
    screenshot(page, "02-applicant-projects")
    page.click("[data-testid=upload-submit]")
    page.wait_for_url(re.compile(r".*#/submissions/\d+$"), timeout=120_000)
    submission_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("[data-testid=processing-bar]")
    page.wait_for_selector("[data-testid=processing-state]:has-text('检查完成')", timeout=LONG)
    label = page.locator("[data-testid=processing-bar] .bar-label").inner_text()
    done, total = map(int, re.findall(r"\d+", label)[-2:])
    assert done == total > 0
    state = server.api("applicant", "GET", f"/api/submissions/{submission_id}").json()
    assert state["processing"] == "done" and state["status"] == "intake"
    page.wait_for_selector("[data-testid=drawing-fire]")
    page.wait_for_selector("[data-testid=finding-row]")
    screenshot(page, "03-applicant-submission")
    assert watch.clean, watch
    page.context.close()


def test_bureau_accepts_the_demo_package_at_intake(server: Server, browser: Any) -> None:
    sub = demo_submission(server)
    if sub["status"] != "intake":
        pytest.skip("the demo package was accepted before this test ran")
    page, watch = open_page(browser, server, "bureau")
    page.wait_for_selector("[data-testid='bureau.tray_intake'] [data-testid=tray-row]")
    screenshot(page, "04-bureau-intake")
    page.click(f"[data-testid=tray-open-{sub['id']}]")
    page.wait_for_selector("[data-testid=intake-accept]")
    page.click("[data-testid=intake-accept]")
    page.wait_for_selector("[data-testid=submission-status]:has-text('联审中')")
    assert demo_submission(server)["status"] == "in_review"
    assert watch.clean, watch
    page.context.close()


def test_bureau_returns_a_package_with_one_notice(server: Server, browser: Any, sample_zip: Any) -> None:
    project = server.api("applicant", "POST", "/api/projects", json={"name": "退回补正测试"}).json()
    with sample_zip("residential_tower").open("rb") as fh:
        r = server.api("applicant", "POST", f"/api/projects/{project['id']}/submissions",
                       files={"package": ("tower.zip", fh, "application/zip")})
    assert r.status_code == 201, r.text
    sub = server.wait_processed(r.json()["id"])
    page, watch = open_page(browser, server, "bureau")
    page.goto(f"{server.base}/#/submissions/{sub['id']}")
    page.wait_for_selector("[data-testid=intake-return]")
    page.click("[data-testid=intake-return]")
    assert "退回需要填写说明" in page.locator(".form-error").first.inner_text()
    notice = "1. 缺少建设工程规划许可证复印件\n2. 消防设计说明未盖出图章"
    page.fill("[data-testid=intake-note]", notice)
    page.click("[data-testid=intake-return]")
    page.wait_for_selector("[data-testid=submission-status]:has-text('已退回')")
    state = server.api("applicant", "GET", f"/api/submissions/{sub['id']}").json()
    assert state["status"] == "returned" and state["note"] == notice
    assert watch.clean, watch
    page.context.close()

    page, watch = open_page(browser, server, "applicant")
    page.goto(f"{server.base}/#/submissions/{sub['id']}")
    page.wait_for_selector(".note:has-text('缺少建设工程规划许可证复印件')")
    assert watch.clean, watch
    page.context.close()


def test_reviewers_see_each_others_annotations_live(server: Server, browser: Any) -> None:
    sub = accepted(server)
    drawing = drawing_of(sub, "fire")
    fire, fire_watch = open_page(browser, server, "reviewer-fire")
    arch, arch_watch = open_page(browser, server, "reviewer-architecture")
    open_viewer(fire, server, drawing)
    open_viewer(arch, server, drawing)
    for page in (fire, arch):
        page.wait_for_selector("[data-testid=live].on")
        page.click("[data-testid=tab-annotations]")
        page.select_option("[data-testid=annotation-filter-status]", "")

    annotate(fire, "cloud", (0.30, 0.35), (0.45, 0.55), "疏散楼梯间前室面积不足，请核实")
    arch.wait_for_selector("[data-testid=annotation-item]:has-text('疏散楼梯间前室面积不足')", timeout=20_000)

    annotate(arch, "arrow", (0.60, 0.70), (0.52, 0.50), "请与建筑平面轴线核对")
    fire.wait_for_selector("[data-testid=annotation-item]:has-text('请与建筑平面轴线核对')", timeout=20_000)

    arch.locator("[data-testid=annotation-item]", has_text="疏散楼梯间前室面积不足").click()
    arch.fill("[data-testid=annotation-detail] [data-testid=reply-text]", "建筑专业已复核，同意此意见")
    arch.click("[data-testid=annotation-detail] [data-testid=reply-submit]")
    fire.wait_for_selector("[data-testid=annotation-item]:has-text('1 条答复')", timeout=20_000)

    stored = server.api("reviewer-fire", "GET", f"/api/drawings/{drawing}/annotations").json()
    by_text = {a["text"]: a for a in stored}
    cloud = by_text["疏散楼梯间前室面积不足，请核实"]
    arrow = by_text["请与建筑平面轴线核对"]
    assert cloud["kind"] == "cloud" and cloud["department"] == "fire"
    assert cloud["geometry"]["type"] == "Polygon"
    assert arrow["kind"] == "arrow" and arrow["department"] == "architecture"
    assert arrow["geometry"]["type"] == "LineString"
    assert [r["text"] for r in cloud["replies"]] == ["建筑专业已复核，同意此意见"]
    fire.locator("[data-testid=annotation-item]", has_text="疏散楼梯间前室面积不足").click()
    screenshot(fire, "05-viewer-reviewer-fire")
    screenshot(arch, "06-viewer-reviewer-architecture")
    assert fire_watch.clean and arch_watch.clean, (fire_watch, arch_watch)
    fire.context.close()
    arch.context.close()


INK = """() => {
    const c = document.querySelector(".drawing-canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
    return n;
}"""


def _ink_settles(page: Any, want_ink: bool) -> int:
    """Dark pixels on the drawing canvas once the redrawing has caught up."""
    for _ in range(100):
        ink: int = page.evaluate(INK)
        if (ink > 0) == want_ink:
            return ink
        page.wait_for_timeout(100)
    return ink


def test_viewer_draws_measures_picks_sheets_and_toggles_layers(server: Server, browser: Any) -> None:
    sub = demo_submission(server)
    page, watch = open_page(browser, server, "applicant")
    open_viewer(page, server, drawing_of(sub, "architecture"))
    assert _ink_settles(page, True) > 1000
    assert page.locator("[data-testid=tool-cloud]").count() == 0  # applicants do not annotate

    whole = page.get_attribute("[data-testid=viewer-stage]", "data-scale")
    page.select_option("[data-testid=sheet-picker]", index=2)
    for _ in range(50):
        if page.get_attribute("[data-testid=viewer-stage]", "data-scale") != whole:
            break
        page.wait_for_timeout(100)
    assert page.get_attribute("[data-testid=viewer-stage]", "data-scale") != whole

    page.click("[data-testid=tool-distance]")
    box = page.locator(".drawing-overlay").bounding_box()
    page.mouse.click(box["x"] + 200, box["y"] + 300)
    page.mouse.dblclick(box["x"] + 500, box["y"] + 300)
    value = page.locator("[data-testid=measure-value]").inner_text()
    assert re.fullmatch(r"[\d.]+ (mm|m|km)", value), value
    page.click("[data-testid=tool-area]")
    for x, y in ((200, 200), (400, 200), (400, 400)):
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.keyboard.press("Enter")
    area = page.locator("[data-testid=measure-value]").inner_text()
    assert re.fullmatch(r"[\d.]+ m²", area) and float(area.split()[0]) > 0, area
    screenshot(page, "13-viewer-measure")

    page.click("[data-testid=tab-layers]")
    page.click("[data-testid=layer-panel] button:has-text('全部隐藏')")
    assert _ink_settles(page, False) == 0
    page.click("[data-testid=layer-panel] button:has-text('全部显示')")
    assert _ink_settles(page, True) > 1000
    assert watch.clean, watch
    page.context.close()


def test_reviewer_confirms_a_finding_in_the_viewer(server: Server, browser: Any) -> None:
    sub = accepted(server)
    findings = server.api("reviewer-fire", "GET", f"/api/submissions/{sub['id']}/findings").json()
    own = [f for f in findings if f["discipline"] == "fire" and f["drawing_id"] is not None]
    assert own, "the demo package has no finding of the fire discipline to review"
    target = own[0]
    page, watch = open_page(browser, server, "reviewer-fire")
    page.goto(f"{server.base}/#/drawings/{target['drawing_id']}/finding/{target['id']}")
    page.wait_for_selector("[data-testid=viewer-stage][data-ready='1']", timeout=60_000)
    page.wait_for_selector("[data-testid=finding-detail]")
    page.click("[data-testid=finding-confirm]")
    page.wait_for_selector(f"[data-testid=finding-item][data-id='{target['id']}']:has-text('已确认')")
    after = server.api("reviewer-fire", "GET", f"/api/submissions/{sub['id']}/findings").json()
    assert next(f for f in after if f["id"] == target["id"])["review_status"] == "confirmed"
    page.click("[data-testid=tab-layers]")
    page.wait_for_selector("[data-testid=layer-group]")
    screenshot(page, "07-viewer-finding-confirmed")
    assert watch.clean, watch
    page.context.close()


def _screen_point(page: Any, location: dict[str, Any], x: float, y: float) -> tuple[float, float]:
    """Where the drawing point (x, y) is on the screen after the viewer zoomed to ``location``.

    The viewer centres a selected item's bounds and fits a square of 1.2 times their larger
    side (at least 8 m) into the canvas (``Viewer.select``).
    """
    from shapely.geometry import shape

    x0, y0, x1, y1 = shape(location).bounds
    half = max(x1 - x0, y1 - y0, 8.0) * 0.6
    box = page.locator(".drawing-overlay").bounding_box()
    s = min(box["width"], box["height"]) / (2 * half)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return box["x"] + box["width"] / 2 + (x - cx) * s, box["y"] + box["height"] / 2 - (y - cy) * s


def test_findings_are_drawn_and_selected_from_the_list_or_the_drawing(
    server: Server, browser: Any, sample_zip: Any
) -> None:
    from shapely.geometry import shape

    project = server.api("applicant", "POST", "/api/projects", json={"name": "问题定位测试"}).json()
    sub = server.submit_accepted(
        project["id"], sample_zip("office_building_violations").read_bytes(), "violations.zip")
    findings = server.api("reviewer-fire", "GET", f"/api/submissions/{sub['id']}/findings").json()
    target = next(f for f in findings if f["discipline"] == "fire" and f["location"]
                  and f["location"]["type"] == "Polygon")

    page, watch = open_page(browser, server, "reviewer-fire")
    open_viewer(page, server, target["drawing_id"])
    item = page.locator(f"[data-testid=finding-item][data-id='{target['id']}']")
    item.click()
    page.wait_for_selector(f"[data-testid=finding-detail]:has-text('{target['code']}')")
    screenshot(page, "14-viewer-finding-selected")

    box = page.locator(".drawing-overlay").bounding_box()
    page.mouse.click(box["x"] + 8, box["y"] + box["height"] - 60)  # outside the finding
    page.wait_for_selector("[data-testid=finding-detail]", state="detached")
    inside = shape(target["location"]).representative_point()
    page.mouse.click(*_screen_point(page, target["location"], inside.x, inside.y))
    page.wait_for_selector(f"[data-testid=finding-detail]:has-text('{target['code']}')")
    assert "selected" in (item.get_attribute("class") or "")

    page.fill("[data-testid=finding-reason]", "经复核，该区域设有独立排烟设施")
    page.click("[data-testid=finding-dismiss]")
    page.wait_for_selector(f"[data-testid=finding-item][data-id='{target['id']}']:has-text('已驳回')")
    after = server.api("bureau", "GET", f"/api/submissions/{sub['id']}/findings").json()
    reviewed = next(f for f in after if f["id"] == target["id"])
    assert reviewed["review_status"] == "dismissed"
    assert reviewed["review_reason"] == "经复核，该区域设有独立排烟设施"
    assert watch.clean, watch
    page.context.close()


def _hostile_package(archive: Path, tmp: Path) -> Path:
    """The office package with a fire drawing whose layer name and text are markup."""
    import ezdxf

    folder = tmp / "hostile"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)
    path = folder / "fire" / "plans.dxf"
    doc = ezdxf.readfile(path)
    doc.layers.add("HXLAYERX")
    msp = doc.modelspace()
    x0, y0, x1, y1 = _extents(doc)
    msp.add_line((x0, y0), (x1, y1), dxfattribs={"layer": "HXLAYERX"})
    msp.add_text("HXTEXTX", dxfattribs={"layer": "HXLAYERX", "height": 500, "insert": ((x0 + x1) / 2, (y0 + y1) / 2)})
    text = _dxf_text(doc).replace("HXLAYERX", HOSTILE_LAYER).replace("HXTEXTX", HOSTILE_TEXT)
    path.write_text(text, encoding="utf-8")
    out = shutil.make_archive(str(tmp / "hostile"), "zip", folder)
    return Path(out)


def _extents(doc: Any) -> tuple[float, float, float, float]:
    from ezdxf import bbox

    box = bbox.extents(doc.modelspace(), fast=True)
    return box.extmin.x, box.extmin.y, box.extmax.x, box.extmax.y


def _dxf_text(doc: Any) -> str:
    import io

    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue()


def test_markup_in_a_drawing_is_shown_as_text_and_runs_nothing(
    server: Server, browser: Any, sample_zip: Any, tmp_path: Path
) -> None:
    archive = _hostile_package(sample_zip("office_building"), tmp_path)
    project = server.api("applicant", "POST", "/api/projects", json={"name": "标记注入测试"}).json()
    with archive.open("rb") as fh:
        r = server.api(
            "applicant", "POST", f"/api/projects/{project['id']}/submissions",
            files={"package": ("hostile.zip", fh, "application/zip")},
        )
    assert r.status_code == 201, r.text
    sub = server.wait_processed(r.json()["id"])
    fire = next(d for d in sub["drawings"] if d["discipline"] == "fire")
    assert fire["status"] == "ingested", fire

    page, watch = open_page(browser, server, "applicant")
    page.goto(f"{server.base}/#/submissions/{sub['id']}")
    page.wait_for_selector("[data-testid=finding-row]")
    open_viewer(page, server, fire["id"])
    page.click("[data-testid=tab-layers]")
    page.locator("[data-testid=layer-group]", has_text="未归类图层").locator("summary").click()
    names = page.locator("[data-testid=layer-name]").all_inner_texts()
    assert HOSTILE_LAYER in names
    found = page.evaluate(
        """([layer, text]) => ({
            imgs: document.querySelectorAll("img[src='x'], img[onerror]").length,
            scripts: [...document.scripts].map(s => s.src),
            injected: document.querySelectorAll("[onerror], [onmouseover]").length,
            textNodes: [...document.querySelectorAll("[data-testid=layer-name]")]
                .filter(el => el.textContent === layer && el.children.length === 0).length,
            bodyText: document.body.innerText.includes(layer),
        })""",
        [HOSTILE_LAYER, HOSTILE_TEXT],
    )
    assert found["imgs"] == 0 and found["injected"] == 0
    assert all(s.endswith("/static/js/app.js") for s in found["scripts"]), found["scripts"]
    assert found["textNodes"] == 1 and found["bodyText"]
    # the text sits in the middle of the drawing: zoom in on it so the canvas draws it
    page.click("[data-testid=fit]")
    box = page.locator(".drawing-overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(6):
        page.mouse.wheel(0, -400)
    page.wait_for_timeout(800)
    screenshot(page, "08-viewer-hostile-names")
    assert watch.dialogs == [], watch.dialogs
    assert watch.clean, watch
    page.context.close()


def test_opinions_and_the_consolidated_opinion(server: Server, browser: Any) -> None:
    sub = accepted(server)
    if sub["status"] == "in_review":
        findings = server.api("bureau", "GET", f"/api/submissions/{sub['id']}/findings").json()
        page, watch = open_page(browser, server, "reviewer-planning")
        page.goto(f"{server.base}/#/submissions/{sub['id']}")
        page.wait_for_selector("[data-testid=opinion-submit]")
        page.select_option("[data-testid=opinion-verdict]", "revise")
        page.click("[data-testid=opinion-add-item]")
        page.fill("[data-testid=opinion-item-text]", "总平面图应标注消防车道转弯半径")
        own = [f for f in findings if f["discipline"] == "planning"]
        if own:
            page.select_option(".item-finding", str(own[0]["id"]))
        screenshot(page, "09-reviewer-opinion-form")
        page.click("[data-testid=opinion-submit]")
        page.wait_for_selector("[data-testid=opinion-planning]")
        assert watch.clean, watch
        page.context.close()
        for dept in DEPARTMENTS:
            if dept == "planning":
                continue
            r = server.api(f"reviewer-{dept}", "POST", f"/api/submissions/{sub['id']}/opinions",
                           json={"department": dept, "verdict": "pass", "items": []})
            assert r.status_code == 201, r.text
    state = server.api("bureau", "GET", f"/api/submissions/{sub['id']}").json()
    assert state["status"] == "consolidation", state["status"]

    page, watch = open_page(browser, server, "bureau")
    page.goto(f"{server.base}/#/submissions/{sub['id']}")
    page.wait_for_selector("[data-testid=consolidation]")
    for dept in DEPARTMENTS:
        assert "未提交" not in page.locator(f"[data-testid=dept-cell-{dept}]").inner_text()
    page.select_option("[data-testid=consolidation-decision]", "revise")
    page.fill("[data-testid=consolidation-note]", "请按各部门意见修改后重新报审")
    page.click("[data-testid=consolidation-issue]")
    page.wait_for_selector("[data-testid=issued-code], [data-testid=consolidation] .form-error:not(:empty)", timeout=120_000)
    code = page.locator("[data-testid=issued-code]")
    assert code.count() == 1, page.locator("[data-testid=consolidation] .form-error").inner_text()
    screenshot(page, "10-bureau-consolidation")
    verification = code.inner_text().strip()
    check = server.api("bureau", "GET", f"/api/verify/{verification}").json()
    assert check["valid"] is True and check["decision"] == "revise"
    with page.expect_download() as download:
        page.locator("[data-testid=consolidation-result] [data-testid=pdf-download]").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert watch.clean, watch
    page.context.close()

    # the applicant hears the opinions now and answers the items, one by one
    page, watch = open_page(browser, server, "applicant")
    page.goto(f"{server.base}/#/submissions/{sub['id']}")
    item = page.locator("[data-testid=open-item]", has_text="总平面图应标注消防车道转弯半径")
    item.wait_for()
    item.locator("[data-testid=answer-status]").select_option("fixed")
    item.locator("[data-testid=answer-text]").fill("已在总平面图补注转弯半径 12 m")
    item.locator("[data-testid=answer-submit]").click()
    page.wait_for_selector("[data-testid=item-answer]:has-text('已在总平面图补注转弯半径 12 m')")
    page.wait_for_selector("[data-testid=opinion-planning]")
    screenshot(page, "15-applicant-answers")
    items = server.api("applicant", "GET", f"/api/submissions/{sub['id']}/items").json()
    answered = [i for i in items if i["answer"]]
    assert [(i["answer"]["status"], i["answer"]["text"]) for i in answered] == [
        ("fixed", "已在总平面图补注转弯半径 12 m")
    ]
    assert watch.clean, watch
    page.context.close()


def test_supervisor_sees_the_lights_and_verifies_the_audit_trail(server: Server, browser: Any) -> None:
    page, watch = open_page(browser, server, "supervisor")
    page.wait_for_selector("[data-testid=light-green]")
    page.wait_for_selector("[data-testid=step-row]")
    page.click("[data-testid=audit-verify]")
    result = page.locator("[data-testid=audit-verify-result] .pill-ok")
    result.wait_for()
    assert "完整" in result.inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=charts] img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("[data-testid=charts] img").count() == 7
    screenshot(page, "11-supervisor-overview")
    assert watch.clean, watch
    page.context.close()


def test_reviewer_queue_lists_deadlines(server: Server, browser: Any) -> None:
    accepted(server)
    page, watch = open_page(browser, server, "reviewer-lightning")
    page.wait_for_selector("[data-testid=queue-row]")
    screenshot(page, "12-reviewer-queue")
    assert watch.clean, watch
    page.context.close()


def test_events_stream_needs_a_login(server: Server) -> None:
    import httpx

    sub = demo_submission(server)
    r = httpx.get(f"{server.base}/api/submissions/{sub['id']}/events", timeout=10)
    assert r.status_code == 401
    r = httpx.get(f"{server.base}/api/submissions/{sub['id']}/events?token=not-a-token", timeout=10)
    assert r.status_code == 401


def wait_for_text(path: Path, text: str, timeout: float = 10.0) -> str:
    """The file's text once it contains ``text`` (a server writes its log a little later)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        content = path.read_text(errors="replace")
        if text in content or time.monotonic() > deadline:
            assert text in content, content[-2000:]
            return content
        time.sleep(0.1)


def test_a_token_in_the_query_stays_out_of_the_access_log(server: Server) -> None:
    """``EventSource`` clients send the token in ``?token=``; the server's access log shows
    the request with the token's value hidden."""
    import httpx

    sub = demo_submission(server)
    token = server.token("bureau")
    url = f"{server.base}/api/submissions/{sub['id']}/events?since=0&token={token}"
    with httpx.stream("GET", url, timeout=10) as r:
        assert r.status_code == 200
    path = f"/api/submissions/{sub['id']}/events?since=0&token=***"
    log = wait_for_text(server.log, path)
    assert token not in log
