"""Site-plan fire rules: fire lanes (FIRE-007), rescue sites (FIRE-008, 009, 014) and the
separation between buildings (FIRE-002).

Fire engines need a lane wide enough to reach the building and a hard-standing close to the
façade, long enough to pitch an aerial ladder where the ladder can reach the storeys.
"""

from __future__ import annotations

from collections.abc import Iterator

import shapely
from shapely.geometry import LineString, Polygon

from checkers.context import CheckContext, Item, rect_sides
from checkers.findings import NotChecked, Violation
from checkers.registry import rule
from drawings.model import Severity

from .common import building_of, facts, min_distance_pairs
from .geometry import fits_rectangle, longest_fit, narrowest_width, perimeter_cover

__all__ = [
    "buildings_too_close",
    "fire_lane_too_narrow",
    "rescue_site_misplaced",
    "rescue_site_too_short",
    "rescue_site_too_small",
]

LANE_MIN_M = 4.0


def _closed(ctx: CheckContext, discipline: str, group: str) -> list[Item]:
    return [
        i
        for i in ctx.items(discipline, group, closed=True, texts=False)
        if not i.obj.in_block and i.geometry.geom_type == "Polygon"
    ]


def _with_outlines(ctx: CheckContext, group: str) -> tuple[list[Item], list[Item]]:
    """Polygons of ``group`` and the building outlines of the same site plan (fire, else
    planning); raises ``NotChecked`` when either is missing."""
    for disc in ("fire", "planning"):
        polys = _closed(ctx, disc, group)
        outlines = _closed(ctx, disc, "G-BLDG-OUTL")
        if polys and outlines:
            return polys, outlines
    for disc in ("fire", "planning"):
        if _closed(ctx, disc, group):
            raise NotChecked(
                f"{group} 所在总平面图中没有建筑轮廓 G-BLDG-OUTL",
                f"no building outline G-BLDG-OUTL on the site plan that holds {group}",
            )
    ctx.require("fire", group, closed=True)
    raise AssertionError  # pragma: no cover - require raised


def _nearest(sites: list[Item], outlines: list[Item]) -> list[tuple[Item, Item]]:
    """Each site with the nearest outline of the same drawing (STR-tree nearest query)."""
    out: list[tuple[Item, Item]] = []
    for drawing in {id(s.drawing): s.drawing for s in sites}.values():
        own = [o for o in outlines if o.drawing is drawing]
        mine = [s for s in sites if s.drawing is drawing]
        if not own:
            continue
        tree = shapely.STRtree([o.geometry for o in own])
        idx = tree.nearest([s.geometry for s in mine])
        out.extend((s, own[int(k)]) for s, k in zip(mine, idx.tolist(), strict=True))
    return out


def _height(ctx: CheckContext, outline: Item) -> tuple[str | None, float]:
    name = building_of(ctx, outline)
    f = facts(ctx, name)
    if f.height_m is None:
        raise NotChecked("未给出建筑高度 building.height_m", "building.height_m is not given")
    return name, f.height_m


@rule("FIRE-007", "fire-lane-width", severity=Severity.ERROR)
def fire_lane_too_narrow(ctx: CheckContext) -> Iterator[Violation]:
    """Fire-lane clear width

    Measures the narrowest clear width of every fire-lane polygon on F-LANE (fire site plan,
    else planning site plan): the shortest chord across the polygon along the inward normals
    of its edges, sampled every 0.25 m, which follows the lane's centre line on straight and
    curved stretches alike.

    Clause: GB 50016-2014 (2018) 7.1.8; GB 55031-2022 4.3.6

    **Fails when** the narrowest width of a lane is below 4.0 m.

    **Passes when** every lane polygon is at least 4.0 m wide everywhere.

    **Known limits** Headroom of 4.0 m cannot be seen in plan and is a manual check. Acute
    corners of a lane polygon measure narrow near their tip; draw lane ends square. Turning
    radii and turning areas at dead ends are not checked here.
    """
    lanes = _closed(ctx, "fire", "F-LANE") or _closed(ctx, "planning", "F-LANE")
    if not lanes:
        ctx.require("fire", "F-LANE", closed=True)
    for lane in lanes:
        width, line = narrowest_width(lane.geometry)
        if width >= LANE_MIN_M - 1e-6:
            continue
        yield ctx.violation(
            lane,
            f"消防车道最窄处净宽 {width:.2f} m，小于 {LANE_MIN_M:g} m",
            f"Fire lane is {width:.2f} m wide at its narrowest, below {LANE_MIN_M:g} m",
            geometry=line,
            handles=(lane.obj.handle,),
            measured=width,
            limit=LANE_MIN_M,
            unit="m",
            params={"width_min_m": LANE_MIN_M, "sample_step_m": 0.25},
        )


@rule("FIRE-008", "rescue-site-size", severity=Severity.ERROR, params=("building.height_m",))
def rescue_site_too_small(ctx: CheckContext) -> Iterator[Violation]:
    """Rescue operation site size (消防车登高操作场地)

    Assigns each rescue site on F-SITE to the nearest building outline (G-BLDG-OUTL) of the
    same site plan and checks that it contains a 15 m × 10 m rectangle (20 m × 10 m when the
    building's H > 50 m). The minimum rotated rectangle's sides are a first filter; then the
    rectangle is fitted in the directions of the site's edges on a 0.25 m grid.

    Clause: GB 50016-2014 (2018) 7.2.2(2)

    **Fails when** no rectangle of the required size fits in the site. The measured value is
    the site's depth when it is under 10 m, otherwise the longest 10 m deep rectangle that fits.

    **Passes when** the required rectangle fits.

    **Known limits** Rectangles are tried only parallel to the site's edges (true for drawn
    sites, which are rectilinear). Bearing capacity and slope are manual checks.
    """
    sites, outlines = _with_outlines(ctx, "F-SITE")
    for site, outline in _nearest(sites, outlines):
        name, height = _height(ctx, outline)
        length = 20.0 if height > 50.0 else 15.0
        depth = 10.0
        short, long = rect_sides(site.geometry)
        ok = short >= depth - 1e-6 and long >= length - 1e-6
        if ok and fits_rectangle(site.geometry, length, depth):
            continue
        params = {"height_m": height, "building": name, "required_m": [length, depth]}
        if short < depth - 1e-6:
            measured, limit, what_zh, what_en = short, depth, "宽度", "depth"
        else:
            measured = longest_fit(site.geometry, depth, long)
            limit, what_zh, what_en = length, "可容纳 10 m 宽矩形的长度", "length at 10 m depth"
        yield ctx.violation(
            site,
            f"登高操作场地{what_zh} {measured:.2f} m，不能容纳 {length:g} m × {depth:g} m 的场地"
            f"（H = {height:g} m）",
            f"Rescue site {what_en} is {measured:.2f} m: it does not hold a {length:g} m × "
            f"{depth:g} m rectangle (H = {height:g} m)",
            measured=measured,
            limit=limit,
            unit="m",
            params=params,
        )


@rule("FIRE-009", "rescue-site-offset", severity=Severity.ERROR)
def rescue_site_misplaced(ctx: CheckContext) -> Iterator[Violation]:
    """Distance from the rescue site to the façade

    Measures the shortest distance from each rescue site on F-SITE to the outline of the
    building it serves (the nearest G-BLDG-OUTL of the same site plan).

    Clause: GB 50016-2014 (2018) 7.2.2(1), 7.2.2(4)

    **Fails when** the near edge is more than 10 m from the wall (error, 不应), or less than
    5 m (warning, 不宜).

    **Passes when** the distance is between 5 m and 10 m.

    **Known limits** The outline is the site-plan footprint; balconies or canopies drawn outside
    it are not seen. Slope (≤ 3 %) and obstacles between site and building (trees, overhead
    lines, garage entrances) are manual checks.
    """
    sites, outlines = _with_outlines(ctx, "F-SITE")
    for site, outline in _nearest(sites, outlines):
        d = float(site.geometry.distance(outline.geometry))
        line = shapely.shortest_line(site.geometry, outline.geometry)
        params = {"max_m": 10.0, "min_m": 5.0, "building": building_of(ctx, outline)}
        if d > 10.0 + 1e-6:
            yield ctx.violation(
                site,
                f"登高操作场地靠建筑一侧距外墙 {d:.2f} m，大于 10 m",
                f"Rescue site is {d:.2f} m from the external wall, more than 10 m",
                geometry=line,
                handles=(site.obj.handle, outline.obj.handle),
                measured=d,
                limit=10.0,
                unit="m",
                params=params,
            )
        elif d < 5.0 - 1e-6:
            yield ctx.violation(
                site,
                f"登高操作场地距外墙 {d:.2f} m，宜不小于 5 m",
                f"Rescue site is {d:.2f} m from the external wall; at least 5 m is recommended",
                geometry=line,
                handles=(site.obj.handle, outline.obj.handle),
                measured=d,
                limit=5.0,
                unit="m",
                severity=Severity.WARNING,
                params=params,
            )


def _interval_line(outline: Polygon, lo: float, hi: float) -> LineString:
    ring = outline.exterior
    pts = [ring.interpolate(t % ring.length) for t in (lo, (lo + hi) / 2, hi)]
    return LineString([(p.x, p.y) for p in pts])


@rule("FIRE-014", "rescue-site-length", severity=Severity.ERROR, params=("building.height_m",))
def rescue_site_too_short(ctx: CheckContext) -> Iterator[Violation]:
    """Rescue sites along the building perimeter

    For every high-rise building, projects its rescue sites (F-SITE, each assigned to the
    nearest outline) perpendicularly onto the outline's edges they face, and measures the
    covered length of the perimeter. The covered run must be at least one long side (long side
    of the outline's minimum rotated rectangle) and, where it turns a corner, at least 1/4 of
    the perimeter. When H > 50 m the run must be continuous (the longest single run counts);
    when H ≤ 50 m the sites may be intermittent (the runs are summed) with gaps of at most 30 m.

    Clause: GB 55037-2022 3.4.6, 3.4.7; GB 50016-2014 (2018) 7.2.1

    **Fails when** the covered length is below the requirement (error), or, for H ≤ 50 m,
    a gap between two sites exceeds 30 m (warning).

    **Passes when** the sites cover enough of the perimeter without long gaps.

    **Known limits** A podium between site and tower (at most 4 m deep) cannot be told from the
    single site-plan outline: manual check. Buildings that are not high-rise are skipped.
    """
    sites, outlines = _with_outlines(ctx, "F-SITE")
    served: dict[int, list[Item]] = {}
    for site, outline in _nearest(sites, outlines):
        served.setdefault(id(outline), []).append(site)
    for outline in outlines:
        name = building_of(ctx, outline)
        f = facts(ctx, name)
        if f.height_m is None:
            raise NotChecked("未给出建筑高度 building.height_m", "building.height_m is not given")
        if not f.high_rise():
            continue
        poly = outline.geometry
        assert isinstance(poly, Polygon)
        runs = perimeter_cover(poly, [s.geometry for s in served.get(id(outline), [])])
        short, long = rect_sides(poly)
        perimeter = poly.exterior.length
        lengths = [hi - lo for lo, hi in runs]
        continuous = f.height_m > 50.0
        measured = max(lengths, default=0.0) if continuous else sum(lengths)
        best = max(runs, key=lambda r: r[1] - r[0]) if runs else None
        corner = best is not None and _turns_corner(poly, best)
        limit = max(long, perimeter / 4.0) if corner else long
        params = {
            "height_m": f.height_m,
            "building": name,
            "long_side_m": round(long, 2),
            "perimeter_m": round(perimeter, 2),
            "continuous_required": continuous,
            "runs_m": [round(x, 2) for x in lengths],
        }
        if measured < limit - 0.05:
            yield ctx.violation(
                outline,
                f"登高操作场地沿建筑周边{'连续' if continuous else '累计'}布置长度 "
                f"{measured:.2f} m，小于要求的 {limit:.2f} m（一个长边或周长的 1/4，H = "
                f"{f.height_m:g} m）",
                f"Rescue sites cover {measured:.2f} m of the perimeter "
                f"({'continuous' if continuous else 'in total'}), below {limit:.2f} m "
                f"(one long side or 1/4 of the perimeter, H = {f.height_m:g} m)",
                geometry=_interval_line(poly, *best) if best else poly.exterior,
                handles=(outline.obj.handle,),
                measured=measured,
                limit=round(limit, 3),
                unit="m",
                params=params,
            )
        if continuous or len(runs) < 2:
            continue
        gaps = [
            (runs[k][1], runs[(k + 1) % len(runs)][0] + (perimeter if k == len(runs) - 1 else 0))
            for k in range(len(runs))
        ]
        gaps.remove(max(gaps, key=lambda g: g[1] - g[0]))  # the rest of the perimeter
        for lo, hi in gaps:
            if hi - lo > 30.0 + 1e-6:
                yield ctx.violation(
                    outline,
                    f"登高操作场地间断距离 {hi - lo:.2f} m，大于 30 m",
                    f"Gap of {hi - lo:.2f} m between rescue sites, more than 30 m",
                    geometry=_interval_line(poly, lo, hi),
                    handles=(outline.obj.handle,),
                    measured=hi - lo,
                    limit=30.0,
                    unit="m",
                    severity=Severity.WARNING,
                    params=params,
                )


def _turns_corner(poly: Polygon, run: tuple[float, float]) -> bool:
    """Whether the covered run spans more than one edge of the outline."""
    ring = poly.exterior
    corners = [ring.project(shapely.Point(c)) for c in ring.coords[1:-1]]
    lo, hi = run
    length = ring.length
    return any(lo + 0.05 < c < hi - 0.05 or lo + 0.05 < c + length < hi - 0.05 for c in corners)


SEPARATION = {
    ("high", "high"): 13.0,
    ("high", 1): 9.0,
    ("high", 3): 11.0,
    ("high", 4): 14.0,
    (1, 1): 6.0,
    (1, 3): 7.0,
    (1, 4): 9.0,
    (3, 3): 8.0,
    (3, 4): 10.0,
    (4, 4): 12.0,
}


def separation_limit(a: str | int, b: str | int) -> float:
    """Table 5.2.2: ``"high"`` for high-rise, else the grade (2 counts as 1)."""
    key_a = 1 if a == 2 else a
    key_b = 1 if b == 2 else b
    order = {"high": 0, 1: 1, 3: 3, 4: 4}
    pair = tuple(sorted((key_a, key_b), key=lambda k: order[k]))
    return SEPARATION[pair]  # type: ignore[index]


@rule(
    "FIRE-002",
    "separation-distance",
    severity=Severity.ERROR,
    params=("fire.resistance_grade", "building.height_m"),
)
def buildings_too_close(ctx: CheckContext) -> Iterator[Violation]:
    """Fire separation between buildings

    Measures the shortest distance between the outlines of every pair of buildings on the site
    plan (G-BLDG-OUTL; planning, else fire), found with an STR-tree query within 14 m. Each
    outline's building is the nearest ``BLDG`` block; its height class and grade come from its
    parameters. Table 5.2.2: high-rise to high-rise 13 m; high-rise to single/multi-storey
    grade 1/2 9, grade 3 11, grade 4 14 m; single/multi-storey grade 1/2 to 1/2 6, to 3 7, to
    4 9 m; grade 3 to 3 8, to 4 10 m; grade 4 to 4 12 m.

    Clause: GB 50016-2014 (2018) 5.2.2 (+notes), 5.2.4, 5.2.6; GB 55037-2022 3.3.1, 3.3.2

    **Fails when** two buildings are closer than the table distance.

    **Passes when** every pair is at least the table distance apart (or there is one building).

    **Known limits** The reductions of notes 1–5 (fire walls, protected openings, ≤ 5 %
    unprotected openings) and the grouping rule of 5.2.4 are not applied: the finding names
    them for manual review (none apply when H > 100 m). Outlines that touch or overlap are one
    building joined by a link and are not compared.
    """
    outlines: list[Item] = []
    for disc in ("planning", "fire"):
        outlines = _closed(ctx, disc, "G-BLDG-OUTL")
        if outlines:
            break
    if not outlines:
        ctx.require("planning", "G-BLDG-OUTL", closed=True)
    pairs = min_distance_pairs([o.geometry for o in outlines], 14.0)
    for a, b, d in pairs:
        if d <= 1e-6:
            continue
        classes: list[str | int] = []
        heights: list[float] = []
        for o in (outlines[a], outlines[b]):
            name = building_of(ctx, o)
            f = facts(ctx, name)
            grade = ctx.params.fire_of(name).resistance_grade
            if f.height_m is None or grade is None:
                raise NotChecked(
                    f"建筑 {name} 未给出建筑高度或耐火等级",
                    f"building {name}: height or fire-resistance grade is not given",
                )
            heights.append(f.height_m)
            classes.append("high" if f.high_rise() else grade)
        limit = separation_limit(classes[0], classes[1])
        if d >= limit - 1e-6:
            continue
        note_zh = (
            ""
            if max(heights) > 100
            else "；如符合表 5.2.2 注 1–5 的防火墙、防火门窗等条件可减小，请人工复核"
        )
        note_en = "" if max(heights) > 100 else "; reductions under notes 1–5 need manual review"
        yield ctx.violation(
            outlines[a],
            f"建筑间防火间距 {d:.2f} m，小于 {limit:g} m{note_zh}",
            f"Fire separation between buildings is {d:.2f} m, below {limit:g} m{note_en}",
            geometry=shapely.shortest_line(outlines[a].geometry, outlines[b].geometry),
            handles=(outlines[a].obj.handle, outlines[b].obj.handle),
            measured=d,
            limit=limit,
            unit="m",
            params={"classes": [str(c) for c in classes], "heights_m": heights},
        )
