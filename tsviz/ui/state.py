"""What a browser session keeps across reruns and pages, each key named once with its type and default.

`state.mode` reads `st.session_state["mode"]`; `State.mode.key` is the string a widget that owns the value
is given (`key=State.mode.key`). Keys that belong to one file (its entry point, constructor fields, input
shapes, hybrid picks) are made by the functions at the bottom, from the file's content key.
"""
from __future__ import annotations

from typing import Any, Generic, TypeVar

import streamlit as st

T = TypeVar("T")


class Key(Generic[T]):
    """One session-state entry: `state.name` reads it (or its default), `state.name = v` writes it."""

    def __init__(self, default: T) -> None:
        self.default = default
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return st.session_state.get(self.key, self.default)

    def __set__(self, obj: object, value: T) -> None:
        st.session_state[self.key] = value

    def set(self, value: T) -> None:
        """The same as assigning; for a button's on_click."""
        st.session_state[self.key] = value

    def clear(self) -> None:
        st.session_state.pop(self.key, None)

    def setdefault(self, value: T) -> None:
        """Give a widget-owned key its first value (a widget's own default would not survive a page switch)."""
        st.session_state.setdefault(self.key, value)


class State:
    """Every key of the session, typed. Widget-owned keys are set by their widget; the rest by tsviz."""

    # the sidebar's model (kept across pages)
    source_kind: Key[str] = Key("Sample model")  # radio: "Sample model" or "Upload a file"
    sample: Key[str] = Key("")  # selectbox: the sample's file name
    mode: Key[str] = Key("script")  # radio: trace, script or hybrid
    mode_chosen: Key[bool] = Key(False)  # the user picked the mode (else script, and hybrid where script fails)
    hybrid_for: Key[str] = Key("")  # the file (content key) shown in hybrid because its script failed
    uploaded: Key[tuple[str, bytes] | None] = Key(None)  # (name, bytes) of the last good upload
    link_upload: Key[str] = Key("")  # the content key a link names when its upload is not here
    url_read: Key[bool] = Key(False)  # the link's state was read on this session's first run
    # the graph page's walk (also in the URL)
    view: Key[str] = Key("graph")  # "graph" (submodule calls as boxes) or "inlined"
    gpath: Key[str] = Key("")  # the open submodule ("" is the model)
    gnode: Key[str] = Key("")  # the selected node id
    gline: Key[int] = Key(0)  # the selected source line
    q: Key[str] = Key("")  # the search text
    teach: Key[bool] = Key(False)  # teaching mode: larger type
    fold: Key[bool] = Key(True)  # constants and attribute reads folded into their users
    walk_of: Key[str] = Key("")  # the result the walk belongs to
    collapsed: Key[dict[str, frozenset[str]]] = Key({})  # folded if/loop regions per drawing
    report: Key[tuple[str, str]] = Key(("", ""))  # (result key, HTML) of the last review report
    editing: Key[bool] = Key(False)  # the graph page's editor is open
    edits: Key[dict[str, bytes]] = Key({})  # a file's key -> its edited copy, used in place of the file
    edit_revision: Key[dict[str, int]] = Key({})  # a file's key -> how often its edit was reverted (a fresh editor)
    last_good: Key[dict] = Key({})  # a file's key -> the InspectResult of its last edit that converted
    # side-by-side graphs (Trace vs script, Passes, Export check)
    pair_node: Key[tuple[str, str]] = Key(("", ""))  # (drawing, node id) picked in one of them
    # benchmarks
    bench_rows: Key[tuple] = Key(())  # this session's measured rows (BenchRow)
    bench_queue: Key[tuple] = Key(())  # the jobs (BenchJob) still to run, one per rerun
    bench_total: Key[int] = Key(0)  # jobs in the sweep that is running
    bench_uploads: Key[dict] = Key({})  # uploaded CSV name -> its rows as a frame (replaced, never mutated)


state = State()
URL_KEYS = {"view": State.view, "path": State.gpath, "node": State.gnode, "line": State.gline, "q": State.q,
            "teach": State.teach}  # URL parameter -> the state it restores
SIDEBAR_PREFIXES = (State.source_kind.key, State.sample.key, State.mode.key, "entry:", "init:", "inputs:", "picks:")


def entry_key(file: str) -> str:
    return f"entry:{file}"


def default_entry_key(file: str) -> str:
    return f"default_entry:{file}"


def init_key(file: str, name: str = "") -> str:
    return f"init:{file}:{name}"


def prefill_key(file: str) -> str:
    return f"prefill:{file}"


def guess_key(file: str) -> str:
    return f"guess:{file}"


def input_key(file: str, index: int) -> str:
    return f"inputs:{file}:{index}"


def editor_key(file: str) -> str:
    """The editor widget of a file: its value is the text last applied in it (a revert starts a new one)."""
    return f"editor:{file}:{state.edit_revision.get(file, 0)}"


def picks_key(file: str) -> str:
    return f"picks:{file}"


def default_picks_key(file: str) -> str:
    return f"default_picks:{file}"


def keep_sidebar_choices() -> None:
    """Streamlit forgets widget values when the user switches pages; re-assigning them keeps them."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(SIDEBAR_PREFIXES):
            st.session_state[key] = st.session_state[key]
