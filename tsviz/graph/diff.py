"""Structure diff of two graphs (which nodes exist in only one), op counts side by side, and a .code diff. No torch."""
from __future__ import annotations

import difflib
import re
from collections import defaultdict

from tsviz.model.types import IRGraph, Node

_IGNORED = {"input", "output", "prim::Constant", "prim::GetAttr"}


def unmatched_nodes(left: IRGraph, right: IRGraph) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids of the nodes of `left` with no partner in `right`, and the other way round.

    Nodes pair up by op kind: first those that also share a line of the user's source, then those that share a
    module path, then the rest in graph order. TorchScript's prim::If / prim::Loop pair with torch.export's
    torch.cond / while_loop. What is left over is what one conversion has and the other has not: the branch
    a trace dropped, the copies of an unrolled loop, the size queries a trace froze.
    """
    left_nodes, right_nodes = _comparable(left), _comparable(right)
    paired_left: set[str] = set()
    paired_right: set[str] = set()
    for key in (_kind_and_line, _kind_and_scope, _kind):
        waiting: dict[tuple, list[str]] = defaultdict(list)
        for node in right_nodes:
            if node.id not in paired_right and key(node) is not None:
                waiting[key(node)].append(node.id)
        for node in left_nodes:
            if node.id in paired_left or key(node) is None or not waiting.get(key(node)):
                continue
            paired_left.add(node.id)
            paired_right.add(waiting[key(node)].pop(0))
    return (tuple(n.id for n in left_nodes if n.id not in paired_left),
            tuple(n.id for n in right_nodes if n.id not in paired_right))


def _comparable(graph: IRGraph) -> list[Node]:
    return [n for n in graph.nodes if n.kind not in _IGNORED]


_SAME_KIND = {"higher_order::cond": "prim::If", "higher_order::while_loop": "prim::Loop"}


def _kind_and_line(node: Node) -> tuple | None:
    line = node.source.line if node.source is not None and node.source.user else None
    return (_kind(node), line) if line else None  # no user line: it does not pair in this round


def _kind_and_scope(node: Node) -> tuple | None:
    return (_kind(node), node.scope) if node.scope else None


def _kind(node: Node) -> tuple:
    return (_SAME_KIND.get(node.kind, node.kind),)


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


_CONVS = ("aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::_convolution")


def op_changes(before: dict[str, int], after: dict[str, int]) -> list[tuple[str, int]]:
    """(kind, after - before) for every kind whose count changed: largest change first, then by name."""
    changed = [(kind, after.get(kind, 0) - before.get(kind, 0)) for kind in set(before) | set(after)]
    return sorted(((k, d) for k, d in changed if d), key=lambda kd: (-abs(kd[1]), kd[0]))


def _stem(kind: str) -> str:
    return re.sub(r"\d+d$", "", kind.partition("::")[2].strip("_"))


def pass_summary(name: str, before: dict[str, int], after: dict[str, int], most: int = 4) -> str:
    """One line for one pass: "freeze: 239 prim::GetAttr removed, 20 conv+bn folded, ...; 724 → 75 nodes".

    Batch norms that vanish while the convolutions stay were folded into them; ATen ops that vanish when a fusion
    group appears were fused into it; a kind that disappears while a kind of the same name and count appears was
    rewritten ("20 aten::conv2d became prim::mkldnn_convolution").
    """
    changes = dict(op_changes(before, after))
    parts = []
    folded = -changes.get("aten::batch_norm", 0)
    convs = sum(before.get(k, 0) for k in _CONVS) + before.get("prim::mkldnn_convolution", 0)
    if 0 < folded <= convs:
        parts.append(f"{folded} conv+bn folded")
        changes.pop("aten::batch_norm")
    groups = [k for k, d in changes.items() if d > 0 and "Group" in k]  # TensorExprGroup, CudaFusionGroup, ...
    if groups:  # the fused ops move into the group's subgraph: the ATen ops that vanished are what it holds
        fused = -sum(d for k, d in changes.items() if d < 0 and k.startswith("aten::"))
        parts += [f"{fused} aten ops fused into {sum(changes[g] for g in groups)} {', '.join(groups)}"]
        for kind in groups + [k for k, d in changes.items() if d < 0 and k.startswith("aten::")]:
            changes.pop(kind)
    added = {k: d for k, d in changes.items() if d > 0}
    for kind, delta in list(changes.items()):
        if delta >= 0 or kind not in changes:
            continue
        twin = next((k for k, d in added.items() if d == -delta and k in changes and _stem(kind) in k), None)
        if twin is not None:
            parts.append(f"{-delta} {kind} became {twin}")
            changes.pop(kind), changes.pop(twin)
    ordered = sorted(changes.items(), key=lambda kd: (-abs(kd[1]), kd[0]))
    parts += [f"{abs(d)} {k} {'removed' if d < 0 else 'added'}" for k, d in ordered]
    shown = parts[:most] + (
        [f"{len(parts) - most} more kind{'s' if len(parts) - most > 1 else ''} changed"] if len(parts) > most else []
    )
    total = f"{sum(before.values())} → {sum(after.values())} nodes"
    return f"{name}: {', '.join(shown)}; {total}" if shown else f"{name}: no change ({total})"
