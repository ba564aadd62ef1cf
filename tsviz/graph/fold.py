"""Fold constants, attribute reads and constant lists into the labels of the nodes that use them."""
from __future__ import annotations

from dataclasses import replace

from tsviz.model.types import IRGraph, Node

_FOLDABLE_LISTS = ("prim::ListConstruct", "prim::TupleConstruct")
MAX_CONST_TEXT = 48


def count_text(graph: IRGraph, folded: IRGraph | None = None) -> str:
    """One node count everywhere (page, command line, report): the IR nodes, and how many are drawn once
    constants and attribute reads are folded into their users."""
    folded = folded if folded is not None else fold_constants(graph)
    shown = f" ({len(folded.nodes):,} drawn, constants folded)" if len(folded.nodes) != len(graph.nodes) else ""
    return f"{len(graph.nodes):,} IR nodes{shown}"


def fold_constants(graph: IRGraph) -> IRGraph:
    """Drop prim::Constant, prim::GetAttr and all-constant lists; their values move into `consts`.

    A constant used by hundreds of nodes is what makes Graphviz layout explode, and the
    folded label ("weight=fc1.weight") is what a reader wants to see anyway.
    """
    text: dict[str, str] = {}  # folded node id -> its value as printed
    for node in graph.nodes:
        folded = _folded_text(node, text)
        if folded is not None:
            text[node.id] = folded
    nodes = tuple(_with_consts(node, text) for node in graph.nodes if node.id not in text)
    edges = tuple(edge for edge in graph.edges if edge.src not in text)
    return IRGraph(nodes=nodes, edges=edges, blocks=graph.blocks)


def _folded_text(node: Node, text: dict[str, str]) -> str | None:
    attrs = dict(node.attrs)
    if node.kind == "prim::Constant":
        if "value" not in attrs:
            return "None"
        out_type = node.outputs[0].type if node.outputs else ""
        return repr(attrs["value"]) if out_type == "str" else attrs["value"]
    if node.kind == "prim::GetAttr":
        parent = text.get(node.inputs[0].source, "") if node.inputs else ""
        return f"{parent}.{attrs['name']}" if parent else attrs["name"]
    if node.kind in _FOLDABLE_LISTS and all(p.source in text for p in node.inputs):
        items = ", ".join(text[p.source] for p in node.inputs)
        return f"[{items}]" if node.kind == "prim::ListConstruct" else f"({items})"
    return None


def _with_consts(node: Node, text: dict[str, str]) -> Node:
    consts = tuple(
        (port.arg or port.value, _shorten(text[port.source])) for port in node.inputs if port.source in text
    )
    return replace(node, consts=consts) if consts else node


def _shorten(value: str) -> str:
    return value if len(value) <= MAX_CONST_TEXT else value[: MAX_CONST_TEXT - 1] + "…"
