"""Block expansion under the block-graph budget.

The budget (``drawings.guard``) is computed on the whole block graph first; only blocks it
declares expandable are copied, each block is flattened once and memoised, and every INSERT costs
one matrix product. Layer-0 content takes the layer of the INSERT that places it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drawings.content import Content, Flat, InsertRec, concat
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


class _Expander:
    def __init__(self, raw: RawDrawing, budget: BlockBudget) -> None:
        self.raw = raw
        self.budget = budget
        self.memo: dict[str, Flat] = {}

    def flat(self, key: str) -> Flat:
        """The fully expanded content of one (expandable) block, in block coordinates."""
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        block = self.raw.blocks[key]
        base = block.content.to_flat(inherit_zero=True)
        parts = [base]
        flags = [False]
        for ins in block.content.inserts:
            child = block_key(ins.name)
            if child not in self.raw.blocks or not self.budget.expandable(child):
                continue
            inner = self.flat(child)
            layer = None if ins.layer == "0" else ins.layer
            for m in ins.matrices():
                parts.append(inner.transformed(m, layer, None))
                flags.append(False)
        result = concat(parts, flags) if len(parts) > 1 else base
        result.in_block = None
        self.memo[key] = result
        return result


def expand_model(raw: RawDrawing, limits: IngestLimits) -> Expansion:
    """Expand every top-level INSERT of model space that the budget allows."""
    model = raw.model
    top = [(i.name, i.copies) for i in model.inserts]
    budget = check_blocks(
        _graph(raw.blocks),
        top,
        max_depth=limits.max_block_depth,
        max_expanded=limits.max_expanded,
    )
    exp = _Expander(raw, budget)
    out = Expansion(flat=model.to_flat(inherit_zero=False), budget=budget)
    for block in raw.blocks.values():
        if block.is_xref:
            out.xrefs[block.name] = block.xref_path
    parts = [out.flat]
    flags = [False]
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
        cost = budget.expanded.get(key, 0) * ins.copies
        if used + cost > limits.max_expanded:
            out.over_budget.append(ins.handle)
            continue
        used += cost
        inner = exp.flat(key)
        for m in ins.matrices():
            parts.append(inner.transformed(m, ins.layer, ins.handle))
            flags.append(True)
    out.flat = concat(parts, flags)
    out.expanded_entities = used
    for key in exp.memo:
        out.extents[key] = exp.memo[key].extents()
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


def layout_content(raw: RawDrawing) -> dict[str, Content]:
    """Paper-space contents keyed by layout block name."""
    return dict(raw.paper)


def top_inserts(flat: Flat) -> list[InsertRec]:
    """Every INSERT record of the expanded model (top-level and nested)."""
    return flat.inserts
