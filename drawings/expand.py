"""Block expansion under the block-graph budget.

The budget (``drawings.guard``) is computed on the whole block graph first; only blocks it
declares expandable are copied, each block is flattened once and memoised, and every INSERT costs
one matrix product. Layer-0 content takes the layer of the INSERT that places it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drawings.content import (
    Affine,
    Content,
    Flat,
    InsertRec,
    IntArray,
    compose,
    concat,
    handle_code,
    ranges,
    reorder,
)
from drawings.guard import BlockBudget, BlockNode, block_key, check_blocks
from drawings.limits import IngestLimits
from drawings.reader import BlockDef, RawDrawing

__all__ = ["Expansion", "expand_model"]


@dataclass(slots=True)
class Expansion:
    """The expanded model space (drawing units) and what was not expanded, and why."""

    flat: Flat
    budget: BlockBudget
    cyclic: list[str] = field(default_factory=list)  # INSERT handles
    too_deep: list[str] = field(default_factory=list)
    over_budget: list[str] = field(default_factory=list)
    undefined: dict[str, list[str]] = field(default_factory=dict)  # block name -> handles
    xrefs: dict[str, str] = field(default_factory=dict)  # xref block name -> path
    extents: dict[str, tuple[float, float, float, float] | None] = field(default_factory=dict)
    expanded_entities: int = 0


def _graph(blocks: dict[str, BlockDef]) -> dict[str, BlockNode]:
    out: dict[str, BlockNode] = {}
    for key, block in blocks.items():
        c = block.content
        out[key] = BlockNode(
            entities=len(c.kind) + len(c.texts),
            inserts=tuple((i.name, i.copies) for i in c.inserts),
        )
    return out


LayerSizes = dict[str | None, list[int]]
"""Per layer (``None``: inherited from the INSERT) the ``[vertices, paths, entities]`` of an
expansion."""


@dataclass(slots=True)
class _Sorted:
    """A block's expanded content ordered by layer, with the layer runs ``(layer, e0, e1)``."""

    flat: Flat
    runs: list[tuple[str | None, int, int]]


def _runs(layers: list[str | None]) -> list[tuple[str | None, int, int]]:
    out: list[tuple[str | None, int, int]] = []
    start = 0
    for k in range(1, len(layers) + 1):
        if k == len(layers) or layers[k] != layers[start]:
            out.append((layers[start], start, k))
            start = k
    return out


def _sort_by_layer(flat: Flat) -> _Sorted:
    """Order a (small) block expansion by layer so each layer is one run."""
    ids: dict[str | None, int] = {}
    keys = np.fromiter(
        (ids.setdefault(name, len(ids)) for name in flat.layer),
        dtype=np.int64,
        count=len(flat.layer),
    )
    if len(ids) > 1 and (np.diff(keys) < 0).any():
        flat = reorder(flat, np.argsort(keys, kind="stable"))
    return _Sorted(flat, _runs(flat.layer))


def _entity_sizes(c: Content) -> tuple[IntArray, IntArray]:
    """Vertices and paths of each entity of a ``Content``."""
    n = len(c.kind)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    path_start = np.append(np.frombuffer(c.path_start, dtype=np.int64), len(c.xy) // 2)
    ent_path = np.append(np.frombuffer(c.ent_path, dtype=np.int64), len(c.path_start))
    paths = np.diff(ent_path)
    verts = path_start[ent_path[1:]] - path_start[ent_path[:-1]]
    return verts, paths


class _Expander:
    """Flattens blocks on demand; keeps only blocks used more than once (the rest are written
    straight into the output and dropped, so thousands of one-off dimension blocks cost nothing).
    """

    def __init__(self, raw: RawDrawing, budget: BlockBudget) -> None:
        self.raw = raw
        self.budget = budget
        self.memo: dict[str, _Sorted] = {}
        self.sizes: dict[str, LayerSizes] = {}
        self.refs: dict[str, int] = {}
        self.extents: dict[str, tuple[float, float, float, float] | None] = {}

    def _children(self, key: str) -> list[tuple[str, InsertRec]]:
        out = []
        for ins in self.raw.blocks[key].content.inserts:
            child = block_key(ins.name)
            if child in self.raw.blocks and self.budget.expandable(child):
                out.append((child, ins))
        return out

    def size(self, key: str) -> LayerSizes:
        """Per-layer size of one expansion, computed without building it."""
        known = self.sizes.get(key)
        if known is not None:
            return known
        c = self.raw.blocks[key].content
        out: LayerSizes = {}
        verts, paths = _entity_sizes(c)
        for raw_name, v, p in zip(c.layer, verts.tolist(), paths.tolist(), strict=True):
            acc = out.setdefault(None if raw_name == "0" else raw_name, [0, 0, 0])
            acc[0] += v
            acc[1] += p
            acc[2] += 1
        for child, ins in self._children(key):
            inherit = None if ins.layer == "0" else ins.layer
            copies = ins.copies
            for sub, (v, p, e) in self.size(child).items():
                acc = out.setdefault(inherit if sub is None else sub, [0, 0, 0])
                acc[0] += v * copies
                acc[1] += p * copies
                acc[2] += e * copies
            self.refs[child] = self.refs.get(child, 0) + copies
        self.sizes[key] = out
        return out

    def flat(self, key: str) -> _Sorted:
        """The fully expanded content of one (expandable) block, in block coordinates."""
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        block = self.raw.blocks[key]
        base = block.content.to_flat(inherit_zero=True)
        parts = [base]
        flags = [False]
        for child, ins in self._children(key):
            inner = self.flat(child).flat
            layer = None if ins.layer == "0" else ins.layer
            for m in ins.matrices():
                parts.append(inner.transformed(m, layer, None))
                flags.append(False)
        result = concat(parts, flags) if len(parts) > 1 else base
        result.in_block = None
        if key not in self.extents:
            self.extents[key] = result.extents()
        out = _sort_by_layer(result)
        if self.refs.get(key, 0) > 1:
            self.memo[key] = out
        return out


def _final(name: str | None) -> str:
    return "0" if name is None else name


def expand_model(raw: RawDrawing, limits: IngestLimits, unit: float = 1.0) -> Expansion:
    """Expand every top-level INSERT of model space that the budget allows, scaled to metres.

    The output is ordered by layer, so that display layers and the geometry store can be views
    into one vertex array. Two passes: the first decides which references are expanded (budget)
    and sizes every layer, the second writes model-space entities and every block copy straight
    into their layer's place in preallocated arrays: no intermediate copy of the drawing is held.
    """
    model = raw.model
    top = [(i.name, i.copies) for i in model.inserts]
    budget = check_blocks(
        _graph(raw.blocks),
        top,
        max_depth=limits.max_block_depth,
        max_expanded=limits.max_expanded,
    )
    exp = _Expander(raw, budget)
    out = Expansion(flat=Content().to_flat(inherit_zero=False), budget=budget)
    for block in raw.blocks.values():
        if block.is_xref:
            out.xrefs[block.name] = block.xref_path
    scale: Affine = (unit, 0.0, 0.0, unit, 0.0, 0.0)
    # pass 1: what is expanded, and how big each layer is
    jobs: list[tuple[InsertRec, str]] = []
    used = 0
    for ins in model.inserts:
        key = block_key(ins.name)
        if key not in raw.blocks:
            out.undefined.setdefault(ins.name, []).append(ins.handle)
            continue
        if raw.blocks[key].is_xref:
            continue
        if not budget.expandable(key):
            if key in budget.cyclic:
                out.cyclic.append(ins.handle)
            elif key in budget.too_deep:
                out.too_deep.append(ins.handle)
            else:
                out.over_budget.append(ins.handle)
            continue
        cost = (1 + budget.expanded.get(key, 0)) * ins.copies  # each copy placed counts
        if used + cost > limits.max_expanded:
            out.over_budget.append(ins.handle)
            continue
        used += cost
        jobs.append((ins, key))
        exp.refs[key] = exp.refs.get(key, 0) + ins.copies
    totals: dict[str, list[int]] = {}
    m_verts, m_paths = _entity_sizes(model)
    m_names = sorted(set(model.layer))
    m_lid = {name: k for k, name in enumerate(m_names)}
    m_key = np.fromiter((m_lid[n] for n in model.layer), dtype=np.int64, count=len(model.layer))
    if len(m_names):
        for k, (v, p, e) in enumerate(
            zip(
                np.bincount(m_key, weights=m_verts, minlength=len(m_names))
                .astype(np.int64)
                .tolist(),
                np.bincount(m_key, weights=m_paths, minlength=len(m_names))
                .astype(np.int64)
                .tolist(),
                np.bincount(m_key, minlength=len(m_names)).tolist(),
                strict=True,
            )
        ):
            totals[m_names[k]] = [v, p, e]
    for ins, key in jobs:
        inherit = None if ins.layer == "0" else ins.layer
        for name, (v, p, e) in exp.size(key).items():
            acc = totals.setdefault(_final(inherit if name is None else name), [0, 0, 0])
            acc[0] += v * ins.copies
            acc[1] += p * ins.copies
            acc[2] += e * ins.copies
    names = sorted(totals)
    cursor: dict[str, list[int]] = {}
    v_tot = p_tot = e_tot = 0
    for name in names:
        cursor[name] = [v_tot, p_tot, e_tot]
        v_tot += totals[name][0]
        p_tot += totals[name][1]
        e_tot += totals[name][2]
    xy = np.empty((v_tot, 2), dtype=np.float64)
    path_start = np.empty(p_tot + 1, dtype=np.int64)
    ent_path = np.empty(e_tot + 1, dtype=np.int64)
    kind: list[str] = [""] * e_tot
    layer: list[str | None] = [None] * e_tot
    handle = np.empty(e_tot, dtype=np.int64)
    closed = np.zeros(e_tot, dtype=bool)
    in_block = np.zeros(e_tot, dtype=bool)
    # pass 2a: model space itself, one layer run at a time
    if len(model.kind):
        m_xy = np.frombuffer(model.xy, dtype=np.float64).reshape(-1, 2)
        m_ps = np.append(np.frombuffer(model.path_start, dtype=np.int64), len(m_xy))
        m_ep = np.append(np.frombuffer(model.ent_path, dtype=np.int64), len(model.path_start))
        m_handle = np.frombuffer(model.handle, dtype=np.int64)
        m_closed = np.frombuffer(bytes(model.closed), dtype=np.uint8).astype(bool)
        order = np.argsort(m_key, kind="stable")
        bounds = np.searchsorted(m_key[order], np.arange(len(m_names) + 1))
        for k, name in enumerate(m_names):
            ents = order[bounds[k] : bounds[k + 1]]
            cv, cp, ce = cursor[name]
            ne = len(ents)
            p0, p1 = m_ep[ents], m_ep[ents + 1]
            paths = ranges(p0, p1)
            v0, v1 = m_ps[paths], m_ps[paths + 1]
            lengths = v1 - v0
            path_start[cp : cp + len(paths)] = cv + np.concatenate([[0], np.cumsum(lengths)[:-1]])
            ent_path[ce : ce + ne] = cp + np.concatenate([[0], np.cumsum(p1 - p0)[:-1]])
            pos = cv
            for b0 in range(0, len(paths), 20_000):
                b1 = min(b0 + 20_000, len(paths))
                vidx = ranges(v0[b0:b1], v1[b0:b1])
                xy[pos : pos + len(vidx)] = m_xy[vidx] * unit
                pos += len(vidx)
            ent_list = ents.tolist()
            kind[ce : ce + ne] = [model.kind[i] for i in ent_list]
            layer[ce : ce + ne] = [name] * ne
            handle[ce : ce + ne] = m_handle[ents]
            closed[ce : ce + ne] = m_closed[ents]
            cursor[name] = [pos, cp + len(paths), ce + ne]
        del m_xy, m_ps, m_ep, m_handle, m_closed, order
    # pass 2b: every block copy, run by run
    # Model-space texts and references are scaled in place: they are not needed unscaled.
    texts = model.texts
    for t in texts:
        t.x, t.y, t.cx, t.cy, t.height = (
            t.x * unit,
            t.y * unit,
            t.cx * unit,
            t.cy * unit,
            t.height * unit,
        )
    inserts = model.inserts
    for i in inserts:
        i.matrix = compose(scale, i.matrix)
        i.col_step = (i.col_step[0] * unit, i.col_step[1] * unit)
        i.row_step = (i.row_step[0] * unit, i.row_step[1] * unit)
    raw.model = Content()  # everything needed from it is in the output now
    raw.model.entity_count = model.entity_count
    del model
    for ins, key in jobs:
        sorted_inner = exp.flat(key)
        inner = sorted_inner.flat
        inherit = None if ins.layer == "0" else ins.layer
        code = handle_code(ins.handle)
        for total in ins.matrices():
            a, b, c, d, tx, ty = total
            rot = np.array([[a, c], [b, d]])
            for run_layer, e0, e1 in sorted_inner.runs:
                name = _final(inherit if run_layer is None else run_layer)
                cv, cp, ce = cursor[name]
                q0, q1 = int(inner.ent_path[e0]), int(inner.ent_path[e1])
                w0, w1 = int(inner.path_start[q0]), int(inner.path_start[q1])
                nv, npth, ne = w1 - w0, q1 - q0, e1 - e0
                if nv:
                    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf dropped later
                        np.matmul(inner.xy[w0:w1], rot, out=xy[cv : cv + nv])
                        xy[cv : cv + nv] += (tx, ty)
                path_start[cp : cp + npth] = inner.path_start[q0:q1] - w0 + cv
                ent_path[ce : ce + ne] = inner.ent_path[e0:e1] - q0 + cp
                kind[ce : ce + ne] = inner.kind[e0:e1]
                layer[ce : ce + ne] = [name] * ne
                handle[ce : ce + ne] = code
                closed[ce : ce + ne] = inner.closed[e0:e1]
                in_block[ce : ce + ne] = True
                cursor[name] = [cv + nv, cp + npth, ce + ne]
            if inner.texts or inner.inserts:
                moved = inner.transformed_records(total, inherit, ins.handle)
                texts += moved[0]
                inserts += moved[1]
    path_start[p_tot] = v_tot
    ent_path[e_tot] = p_tot
    out.flat = Flat(
        xy=xy,
        path_start=path_start,
        ent_path=ent_path,
        kind=kind,
        layer=layer,
        handle=handle,
        closed=closed,
        texts=texts,
        inserts=inserts,
        in_block=in_block,
    )
    out.expanded_entities = used
    out.extents.update(exp.extents)
    return out


def block_extents(
    raw: RawDrawing, expansion: Expansion, name: str
) -> tuple[float, float, float, float] | None:
    """Extents of a block in its own coordinates (expanded when allowed, else as drawn)."""
    key = block_key(name)
    if key in expansion.extents:
        return expansion.extents[key]
    block = raw.blocks.get(key)
    if block is None:
        return None
    ext = block.content.to_flat(inherit_zero=True).extents()
    expansion.extents[key] = ext
    return ext
