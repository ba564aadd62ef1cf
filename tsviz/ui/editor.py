"""Edit a copy of the model in the browser and watch TorchScript follow (the Compiler Explorer way of learning).

The editor is streamlit-ace, whose Ace build ships inside the package (no CDN, no web fonts). Ctrl+Enter (or its
Apply button) hands the text to the session: the sidebar, at the start of that very run, uses the edited copy in
place of the file (no rerun of our own: one while the editor's frame loads leaves it blank), so the
graph, .code, warnings, Trace vs script and Migrate all follow, each run an ordinary sandboxed job cached by
content. The last version that converted is kept, to be shown greyed out under an error.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from tsviz.graph.dot import to_dot
from tsviz.graph.fold import fold_constants
from tsviz.model.types import InspectResult
from tsviz.ui.page import Loaded
from tsviz.ui.state import State, editor_key, state
from tsviz.ui.widgets import walk_svg


def edit_toggle() -> bool:
    """The graph page's "Edit a copy" switch. Drawn on every run that may show the editor, a failed one too:
    Streamlit forgets a widget's value after a run that does not draw it."""
    return st.toggle("Edit a copy", key=State.editing.key, help="Change the model here and watch TorchScript "
                     "follow: Ctrl+Enter converts your text in the sandbox, and every page shows the edited copy "
                     "until you revert it.")


def editor(loaded: Loaded, source: str, large: bool = False) -> None:
    """The editor on `source` (the file, or its edited copy); larger type for teaching."""
    from streamlit_ace import st_ace  # imported when someone edits: its first import walks its files

    # what it returns was read by the sidebar at the start of this run (the edited copy is what ran)
    st_ace(value=source, language="python", theme="chrome", keybinding="vscode", font_size=18 if large else 15,
           min_lines=22 if large else 12, max_lines=34 if large else 22, tab_size=4, key=editor_key(loaded.base_key))
    apply_col, download_col, revert_col = st.columns([3, 2, 1.4], vertical_alignment="center")
    apply_col.caption("Ctrl+Enter (⌘+Enter) or Apply converts the edited text in the sandbox.")
    if loaded.edited:
        download_col.download_button("Download the edited file", source, file_name=loaded.request.filename,
                                     mime="text/x-python", key="download_edit", icon=":material/download:")
        revert_col.button("Revert", key="revert_edit", icon=":material/undo:", on_click=revert, args=(loaded,))


def revert(loaded: Loaded) -> None:
    """Back to the file: its edit forgotten, and a fresh editor (the old one would still hold the edited text)."""
    state.edits = {k: v for k, v in state.edits.items() if k != loaded.base_key}
    st.session_state.pop(editor_key(loaded.base_key), None)
    state.edit_revision = {**state.edit_revision, loaded.base_key: state.edit_revision.get(loaded.base_key, 0) + 1}


def remember(loaded: Loaded, result: InspectResult) -> None:
    """The last version of this file that converted, for `stale_graph` while a later edit fails."""
    state.last_good = {**state.last_good, loaded.base_key: result}


def failed_edit(loaded: Loaded) -> None:
    """The edited copy does not even import (a syntax error, say): the error on its line, the editor to fix it,
    the last graph that converted under them; and a stop."""
    from tsviz.ui.widgets import show_error

    source = loaded.request.content.decode("utf-8", errors="replace")
    st.header(loaded.request.filename)
    edit_toggle()
    editor(loaded, source)  # where the graph page draws it: a component that moves is loaded afresh, blank
    error = replace(loaded.error, hint="fix the line in the editor above and press Ctrl+Enter")
    show_error(error, source)  # the message and the edited line in context
    stale_graph(loaded)
    st.stop()


def stale_graph(loaded: Loaded) -> None:
    """Under an error: the graph of the last version that converted, greyed out, until the edit converts."""
    last = state.last_good.get(loaded.base_key)
    if last is None:
        return
    graph = fold_constants(last.graph)
    svg, problem = walk_svg(to_dot(graph), len(graph.nodes))
    if problem:
        return
    st.caption("The last version that converted, greyed out until this one does:")
    with st.container(key="stale_graph", height=520):  # st.html would strip the SVG; an image keeps it
        st.html("<style>.st-key-stale_graph img { opacity: .38; filter: grayscale(1); }</style>")
        st.image(svg)
