"""Server-side PNG charts of the supervision figures (Pillow), for reports and for pages that
do not draw their own. Each chart is a labelled horizontal bar chart of one part of
``stats.compute``'s answer; labels are Chinese, drawn with the system CJK font when one is
installed (``viewer.fonts``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from PIL import Image, ImageDraw

from review_api.supervision.responsible import UNIT_ZH
from viewer.fonts import cjk_font, font_at

__all__ = ["CHART_NAMES", "render"]

STEP_ZH = {"intake": "受理", "review": "审查", "consolidation": "汇总"}
STATUS_COLOURS = {"red": (214, 48, 49), "yellow": (253, 203, 110), "green": (0, 184, 148),
                  "paused": (178, 190, 195)}
BAR = (9, 132, 227)
WIDTH, ROW, TOP, LEFT, RIGHT = 900, 30, 60, 220, 90

Bar = tuple[str, float, tuple[int, int, int]]


def _draw(title: str, bars: Sequence[Bar], *, full: float | None = None, percent: bool = False) -> bytes:
    """A titled horizontal bar chart; ``full`` is the value of a full-length bar."""
    font, small = font_at(18, cjk_font()), font_at(14, cjk_font())
    height = TOP + ROW * max(len(bars), 1) + 20
    img = Image.new("RGB", (WIDTH, height), "white")
    d = ImageDraw.Draw(img)
    d.text((16, 16), title, fill="black", font=font)
    top = full if full is not None else max((v for _, v, _ in bars), default=0) or 1
    span = WIDTH - LEFT - RIGHT
    if not bars:
        d.text((LEFT, TOP), "暂无数据 / no data", fill="grey", font=small)
    for i, (label, value, colour) in enumerate(bars):
        y = TOP + i * ROW
        d.text((16, y + 4), label[:18], fill="black", font=small)
        length = int(span * max(0.0, min(value / top, 1.0)))
        d.rectangle((LEFT, y + 4, LEFT + max(length, 1), y + ROW - 6), fill=colour)
        shown = f"{100 * value:.0f}%" if percent else f"{value:g}"
        d.text((LEFT + length + 6, y + 4), shown, fill="black", font=small)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _label(unit: str, step: str) -> str:
    return f"{UNIT_ZH.get(unit, unit)}·{STEP_ZH.get(step, step)}"


def _on_time(f: dict[str, Any]) -> bytes:
    bars = [(_label(r["unit"], r["step"]), r["on_time_rate"] or 0.0, BAR)
            for r in f["steps"] if r["completed"]]
    return _draw("按时办结率 / on-time rate", bars, full=1.0, percent=True)


def _duration(f: dict[str, Any]) -> bytes:
    bars = [(_label(r["unit"], r["step"]), r["mean_working_days"] or 0.0, BAR)
            for r in f["steps"] if r["completed"]]
    return _draw("平均办理时长（工作日）/ mean duration, working days", bars)


def _open_by_age(f: dict[str, Any]) -> bytes:
    bars = [(f"{b['bucket']} 工作日", float(b["count"]), BAR) for b in f["open_by_age"]]
    return _draw("在办事项按时长 / open items by age", bars)


def _findings(f: dict[str, Any]) -> bytes:
    bars = [(r["code"], float(r["total"]), BAR) for r in f["findings_by_rule"][:20]]
    return _draw("问题按规则 / findings by rule", bars)


def _rounds(f: dict[str, Any]) -> bytes:
    bars = [(f"{h['rounds']} 轮", float(h["projects"]), BAR)
            for h in f["rounds_per_project"]["histogram"]]
    return _draw("项目送审轮次 / rounds per project", bars)


def _now(f: dict[str, Any]) -> bytes:
    zh = {"red": "红色（超期）", "yellow": "黄色（预警）", "green": "绿色（正常）",
          "paused": "暂停（申请人）"}
    bars = [(zh[k], float(f["now"][k]), STATUS_COLOURS[k]) for k in zh]
    return _draw("当前在办事项 / running steps now", bars)


def _satisfaction(f: dict[str, Any]) -> bytes:
    bars = [(UNIT_ZH.get(u["unit"], u["unit"]), u["mean"] or 0.0, BAR)
            for u in f["satisfaction"]["units"] if u["ratings"]]
    return _draw("满意度（平均分，满分 5）/ satisfaction", bars, full=5.0)


CHARTS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "on_time": _on_time,
    "duration": _duration,
    "open_by_age": _open_by_age,
    "findings": _findings,
    "rounds": _rounds,
    "now": _now,
    "satisfaction": _satisfaction,
}
CHART_NAMES = tuple(CHARTS)


def render(name: str, figures: dict[str, Any]) -> bytes:
    """The PNG of chart ``name`` (one of ``CHART_NAMES``) for ``figures``."""
    return CHARTS[name](figures)
