"""Walking the graph page: the open submodule, the selected node or source line, the folded if/loop regions.

The walk lives in session state (tsviz/ui/state.py) and in the URL, so a link reopens the same place.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from tsviz.client.cache import memo
from tsviz.graph import walk as graph_walk
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import fold_constants
from tsviz.graph.hazards import nodes_at_line
from tsviz.model.types import DiffRequest, InspectRequest, InspectResult, IRGraph
from tsviz.model.uploads import content_digest
from tsviz.ui.page import Loaded
from tsviz.ui.state import URL_KEYS, state
from tsviz.ui.widgets import graph_bytes


def result_key(request: InspectRequest) -> str:
    """A stable key for a request: content hash plus options."""
    text = repr((request.filename, request.mode, request.entry, request.init_args, request.input_specs,
                 request.trace_submodules, request.local_path, request.local_stamp))
    return hashlib.sha256((content_digest(request.content) + text).encode()).hexdigest()[:20]


def diff_key(request: DiffRequest) -> str:
    return f"{result_key(request.model)}:{request.hybrid}:{request.seed}"


class GraphWalk:
    """Where the reader is: the open submodule, the selected node or source line, the folded if/loop regions."""

    def __init__(self, loaded: Loaded) -> None:
        self.result, self.request = loaded.result, loaded.request

    @classmethod
    def load(cls, loaded: Loaded) -> GraphWalk:
        """The walk of this result; another model, mode or option starts a new walk (node ids differ)."""
        walk = cls(loaded)
        previous = state.walk_of
        state.walk_of = walk._key()
        if previous and previous != walk._key():
            walk.open("")
        if walk.result.view(walk.path) is None:
            state.gpath = ""
        return walk

    path = property(lambda self: state.gpath)
    node = property(lambda self: state.gnode)
    line = property(lambda self: int(state.gline or 0))

    def open(self, path: str) -> None:
        state.gpath, state.gnode, state.gline = path, "", 0

    def select(self, node_id: str) -> None:
        state.gnode, state.gline = node_id, 0

    def pick_line(self, line: int) -> None:
        state.gline, state.gnode = int(line), ""

    def pick_code_line(self, line: int) -> None:
        shown, code = self._current()
        hits = [node_id for node_id, n in graph_walk.code_lines(shown, code).items() if n == line]
        if hits:
            self.select(hits[0])

    def activate(self, node_id: str) -> None:
        """Double-click: open a submodule call, or fold / unfold an if or loop region."""
        view = state.view
        node = next((n for n in self._current()[0].nodes if n.id == node_id), None)
        if node is None:
            return
        target = graph_walk.opens(self.result, self.path, node) if view == "graph" else None
        if target is not None:
            self.open(target)
        elif node.kind in ("prim::If", "prim::Loop"):
            region = self._region(view)
            state.collapsed = {**state.collapsed, region: state.collapsed.get(region, frozenset()) ^ {node_id}}

    def drawing(self, view: str, fold: bool) -> tuple[IRGraph, str]:
        """The graph as drawn (folded, regions collapsed) and the .code that goes with it."""
        code = self.result.code if view == "inlined" or not self.path else self.result.view(self.path).code
        return _walk_graph(self.result, self._key(), view, self.path, fold, self.collapsed_key(view)), code

    def dot(self, view: str, fold: bool) -> str:
        return _walk_dot(self.result, self._key(), view, self.path, fold, self.collapsed_key(view))

    def layout_key(self, view: str, fold: bool) -> str:
        """Names the drawing: the viewer keeps its pan and zoom until this changes."""
        return f"{self._key()}:{view}:{self.path}:{fold}:{self.collapsed_key(view)}"

    def collapsed_key(self, view: str) -> str:
        return ",".join(sorted(state.collapsed.get(self._region(view), ())))

    def marks(self, shown: IRGraph, matches: list[str]) -> tuple[dict[str, str], list[str]]:
        """Node marks for the viewer and the nodes to move the view to: the selection first, then matches."""
        marks = {node_id: "match" for node_id in matches}
        selected = [self.node] if self.node else list(nodes_at_line(shown, self.line))
        marks.update({node_id: "selected" for node_id in selected})
        return marks, selected or matches[:1]

    def source_highlight(self, shown: IRGraph) -> list[int]:
        node = next((n for n in shown.nodes if n.id == self.node), None)
        if node is not None:
            return [node.source.line] if node.source is not None and node.source.user else []
        return [self.line] if self.line else []

    def code_highlight(self, shown: IRGraph, code: str) -> list[int]:
        lines = graph_walk.code_lines(shown, code)
        selected = [self.node] if self.node else nodes_at_line(shown, self.line)
        return sorted({lines[n] for n in selected if n in lines})

    def save_url(self) -> None:
        """Add where the walk is to the URL (page_setup has put the model there)."""
        params = {}
        for param, key in URL_KEYS.items():
            value = st.session_state.get(key.key)
            if value not in (None, "", 0, False) and not (param == "view" and value == "graph"):
                params[param] = "1" if value is True else str(value)
        st.query_params.update(params)
        from tsviz.ui import opening  # the graph page's run ends here: the other pages' imports may start

        opening.shown()

    def _current(self) -> tuple[IRGraph, str]:
        """What is drawn now, as the widgets' state says (callbacks run before the page does)."""
        return self.drawing(state.view, state.fold)

    def _key(self) -> str:
        return result_key(self.request)

    def _region(self, view: str) -> str:
        return f"{self._key()}:{view}:{self.path if view == 'graph' else ''}"


@memo(128 * 2**20, key=lambda _result, key, *view: f"{key}:{view}", size=graph_bytes)
def _walk_graph(_result: InspectResult, result_key: str, view: str, path: str, fold: bool, collapsed: str) -> IRGraph:
    graph = _result.inlined if view == "inlined" else _result.view(path).graph
    graph = fold_constants(graph) if fold else graph
    return graph_walk.collapse(graph, frozenset(filter(None, collapsed.split(","))))


@memo(64 * 2**20, key=lambda _result, key, *view: f"{key}:{view}", size=len)
def _walk_dot(_result: InspectResult, key: str, view: str, path: str, fold: bool, collapsed: str) -> str:
    return to_dot(_walk_graph(_result, key, view, path, fold, collapsed))
