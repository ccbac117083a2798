"""The block-graph budget: decide which blocks may be expanded before anything is expanded.

A DXF file describes its content compactly through blocks: a block holds entities and INSERTs of
other blocks, and a MINSERT places a block ``rows × cols`` times. Exploding that graph is where
hostile files do their damage. A self-referencing block or two blocks inserting each other make
ezdxf recurse until ``RecursionError``; a chain of a few hundred nested blocks exhausts the stack
of the renderer and of the recover auditor; a MINSERT of 10^6 × 10^6 copies or a "diamond
lattice" (two blocks per level, each inserting both blocks of the next level) asks for 10^12 or
2^60 virtual entities from a file of a few kilobytes. ezdxf loads all of these in milliseconds and
only fails in what comes after, so the loader builds the block graph from the BLOCKS section and
asks :func:`check_blocks` first.

The check is a single iterative pass (Tarjan's strongly connected components with an explicit
stack) with memoised depth and expansion counts: linear in the size of the graph, no recursion,
so neither a 10,000-deep chain nor a 60-level lattice can hurt it. Counts saturate at
``max_expanded + 1``: the answer is "more than the budget", never a 2^60 integer.

Nothing here imports ezdxf; the loader translates blocks into :class:`BlockNode` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["BlockBudget", "BlockNode", "block_key", "check_blocks"]


def block_key(name: str) -> str:
    """The key under which a block name is looked up.

    DXF block names are case-insensitive and ezdxf resolves an INSERT of ``"a"`` to the block
    ``"A"`` (it keys its block table by ``name.lower()``). The guard must resolve names exactly
    the same way: otherwise a block ``"A"`` inserting ``"a"`` would look like an insert of an
    undefined block here, and like a self-reference to ezdxf.
    """
    return name.lower()


@dataclass(frozen=True, slots=True)
class BlockNode:
    """One block definition, reduced to what its expansion costs.

    Attributes:
        entities: Entities in the block other than INSERTs.
        inserts: ``(child block name, copies)`` for each INSERT in the block; ``copies`` is
            ``rows × cols`` for a MINSERT, 1 for a plain INSERT. The loader must take the raw
            row and column counts, not ezdxf's ``Insert.mcount``: ``mcount`` reports 1 when the
            spacing is 0, yet ``Insert.multi_insert`` still loops over every row and column.
    """

    entities: int
    inserts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class BlockBudget:
    """What may be expanded, as computed by :func:`check_blocks`.

    Expansion counts are in virtual entities: the non-INSERT entities a block produces, plus one
    for every copy of a nested INSERT placed on the way. The placements are counted because
    placing them is work even when the block is empty (a MINSERT of 10^12 copies of an empty
    block costs ezdxf 10^12 iterations).

    Attributes:
        cyclic: Names of the blocks that are part of a reference cycle or reach one (a block
            inserting itself included). Expanding them never ends.
        too_deep: Names of the blocks, not cyclic, whose nesting depth exceeds ``max_depth``.
            A block holding no INSERT of a defined block has depth 1; a block inserting it, 2.
        expanded: For every defined block, the virtual entities one INSERT of it expands to,
            saturating at ``max_expanded + 1`` (cyclic blocks are at that cap).
        depth: For every defined block, its nesting depth, saturating at ``max_depth + 1``
            (cyclic blocks are at that cap).
        total: The expansion of the top-level INSERTs (each copy placed counts one, plus what it
            expands to), saturating at ``max_expanded + 1``.
        over_budget: ``total`` exceeds ``max_expanded``: the top-level INSERTs together expand
            beyond the budget, so the loader must stop expanding once the budget is spent, even
            among INSERTs of blocks that are expandable one at a time.
        max_depth: The nesting limit the budget was computed with.
        max_expanded: The entity budget the budget was computed with.
    """

    cyclic: frozenset[str]
    too_deep: frozenset[str]
    expanded: dict[str, int]
    depth: dict[str, int]
    total: int
    over_budget: bool
    max_depth: int
    max_expanded: int
    _allowed: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def expandable(self, name: str) -> bool:
        """Whether one INSERT of block ``name`` may be expanded.

        False for a block that is undefined, cyclic, nested deeper than ``max_depth``, or whose
        single expansion exceeds ``max_expanded``. Names are resolved case-insensitively, like
        ezdxf does.
        """
        return block_key(name) in self._allowed


def _saturate(value: int, cap: int) -> int:
    return value if value < cap else cap


def _merge(blocks: Mapping[str, BlockNode]) -> dict[str, tuple[int, list[tuple[str, int]]]]:
    """Key the blocks case-insensitively, merging names that collide (conservatively: summed)."""
    nodes: dict[str, tuple[int, list[tuple[str, int]]]] = {}
    for name, node in blocks.items():
        key = block_key(name)
        entities = max(node.entities, 0)
        children = [(block_key(child), max(copies, 1)) for child, copies in node.inserts]
        if key in nodes:
            prev_entities, prev_children = nodes[key]
            nodes[key] = (prev_entities + entities, prev_children + children)
        else:
            nodes[key] = (entities, children)
    return nodes


def _placements(copies: int, expanded: int, cap: int) -> int:
    """The cost of ``copies`` INSERTs of a block expanding to ``expanded``, saturating."""
    return _saturate(_saturate(copies, cap) * (1 + expanded), cap)


def check_blocks(
    blocks: Mapping[str, BlockNode],
    top: Iterable[tuple[str, int]],
    *,
    max_depth: int = 32,
    max_expanded: int = 1_000_000,
) -> BlockBudget:
    """Compute the block-graph budget of a drawing before any block is expanded.

    Args:
        blocks: Every block definition of the drawing, by name (as in the BLOCKS section).
        top: ``(block name, copies)`` for each INSERT of model space and paper space.
        max_depth: Deepest nesting allowed. ezdxf's renderer fails at 150–200 levels and its
            auditor near 1,000.
        max_expanded: Most virtual entities one drawing may expand to.

    Returns:
        The budget. Undefined block names are simply not expandable; they cost one per copy
        placed (the INSERT is still visited) and nothing more.

    Runs in time linear in the number of blocks and INSERTs, whatever the graph's shape, and
    never recurses.
    """
    cap_n = max_expanded + 1
    cap_d = max_depth + 1
    nodes = _merge(blocks)

    # Iterative Tarjan. A strongly connected component is completed only after every component
    # it reaches, so the children's depth and expansion are known when a component is closed.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    scc_stack: list[str] = []
    cyclic: set[str] = set()
    expanded: dict[str, int] = {}
    depth: dict[str, int] = {}
    counter = 0

    for root in sorted(nodes):
        if root in index:
            continue
        # Frames: (block key, position of the next child to visit).
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        scc_stack.append(root)
        on_stack.add(root)
        while work:
            key, pos = work[-1]
            children = nodes[key][1]
            descended = False
            while pos < len(children):
                child = children[pos][0]
                pos += 1
                if child not in nodes:
                    continue
                if child not in index:
                    work[-1] = (key, pos)
                    index[child] = low[child] = counter
                    counter += 1
                    scc_stack.append(child)
                    on_stack.add(child)
                    work.append((child, 0))
                    descended = True
                    break
                if child in on_stack:
                    low[key] = min(low[key], index[child])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[key])
            if low[key] != index[key]:
                continue
            component: list[str] = []
            while True:
                member = scc_stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == key:
                    break
            _close(component, nodes, cyclic, expanded, depth, cap_n, cap_d)

    total = 0
    for name, copies in top:
        key = block_key(name)
        total = _saturate(total + _placements(max(copies, 1), expanded.get(key, 0), cap_n), cap_n)

    # Report under the names the caller used.
    too_deep = {k for k, d in depth.items() if d > max_depth and k not in cyclic}
    names: dict[str, list[str]] = {}
    for name in blocks:
        names.setdefault(block_key(name), []).append(name)
    return BlockBudget(
        cyclic=frozenset(n for k in cyclic for n in names[k]),
        too_deep=frozenset(n for k in too_deep for n in names[k]),
        expanded={n: expanded[k] for k, ns in names.items() for n in ns},
        depth={n: depth[k] for k, ns in names.items() for n in ns},
        total=total,
        over_budget=total > max_expanded,
        max_depth=max_depth,
        max_expanded=max_expanded,
        _allowed=frozenset(
            k
            for k, count in expanded.items()
            if count <= max_expanded and k not in cyclic and k not in too_deep
        ),
    )


def _close(
    component: list[str],
    nodes: Mapping[str, tuple[int, list[tuple[str, int]]]],
    cyclic: set[str],
    expanded: dict[str, int],
    depth: dict[str, int],
    cap_n: int,
    cap_d: int,
) -> None:
    """Fill in depth and expansion for one completed strongly connected component."""
    key = component[0]
    entities, children = nodes[key]
    in_cycle = len(component) > 1 or any(child == key for child, _ in children)
    if in_cycle or any(child in cyclic for child, _ in children):
        for member in component:
            cyclic.add(member)
            expanded[member] = cap_n
            depth[member] = cap_d
        return
    count = entities
    deepest = 0
    for child, copies in children:
        child_count = expanded.get(child, 0)  # undefined blocks expand to nothing
        count = _saturate(count + _placements(copies, child_count, cap_n), cap_n)
        deepest = max(deepest, depth.get(child, 0))
    expanded[key] = _saturate(count, cap_n)
    depth[key] = min(deepest + 1, cap_d)
