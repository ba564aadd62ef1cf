"""What the graph page needs to walk a model: which submodule a node opens, the breadcrumb back up, search,
a node's details, source lines <-> nodes, .code lines <-> nodes, and collapsing if/loop regions. No torch."""
from __future__ import annotations

import re
from dataclasses import replace

from tsviz.graph.hazards import nodes_at_line
from tsviz.model.types import Edge, InspectResult, IRGraph, Node

_LINE_QUERY = re.compile(r"^(?:l|line\s*)(\d+)$", re.IGNORECASE)


def breadcrumb(entry: str, path: str) -> list[tuple[str, str]]:
    """(label, path) from the model down to `path`: [("Model", ""), ("layer1", "layer1"), ("0", "layer1.0")]."""
    crumbs = [(entry, "")]
    parts = path.split(".") if path else []
    for i, part in enumerate(parts):
        crumbs.append((part, ".".join(parts[: i + 1])))
    return crumbs


def opens(result: InspectResult, path: str, node: Node) -> str | None:
    """The submodule path a node opens (a submodule call whose own graph we have), else None."""
    if node.kind != "prim::CallMethod" or not node.scope:
        return None
    target = f"{path}.{node.scope}" if path else node.scope
    return target if result.view(target) is not None else None


def search(graph: IRGraph, query: str) -> list[str]:
    """Node ids matching `query`: an op kind ("conv2d", "aten::linear"), a line ("L20", "line 20"),
    or a value or module name ("x.1", "layer1"). Case-insensitive; graph inputs and outputs included."""
    query = query.strip()
    if not query:
        return []
    line = _LINE_QUERY.match(query)
    if line:
        return list(nodes_at_line(graph, int(line.group(1))))
    q = query.lower()
    found = []
    for node in graph.nodes:
        names = (
            [v.name for v in node.outputs]
            + [p.value for p in node.inputs]
            + [node.scope, dict(node.attrs).get("name", "")]
        )
        if q in node.kind.lower() or any(q == n.lower() or (len(q) > 2 and q in n.lower()) for n in names if n):
            found.append(node.id)
    return found


def node_details(graph: IRGraph, node_id: str) -> dict[str, object]:
    """What the page shows for a selected node: inputs and outputs with types, folded constants, scope, line."""
    node = next(n for n in graph.nodes if n.id == node_id)
    producers = {v.name: v.type for n in graph.nodes for v in n.outputs}
    return {
        "kind": node.kind,
        "scope": node.scope,
        "line": node.source.line if node.source is not None and node.source.user else None,
        "saved_from": node.source.saved_from if node.source is not None else "",
        "inputs": [(p.arg or f"#{i}", p.value, producers.get(p.value, "")) for i, p in enumerate(node.inputs)],
        "outputs": [(v.name, v.type) for v in node.outputs],
        "constants": list(node.consts),
        "attributes": [(k, v) for k, v in node.attrs if k != "collapsed"],
    }


# .code prints ops as calls; a node's line there is found by its kind's spelling, in graph order.
def _code_patterns(node: Node) -> list[str]:
    namespace, _, op = node.kind.partition("::")
    if node.kind == "prim::CallMethod":
        return [f"{node.scope}).{dict(node.attrs).get('name', 'forward')}(",
                f".{node.scope}.{dict(node.attrs).get('name', 'forward')}("]
    if node.kind == "prim::If":
        return ["if "]
    if node.kind == "prim::Loop":
        return ["for ", "while "]
    if namespace == "aten":
        return [f"torch.{op}(", f"torch.{op.rstrip('_')}_(", f"ops.aten.{op}(", f"torch.nn.functional.{op}("]
    return []


def code_lines(graph: IRGraph, code: str) -> dict[str, int]:
    """Node id -> 1-based line of `.code` that prints it, matched by op spelling in order (best effort:
    TorchScript keeps no map from graph nodes to .code lines)."""
    lines = code.splitlines()
    next_line: dict[str, int] = {}
    found: dict[str, int] = {}
    for node in graph.nodes:
        for pattern in _code_patterns(node):
            start = next_line.get(pattern, 0)
            hit = next((i for i in range(start, len(lines)) if pattern in lines[i]), None)
            if hit is not None:
                found[node.id] = hit + 1
                next_line[pattern] = hit + 1
                break
    return found


def collapse(graph: IRGraph, owners: set[str] | frozenset[str]) -> IRGraph:
    """`graph` with the regions of the given prim::If / prim::Loop nodes folded into those nodes.

    The hidden nodes' edges are redirected to the owner; the owner's label says how many nodes it hides.
    """
    if not owners:
        return graph
    block_owner = {b.id: b.owner for b in graph.blocks}
    parent = {b.id: b.parent for b in graph.blocks}

    def hidden_by(block: str) -> str | None:  # the outermost collapsed owner around this block
        found = None
        while block:
            if block_owner[block] in owners:
                found = block_owner[block]
            block = parent[block]
        return found

    into: dict[str, str] = {}
    for node in graph.nodes:
        owner = hidden_by(node.block) if node.block else None
        if owner is not None:
            into[node.id] = owner
    counts: dict[str, int] = {}
    for owner in into.values():
        counts[owner] = counts.get(owner, 0) + 1
    nodes = tuple(replace(n, attrs=n.attrs + (("collapsed", str(counts.get(n.id, 0))),)) if n.id in owners else n
                  for n in graph.nodes if n.id not in into)
    kept_blocks = tuple(b for b in graph.blocks if hidden_by(b.id) is None)
    edges: list[Edge] = []
    seen = set()
    for e in graph.edges:
        src, dst = into.get(e.src, e.src), into.get(e.dst, e.dst)
        if src == dst or (src, dst, e.value) in seen:
            continue
        seen.add((src, dst, e.value))
        edges.append(replace(e, src=src, dst=dst, kind="data") if (src, dst) != (e.src, e.dst) else e)
    return IRGraph(nodes=nodes, edges=tuple(edges), blocks=kept_blocks)


def region_owners(graph: IRGraph) -> list[str]:
    """The prim::If / prim::Loop nodes that own blocks: what can be collapsed."""
    owners = {b.owner for b in graph.blocks}
    return [n.id for n in graph.nodes if n.id in owners]


def stored_file(result: InspectResult, code_file: str) -> list[tuple[str, str]]:
    """A .pt's code file, as (line, where that line was first written) pairs: the archive's debug info, read from
    the nodes each line made ("" where no node says)."""
    listing = result.source.splitlines()
    header = f"# ---- {code_file} ----"
    if header not in listing:
        return []
    start = listing.index(header) + 1
    end = next((i for i in range(start, len(listing)) if listing[i].startswith("# ---- ")), len(listing))
    origins: dict[int, str] = {}
    for graph in [result.graph, *(v.graph for v in result.views)]:
        for node in graph.nodes:
            if node.source is not None and node.source.saved_from:
                origins.setdefault(node.source.line, node.source.saved_from)
    return [(listing[i], origins.get(i + 1, "")) for i in range(start, end)]
