"""Tests of the block-graph budget: bombs are caught cheaply, ordinary drawings pass untouched."""

from __future__ import annotations

import inspect
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawings.guard import BlockBudget, BlockNode, block_key, check_blocks

T = TypeVar("T")


@contextmanager
def shallow_stack(extra_frames: int = 40) -> Iterator[None]:
    """Allow only ``extra_frames`` Python frames beyond the current depth.

    A recursive implementation would need one frame per nesting level, so any graph deeper than
    this raises ``RecursionError`` inside the block.
    """
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + extra_frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def no_recursion(fn: Callable[[], T]) -> T:
    with shallow_stack():
        return fn()


def chain(depth: int, entities: int = 1, prefix: str = "C") -> dict[str, BlockNode]:
    return {
        f"{prefix}{i}": BlockNode(entities, ((f"{prefix}{i + 1}", 1),) if i + 1 < depth else ())
        for i in range(depth)
    }


def lattice(depth: int) -> dict[str, BlockNode]:
    """Two blocks per level, each inserting both blocks of the next level."""
    blocks = {}
    for level in range(depth):
        children = ((f"L{level + 1}A", 1), (f"L{level + 1}B", 1)) if level + 1 < depth else ()
        for side in "AB":
            blocks[f"L{level}{side}"] = BlockNode(1, children)
    return blocks


# --- ordinary drawings -----------------------------------------------------------------------


def test_plain_blocks_are_counted_exactly() -> None:
    blocks = {
        "DOOR": BlockNode(5),
        "WINDOW": BlockNode(3),
        "UNIT": BlockNode(10, (("DOOR", 2), ("WINDOW", 4))),
    }
    budget = check_blocks(blocks, [("UNIT", 1), ("DOOR", 3)])
    # UNIT: 10 own + 2 × (1 placement + 5) + 4 × (1 + 3)
    assert budget.expanded == {"DOOR": 5, "WINDOW": 3, "UNIT": 10 + 12 + 16}
    assert budget.depth == {"DOOR": 1, "WINDOW": 1, "UNIT": 2}
    assert budget.total == (1 + 38) + 3 * (1 + 5)
    assert not budget.over_budget
    assert budget.cyclic == frozenset() and budget.too_deep == frozenset()
    assert all(budget.expandable(name) for name in blocks)


def test_empty_drawing() -> None:
    budget = check_blocks({}, [])
    assert budget.total == 0 and not budget.over_budget and budget.expanded == {}
    assert not budget.expandable("ANY")


def test_minsert_counts_every_copy() -> None:
    budget = check_blocks({"COL": BlockNode(4)}, [("COL", 6 * 8)])
    assert budget.total == 48 * 5


def test_copies_below_one_count_as_one() -> None:
    """A corrupt MINSERT with 0 or negative rows must not make the budget smaller."""
    budget = check_blocks({"A": BlockNode(2), "B": BlockNode(0, (("A", 0),))}, [("B", -5)])
    assert budget.expanded["B"] == 3
    assert budget.total == 4


def test_placements_of_empty_blocks_cost() -> None:
    """10^12 copies of an empty block still cost 10^12 iterations in ezdxf."""
    budget = check_blocks({"EMPTY": BlockNode(0)}, [("EMPTY", 10**12)])
    assert budget.over_budget
    assert budget.expandable("EMPTY")  # one copy is harmless; the top-level MINSERT is not


# --- undefined blocks ------------------------------------------------------------------------


def test_undefined_blocks_are_not_expandable_and_do_not_poison_parents() -> None:
    blocks = {"P": BlockNode(2, (("MISSING", 3),))}
    budget = check_blocks(blocks, [("P", 1), ("ALSO_MISSING", 2)])
    assert not budget.expandable("MISSING")
    assert not budget.expandable("ALSO_MISSING")
    assert budget.expandable("P")
    assert budget.expanded == {"P": 2 + 3}
    assert budget.depth == {"P": 1}
    assert budget.total == (1 + 5) + 2
    assert "MISSING" not in budget.expanded


# --- cycles ----------------------------------------------------------------------------------


def test_self_reference() -> None:
    budget = check_blocks({"SELF": BlockNode(1, (("SELF", 1),))}, [("SELF", 1)])
    assert budget.cyclic == {"SELF"}
    assert budget.too_deep == frozenset()
    assert not budget.expandable("SELF")
    assert budget.over_budget
    assert budget.expanded["SELF"] == budget.max_expanded + 1


def test_mutual_recursion_and_blocks_reaching_it() -> None:
    blocks = {
        "A": BlockNode(1, (("B", 1),)),
        "B": BlockNode(1, (("A", 1),)),
        "OUTER": BlockNode(1, (("A", 1),)),
        "SIDE": BlockNode(1),
        "USES_SIDE": BlockNode(1, (("SIDE", 2),)),
    }
    budget = check_blocks(blocks, [("USES_SIDE", 1)])
    assert budget.cyclic == {"A", "B", "OUTER"}
    assert not budget.over_budget  # the cycle is never inserted at the top
    assert [n for n in blocks if budget.expandable(n)] == ["SIDE", "USES_SIDE"]


def test_long_cycle() -> None:
    blocks = chain(5000)
    blocks["C4999"] = BlockNode(1, (("C0", 1),))
    blocks["ENTRY"] = BlockNode(1, (("C2500", 1),))
    budget = no_recursion(lambda: check_blocks(blocks, [("ENTRY", 1)]))
    assert budget.cyclic == set(blocks)


def test_names_are_case_insensitive_like_ezdxf() -> None:
    """``A`` inserting ``a`` is a self-reference to ezdxf, so it must be one here too."""
    budget = check_blocks({"A": BlockNode(1, (("a", 1),))}, [("a", 1)])
    assert budget.cyclic == {"A"}
    assert not budget.expandable("a")
    ok = check_blocks({"Door": BlockNode(3)}, [("DOOR", 2)])
    assert ok.expandable("DOOR") and ok.expandable("door")
    assert ok.total == 8
    assert block_key("Door") == block_key("DOOR")


def test_names_differing_only_in_case_are_merged_conservatively() -> None:
    budget = check_blocks({"X": BlockNode(2), "x": BlockNode(3)}, [("X", 1)])
    assert budget.expanded == {"X": 5, "x": 5}
    assert budget.total == 6


# --- depth -----------------------------------------------------------------------------------


def test_depth_limit_is_inclusive() -> None:
    at_limit = check_blocks(chain(32), [("C0", 1)], max_depth=32)
    assert at_limit.too_deep == frozenset()
    assert at_limit.depth["C0"] == 32
    over = check_blocks(chain(33), [("C0", 1)], max_depth=32)
    assert over.too_deep == {"C0"}
    assert not over.expandable("C0") and over.expandable("C1")
    assert not over.over_budget  # depth is reported separately from the entity budget


def test_chain_of_10000_levels() -> None:
    blocks = chain(10_000)
    start = time.perf_counter()
    budget = no_recursion(lambda: check_blocks(blocks, [("C0", 1)]))
    assert time.perf_counter() - start < 2.0
    assert len(budget.too_deep) == 10_000 - 32
    assert budget.expandable("C9968") and not budget.expandable("C9967")
    assert budget.depth["C0"] == 33  # saturated at max_depth + 1
    assert budget.expanded["C0"] == 10_000 + 9_999  # entities plus nested placements
    assert budget.cyclic == frozenset()


# --- expansion bombs -------------------------------------------------------------------------


def test_minsert_of_10_to_the_12() -> None:
    blocks = {"CELL": BlockNode(1)}
    budget = check_blocks(blocks, [("CELL", 10**6 * 10**6)])
    assert budget.over_budget
    assert budget.total == budget.max_expanded + 1
    assert budget.expandable("CELL")


def test_nested_minsert() -> None:
    blocks = {
        "L0": BlockNode(1),
        "L1": BlockNode(0, (("L0", 100 * 100),)),
        "L2": BlockNode(0, (("L1", 100 * 100),)),
    }
    budget = check_blocks(blocks, [("L2", 100 * 100)])
    assert budget.expanded["L1"] == 20_000
    assert budget.expanded["L2"] == budget.max_expanded + 1
    assert not budget.expandable("L2") and budget.expandable("L1")
    assert budget.over_budget and budget.total == budget.max_expanded + 1


def test_diamond_lattice_60_levels_in_milliseconds() -> None:
    blocks = lattice(60)
    start = time.perf_counter()
    budget = no_recursion(lambda: check_blocks(blocks, [("L0A", 1)], max_depth=100))
    elapsed = time.perf_counter() - start
    assert elapsed < 0.1, f"{elapsed:.3f} s"
    assert budget.expanded["L0A"] == budget.max_expanded + 1
    assert budget.over_budget
    # Level k expands to 2^(61-k) - 3 virtual entities: 1,021 at level 51, 2^31 at level 30.
    assert budget.expandable("L50A")
    assert not budget.expandable("L30A")
    assert budget.depth["L0A"] == 60


def test_huge_counts_never_become_huge_integers() -> None:
    budget = check_blocks(
        {"A": BlockNode(10**30, (("B", 10**40),)), "B": BlockNode(10**30)}, [("A", 10**50)]
    )
    cap = budget.max_expanded + 1
    assert budget.total == cap and budget.expanded == {"A": cap, "B": cap}


def test_custom_limits() -> None:
    budget = check_blocks({"B": BlockNode(10)}, [("B", 9)], max_expanded=99, max_depth=1)
    assert budget.total == 99 and not budget.over_budget
    budget = check_blocks({"B": BlockNode(10)}, [("B", 10)], max_expanded=99, max_depth=1)
    assert budget.total == 100 and budget.over_budget
    assert budget.max_expanded == 99 and budget.max_depth == 1


def test_result_is_immutable() -> None:
    budget = check_blocks({"B": BlockNode(1)}, [])
    with pytest.raises(AttributeError):
        budget.total = 5  # type: ignore[misc]


# --- properties ------------------------------------------------------------------------------

NAMES = [f"b{i}" for i in range(10)]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[str, BlockNode], list[tuple[str, int]]]:
    """Random block graphs with cycles, undefined names, huge counts and repeated edges."""
    defined = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    referable = NAMES + ["missing"]
    copies = st.one_of(st.integers(1, 5), st.integers(1, 10**13))
    blocks = {
        name: BlockNode(
            draw(st.integers(0, 10**7)),
            tuple(draw(st.lists(st.tuples(st.sampled_from(referable), copies), max_size=4))),
        )
        for name in defined
    }
    top = draw(st.lists(st.tuples(st.sampled_from(referable), copies), max_size=5))
    return blocks, top


def reference(
    blocks: Mapping[str, BlockNode], top: list[tuple[str, int]], max_depth: int, max_n: int
) -> tuple[set[str], dict[str, int], dict[str, int], int]:
    """A deliberately naive oracle: reachability for cycles, exact integers for counts."""
    edges = {n: [c for c, _ in b.inserts if c in blocks] for n, b in blocks.items()}

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        return seen

    reach = {n: reachable(n) for n in blocks}
    in_cycle = {n for n in blocks if n in reach[n]}
    cyclic = {n for n in blocks if n in in_cycle or reach[n] & in_cycle}
    exact: dict[str, int] = {}
    depth: dict[str, int] = {}
    # Acyclic part: evaluate in an order where children come first (by reach size).
    for name in sorted(set(blocks) - cyclic, key=lambda n: len(reach[n])):
        node = blocks[name]
        exact[name] = node.entities + sum(
            c * (1 + exact.get(child, 0)) for child, c in node.inserts
        )
        depth[name] = 1 + max((depth[c] for c, _ in node.inserts if c in blocks), default=0)
    cap = max_n + 1
    expanded = {n: min(exact[n], cap) if n in exact else cap for n in blocks}
    depths = {n: min(depth[n], max_depth + 1) if n in depth else max_depth + 1 for n in blocks}
    total = 0
    for name, c in top:
        total += c * (1 + (cap if name in cyclic else exact.get(name, 0)))
    return cyclic, expanded, depths, min(total, cap)


@settings(max_examples=300, deadline=None)
@given(graphs(), st.integers(1, 6), st.integers(0, 10**8))
def test_matches_naive_reference(
    graph: tuple[dict[str, BlockNode], list[tuple[str, int]]], max_depth: int, max_n: int
) -> None:
    blocks, top = graph
    budget = check_blocks(blocks, top, max_depth=max_depth, max_expanded=max_n)
    cyclic, expanded, depths, total = reference(blocks, top, max_depth, max_n)
    assert budget.cyclic == cyclic
    assert budget.expanded == expanded
    assert budget.depth == depths
    assert budget.total == total
    assert budget.over_budget == (total > max_n)
    assert budget.too_deep == {n for n in blocks if depths[n] > max_depth and n not in cyclic}
    for name in [*NAMES, "missing"]:
        assert budget.expandable(name) == (
            name in blocks
            and name not in cyclic
            and depths[name] <= max_depth
            and expanded[name] <= max_n
        )


@settings(max_examples=200, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_never_exceeds_cap_never_recurses_and_ignores_order(
    graph: tuple[dict[str, BlockNode], list[tuple[str, int]]], rnd: random.Random
) -> None:
    blocks, top = graph
    budget = no_recursion(lambda: check_blocks(blocks, top, max_depth=3, max_expanded=1000))
    assert budget.total <= 1001
    assert all(0 <= v <= 1001 for v in budget.expanded.values())
    assert all(1 <= d <= 4 for d in budget.depth.values())

    items = list(blocks.items())
    rnd.shuffle(items)
    shuffled_top = list(top)
    rnd.shuffle(shuffled_top)
    again = check_blocks(dict(items), shuffled_top, max_depth=3, max_expanded=1000)
    assert again == budget
    assert [again.expandable(n) for n in NAMES] == [budget.expandable(n) for n in NAMES]


@settings(max_examples=25, deadline=None)
@given(st.integers(500, 3000), st.integers(0, 3))
def test_deep_random_chains_never_recurse(depth: int, loop_at: int) -> None:
    blocks = chain(depth)
    if loop_at:
        blocks[f"C{depth - 1}"] = BlockNode(1, ((f"C{depth // loop_at - 1}", 1),))
    budget = no_recursion(lambda: check_blocks(blocks, [("C0", 1)]))
    assert isinstance(budget, BlockBudget)
    assert ("C0" in budget.cyclic) == bool(loop_at)
