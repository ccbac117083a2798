"""Entity-level comparison of two rounds of the same drawing.

Handles are not stable across CAD saves and sheets get reordered or renumbered between rounds,
so objects are matched by what they are and where they are, sheet by sheet:

1. **Sheets** are paired by content, not by number: each sheet's objects, in coordinates
   relative to the sheet's own origin (axis 1/A, else the frame's corner), give a fingerprint;
   pairs with the most shared fingerprint (plus matching title and storey) win. A sheet whose
   number changed is reported as renumbered, a frame that moved in model space as shifted;
   neither is a change of its objects.
2. **Objects** of paired sheets are compared in the new round's coordinates (the old ones moved
   by the sheet's shift), per layer group, in four passes:
   - *unchanged*: same attributes (kind, block, text, attributes, rotation) and the same extent
     within the tolerance;
   - *moved*: same attributes and the same size and length/area, somewhere else (the nearest
     such object wins);
   - *modified*: same group and kind, overlapping extents, something else differs (a widened
     door, a longer wall, an edited text);
   - what is left is *added* (new round) or *removed* (old round).

Block content (``in_block``) is represented by its INSERT and not compared separately, so a
widened door is one modification, not a dozen changed lines. Matching is by hashing and a
spatial index (shapely STRtree), O(n log n).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping

from drawings.model import DrawingModel, SemanticObject, Sheet

__all__ = ["Change", "DrawingDiff", "SheetPair", "compare"]

ChangeKind = Literal["added", "removed", "modified", "moved"]
FINGERPRINT_GRID = 0.5
"""Metres: the resolution of sheet fingerprints (coarse, so small edits keep sheets paired)."""
MIN_SHEET_SCORE = 0.3


@dataclass(frozen=True, slots=True)
class Change:
    """One changed object. ``location`` is in the new round's coordinates (the old round's for
    a removed object); ``old_location`` is where a moved or modified object was."""

    kind: ChangeKind
    group: str
    layer: str
    object_kind: str
    handle: str
    old_handle: str | None
    sheet: str | None
    location: dict[str, Any]
    old_location: dict[str, Any] | None = None
    detail: str = ""
    detail_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``API.md`` compare answer items)."""
        return {
            "group": self.group,
            "layer": self.layer,
            "kind": self.object_kind,
            "handle": self.handle,
            "old_handle": self.old_handle,
            "sheet": self.sheet,
            "location": self.location,
            "old_location": self.old_location,
            "detail": self.detail,
            "detail_en": self.detail_en,
        }


@dataclass(slots=True)
class SheetPair:
    """How a sheet of the old round corresponds to one of the new round."""

    old: str | None
    new: str | None
    shift: tuple[float, float] = (0.0, 0.0)
    renumbered: bool = False
    counts: dict[str, int] = field(
        default_factory=lambda: {"added": 0, "removed": 0, "modified": 0, "moved": 0}
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "shift": [round(self.shift[0], 4), round(self.shift[1], 4)],
            "renumbered": self.renumbered,
            "counts": dict(self.counts),
        }


@dataclass(slots=True)
class DrawingDiff:
    """The comparison of two rounds of one drawing."""

    changes: list[Change] = field(default_factory=list)
    sheets: list[SheetPair] = field(default_factory=list)

    def of(self, kind: ChangeKind) -> list[Change]:
        """The changes of one kind."""
        return [c for c in self.changes if c.kind == kind]

    def summary(self) -> dict[str, Any]:
        """Counts per kind and per layer group."""
        by_group: dict[str, Counter[str]] = defaultdict(Counter)
        for c in self.changes:
            by_group[c.group][c.kind] += 1
        return {
            "counts": dict(Counter(c.kind for c in self.changes)),
            "by_group": {g: dict(v) for g, v in sorted(by_group.items())},
        }

    def to_dict(self) -> dict[str, Any]:
        """``{"added", "removed", "modified", "moved", "sheets", "summary"}``."""
        out: dict[str, Any] = {
            k: [c.to_dict() for c in self.of(k)] for k in ("added", "removed", "modified", "moved")
        }
        out["sheets"] = [p.to_dict() for p in self.sheets]
        out["summary"] = self.summary()
        return out


@dataclass(slots=True)
class _Side:
    """One round's comparable objects with their extents and keys, as arrays."""

    objects: list[SemanticObject]
    bounds: npt.NDArray[np.float64]
    measure: npt.NDArray[np.float64]
    attr: list[tuple[Any, ...]]

    @classmethod
    def of(cls, model: DrawingModel) -> _Side:
        objs = [o for o in model.objects if not o.in_block]
        geoms = np.array([o.geometry for o in objs], dtype=object)
        bounds = (
            shapely.bounds(geoms) if len(objs) else np.zeros((0, 4), dtype=np.float64)
        )
        areas = shapely.area(geoms) if len(objs) else np.zeros(0)
        measure = np.where(areas > 0, areas, shapely.length(geoms)) if len(objs) else areas
        return cls(objs, np.asarray(bounds, dtype=np.float64), measure, [_attr_key(o) for o in objs])


def _attr_key(o: SemanticObject) -> tuple[Any, ...]:
    return (
        o.group,
        o.kind,
        o.block,
        o.text,
        tuple(sorted(o.attrs.items())),
        round(o.rotation % 360.0, 1),
    )


def _origin(sheet: Sheet) -> tuple[float, float]:
    return sheet.origin if sheet.origin is not None else (sheet.bbox[0], sheet.bbox[1])


def _by_sheet(side: _Side) -> dict[int | None, list[int]]:
    out: dict[int | None, list[int]] = defaultdict(list)
    for i, o in enumerate(side.objects):
        out[o.sheet].append(i)
    return out


def _fingerprint(side: _Side, idx: Sequence[int], origin: tuple[float, float]) -> set[Any]:
    b = side.bounds[list(idx)]
    if not len(b):
        return set()
    cx = np.round(((b[:, 0] + b[:, 2]) / 2 - origin[0]) / FINGERPRINT_GRID).astype(np.int64)
    cy = np.round(((b[:, 1] + b[:, 3]) / 2 - origin[1]) / FINGERPRINT_GRID).astype(np.int64)
    return {(side.attr[i][0], side.attr[i][1], x, y) for i, x, y in zip(idx, cx, cy, strict=True)}


def _pair_sheets(
    old: DrawingModel, new: DrawingModel, a: _Side, b: _Side
) -> list[tuple[Sheet | None, Sheet | None]]:
    """Pair sheets by content fingerprint, title and storey (greedy on the best score)."""
    ia, ib = _by_sheet(a), _by_sheet(b)
    fa = {s.index: _fingerprint(a, ia.get(s.index, []), _origin(s)) for s in old.sheets}
    fb = {s.index: _fingerprint(b, ib.get(s.index, []), _origin(s)) for s in new.sheets}
    scored = []
    for so in old.sheets:
        for sn in new.sheets:
            union = len(fa[so.index] | fb[sn.index])
            score = len(fa[so.index] & fb[sn.index]) / union if union else 0.0
            score += 0.3 * (so.title == sn.title and so.title is not None)
            score += 0.2 * (so.floor == sn.floor and so.floor is not None)
            score += 0.1 * (so.sheet_no == sn.sheet_no and so.sheet_no is not None)
            scored.append((score, so.index, sn.index))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[Sheet | None, Sheet | None]] = []
    for score, i, j in scored:
        if score < MIN_SHEET_SCORE or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((old.sheets[i], new.sheets[j]))
    pairs += [(s, None) for s in old.sheets if s.index not in used_a]
    pairs += [(None, s) for s in new.sheets if s.index not in used_b]
    return pairs


def _geojson(o: SemanticObject, shift: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    g = o.geometry
    if shift != (0.0, 0.0):
        g = shapely.transform(g, lambda c: c + np.asarray(shift))
    return dict(mapping(g))


@dataclass(slots=True)
class _Matcher:
    """Matches the objects of one sheet pair; collects the changes."""

    a: _Side
    b: _Side
    shift: tuple[float, float]
    tol: float
    label_old: str | None
    label_new: str | None
    out: list[Change]

    def run(self, ia: Sequence[int], ib: Sequence[int]) -> Counter[str]:
        counts: Counter[str] = Counter()
        if not ia and not ib:
            return counts
        ba = self.a.bounds[list(ia)] + np.array([*self.shift, *self.shift]) if ia else np.zeros((0, 4))
        bb = self.b.bounds[list(ib)] if ib else np.zeros((0, 4))
        left_a, left_b = self._unchanged(ia, ib, ba, bb)
        left_a, left_b = self._moved(left_a, left_b, ba, bb, ia, ib, counts)
        left_a, left_b = self._modified(left_a, left_b, ba, bb, ia, ib, counts)
        for k in left_b:
            o = self.b.objects[ib[k]]
            self._emit("added", o, None, counts)
        for k in left_a:
            o = self.a.objects[ia[k]]
            self._emit("removed", o, None, counts)
        return counts

    def _q(self, bounds: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        return np.round(bounds / self.tol).astype(np.int64)

    def _unchanged(
        self, ia: Sequence[int], ib: Sequence[int], ba: Any, bb: Any
    ) -> tuple[list[int], list[int]]:
        """Exact matches by (attributes, quantised extent); then near-exact within tolerance."""
        qa, qb = self._q(ba), self._q(bb)
        table: dict[Any, list[int]] = defaultdict(list)
        for k, i in enumerate(ia):
            table[(self.a.attr[i], *qa[k])].append(k)
        left_b = []
        matched_a: set[int] = set()
        for k, j in enumerate(ib):
            bucket = table.get((self.b.attr[j], *qb[k]))
            if bucket:
                matched_a.add(bucket.pop())
            else:
                left_b.append(k)
        left_a = [k for k in range(len(ia)) if k not in matched_a]
        return self._pair_near(left_a, left_b, ba, bb, ia, ib, same_size_only=True)

    def _pair_near(
        self, left_a: list[int], left_b: list[int], ba: Any, bb: Any,
        ia: Sequence[int], ib: Sequence[int], *, same_size_only: bool,
    ) -> tuple[list[int], list[int]]:
        """Leftovers whose extents agree within the tolerance (rounding at grid edges)."""
        if not left_a or not left_b:
            return left_a, left_b
        boxes = shapely.box(*ba[left_a].T)
        tree = shapely.STRtree(boxes)
        taken: set[int] = set()
        rest_b = []
        for k in left_b:
            probe = shapely.box(*(bb[k] + np.array([-1, -1, 1, 1]) * self.tol))
            hit = None
            for c in tree.query(probe):
                ka = left_a[int(c)]
                if ka in taken or self.a.attr[ia[ka]] != self.b.attr[ib[k]]:
                    continue
                if np.all(np.abs(ba[ka] - bb[k]) <= self.tol):
                    hit = ka
                    break
            if hit is None:
                rest_b.append(k)
            else:
                taken.add(hit)
        return [k for k in left_a if k not in taken], rest_b

    def _shape_key(self, side: _Side, i: int, b: Any) -> tuple[Any, ...]:
        w, h = b[2] - b[0], b[3] - b[1]
        return (
            side.attr[i],
            round(w / self.tol),
            round(h / self.tol),
            round(float(side.measure[i]) / self.tol),
        )

    def _moved(
        self, left_a: list[int], left_b: list[int], ba: Any, bb: Any,
        ia: Sequence[int], ib: Sequence[int], counts: Counter[str],
    ) -> tuple[list[int], list[int]]:
        """Same object elsewhere: identical attributes and size; the nearest one wins."""
        table: dict[Any, list[int]] = defaultdict(list)
        for k in left_a:
            table[self._shape_key(self.a, ia[k], ba[k])].append(k)
        rest_b = []
        taken: set[int] = set()
        for k in left_b:
            cands = [c for c in table.get(self._shape_key(self.b, ib[k], bb[k]), []) if c not in taken]
            if not cands:
                rest_b.append(k)
                continue
            cb = (bb[k][:2] + bb[k][2:]) / 2
            best = min(cands, key=lambda c: float(np.hypot(*((ba[c][:2] + ba[c][2:]) / 2 - cb))))
            taken.add(best)
            d = (bb[k][:2] + bb[k][2:]) / 2 - (ba[best][:2] + ba[best][2:]) / 2
            dist = float(np.hypot(*d))
            self._emit(
                "moved", self.b.objects[ib[k]], self.a.objects[ia[best]], counts,
                f"移动 {dist:.2f} m（Δx {d[0]:+.2f}，Δy {d[1]:+.2f}）",
                f"moved {dist:.2f} m (dx {d[0]:+.2f}, dy {d[1]:+.2f})",
            )
        return [k for k in left_a if k not in taken], rest_b

    def _modified(
        self, left_a: list[int], left_b: list[int], ba: Any, bb: Any,
        ia: Sequence[int], ib: Sequence[int], counts: Counter[str],
    ) -> tuple[list[int], list[int]]:
        """Same group and kind at an overlapping place, something else differs."""
        if not left_a or not left_b:
            return left_a, left_b
        boxes = shapely.box(*ba[left_a].T)
        tree = shapely.STRtree(boxes)
        taken: set[int] = set()
        rest_b = []
        for k in left_b:
            ob = self.b.objects[ib[k]]
            probe = shapely.box(*(bb[k] + np.array([-1, -1, 1, 1]) * max(self.tol, 0.05)))
            best, best_score = None, 0.0
            for c in tree.query(probe):
                ka = left_a[int(c)]
                oa = self.a.objects[ia[ka]]
                if ka in taken or oa.group != ob.group or oa.kind != ob.kind:
                    continue
                score = _overlap(ba[ka], bb[k])
                if score > best_score:
                    best, best_score = ka, score
            if best is None or best_score < 0.3:
                rest_b.append(k)
                continue
            taken.add(best)
            zh, en = _describe(self.a.objects[ia[best]], ob, ba[best], bb[k],
                               float(self.a.measure[ia[best]]), float(self.b.measure[ib[k]]))
            self._emit("modified", ob, self.a.objects[ia[best]], counts, zh, en)
        return [k for k in left_a if k not in taken], rest_b

    def _emit(
        self, kind: ChangeKind, obj: SemanticObject, old: SemanticObject | None,
        counts: Counter[str], detail: str = "", detail_en: str = "",
    ) -> None:
        removed = kind == "removed"
        self.out.append(
            Change(
                kind=kind,
                group=obj.group,
                layer=obj.layer,
                object_kind=obj.kind,
                handle=obj.handle,
                old_handle=obj.handle if removed else (old.handle if old else None),
                sheet=self.label_old if removed else self.label_new,
                location=_geojson(obj),
                old_location=_geojson(old, self.shift) if old is not None else None,
                detail=detail,
                detail_en=detail_en,
            )
        )
        counts[kind] += 1


def _overlap(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Intersection over union of two extents (degenerate extents padded by 1 cm)."""
    a = a + np.array([-0.005, -0.005, 0.005, 0.005])
    b = b + np.array([-0.005, -0.005, 0.005, 0.005])
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _describe(
    old: SemanticObject, new: SemanticObject, ba: Any, bb: Any, ma: float, mb: float
) -> tuple[str, str]:
    """What changed, in words (Chinese, English)."""
    zh: list[str] = []
    en: list[str] = []
    if old.size and new.size and old.size != new.size:
        zh.append(f"尺寸 {old.size[0]:.2f}×{old.size[1]:.2f} → {new.size[0]:.2f}×{new.size[1]:.2f} m")
        en.append(f"size {old.size[0]:.2f}x{old.size[1]:.2f} -> {new.size[0]:.2f}x{new.size[1]:.2f} m")
    elif abs(ma - mb) > 1e-6:
        zh.append(f"长度/面积 {ma:.2f} → {mb:.2f}")
        en.append(f"length/area {ma:.2f} -> {mb:.2f}")
    if old.text != new.text:
        zh.append(f"文字 “{old.text or ''}” → “{new.text or ''}”")
        en.append(f"text '{old.text or ''}' -> '{new.text or ''}'")
    if dict(old.attrs) != dict(new.attrs):
        keys = sorted(k for k in set(old.attrs) | set(new.attrs) if old.attrs.get(k) != new.attrs.get(k))
        zh.append("属性 " + "、".join(keys))
        en.append("attributes " + ", ".join(keys))
    if old.block != new.block:
        zh.append(f"图块 {old.block} → {new.block}")
        en.append(f"block {old.block} -> {new.block}")
    if not zh:
        zh.append("位置或形状变化")
        en.append("position or shape changed")
    return "；".join(zh), "; ".join(en)


def compare(old: DrawingModel, new: DrawingModel, *, tolerance: float = 0.01) -> DrawingDiff:
    """Compare two rounds of one drawing (see the module docstring)."""
    if tolerance <= 0:
        raise ValueError("tolerance must be positive")
    a, b = _Side.of(old), _Side.of(new)
    ia, ib = _by_sheet(a), _by_sheet(b)
    diff = DrawingDiff()
    pairs: list[tuple[Sheet | None, Sheet | None]] = _pair_sheets(old, new, a, b)
    pairs.append((None, None))  # objects outside every sheet
    for so, sn in pairs:
        shift = (0.0, 0.0)
        if so is not None and sn is not None:
            oo, on = _origin(so), _origin(sn)
            shift = (on[0] - oo[0], on[1] - oo[1])
        pair = SheetPair(
            old=so.label if so is not None else None,
            new=sn.label if sn is not None else None,
            shift=shift,
            renumbered=so is not None and sn is not None and so.sheet_no != sn.sheet_no,
        )
        objs_a = ia.get(so.index, []) if so is not None else ([] if sn is not None else ia.get(None, []))
        objs_b = ib.get(sn.index, []) if sn is not None else ([] if so is not None else ib.get(None, []))
        counts = _Matcher(a, b, shift, tolerance, pair.old, pair.new, diff.changes).run(objs_a, objs_b)
        pair.counts.update(counts)
        if so is not None or sn is not None:
            diff.sheets.append(pair)
    return diff


def changes_near(diff: DrawingDiff, geometry: Mapping[str, Any], radius: float) -> list[Change]:
    """Changes within ``radius`` metres of a GeoJSON geometry (new-round coordinates)."""
    target = shapely.geometry.shape(geometry).buffer(radius)
    return [
        c for c in diff.changes
        if shapely.geometry.shape(c.location).intersects(target)
        or (c.old_location is not None and shapely.geometry.shape(c.old_location).intersects(target))
    ]

