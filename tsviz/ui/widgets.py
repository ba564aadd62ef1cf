"""Rendering shared by the pages: errors with the user's line, node details, side-by-side walkable graphs."""
from __future__ import annotations

import streamlit as st

from tsviz.client.cache import memo
from tsviz.graph import walk
from tsviz.graph.diff import unmatched_nodes
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import count_text, fold_constants
from tsviz.graph.hazards import nodes_at_line
from tsviz.graph.layout import svg_or_problem
from tsviz.model.errors import TsvizError
from tsviz.model.outline import outline
from tsviz.model.types import ErrorInfo, InspectResult, IRGraph, TracedPart
from tsviz.model.uploads import content_digest, zip_python_files
from tsviz.ui.state import state
from tsviz.ui.text import code, plain
from tsviz.ui.viewer import graph_view as draw_graph


def show_error(error: ErrorInfo, source: str = "") -> None:
    """The error in words, TorchScript's own message, and the user's line in context."""
    st.error(plain(TsvizError.from_info(error).one_line()), icon=":material/error:")
    if source and error.line and (not error.file or "/" not in error.file):  # another file of the project: its own
        st.caption(plain(f"{error.file}, around line {error.line}"))
        st.code(source_excerpt(source, error.line), language="python")
    if error.detail:
        with st.expander("The full message from torch"):
            st.code(error.detail, language=None)


def failed_file(error: ErrorInfo, source: str, project: bytes) -> None:
    """A file that did not become a model: the error with its line, the whole file with that line marked, what
    the file defines (read from its text), and the project's files that came with it."""
    show_error(error, source)
    if source and error.line and (not error.file or "/" not in error.file):
        with st.expander(f"The whole file, line {error.line} marked"):
            st.code(source_excerpt(source, error.line, context=len(source)), language="python")
    defined = outline(source)
    if defined:
        with st.expander(f"What the file defines ({len(defined)}): the entries it can offer once it imports"):
            st.markdown("\n".join(f"- {code(d)}" for d in defined))
    if project:
        files = zip_python_files(project)
        with st.expander(f"The project's files that came with it ({len(files)} .py)"):
            st.markdown("\n".join(f"- {code(f)}" for f in files[:200]))


def model_origin(result: InspectResult) -> None:
    """Why the file opened on this entry (the whole network, and what else it offers), and which files of its
    project the import ran."""
    if result.entry_reason:
        others = [e.name for e in result.entries if e.name != result.entry and e.kind != "function"]
        more = f" The file also offers {plain(', '.join(others[:8]))}{' …' if len(others) > 8 else ''} (sidebar)." \
            if others else ""
        st.caption(f"Opened on {code(result.entry)}: {plain(result.entry_reason)}.{more}")
    if len(result.project_files) > 1:
        with st.expander(f"Imported with {len(result.project_files) - 1} more files of its project",
                         icon=":material/folder_open:"):
            st.markdown("\n".join(f"- {code(f)}" for f in result.project_files))


def lesson(doc: str, sample: bool) -> None:
    """A model's docstring: a sample's own lesson in markdown; an upload's as the text it is."""
    if not doc:
        st.markdown("_This file has no docstring to teach from._")
    elif sample:
        st.markdown(doc)
    else:
        st.markdown(plain(doc))


def traced_parts(parts: tuple[TracedPart, ...], source: str) -> None:
    """Hybrid's auto picks: each part traced because it does not compile, with its line and the fix."""
    whole = any(not p.name for p in parts)
    what = ("the whole model: its own forward() does not compile." if whole else
            f"{len(parts)} submodule{'s' if len(parts) > 1 else ''} that do not compile, and scripted the rest.")
    st.warning(f"Scripting failed, so hybrid mode traced {what} Fix the lines below and the whole model scripts.",
               icon=":material/call_split:")
    with st.expander("Why each part was traced", expanded=True):
        for part in parts:
            where = f", line {part.line}" if part.line else ""
            st.markdown(f"**{plain(part.name or 'the model')}** ({plain(part.type)}){where}: {plain(part.reason)}")
            if part.fix:
                st.caption(f"Fix: {plain(part.fix)}")
            if source and part.line:
                st.code(source_excerpt(source, part.line, context=1), language="python")


def source_excerpt(source: str, line: int, context: int = 3) -> str:
    """A few lines around `line`, the line itself marked with an arrow."""
    lines = source.splitlines()
    start, end = max(1, line - context), min(len(lines), line + context)
    return "\n".join(f"{'→' if n == line else ' '} {n:4d}  {lines[n - 1]}" for n in range(start, end + 1))


def graph_bytes(graph: IRGraph) -> int:
    """About the memory a graph holds (measured on the samples: a node with its ports and values ~1 KB)."""
    return 1024 * len(graph.nodes) + 256 * (len(graph.edges) + len(graph.blocks))


def _layout_key(dot_text: str, nodes: int) -> str:
    return f"{content_digest(dot_text.encode())}:{nodes}"


@memo(256 * 2**20, key=_layout_key, size=lambda found: len(found[0]) + len(found[1]))
def walk_svg(dot_text: str, nodes: int) -> tuple[str, str]:
    """(svg, "") or ("", what to do instead): too many nodes, or dot too slow."""
    with st.spinner("Laying out the graph…"):
        return svg_or_problem(dot_text, nodes)


def lay_out_ahead(dot_text: str, nodes: int) -> None:
    """walk_svg's answer made now, off any page (the server's opening view, before its first visitor comes)."""
    key = _layout_key(dot_text, nodes)
    if walk_svg.cache.get(key) is None:
        found = svg_or_problem(dot_text, nodes)
        walk_svg.cache.put(key, found, len(found[0]) + len(found[1]))


def clickable_graph(graph: IRGraph, view: str, key: str, regions: str = "blocks") -> None:
    """A graph drawn with its constants folded, whose clicked node's details show under it (the pick is kept in
    the session under `key`): the view of a program that has no walk (a .pt2, a package's model)."""
    shown = fold_constants(graph)
    st.caption(f"{count_text(graph, shown)}, {len(shown.blocks)} {regions} · click a node for its details")
    svg, problem = walk_svg(to_dot(shown), len(shown.nodes))
    if problem:
        st.warning(plain(problem), icon=":material/warning:")
        return
    picked_key = f"{key}_picked"
    picked = st.session_state.get(picked_key, "")

    def pick(node_id: str) -> None:
        st.session_state[picked_key] = node_id

    draw_graph(svg, view, marks={picked: "selected"} if picked else {}, focus=[], key=key, on_select=pick,
               on_activate=pick)
    if any(n.id == picked for n in shown.nodes):
        show_node(walk.node_details(shown, picked))


def show_node(details: dict) -> None:
    """The selected node: kind, scope, source line; inputs and outputs with types; folded constants."""
    where = f" · line {details['line']}" if details["line"] else ""
    scope = f" · {code(details['scope'])}" if details["scope"] else ""
    saved = f" · first written at {plain(details['saved_from'])}" if details["saved_from"] else ""
    st.markdown(f"**{code(details['kind'])}**{scope}{where}{saved}")
    rows = [{"": "in", "name": arg, "value": value, "type": type_} for arg, value, type_ in details["inputs"]]
    rows += [{"": "out", "name": "", "value": name, "type": type_} for name, type_ in details["outputs"]]
    rows += [{"": "const", "name": k, "value": v, "type": ""} for k, v in details["constants"]]
    rows += [{"": "attr", "name": k, "value": v, "type": ""} for k, v in details["attributes"]]
    if rows:  # a plain table: it draws at once (a data grid took most of a second to appear on each click)
        import pandas as pd  # not for the first graph: the graph page needs it once a node is picked

        st.table(pd.DataFrame(rows), border="horizontal")


@memo(128 * 2**20, key=lambda _graphs, key, pair: f"{key}:{pair}",
      size=lambda found: sum(graph_bytes(graph) + len(dot) for graph, dot in found.values()))
def paired_drawings(_graphs: dict[str, IRGraph], key: str, pair: tuple[str, str]) -> dict[str, tuple[IRGraph, str]]:
    """(folded graph, DOT) per label; in the DOT, the nodes of the two graphs named by `pair` that have no
    counterpart in the other get a red border (a dropped branch, an unrolled loop, a folded batch norm)."""
    graphs = {label: fold_constants(graph) for label, graph in _graphs.items()}
    unmatched: dict[str, tuple[str, ...]] = {}
    if all(label in graphs for label in pair):
        unmatched[pair[0]], unmatched[pair[1]] = unmatched_nodes(graphs[pair[0]], graphs[pair[1]])
    return {label: (graph, to_dot(graph, marks={node_id: "only" for node_id in unmatched.get(label, ())}))
            for label, graph in graphs.items()}


def side_by_side(drawings: dict[str, tuple[IRGraph, str]], key: str, source: str, line: int = 0) -> None:
    """The drawings in columns of walkable viewers. `line`'s nodes are marked and moved into view (without a new
    layout); a click on a node shows its details and its source line under its graph."""
    picked_drawing, picked_node = state.pair_node
    for column, (label, (graph, dot_text)) in zip(st.columns(len(drawings) or 1), drawings.items(), strict=False):
        drawing = f"{key}:{label}"  # a selection belongs to one drawing: another model or step starts without one
        picked = picked_node if picked_drawing == drawing else ""
        with column:
            st.markdown(f"**{plain(label)}** · {len(graph.nodes)} nodes")
            svg, problem = walk_svg(dot_text, len(graph.nodes))
            if problem:
                st.warning(plain(problem), icon=":material/warning:")
                continue
            marked = nodes_at_line(graph, line) if line else ()
            marks = {node_id: "selected" for node_id in marked}
            if picked:
                marks[picked] = "selected"

            def pick(node_id: str, chosen: str = drawing) -> None:
                state.pair_node = (chosen, node_id)

            draw_graph(svg, drawing, marks=marks, focus=list(marked[:1]), key=f"pair_graph:{label}",
                       height=560, on_select=pick, on_activate=pick)
            if any(n.id == picked for n in graph.nodes):
                details = walk.node_details(graph, picked)
                show_node(details)
                if details["line"]:
                    st.code(source_excerpt(source, details["line"]), language="python")


def teaching_style() -> None:
    """Projector type: larger text everywhere on the page (the graph itself is zoomed by its viewer)."""
    st.html("<style>[data-testid=stMain] [data-testid=stMarkdown] :is(p, li) { font-size: 1.3rem; line-height: 1.55; }"
            "[data-testid=stMain] [data-testid=stCaptionContainer] { font-size: 1.05rem; }"
            "[data-testid=stMain] h1 { font-size: 2.6rem; }</style>")
