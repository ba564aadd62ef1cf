"""Two small browser components (Streamlit components v2, no build step, no network):

- `graph_view`: an SVG drawn by Graphviz, with mouse pan and zoom, Fit / 100 % / full-screen buttons, a
  default zoom at which labels are at least 10 px high, marks (selected, search matches) drawn in the
  browser without a new layout, the view moved to the first mark, click to select a node and
  double-click to open a submodule or fold/unfold an if/loop region;
- `code_view`: numbered lines with highlighted ones scrolled into view; click a line to select it.

Both report what the user did (the graph as counted state values, the code views as triggers); the page keeps
the selection in session state (and the URL).
"""
from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st

from tsviz.assets import asset

_graph = st.components.v2.component(
    "tsviz_graph", css=asset("graph_view.css"), js=asset("panzoom.js") + asset("graph_view.js"))
_code = st.components.v2.component("tsviz_code", css=asset("code_view.css"), js=asset("code_view.js"))


def graph_view(svg: str, layout: str, *, marks: dict[str, str], focus: list[str], key: str, height: int = 620,
               zoom: float = 1.0, on_select: Callable[[str], None], on_activate: Callable[[str], None]) -> None:
    """The pan/zoom graph. `layout` names the drawing (a new one resets the view); marks and focus do not.
    `zoom` is the smallest starting scale: 1.0 draws 10 pt labels 10 px high; teaching mode asks for more."""
    # Lists and dicts travel as JSON text: Streamlit looks at each list or dict a component is given to see whether it
    # is a dataframe, which imports pandas (a second of the first graph's run, for a page that shows no table).
    _graph(data={"svg": svg, "layout": layout, "marks": json.dumps(marks), "focus": json.dumps(focus), "height": height,
                 "zoom": zoom}, key=key,
           on_select_change=lambda: _select(key, on_select),
           on_activate_change=lambda: _fire(key, "activate", on_activate))


def code_view(text: str, *, highlight: list[int], key: str, on_line: Callable[[int], None], height: int = 420) -> None:
    """Numbered lines, `highlight` ones marked and scrolled to; a click on a line calls `on_line`."""
    lines = text.splitlines()
    _code(data={"lines": json.dumps(lines), "token": str(hash(text)), "highlight": json.dumps(highlight),
                "height": height}, key=key,  # JSON text, as the graph's marks are
          on_line_change=lambda: _fire(key, "line", on_line))


def _select(key: str, handler: Callable[[str], None]) -> None:
    """A click's selection, unless it was the first click of the double-click that came after it (the two
    can arrive in one rerun, in either order: the later open wins)."""
    state = st.session_state[key]
    picked, opened = getattr(state, "select", None), getattr(state, "activate", None)
    if isinstance(picked, dict) and isinstance(opened, dict) and opened.get("id") == picked.get("id") \
            and opened.get("n", 0) > picked.get("n", 0):
        return
    _fire(key, "select", handler)


def _fire(key: str, name: str, handler: Callable) -> None:
    value = getattr(st.session_state[key], name, None)
    if isinstance(value, dict):  # the graph's events: {"id": node, "n": count}
        value = value.get("id")
    if value is not None:
        handler(value)
