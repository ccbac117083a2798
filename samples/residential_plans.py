"""Floor plans of 3#楼 on a sheet: architecture, with fire or civil-defence overlays.

One function draws a storey of :mod:`samples.residential_design` in any layer convention, so the
architecture, fire and civil-defence drawings of the same storey share every line: the checkers
that compare drawings (stair cores, axis grids, compartments against protective units) then
compare like with like, as they would on a real package exported from one model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import Polygon

from samples.dxfkit import Canvas, LayerScheme, ensure_block, fixture_block, furniture_block
from samples.residential_design import Floor, Space, Zone

__all__ = ["PlanOptions", "draw_floor", "fire_notes_for"]


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What a plan sheet shows besides the architecture."""

    furniture: bool = True
    room_areas: bool = True
    fire: bool = False
    civil: bool = False


def draw_floor(c: Canvas, floor: Floor, layers: LayerScheme, options: PlanOptions) -> None:
    """Draw one storey in local coordinates (axis 1/A at the origin) onto a canvas."""
    c.axis_grid(
        floor.xs, floor.ys, axis_layer=layers.axis, label_layer=layers.axis_iden, overshoot=24.0
    )
    _dimensions(c, floor, layers)
    for piece in floor.wall_pieces():
        c.polygon(piece, layers.wall)
    for col in floor.columns:
        pts = [(float(x), float(y)) for x, y in col.exterior.coords[:-1]]
        c.polyline(pts, layers.column)
        c.hatch(pts, layers.column)
    for space in floor.spaces:
        if space.room:
            _room(c, floor, space, layers, options)
    for d in floor.doors:
        c.door(
            d.number, d.at, d.along, d.swing, d.hinge, floor.thickness_at(d.at, d.along),
            layer=layers.door, text_layer=layers.door_iden,
        )
    for w in floor.windows:
        c.window(
            w.number, w.at, w.along, w.outward, floor.thickness_at(w.at, w.along),
            layer=layers.window, text_layer=layers.window_iden,
        )
    _stairs(c, floor, layers)
    _lifts(c, floor, layers)
    if options.furniture:
        for item in floor.fixtures:
            c.insert(fixture_block(c.doc, item.kind), item.at, layers.fixture)
        for item in floor.furniture:
            c.insert(furniture_block(c.doc, item.kind), item.at, layers.furniture)
        for counter in floor.counters:
            c.polygon(counter, layers.furniture)
    if options.fire:
        _fire_overlay(c, floor, layers)
    if options.civil:
        _civil_overlay(c, floor, layers)


def _label_point(poly: Polygon) -> tuple[float, float]:
    """Where a name goes: the centroid when it lies well inside, else a point inside."""
    cen = poly.centroid
    if poly.buffer(-300).contains(cen):
        return (float(cen.x), float(cen.y))
    p = poly.representative_point()
    return (float(p.x), float(p.y))


def _room(c: Canvas, floor: Floor, space: Space, layers: LayerScheme, options: PlanOptions) -> None:
    clear = floor.clear(space)
    c.polygon(clear, layers.room)
    x, y = _label_point(clear)
    c.text(space.name, (x, y), layers.room_iden, size=3.5)
    if options.room_areas:
        c.text(f"{clear.area / 1e6:.2f}㎡", (x, y - 5.0 * c.scale), layers.notes, size=2.5)


def _dimensions(c: Canvas, floor: Floor, layers: LayerScheme) -> None:
    """Two tiers of dimensions below and left of the grid: axis spacings, then overall."""
    s = c.scale
    xs = sorted(x for _, x in floor.xs)
    ys = sorted(y for _, y in floor.ys)
    y_chain, y_total = ys[0] - 12.0 * s, ys[0] - 19.0 * s
    x_chain, x_total = xs[0] - 12.0 * s, xs[0] - 19.0 * s
    for a, b in zip(xs[:-1], xs[1:], strict=True):
        c.dim((a, ys[0]), (b, ys[0]), (a, y_chain), layers.dims)
    c.dim((xs[0], ys[0]), (xs[-1], ys[0]), (xs[0], y_total), layers.dims)
    for a, b in zip(ys[:-1], ys[1:], strict=True):
        c.dim((xs[0], a), (xs[0], b), (x_chain, a), layers.dims, angle=90.0)
    c.dim((xs[0], ys[0]), (xs[0], ys[-1]), (x_total, ys[0]), layers.dims, angle=90.0)


def _stairs(c: Canvas, floor: Floor, layers: LayerScheme) -> None:
    for x0, y0, x1, y1 in floor.flights:
        c.flight(x0, y0, x1, y1, run="y", treads=floor.treads, layer=layers.stair)
    # walking line and direction words (上 / 下) of each stair, one per flight pair
    for k in range(0, len(floor.flights), 2):
        a = floor.flights[k]
        b = floor.flights[k + 1]
        xa, xb = (a[0] + a[2]) / 2, (b[0] + b[2]) / 2
        ya, yb = a[1], a[3]
        top = yb + 500
        c.polyline([(xa, ya - 300), (xa, top), (xb, top), (xb, ya - 300)], layers.notes,
                   closed=False)
        c.polyline([(xb - 120, ya - 50), (xb, ya - 300), (xb + 120, ya - 50)], layers.notes,
                   closed=False)
        c.text("上", (xa, ya - 700), layers.notes, size=2.5)
        c.text("下", (xb, ya - 700), layers.notes, size=2.5)


def _lifts(c: Canvas, floor: Floor, layers: LayerScheme) -> None:
    for lift in floor.lifts:
        x0, y0, x1, y1 = lift.shaft
        car = (x0 + 250, y0 + 300, x1 - 250, y1 - 550)
        c.rect(*car, layers.lift)
        c.line((car[0], car[1]), (car[2], car[3]), layers.lift)
        c.line((car[0], car[3]), (car[2], car[1]), layers.lift)
        c.rect(x0 + 500, y1 - 400, x1 - 500, y1 - 150, layers.lift)


def _exit_block(c: Canvas) -> str:
    """The safe-exit symbol: an arrow leaving through the door (drawn at 1:100 size)."""
    block, new = ensure_block(c.doc, "EXIT-安全出口")
    if new:
        block.add_lwpolyline(
            [(-300, -150), (100, -150), (100, -300), (400, 0), (100, 300), (100, 150),
             (-300, 150)],
            close=True,
        )
    return "EXIT-安全出口"


def _zone(c: Canvas, zone: Zone, layer: str, at: tuple[float, float], size: float) -> None:
    c.polygon(zone.shape, layer)
    c.text(zone.label, at, layer, size=size)


def _fire_overlay(c: Canvas, floor: Floor, layers: LayerScheme) -> None:
    """Compartments, safe exits, stair cores, front rooms and the fire lift."""
    for zone in floor.compartments:
        if floor.key in ("1", "2"):
            at = (5000.0, 8850.0)
        else:
            cen = zone.shape.centroid
            at = (float(cen.x), float(cen.y) - 4000.0)
        _zone(c, zone, layers.compartment, at, 5.0)
        c.text(f"面积：{zone.shape.area / 1e6:.2f}㎡", (at[0], at[1] - 7.0 * c.scale),
               layers.notes, size=3.0)
    scale = c.scale / 100.0
    for d in floor.exits:
        angle = 90.0 if d.along == "x" else 0.0
        angle = angle if d.swing > 0 else angle + 180.0
        c.insert(_exit_block(c), d.at, layers.exit, angle=angle, xscale=scale, yscale=scale)
    for space in floor.spaces:
        if space.name == "楼梯间" and space.fire_label:
            clear = floor.clear(space)
            c.polygon(clear, layers.stair_core)
            x0, y0, x1, y1 = clear.bounds
            c.text(space.fire_label, ((x0 + x1) / 2, y1 - 4.0 * c.scale), layers.stair_core,
                   size=2.5)
        elif space.name in ("合用前室", "前室"):
            clear = floor.clear(space)
            c.polygon(clear, layers.front_room)
            x0, y0, x1, y1 = clear.bounds
            c.text(space.name, ((x0 + x1) / 2, y0 + 4.0 * c.scale), layers.front_room, size=2.5)
        elif space.name == "消防电梯":
            clear = floor.clear(space)
            c.polygon(clear, layers.fire_lift)
            x0, y0, x1, y1 = clear.bounds
            c.text("消防电梯", ((x0 + x1) / 2, y0 + 2.0 * c.scale), layers.fire_lift, size=2.0)


def _entrance_block(c: Canvas, width: float, depth: float) -> str:
    """A shelter entrance (stair down into the shelter) with KIND and NAME attributes."""
    name = f"RF-ENTR-{int(width)}x{int(depth)}"
    block, new = ensure_block(c.doc, name)
    if new:
        block.add_lwpolyline([(0, 0), (width, 0), (width, depth), (0, depth)], close=True)
        steps = 8
        for k in range(1, steps):
            if width >= depth:
                x = width * k / steps
                block.add_line((x, 150), (x, depth - 150))
            else:
                y = depth * k / steps
                block.add_line((150, y), (width - 150, y))
        block.add_attdef("KIND", (width / 2, depth / 2), "", height=300,
                         dxfattribs={"flags": 1, "prompt": "KIND"})
        block.add_attdef("NAME", (width / 2, depth + 200), "", height=450,
                         dxfattribs={"prompt": "NAME"})
    return name


def _civil_overlay(c: Canvas, floor: Floor, layers: LayerScheme) -> None:
    """Protective units, anti-blast units and the shelter entrances (KIND main/secondary)."""
    for zone in floor.units:
        x0, y0, x1, y1 = zone.shape.bounds
        _zone(c, zone, layers.unit, ((x0 + x1) / 2, y1 - 3000.0), 6.0)
        c.text(f"面积：{zone.shape.area / 1e6:.2f}㎡", ((x0 + x1) / 2, y1 - 4500.0),
               layers.notes, size=3.0)
    for zone in floor.blast_units:
        x0, y0, x1, y1 = zone.shape.bounds
        _zone(c, zone, layers.blast_unit, ((x0 + x1) / 2 + 6000.0, (y0 + y1) / 2), 4.0)
        c.text(f"{zone.shape.area / 1e6:.2f}㎡", ((x0 + x1) / 2 + 6000.0, (y0 + y1) / 2 - 1000.0),
               layers.notes, size=2.5)
    for e in floor.entrances:
        x0, y0, x1, y1 = e.box
        block = _entrance_block(c, x1 - x0, y1 - y0)
        c.insert(block, (x0, y0), layers.entrance,
                 attribs={"KIND": e.kind, "NAME": e.label}, attrib_layer=layers.notes,
                 hidden=("KIND",))


def fire_notes_for(floor: Floor) -> Sequence[str]:
    """Lines of the per-storey fire note: compartments and their areas, exits."""
    lines = [f"本层防火分区{len(floor.compartments)}个："]
    for z in floor.compartments:
        lines.append(f"{z.label}建筑面积{z.shape.area / 1e6:.2f}㎡")
    lines.append(f"安全出口{len(floor.exits)}个，疏散门均向疏散方向开启。")
    return lines
