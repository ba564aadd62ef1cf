"""Structure diff of two graphs (which nodes exist in only one), op counts side by side, and a .code diff. No torch."""
from __future__ import annotations

import difflib
from collections import defaultdict

from tsviz.types import IRGraph, Node

_IGNORED = {"input", "output", "prim::Constant", "prim::GetAttr"}


def unmatched_nodes(left: IRGraph, right: IRGraph) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids of the nodes of `left` with no partner in `right`, and the other way round.

    Nodes pair up by op kind: first those that also share a line of the user's source, then the rest
    in graph order. What is left over is what one conversion has and the other has not: the branch
    a trace dropped, the copies of an unrolled loop, the size queries a trace froze.
    """
    left_nodes, right_nodes = _comparable(left), _comparable(right)
    paired_left: set[str] = set()
    paired_right: set[str] = set()
    for key in (_kind_and_line, _kind):
        waiting: dict[tuple, list[str]] = defaultdict(list)
        for node in right_nodes:
            if node.id not in paired_right:
                waiting[key(node)].append(node.id)
        for node in left_nodes:
            if node.id in paired_left or not waiting.get(key(node)):
                continue
            paired_left.add(node.id)
            paired_right.add(waiting[key(node)].pop(0))
    return (tuple(n.id for n in left_nodes if n.id not in paired_left),
            tuple(n.id for n in right_nodes if n.id not in paired_right))


def _comparable(graph: IRGraph) -> list[Node]:
    return [n for n in graph.nodes if n.kind not in _IGNORED]


def _kind_and_line(node: Node) -> tuple:
    line = node.source.line if node.source is not None and node.source.user else None
    return (node.kind, line) if line else (node.kind, None, node.id)  # no user line: never pairs in this round


def _kind(node: Node) -> tuple:
    return (node.kind,)


def op_count_rows(graphs: dict[str, IRGraph]) -> list[dict[str, object]]:
    """One row per op: its count in each graph; rows that differ first, then by op name."""
    counts = {name: graph.op_counts() for name, graph in graphs.items()}
    ops = sorted(set().union(*counts.values())) if counts else []
    rows = [{"op": op, **{name: counts[name].get(op, 0) for name in graphs}} for op in ops]
    return sorted(rows, key=lambda row: (len({row[name] for name in graphs}) == 1, row["op"]))


def code_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """A unified diff of two .code texts ("" when they are the same)."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=before_name, tofile=after_name, n=2))
