"""The data model of the residential tower 3#楼: storeys, spaces, openings, zones, walls.

Nothing here knows DXF. Every storey is a :class:`Floor`: the spaces (rooms, shafts, the roof)
as axis-line polygons in millimetres of the building frame (axis 1/A at the origin), the doors,
openings, windows, stair flights, lifts, fixtures and columns, and the fire and civil-defence
zones. Walls are not listed by hand: they are derived from the space outlines, so that rooms,
walls and areas cannot disagree. Areas are always computed from the geometry, never typed in, so
the indicator table, the notes and ``project.toml`` stay consistent when the design changes.
The storeys themselves are defined in :mod:`samples.residential_floors`.

The tower is a two-stair, four-dwelling plan (一梯四户, two smoke-proof stair cores with front
rooms, a fire lift and a passenger lift) of 39.8 m x 15.8 m, 18 storeys of 2.9 m above two
basement storeys; the basement is a three-compartment plate of 72.3 m x 31.5 m whose western
compartment on level -2 is a civil-defence personnel shelter (one protective unit, two anti-blast
units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shapely import union_all
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from samples.dxfkit import Point, door_size

__all__ = [
    "BASEMENT_OUTLINE",
    "TOWER_OUTLINE",
    "Door",
    "Entrance",
    "Floor",
    "Item",
    "Lift",
    "Opening",
    "Space",
    "Wall",
    "Window",
    "Zone",
    "derive_walls",
    "rect_polygon",
]

Axes = tuple[tuple[str, float], ...]

NAME = "3#"
FLOORS_ABOVE = 18
FLOORS_BELOW = 2
STOREY = 2900.0  # floor-to-floor height above ground, mm
BASEMENT_STOREY = 3600.0
PARAPET = 1500.0
GRADE = -300.0  # outdoor design grade relative to ±0.000, mm
DATUM = 86.450  # absolute elevation of ±0.000, m
WALL = 200.0
BASEMENT_WALL = 300.0
TREAD = 270.0
COLUMN = 400.0

WIDTH = 39600.0  # axis 1 to axis 12
DEPTH = 15600.0  # axis A to axis E
X_AXES: Axes = (
    ("1", 0.0),
    ("2", 3600.0),
    ("3", 7500.0),
    ("4", 12800.0),
    ("5", 15600.0),
    ("6", 18400.0),
    ("7", 21200.0),
    ("8", 24000.0),
    ("9", 26800.0),
    ("10", 32100.0),
    ("11", 36000.0),
    ("12", 39600.0),
)
Y_AXES: Axes = (("A", 0.0), ("B", 8100.0), ("C", 9600.0), ("D", 12600.0), ("E", 15600.0))
# Basement-only axes are "additional axes" (GB/T 50001 7.0.6): 1/01 ... before axis 1.
BASEMENT_X_AXES: Axes = (
    ("3/01", -30000.0),
    ("2/01", -18000.0),
    ("1/01", -6000.0),
    *X_AXES,
    ("1/12", 42000.0),
)
BASEMENT_Y_AXES: Axes = (("1/0A", -7800.0), *Y_AXES, ("1/E", 23400.0))
BASEMENT_AXIS_BOX = (-30000.0, -7800.0, 42000.0, 23400.0)
BASEMENT_OUTLINE = box(-30150.0, -7950.0, 42150.0, 23550.0)
"""Outer face of the basement walls (building frame, mm)."""
TOWER_OUTLINE = box(-WALL / 2, -WALL / 2, WIDTH + WALL / 2, DEPTH + WALL / 2)
"""Outer face of the tower's external walls: the footprint on the site plan (mm)."""
COMPARTMENT_X = (-6000.0, 21200.0)
"""Fire walls between the basement compartments (axis 1/01 and axis 7)."""


@dataclass(frozen=True, slots=True)
class Space:
    """A room, shaft or roof area: its axis-line outline and the name written inside it.

    ``room`` is false for spaces that are not drawn as rooms (lift shafts, the open roof); their
    outlines still produce walls. ``fire_label`` names stair cores for the fire plans.
    """

    name: str
    shape: Polygon
    room: bool = True
    fire_label: str = ""


@dataclass(frozen=True, slots=True)
class Door:
    """A door: number, centre on the wall's centre line, and how it opens (see ``Canvas.door``)."""

    number: str
    at: Point
    along: str
    swing: int
    hinge: int
    exit: bool = False

    @property
    def width(self) -> float:
        """Opening width in mm, from the number."""
        return door_size(self.number)[0]


@dataclass(frozen=True, slots=True)
class Opening:
    """A doorless opening (门洞) in a wall: centre, wall direction, width."""

    at: Point
    along: str
    width: float


@dataclass(frozen=True, slots=True)
class Window:
    """A window in an external wall; ``outward`` points out of the building (+1 / -1)."""

    number: str
    at: Point
    along: str
    outward: int

    @property
    def size(self) -> tuple[float, float]:
        """Width and height in mm, from the number."""
        return door_size(self.number)


@dataclass(frozen=True, slots=True)
class Item:
    """A fixture or furniture block placed by its lower-left corner."""

    kind: str
    at: Point


@dataclass(frozen=True, slots=True)
class Lift:
    """A lift: car inside its shaft (clear rectangle), fire lift or not."""

    shaft: tuple[float, float, float, float]
    fire: bool


@dataclass(frozen=True, slots=True)
class Zone:
    """A labelled polygon of the fire or civil-defence overlays (compartment, unit ...)."""

    label: str
    shape: Polygon


@dataclass(frozen=True, slots=True)
class Entrance:
    """A shelter entrance: KIND (``main`` / ``secondary``), its label and its footprint."""

    kind: str
    label: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Wall:
    """A straight wall on a centre line: ``along`` x at y = ``at`` (or along y at x = ``at``)."""

    along: str
    at: float
    a: float
    b: float
    thickness: float
    external: bool

    def piece(self, a: float, b: float) -> Polygon:
        """The wall's outline between ``a`` and ``b``, extended by half a thickness at free ends.

        The extension fills the corner where two walls meet; at an opening the cut stays exact.
        """
        t = self.thickness / 2
        lo = a - t if a == self.a else a
        hi = b + t if b == self.b else b
        if self.along == "x":
            return box(lo, self.at - t, hi, self.at + t)
        return box(self.at - t, lo, self.at + t, hi)

    @property
    def outline(self) -> Polygon:
        """The whole wall, uncut."""
        return self.piece(self.a, self.b)


@dataclass(frozen=True, slots=True)
class Floor:
    """One storey: the spaces and everything placed in them, plus the derived walls."""

    key: str
    title: str
    scale: float
    xs: Axes
    ys: Axes
    spaces: tuple[Space, ...]
    doors: tuple[Door, ...]
    openings: tuple[Opening, ...]
    windows: tuple[Window, ...]
    flights: tuple[tuple[float, float, float, float], ...]
    treads: int
    lifts: tuple[Lift, ...]
    fixtures: tuple[Item, ...]
    furniture: tuple[Item, ...]
    counters: tuple[Polygon, ...]
    columns: tuple[Polygon, ...]
    external_wall: float
    compartments: tuple[Zone, ...] = ()
    units: tuple[Zone, ...] = ()
    blast_units: tuple[Zone, ...] = ()
    entrances: tuple[Entrance, ...] = ()
    walls: tuple[Wall, ...] = field(default=())

    @property
    def outline(self) -> Polygon:
        """Outer face of the external walls."""
        axis = union_all([s.shape for s in self.spaces])
        return rect_polygon(axis.buffer(self.external_wall / 2, join_style="mitre"))

    def clear(self, space: Space) -> Polygon:
        """Usable area polygon of a space: its outline minus the walls around it."""
        walls = union_all([w.outline for w in self.walls])
        return largest(space.shape.difference(walls))

    def wall_pieces(self) -> list[Polygon]:
        """Wall outlines with the door and opening gaps cut out of internal walls.

        External walls stay whole, so the footprint reads as one closed ring; doors and windows
        in them are drawn over the wall.
        """
        cuts: dict[int, list[tuple[float, float]]] = {}
        gaps = [(d.at, d.along, d.width) for d in self.doors] + [
            (o.at, o.along, o.width) for o in self.openings
        ]
        for at, along, width in gaps:
            k = self.wall_index(at, along)
            if not self.walls[k].external:
                pos = at[0] if along == "x" else at[1]
                cuts.setdefault(k, []).append((pos - width / 2, pos + width / 2))
        pieces: list[Polygon] = []
        for k, w in enumerate(self.walls):
            start = w.a
            for lo, hi in sorted(cuts.get(k, [])):
                if lo > start:
                    pieces.append(w.piece(start, lo))
                start = hi
            if start < w.b:
                pieces.append(w.piece(start, w.b))
        return pieces

    def wall_index(self, at: Point, along: str) -> int:
        """Index of the wall that carries a door or window at ``at`` (centre line)."""
        coord, pos = (at[1], at[0]) if along == "x" else (at[0], at[1])
        for k, w in enumerate(self.walls):
            if w.along == along and abs(w.at - coord) < 1.0 and w.a - 1.0 <= pos <= w.b + 1.0:
                return k
        raise ValueError(f"floor {self.key}: no wall along {along} at {at}")

    def thickness_at(self, at: Point, along: str) -> float:
        """Thickness of the wall carrying a door or window."""
        return self.walls[self.wall_index(at, along)].thickness

    def rooms(self, name: str | None = None) -> list[tuple[Space, Polygon]]:
        """Rooms (optionally of one name) with their usable polygons."""
        return [
            (s, self.clear(s))
            for s in self.spaces
            if s.room and (name is None or s.name == name)
        ]

    def space(self, name: str) -> list[Space]:
        """Every space of that name (rooms and shafts)."""
        return [s for s in self.spaces if s.name == name]

    @property
    def exits(self) -> list[Door]:
        """The doors marked as safe exits (安全出口)."""
        return [d for d in self.doors if d.exit]


def largest(geom: BaseGeometry) -> Polygon:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    if not parts:
        raise ValueError("empty room")
    return rect_polygon(max(parts, key=lambda g: g.area))


def rect_polygon(geom: BaseGeometry) -> Polygon:
    """Drop collinear vertices and round to the millimetre, keeping the ring orientation."""
    poly = geom.simplify(0.5) if geom.geom_type == "Polygon" else geom
    coords = [(round(x, 3), round(y, 3)) for x, y in poly.exterior.coords]
    return Polygon(coords)


def derive_walls(spaces: Sequence[Space], external: float, internal: float) -> tuple[Wall, ...]:
    """Walls on every space edge: collinear edges merged, thickness by position.

    An edge on the floor's outline is an external wall, any other edge an internal one. Every
    wall therefore separates two spaces or a space from the outside, as a real partition does.
    """
    lines: dict[tuple[str, float], list[tuple[float, float]]] = {}
    for s in spaces:
        coords = list(s.shape.exterior.coords)
        for (x0, y0), (x1, y1) in zip(coords[:-1], coords[1:], strict=True):
            if abs(y0 - y1) < 1e-6 and abs(x0 - x1) > 1e-6:
                lines.setdefault(("x", round(y0, 3)), []).append((min(x0, x1), max(x0, x1)))
            elif abs(x0 - x1) < 1e-6 and abs(y0 - y1) > 1e-6:
                lines.setdefault(("y", round(x0, 3)), []).append((min(y0, y1), max(y0, y1)))
            elif abs(x0 - x1) > 1e-6 or abs(y0 - y1) > 1e-6:
                raise ValueError(f"{s.name}: walls must run along x or y")
    boundary = union_all([s.shape for s in spaces]).boundary
    walls: list[Wall] = []
    for (along, at), spans in sorted(lines.items()):
        spans.sort()
        merged: list[list[float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1] + 1e-6:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        for a, b in merged:
            m = (a + b) / 2
            mid = ShapelyPoint((m, at) if along == "x" else (at, m))
            ext = boundary.distance(mid) < 1.0
            walls.append(Wall(along, at, a, b, external if ext else internal, ext))
    return tuple(walls)
