"""IRGraph -> DOT text. No torch here: pure string building, deterministic byte for byte."""
from __future__ import annotations

import colorsys
import zlib
from collections.abc import Mapping

from tsviz.model.types import Block, IRGraph, Node

MAX_CONSTS_SHOWN = 5

# Fill colour by op family: the first pattern found in the op name wins.
_FAMILY_COLOURS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("conv",), "#c6dbef"),
    (("linear", "matmul", "addmm", "::mm", "bmm", "einsum", "embedding"), "#c7e9c0"),
    (("norm",), "#dadaeb"),
    (("pool",), "#fdd0a2"),
    (("relu", "gelu", "silu", "tanh", "sigmoid", "softmax", "elu", "hardswish", "dropout"), "#fde0ef"),
    (("prim::If", "prim::Loop", "higher_order::cond", "higher_order::while_loop"), "#fff2b2"),
    (("prim::CallMethod", "prim::CallFunction"), "#d9f0f7"),
)
_IO_COLOUR = "#e8e8e8"
# Emphasis marks a page can put on nodes: extra DOT attributes appended to the node's own.
MARKS = {
    "only": 'color="#c62828", penwidth=2.6',  # exists in only one of two compared graphs
    "selected": 'fillcolor="#ffe066", color="#1f4e9c", penwidth=3.2',  # made by the line the reader picked
    "match": 'color="#d81b60", penwidth=3.2',  # found by a search
}
_TRACED_COLOUR = "#ffd8b1"


def to_dot(graph: IRGraph, *, title: str = "", marks: Mapping[str, str] | None = None) -> str:
    """DOT text for `graph`: nodes first (inside nested block clusters), then edges.

    `marks` maps node ids to a key of MARKS, to emphasise those nodes.
    """
    lines = [
        "digraph tsviz {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.3'
        + (f', label="{_esc(title)}", labelloc=t' if title else "")
        + "];",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.08,0.04", '
        'penwidth=0.8];',
        '  edge [arrowsize=0.6, penwidth=0.8, color="#555555"];',
    ]
    children = _children(graph)
    lines += _container_lines(graph, children, "", "  ", marks or {})
    for edge in graph.edges:
        attrs = [f'tooltip="{_esc(edge.value + (": " + edge.type if edge.type else ""))}"']
        if edge.kind == "block_param":
            attrs += ["style=dashed", "constraint=false", 'color="#999999"']
        elif edge.kind == "block_return":
            attrs += ["style=dashed", 'color="#999999"']
        lines.append(f"  {_id(edge.src)} -> {_id(edge.dst)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def node_label(node: Node) -> str:
    """The lines of a node's label: what it is, folded inputs, output types, source line."""
    attrs = dict(node.attrs)
    if node.kind == "input":
        head = [f"input {attrs.get('name', '')}"]
    elif node.kind == "output":
        head = ["output"]
    elif node.kind == "prim::CallMethod":
        method = attrs.get("name", "forward")
        head = [f"{node.scope or 'self'}.{method}()", attrs.get("module", "") + ("  [traced]" if node.traced else "")]
    else:
        head = [node.kind]
    consts = [(k, v) for k, v in node.consts if k != "callee"]
    body = [f"{k}={v}" for k, v in consts[:MAX_CONSTS_SHOWN]]
    if len(consts) > MAX_CONSTS_SHOWN:
        body.append(f"(+{len(consts) - MAX_CONSTS_SHOWN} more)")
    types = ", ".join(v.type for v in node.outputs if v.type not in ("NoneType", ""))
    if types and node.kind != "input":
        body.append(f"-> {types}")
    elif types:
        body.append(types)
    if "collapsed" in attrs:
        body.append(f"[+] {attrs['collapsed']} nodes inside: double-click to open")
    if node.source is not None and node.source.user:
        head[0] += f"   L{node.source.line}"
    return "\n".join(line for line in head + body if line)


def _children(graph: IRGraph) -> dict[str, list[object]]:
    """Container id -> nodes and regions inside it. Regions ("r:<node>") wrap an If/Loop and its blocks."""
    owners = {block.owner for block in graph.blocks}
    children: dict[str, list[object]] = {"": []}
    for block in graph.blocks:
        children.setdefault(f"r:{block.owner}", []).append(block)
        children.setdefault(block.id, [])
    for node in graph.nodes:
        if node.id in owners:
            children.setdefault(node.block, []).append(f"r:{node.id}")
            children[f"r:{node.id}"].insert(0, node)
        else:
            children.setdefault(node.block, []).append(node)
    return children


def _container_lines(graph: IRGraph, children: dict[str, list[object]], key: str, indent: str,
                     marks: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for item in children.get(key, []):
        if isinstance(item, Node):
            lines.append(indent + _node_line(item, marks.get(item.id)))
        elif isinstance(item, Block):
            lines.append(f"{indent}subgraph {_id('cluster_' + item.id)} {{")
            lines.append(f'{indent}  label="{_esc(item.label)}"; style="rounded,dashed"; color="#888888"; fontsize=10;')
            lines += _container_lines(graph, children, item.id, indent + "  ", marks)
            lines.append(indent + "}")
        else:  # a region around an If / Loop node and its blocks
            owner = str(item)[2:]
            lines.append(f"{indent}subgraph {_id('cluster_' + owner)} {{")
            lines.append(f'{indent}  label=""; style="rounded,filled"; fillcolor="#fffbea"; color="#d4b106";')
            lines += _container_lines(graph, children, str(item), indent + "  ", marks)
            lines.append(indent + "}")
    return lines


def _node_line(node: Node, mark: str | None = None) -> str:
    label = node_label(node)
    attrs = [f'label="{_esc(label)}"', f'fillcolor="{_colour(node)}"', f'tooltip="{_esc(_tooltip(node, label))}"']
    if node.kind in ("input", "output"):
        attrs.append("shape=oval")
    elif node.kind in ("prim::If", "higher_order::cond"):
        attrs.append("shape=diamond")
    elif node.kind in ("prim::Loop", "higher_order::while_loop"):
        attrs.append("shape=hexagon")
    elif node.kind == "prim::CallMethod":
        attrs.append("shape=box3d")
    if mark:
        attrs.append(MARKS[mark])
    return f"{_id(node.id)} [{', '.join(attrs)}];"


def _id(text: str) -> str:
    """Every id quoted (and escaped), whatever it holds: the text can only ever be a name."""
    return f'"{_esc(text)}"'


def _tooltip(node: Node, label: str) -> str:
    extra = [f"{k}={v}" for k, v in node.consts[MAX_CONSTS_SHOWN:]]
    if node.scope:
        extra.append(f"scope: {node.scope}")
    if node.source is not None:
        extra.append(f"{node.source.file}:{node.source.line}")
    return "\n".join([label, *extra])


def _colour(node: Node) -> str:
    if node.kind in ("input", "output"):
        return _IO_COLOUR
    if node.traced:
        return _TRACED_COLOUR
    for patterns, colour in _FAMILY_COLOURS:
        if any(p in node.kind for p in patterns):
            return colour
    # A stable pastel from the op name: the same op gets the same colour in every run.
    hue = zlib.crc32(node.kind.encode()) % 360
    return _pastel(hue)


def _pastel(hue: int) -> str:
    r, g, b = colorsys.hls_to_rgb(hue / 360, 0.92, 0.45)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _esc(text: str) -> str:
    """Escape for a DOT double-quoted string: backslash, quote, newline (\\n centres each line)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
