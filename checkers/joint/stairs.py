"""JOINT-007: stair cores, between the architecture and fire plans and from storey to storey."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from shapely.geometry.base import BaseGeometry

from checkers.context import CheckContext, Item
from checkers.findings import Violation
from checkers.joint.common import (
    Pool,
    from_site,
    iou,
    not_checked,
    registered,
    unregistered_notices,
)
from checkers.registry import rule
from drawings.model import Discipline, Severity

__all__ = ["stair_core_mismatch"]

CORE_IOU_MIN = 0.95

Core = tuple[Item, BaseGeometry]


def _architecture_cores(ctx: CheckContext) -> tuple[dict[str, list[Core]], list[Item]]:
    """Architecture stair cores per storey: the room (A-AREA) that holds stair flights.

    A-STRS carries the flights and tread lines, not the enclosure; the enclosure is the room
    polygon containing a flight outline's representative point. Flights in no room are kept
    as they are (then they rarely match, and the finding says so).
    """
    flights = ctx.items(Discipline.ARCHITECTURE, "A-STRS", closed=True, texts=False)
    rooms = ctx.items(Discipline.ARCHITECTURE, "A-AREA", closed=True, texts=False)
    tree = ctx.index(rooms) if rooms else None
    chosen: dict[tuple[str, str], Item] = {}
    for f in flights:
        if f.floor is None:
            continue
        room: Item | None = None
        if tree is not None:
            pt = f.geometry.representative_point()
            for i in tree.query(pt, predicate="within"):
                cand = rooms[int(i)]
                if cand.drawing is f.drawing and cand.obj.sheet == f.obj.sheet:
                    room = cand
                    break
        core = room or f
        chosen.setdefault((core.drawing.file, core.obj.handle), core)
    return _by_floor(ctx, list(chosen.values()))


def _by_floor(ctx: CheckContext, items: Sequence[Item]) -> tuple[dict[str, list[Core]], list[Item]]:
    placed, lost = registered(ctx, [i for i in items if i.floor is not None])
    out: dict[str, list[Core]] = defaultdict(list)
    for item, geom in placed:
        assert item.floor is not None
        out[item.floor].append((item, geom))
    return out, lost


def _best(pool: Pool, geom: BaseGeometry) -> float:
    """Best IoU of ``geom`` with the cores of ``pool`` (0 when none overlaps)."""
    return max((iou(geom, g) for _, g in pool.overlapping(geom)), default=0.0)


def _storey_key(floor: str) -> float:
    """Storey order: basements, numbered storeys, then the roof."""
    if floor.upper() == "RF":
        return 1e6
    try:
        return float(int(floor))
    except ValueError:
        return 1e7


@rule("JOINT-007", "stair-core-match", severity=Severity.ERROR)
def stair_core_mismatch(ctx: CheckContext) -> Iterator[Violation]:
    """Stair cores differ between drawings or storeys (楼梯间位置不一致).

    Stair cores of the fire plans (closed F-STRS polygons) are compared, storey by storey and
    in site coordinates, with those of the architecture plans: the room polygon (A-AREA) that
    holds the stair flights drawn on A-STRS. Every core of either drawing needs a core of the
    other drawing on the same storey with IoU ≥ 0.95. In the architecture plans, every core
    of a storey also needs a core with IoU ≥ 0.95 on the storey below (the stair continues).

    Clause: GB 50016-2014 (2018) 6.4.4

    **Fails when** a core has no counterpart with IoU ≥ 0.95 in the other drawing on the
    same storey, or an architecture core does not continue from the storey below.

    **Passes when** all cores agree between drawings (IoU ≥ 0.95) and stay in place from
    storey to storey.

    **Known limits** Cores staggered at refuge floors (避难层) and stairs that start above the
    lowest storey (podium stairs) are reported and left to the reviewer. A core is taken
    from the room containing its flights; a stair drawn without a room outline is compared
    by its flights only. Only storeys drawn in both disciplines are compared between them.
    """
    arch, lost_a = _architecture_cores(ctx)
    fire_items = ctx.items(Discipline.FIRE, "F-STRS", closed=True, texts=False)
    fire, lost_f = _by_floor(ctx, fire_items)
    yield from unregistered_notices(ctx, lost_a + lost_f, "楼梯间")
    if not arch and not fire:
        raise not_checked(
            ctx,
            "建筑 A-STRS 与消防 F-STRS 均无可配准的楼梯间，无法比对",
            "no registrable stair cores on A-STRS or F-STRS",
            lost_a + lost_f,
        )
    params = {"iou_min": CORE_IOU_MIN}
    arch_pools = {floor: Pool(cores) for floor, cores in arch.items()}
    fire_pools = {floor: Pool(cores) for floor, cores in fire.items()}
    shared = sorted(set(arch) & set(fire), key=_storey_key)
    for floor in shared:
        for mine, theirs, zh, en in (
            (fire[floor], arch_pools[floor], "建筑", "architecture"),
            (arch[floor], fire_pools[floor], "消防", "fire"),
        ):
            for item, geom in mine:
                best = _best(theirs, geom)
                if best >= CORE_IOU_MIN:
                    continue
                yield ctx.violation(
                    item,
                    f"{item.floor} 层楼梯间在{zh}平面中没有位置一致的对应楼梯间"
                    f"（重合度 IoU = {best:.3f}，要求 ≥ 0.95）",
                    f"stair core on storey {item.floor} has no matching core in the {en} plan "
                    f"(IoU = {best:.3f}, required ≥ 0.95)",
                    geometry=from_site(ctx, item.sheet, geom),
                    measured=best,
                    limit=CORE_IOU_MIN,
                    params=params,
                )
    floors = sorted(arch, key=_storey_key)
    for below, above in zip(floors, floors[1:], strict=False):
        for item, geom in arch[above]:
            best = _best(arch_pools[below], geom)
            if best >= CORE_IOU_MIN:
                continue
            yield ctx.violation(
                item,
                f"{above} 层楼梯间与下一层（{below}）楼梯间位置不一致"
                f"（重合度 IoU = {best:.3f}，要求 ≥ 0.95；避难层错位请人工确认）",
                f"stair core on storey {above} does not continue from storey {below} "
                f"(IoU = {best:.3f}, required ≥ 0.95; staggering at refuge floors is manual)",
                geometry=from_site(ctx, item.sheet, geom),
                measured=best,
                limit=CORE_IOU_MIN,
                params={**params, "storey_below": below},
            )
