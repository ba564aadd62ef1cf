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

from typing import Callable

import streamlit as st

_GRAPH_CSS = """
.tsviz-graph { border: 1px solid #ddd; border-radius: 6px; background: #fff; position: relative; }
.tsviz-graph:fullscreen { border-radius: 0; }
.tsviz-bar { display: flex; gap: 6px; align-items: center; padding: 4px 6px; border-bottom: 1px solid #eee;
             font: 12px sans-serif; color: #555; }
.tsviz-bar button { white-space: nowrap; font: 12px sans-serif; padding: 2px 8px; border: 1px solid #ccc; border-radius: 4px;
                    background: #fafafa; cursor: pointer; }
.tsviz-bar .hint { margin-left: auto; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tsviz-port { overflow: hidden; cursor: grab; touch-action: none; }
.tsviz-port.dragging { cursor: grabbing; }
.tsviz-port svg { display: block; user-select: none; }
/* dot sizes boxes with Helvetica's widths: use it or a font of the same (or narrower) widths */
.tsviz-port svg text { font-family: Helvetica, Arial, "Liberation Sans", "DejaVu Sans Condensed", sans-serif; }
.tsviz-port g.node { cursor: pointer; }
.tsviz-port g.node.tsviz-selected polygon, .tsviz-port g.node.tsviz-selected path,
.tsviz-port g.node.tsviz-selected ellipse { fill: #ffe066; stroke: #1f4e9c; stroke-width: 3; }
.tsviz-port g.node.tsviz-match polygon, .tsviz-port g.node.tsviz-match path,
.tsviz-port g.node.tsviz-match ellipse { stroke: #d81b60; stroke-width: 3.5; }
"""

_GRAPH_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector('.tsviz-graph');
  if (!root) {
    root = document.createElement('div');
    root.className = 'tsviz-graph';
    root.innerHTML = '<div class="tsviz-bar"><button data-act="fit">Fit</button>' +
      '<button data-act="readable">100 %</button><button data-act="full">Full screen</button>' +
      '<span class="hint">drag: pan · wheel: zoom · click: select · double-click: open</span></div>' +
      '<div class="tsviz-port"></div>';
    parentElement.appendChild(root);
    const port = root.querySelector('.tsviz-port');
    const view = { x: 0, y: 0, k: 1, w: 1, h: 1 };
    root._view = view;
    const apply = () => {
      const svg = port.querySelector('svg');
      if (!svg) return;
      const vw = port.clientWidth, vh = port.clientHeight;
      svg.setAttribute('width', vw); svg.setAttribute('height', vh);
      svg.setAttribute('viewBox', `${view.x} ${view.y} ${vw / view.k} ${vh / view.k}`);
    };
    root._apply = apply;
    root._fit = (readable) => {
      const vw = port.clientWidth, vh = port.clientHeight;
      const fit = Math.min(vw / view.w, vh / view.h);
      const least = root._zoom || 1;
      view.k = readable ? Math.max(least, Math.min(fit, 1.5 * least)) : fit;
      view.x = view.w * view.k > vw ? 0 : -(vw / view.k - view.w) / 2;
      view.y = view.h * view.k > vh ? 0 : -(vh / view.k - view.h) / 2;
      apply();
      const start = root._nodes && root._nodes.get('n0');  // too wide: start above the graph's input
      if (readable && start && view.w * view.k > vw) {
        const r = start.getBoundingClientRect(), s = port.querySelector('svg').getBoundingClientRect();
        view.x = Math.max(0, view.x + (r.left + r.width / 2 - s.left) / view.k - vw / 2 / view.k);
        apply();
      }
    };
    root._focus = (ids) => {
      const svg = port.querySelector('svg');
      const node = ids.length ? root._nodes.get(ids[0]) : null;
      if (!svg || !node) return;
      const r = node.getBoundingClientRect(), s = svg.getBoundingClientRect();
      const inside = r.left >= s.left && r.right <= s.right && r.top >= s.top && r.bottom <= s.bottom;
      if (inside && view.k >= (root._zoom || 1)) return;  // already in view: moving it would only get in the way of a double-click
      const cx = view.x + (r.left + r.width / 2 - s.left) / view.k, cy = view.y + (r.top + r.height / 2 - s.top) / view.k;
      if (view.k < (root._zoom || 1)) view.k = root._zoom || 1;
      view.x = cx - port.clientWidth / 2 / view.k; view.y = cy - port.clientHeight / 2 / view.k;
      apply();
    };
    root.querySelector('.tsviz-bar').addEventListener('click', (e) => {
      const act = e.target.dataset && e.target.dataset.act;
      if (act === 'fit') root._fit(false);
      if (act === 'readable') root._fit(true);
      if (act === 'full') { document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen(); }
    });
    document.addEventListener('fullscreenchange', () => {
      port.style.height = document.fullscreenElement === root ? (window.innerHeight - 34) + 'px' : root._height + 'px';
      apply();
    });
    port.addEventListener('wheel', (e) => {
      e.preventDefault();
      const s = port.getBoundingClientRect();
      const mx = e.clientX - s.left, my = e.clientY - s.top;
      const gx = view.x + mx / view.k, gy = view.y + my / view.k;
      view.k = Math.min(8, Math.max(0.05, view.k * Math.exp(-e.deltaY * 0.0015)));
      view.x = gx - mx / view.k; view.y = gy - my / view.k;
      apply();
    }, { passive: false });
    let drag = null;
    port.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, target: e.target };
      port.setPointerCapture(e.pointerId);
    });
    port.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) { drag.moved = true; port.classList.add('dragging'); }
      if (drag.moved) { view.x = drag.vx - dx / view.k; view.y = drag.vy - dy / view.k; apply(); }
    });
    // Pointer capture hides a dblclick's target, so double-clicks are found here: a second click on the same
    // node within 450 ms opens it. The first click has already selected it (shown at once, before the server).
    let last = { id: null, t: 0 };
    port.addEventListener('pointerup', () => {
      const press = drag;
      drag = null; port.classList.remove('dragging');
      if (!press || press.moved) return;
      const g = press.target.closest ? press.target.closest('g.node') : null;
      if (!g) return;
      const now = performance.now();
      const double = last.id === g.dataset.id && now - last.t < 450;
      last = { id: double ? null : g.dataset.id, t: now };
      if (!double) {
        root._nodes.forEach((other) => other.classList.remove('tsviz-selected'));
        g.classList.add('tsviz-selected');
      }
      root._send(double ? 'activate' : 'select', g.dataset.id);
    });
  }
  // Events are sent as state values with a running count, not triggers: a trigger sent while the rerun of the
  // previous one is under way can be lost (a select followed at once by an open lost the open).
  root._count = root._count || 0;
  root._send = (name, id) => setStateValue(name, { id, n: ++root._count });
  const port = root.querySelector('.tsviz-port');
  root._height = data.height;
  if (root._zoom !== data.zoom) { root._zoom = data.zoom; root.dataset.layout = ''; }  // a new zoom: lay out again
  if (document.fullscreenElement !== root) port.style.height = data.height + 'px';
  if (root.dataset.layout !== data.layout) {
    root.dataset.layout = data.layout;
    port.innerHTML = data.svg;
    const svg = port.querySelector('svg');
    const box = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    root._view.w = box[2]; root._view.h = box[3];
    svg.removeAttribute('style');
    root._nodes = new Map();
    svg.querySelectorAll('g.node').forEach((g) => {
      const title = g.querySelector('title');
      g.dataset.id = title ? title.textContent : '';
      if (title) title.remove();  // the tooltip comes from the <a> Graphviz adds
      root._nodes.set(g.dataset.id, g);
    });
    root._fit(true);
    root.dataset.focus = '';
  }
  root._nodes.forEach((g, id) => {
    g.classList.toggle('tsviz-selected', data.marks[id] === 'selected');
    g.classList.toggle('tsviz-match', data.marks[id] === 'match');
  });
  const focus = JSON.stringify(data.focus);
  if (root.dataset.focus !== focus) { root.dataset.focus = focus; requestAnimationFrame(() => root._focus(data.focus)); }
  else root._apply();
}
"""

_CODE_CSS = """
.tsviz-code { font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; border: 1px solid #ddd;
              border-radius: 6px; overflow: auto; background: #fafafa; }
.tsviz-code div { white-space: pre; padding: 0 8px 0 0; cursor: pointer; }
.tsviz-code div:hover { background: #f0f0f0; }
.tsviz-code div.hl { background: #ffe066; }
.tsviz-code span.n { display: inline-block; width: 3.2em; padding-right: 0.8em; text-align: right; color: #999;
                     user-select: none; }
"""

_CODE_JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let box = parentElement.querySelector('.tsviz-code');
  if (!box) {
    box = document.createElement('div');
    box.className = 'tsviz-code';
    box.addEventListener('click', (e) => {
      const row = e.target.closest('div[data-line]');
      if (row) setTriggerValue('line', Number(row.dataset.line));
    });
    parentElement.appendChild(box);
  }
  box.style.maxHeight = data.height + 'px';
  if (box.dataset.text !== data.token) {
    box.dataset.text = data.token;
    box.replaceChildren(...data.lines.map((text, i) => {
      const row = document.createElement('div');
      row.dataset.line = String(i + 1);
      const n = document.createElement('span'); n.className = 'n'; n.textContent = String(i + 1);
      row.append(n, document.createTextNode(text));
      return row;
    }));
  }
  const hl = new Set(data.highlight);
  let first = null;
  box.querySelectorAll('div[data-line]').forEach((row) => {
    const on = hl.has(Number(row.dataset.line));
    row.classList.toggle('hl', on);
    if (on && !first) first = row;
  });
  if (first && box.dataset.scrolled !== JSON.stringify(data.highlight)) {
    box.dataset.scrolled = JSON.stringify(data.highlight);
    box.scrollTop = first.offsetTop - box.clientHeight / 3;
  }
}
"""

_graph = st.components.v2.component("tsviz_graph", css=_GRAPH_CSS, js=_GRAPH_JS)
_code = st.components.v2.component("tsviz_code", css=_CODE_CSS, js=_CODE_JS)


def graph_view(svg: str, layout: str, *, marks: dict[str, str], focus: list[str], key: str, height: int = 620,
               zoom: float = 1.0, on_select: Callable[[str], None], on_activate: Callable[[str], None]) -> None:
    """The pan/zoom graph. `layout` names the drawing (a new one resets the view); marks and focus do not.
    `zoom` is the smallest starting scale: 1.0 draws 10 pt labels 10 px high; teaching mode asks for more."""
    _graph(data={"svg": svg, "layout": layout, "marks": marks, "focus": focus, "height": height, "zoom": zoom}, key=key,
           on_select_change=lambda: _select(key, on_select),
           on_activate_change=lambda: _fire(key, "activate", on_activate))


def code_view(text: str, *, highlight: list[int], key: str, on_line: Callable[[int], None], height: int = 420) -> None:
    """Numbered lines, `highlight` ones marked and scrolled to; a click on a line calls `on_line`."""
    lines = text.splitlines()
    _code(data={"lines": lines, "token": str(hash(text)), "highlight": highlight, "height": height}, key=key,
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
