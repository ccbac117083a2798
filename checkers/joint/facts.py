"""JOINT-002, JOINT-003, JOINT-010: storeys, height and level datum stated in several places.

Each source is a value with where it was read (a text of a drawing, a ``BLDG`` attribute, the
project file, or the architecture sheets); every source is compared with one reference, and a
finding names both so the reviewer sees which document to correct.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from shapely.geometry import Point

from checkers.context import CheckContext
from checkers.findings import NotChecked, Violation
from checkers.joint.common import TextSource, cn_number, number, text_sources, text_violation
from checkers.registry import rule
from drawings.model import Discipline, Severity

__all__ = ["height_mismatch", "level_datum_mismatch", "storey_count_mismatch"]

_NUM = r"([0-9]+|[零〇一二两三四五六七八九十百]+)"
STOREY_PAIR = re.compile(rf"地上\s*{_NUM}\s*层\s*[，,、；;/]?\s*地下\s*{_NUM}\s*层")
STOREY_LABEL = re.compile(r"(?<![0-9])(\d+)\s*F\s*/\s*-\s*(\d+)(?![0-9])", re.IGNORECASE)
STOREY_INDEX = re.compile(r"层数\s*[：:]\s*(\d+)\s*/\s*-?\s*(\d+)")
SAME_AS = re.compile(rf"{_NUM}\s*(?:[~～\-—至到]\s*{_NUM})\s*层\s*同本层")
HEIGHT = re.compile(r"建筑高度\s*[：:为是]?\s*(\d+(?:\.\d+)?)\s*(?:m|米)(?![0-9A-Za-z²])")
PARAPET = re.compile(r"女儿墙顶(?:标高)?\s*[：:为]?\s*([+-]?\d+\.\d+)")
GRADE = re.compile(r"室外(?:设计)?地坪(?:标高)?\s*[：:为]?\s*([+-]?\d+\.\d+)")
DATUM = re.compile(r"±\s*0\.000\s*(?:=|＝|相当于)\s*(?:绝对标高)?\s*([+-]?\d+\.\d+)")

HEIGHT_TOL_M = 0.05
LEVEL_TOL_M = 0.01
RELATIVE_LEVEL_MAX_M = 20.0  # a grade level beyond ±20 m is an absolute elevation, not relative
BOUNDARIES_M = (18.0, 24.0, 27.0, 32.0, 33.0, 50.0, 54.0, 100.0)
LIGHTNING_BOUNDARIES_M = (45.0, 60.0)


@dataclass(frozen=True, slots=True)
class _Value:
    """One stated value and where it comes from (``text`` is ``None`` for non-text sources)."""

    value: float
    name: str
    name_en: str
    text: TextSource | None = None
    discipline: Discipline | None = None
    file: str | None = None
    handle: str | None = None
    point: tuple[float, float] | None = None
    sheet: str | None = None


def _violation(
    src: _Value,
    zh: str,
    en: str,
    *,
    measured: float,
    limit: float,
    unit: str,
    severity: Severity | None = None,
    params: dict[str, object] | None = None,
) -> Violation:
    """A violation at the source: its text, its BLDG block, or without location."""
    if src.text is not None:
        return text_violation(
            src.text,
            zh,
            en,
            measured=measured,
            limit=limit,
            unit=unit,
            severity=severity,
            params=params,
        )
    return Violation(
        message=zh,
        message_en=en,
        file=src.file,
        sheet=src.sheet,
        geometry=Point(src.point) if src.point is not None else None,
        handles=(src.handle,) if src.handle else (),
        measured=measured,
        limit=limit,
        unit=unit,
        severity=severity,
        params=params or {},
    )


def _text_value(src: TextSource, value: float, what: str, what_en: str) -> _Value:
    return _Value(
        value,
        f"{src.where}（{what}）",
        f"{src.where} ({what_en})",
        text=src,
        discipline=src.drawing.discipline,
        file=src.drawing.file,
        handle=src.handle,
    )


def _bldg_values(ctx: CheckContext, attr: str) -> list[_Value]:
    out = []
    for drawing, b in ctx.buildings():
        try:
            value = float(b.attrs.get(attr, ""))
        except ValueError:
            continue
        out.append(
            _Value(
                value,
                f"总图 BLDG 块 {b.name} 的 {attr}",
                f"BLDG {b.name} {attr}",
                discipline=drawing.discipline,
                file=drawing.file,
                handle=b.handle,
                point=b.point,
                sheet=drawing.model.sheet_label(b.sheet),
            )
        )
    return out


def _one_building(ctx: CheckContext) -> None:
    """Texts are not assigned to buildings, so several ``BLDG`` blocks cannot be compared."""
    count = len(ctx.buildings())
    if count > 1:
        raise NotChecked(
            f"总图上有 {count} 栋建筑，说明文字无法分楼归属，请按楼栋人工核对",
            f"{count} buildings on the site plan: note texts cannot be assigned to a building; "
            "review building by building",
        )


def _declared(value: float | None, key: str) -> list[_Value]:
    if value is None:
        return []
    return [_Value(float(value), f"project.toml {key}", f"project.toml {key}", file="project.toml")]


# -- JOINT-002 ------------------------------------------------------------------------------------


def _architecture_storeys(ctx: CheckContext) -> tuple[_Value, _Value] | None:
    """Storeys above/below ground from the architecture plan sheets and their "X~Y层同本层"."""
    above = below = 0
    for drawing in ctx.of(Discipline.ARCHITECTURE):
        for sheet in drawing.model.sheets:
            if sheet.floor and sheet.floor.lstrip("-").isdigit():
                f = int(sheet.floor)
                above, below = max(above, f), max(below, -f)
    if above == 0 and below == 0:
        return None
    for src in text_sources(ctx, [Discipline.ARCHITECTURE]):
        if src.sheet is None or not (src.sheet.floor or "").lstrip("-").isdigit():
            continue
        for m in SAME_AS.finditer(src.text):
            top = cn_number(m.group(2))
            if top is not None and int(src.sheet.floor or 0) > 0:
                above = max(above, top)
    name, name_en = "建筑平面图（图名楼层及“同本层”注）", "the architecture plan sheets"
    file = ctx.of(Discipline.ARCHITECTURE)[0].file
    return (
        _Value(above, name, name_en, discipline=Discipline.ARCHITECTURE, file=file),
        _Value(below, name, name_en, discipline=Discipline.ARCHITECTURE, file=file),
    )


def _storey_sources(ctx: CheckContext) -> tuple[list[_Value], list[_Value]]:
    b = ctx.params.building()
    above = _declared(b.floors_above, "building.floors_above") + _bldg_values(ctx, "FLOORS_ABOVE")
    below = _declared(b.floors_below, "building.floors_below") + _bldg_values(ctx, "FLOORS_BELOW")
    for src in text_sources(ctx):
        for pattern, what, en in (
            (STOREY_PAIR, "层数说明", "storeys in the notes"),
            (STOREY_LABEL, "楼号标注", "building label"),
            (STOREY_INDEX, "指标表层数", "indicator table"),
        ):
            for m in pattern.finditer(src.text):
                up, down = cn_number(m.group(1)), cn_number(m.group(2))
                if up is None or down is None:
                    continue
                above.append(_text_value(src, up, what, en))
                below.append(_text_value(src, down, what, en))
    arch = _architecture_storeys(ctx)
    if arch is not None:
        above.append(arch[0])
        below.append(arch[1])
    return above, below


@rule(
    "JOINT-002",
    "storey-count-match",
    severity=Severity.ERROR,
    params=("building.floors_above", "building.floors_below"),
)
def storey_count_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Storey counts differ between drawings (层数不一致).

    Storeys above and below ground are collected from: `building.floors_above` and
    `building.floors_below`; the BLDG block (FLOORS_ABOVE, FLOORS_BELOW); the planning label
    (``18F/-2``) and indicator table (``层数：18/-2``); every design note stating
    ``地上N层，地下M层`` (architecture, fire, civil defence, lightning); and the architecture
    plan sheets (highest and lowest sheet storey, raised by notes such as ``三~十八层同本层``).
    The reference is the declared parameter, else the BLDG block, else the first text found.

    Clause: consistency

    **Fails when** any source differs from the reference (measured = the source's count,
    limit = the reference count).

    **Passes when** every source agrees exactly.

    **Known limits** Section drawings are not read (no section level marks in the plans);
    storeys shown only in sections are missed. Not checked with several buildings on the
    site plan (texts are not assigned to buildings). Mezzanines and refuge floors counted
    differently by the documents are reported and left to the reviewer.
    """
    _one_building(ctx)
    above, below = _storey_sources(ctx)
    if len(above) + len(below) < 3:
        raise NotChecked("可比对的层数来源少于两处", "fewer than two sources state the storeys")
    for values, zh, en, key in (
        (above, "地上", "above ground", "floors_above"),
        (below, "地下", "below ground", "floors_below"),
    ):
        if len(values) < 2:
            continue
        ref = values[0]
        for v in values[1:]:
            if v.value == ref.value:
                continue
            yield _violation(
                v,
                f"{v.name} 的{zh}层数为 {v.value:.0f} 层，与{ref.name}的 {ref.value:.0f} 层不一致",
                f"{v.name_en} states {v.value:.0f} storeys {en}, {ref.name_en} "
                f"states {ref.value:.0f}",
                measured=v.value,
                limit=ref.value,
                unit="层",
                params={"reference": ref.name_en, key: ref.value},
            )


# -- JOINT-003 ------------------------------------------------------------------------------------


def _computed_height(ctx: CheckContext) -> _Value | None:
    """H = parapet top level − outdoor design grade, both from architecture level texts."""
    top: tuple[float, TextSource] | None = None
    grade: float | None = None
    for src in text_sources(ctx, [Discipline.ARCHITECTURE]):
        for v in number(PARAPET, src.text):
            if top is None or v > top[0]:
                top = (v, src)
        if grade is None:
            found = [v for v in number(GRADE, src.text) if abs(v) <= RELATIVE_LEVEL_MAX_M]
            grade = found[0] if found else None
    if top is None or grade is None:
        return None
    return _text_value(
        top[1],
        round(top[0] - grade, 3),
        "女儿墙顶标高减室外地坪",
        "parapet top level minus outdoor grade",
    )


def _side_change(a: float, b: float, lightning: bool) -> float | None:
    """The first boundary the two heights fall on different sides of (≤ b vs > b)."""
    bounds = BOUNDARIES_M + (LIGHTNING_BOUNDARIES_M if lightning else ())
    for bound in sorted(bounds):
        if (a > bound) != (b > bound):
            return bound
    return None


@rule("JOINT-003", "height-match", severity=Severity.ERROR, params=("building.height_m",))
def height_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Building height differs between drawings (建筑高度不一致).

    H is computed from the architecture level texts (parapet top ``女儿墙顶53.700`` minus the
    outdoor design grade ``室外设计地坪-0.300``) and compared with `building.height_m`, the
    BLDG HEIGHT attribute, and every text ``建筑高度…m`` (planning indicator table and notes,
    architecture, fire, civil-defence and lightning notes). The reference is the computed H,
    else the declared parameter, else the BLDG block, else the first text.

    Clause: GB 55031-2022 3.2.1–3.2.6; GB 50016-2014 (2018) 5.1.1; GB 50057-2010 4.3.1, 4.4.1

    **Fails when** a value differs from the reference by more than 0.05 m: a warning, or an
    error when the two values fall on different sides (≤ / >) of 18, 24, 27, 32, 33, 50, 54
    or 100 m, or of 45 or 60 m for a value from the lightning drawings.

    **Passes when** every value is within 0.05 m of the reference.

    **Known limits** Sections and elevations are read through their level texts only; the
    roof structures allowance (≤ 1/4 of the roof area), pitched roofs and several entrance
    grades are left to the reviewer. Not checked with several buildings on the site plan.
    """
    _one_building(ctx)
    b = ctx.params.building()
    values = _declared(b.height_m, "building.height_m") + _bldg_values(ctx, "HEIGHT")
    for src in text_sources(ctx):
        for h in number(HEIGHT, src.text):
            values.append(_text_value(src, h, "建筑高度", "building height"))
    computed = _computed_height(ctx)
    if computed is not None:
        values.insert(0, computed)
    if len(values) < 2:
        raise NotChecked("可比对的建筑高度来源少于两处", "fewer than two sources state the height")
    ref = values[0]
    for v in values[1:]:
        diff = abs(v.value - ref.value)
        if diff <= HEIGHT_TOL_M:
            continue
        lightning = Discipline.LIGHTNING in (v.discipline, ref.discipline)
        bound = _side_change(v.value, ref.value, lightning)
        severity = Severity.ERROR if bound is not None else Severity.WARNING
        cross = f"，跨越 {bound:g} m 分界" if bound is not None else ""
        cross_en = f", on different sides of {bound:g} m" if bound is not None else ""
        yield _violation(
            v,
            f"{v.name}的建筑高度 {v.value:.2f} m 与{ref.name} {ref.value:.2f} m 相差 "
            f"{diff:.2f} m（允许 ≤ 0.05 m）{cross}",
            f"{v.name_en} states H = {v.value:.2f} m, {ref.name_en} {ref.value:.2f} m: "
            f"{diff:.2f} m apart (allowed ≤ 0.05 m){cross_en}",
            measured=diff,
            limit=HEIGHT_TOL_M,
            unit="m",
            severity=severity,
            params={
                "value_m": v.value,
                "reference_m": ref.value,
                "reference": ref.name_en,
                "boundary_m": bound,
            },
        )


# -- JOINT-010 ------------------------------------------------------------------------------------


def _first_plan(values: list[_Value]) -> _Value:
    """The planning value if any (the site plan fixes the datum), else the first."""
    return next((v for v in values if v.discipline == Discipline.PLANNING), values[0])


@rule("JOINT-010", "level-datum-match", severity=Severity.ERROR)
def level_datum_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Level datum differs between drawings (±0.000 绝对标高或室外地坪不一致).

    The absolute elevation of ±0.000 (``±0.000=86.450``, ``±0.000相当于绝对标高86.450m``) and
    the outdoor design grade relative to ±0.000 (``室外设计地坪-0.300``) are read from the texts
    of the planning, architecture, fire, civil-defence and lightning drawings. Each value is
    compared with the site-plan value (else the first value found).

    Clause: consistency (GB 55031-2022 3.2 height; GB 55037-2022 7.1.10, 7.4.7 depth below grade)

    **Fails when** a value differs from the reference by more than 0.01 m.

    **Passes when** every value is within 0.01 m.

    **Known limits** Only level texts are read, not level symbols (标高符号) without text; an
    outdoor grade given only as an absolute elevation is not compared.
    """
    datum: list[_Value] = []
    grade: list[_Value] = []
    for src in text_sources(ctx):
        datum += [_text_value(src, v, "±0.000", "±0.000") for v in number(DATUM, src.text)]
        grade += [
            _text_value(src, v, "室外设计地坪", "outdoor grade")
            for v in number(GRADE, src.text)
            if abs(v) <= RELATIVE_LEVEL_MAX_M
        ]
    compared = False
    for values, zh, en in (
        (datum, "±0.000 绝对标高", "absolute elevation of ±0.000"),
        (grade, "室外设计地坪相对标高", "outdoor design grade"),
    ):
        if len(values) < 2:
            continue
        compared = True
        ref = _first_plan(values)
        for v in values:
            diff = abs(v.value - ref.value)
            if v is ref or diff <= LEVEL_TOL_M:
                continue
            yield _violation(
                v,
                f"{v.name}的{zh} {v.value:.3f} 与{ref.name} {ref.value:.3f} 相差 {diff:.3f} m"
                f"（允许 ≤ 0.01 m）",
                f"{v.name_en}: {en} {v.value:.3f}, {ref.name_en} {ref.value:.3f}: "
                f"{diff:.3f} m apart (allowed ≤ 0.01 m)",
                measured=diff,
                limit=LEVEL_TOL_M,
                unit="m",
                params={"value": v.value, "reference": ref.value, "reference_source": ref.name_en},
            )
    if not compared:
        raise NotChecked(
            "图纸中 ±0.000 绝对标高与室外地坪标高的文字标注均少于两处，无法比对",
            "fewer than two texts state the ±0.000 elevation or the outdoor grade",
        )
