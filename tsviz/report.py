"""A review report: one self-contained HTML file (no network needed to open it) with the model's graph
(SVG you can zoom), its .code, the source, the trace-vs-script findings and the benchmark table. No torch."""
from __future__ import annotations

import html
from datetime import datetime, timezone

import pandas as pd

from tsviz.hazards import KINDS
from tsviz.types import DiffResult, InspectResult
from tsviz.verdict import verdict

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 24px; color: #222; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.meta { color: #666; font-size: 13px; }
pre { background: #f7f7f7; border: 1px solid #e2e2e2; border-radius: 6px; padding: 10px; overflow: auto;
      font: 12.5px/1.45 ui-monospace, Menlo, monospace; }
.lesson { white-space: pre-wrap; background: #fffbea; border: 1px solid #f0e2a0; border-radius: 6px; padding: 10px; }
.graph { border: 1px solid #ddd; border-radius: 6px; height: 640px; overflow: hidden; cursor: grab; background: #fff; }
.graph svg { width: 100%; height: 100%; }
.graph svg text { font-family: Helvetica, Arial, "Liberation Sans", "DejaVu Sans Condensed", sans-serif; }
.tools { font-size: 13px; color: #555; margin: 4px 0; } .tools button { font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; } td, th { border-bottom: 1px solid #e5e5e5; padding: 4px 8px;
text-align: left; vertical-align: top; }
.ok { color: #1b5e20; } .bad { color: #b71c1c; }
"""

# Wheel zooms around the pointer, drag pans, "Fit" shows it all: the SVG's viewBox is the only state.
_ZOOM = """
document.querySelectorAll('.graph').forEach(function (box) {
  var svg = box.querySelector('svg'); if (!svg) return;
  var full = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number), v = full.slice();
  svg.removeAttribute('width'); svg.removeAttribute('height');
  function set() { svg.setAttribute('viewBox', v.join(' ')); }
  function fit() { v = full.slice(); set(); }
  function readable() { var k = box.clientWidth / v[2]; if (k < 1) { v[2] = box.clientWidth; v[3] = box.clientHeight;
    v[0] = full[0] + (full[2] - v[2]) / 2; v[1] = full[1]; set(); } }
  box.previousElementSibling.querySelector('[data-fit]').onclick = fit;
  box.previousElementSibling.querySelector('[data-readable]').onclick = readable;
  box.addEventListener('wheel', function (e) {
    e.preventDefault(); var r = box.getBoundingClientRect(), f = Math.exp(e.deltaY * 0.0015);
    var px = v[0] + (e.clientX - r.left) / r.width * v[2], py = v[1] + (e.clientY - r.top) / r.height * v[3];
    v = [px - (px - v[0]) * f, py - (py - v[1]) * f, v[2] * f, v[3] * f]; set();
  }, { passive: false });
  var drag = null;
  box.addEventListener('pointerdown', function (e) { drag = [e.clientX, e.clientY, v[0], v[1]]; });
  window.addEventListener('pointerup', function () { drag = null; });
  box.addEventListener('pointermove', function (e) { if (!drag) return; var s = v[2] / box.clientWidth;
    v[0] = drag[2] - (e.clientX - drag[0]) * s; v[1] = drag[3] - (e.clientY - drag[1]) * s; set(); });
  readable();
});
"""


def build_report(result: InspectResult, svg: str, *, diff: DiffResult | None = None,
                 bench: pd.DataFrame | None = None, when: datetime | None = None) -> str:
    """The report as one HTML string. Every text from the model is escaped; the only script is the zoom."""
    e = html.escape
    when = when or datetime.now(timezone.utc)
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(result.filename)} · tsviz report</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(result.filename)} · {e(result.entry)} · {e(result.mode)}</h1>",
        f"<p class='meta'>tsviz review report, {when:%Y-%m-%d %H:%M} UTC · {len(result.graph.nodes)} IR nodes in the "
        f"module graph · {sum(result.inlined_op_counts().values()):,} inlined</p>",
    ]
    if result.doc:
        parts.append(f"<div class='lesson'>{e(result.doc)}</div>")
    if result.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(
            f"<li><b>{e(w.category)}</b> at line {w.line}: {e(w.message)}</li>" for w in result.warnings) + "</ul>")
    parts += ["<h2>Graph</h2>",
              "<div class='tools'><button data-fit>Fit</button> <button data-readable>100 %</button> "
              "drag to pan · wheel to zoom · L&lt;n&gt; is the line in the source</div>",
              f"<div class='graph'>{_svg_only(svg)}</div>"]
    if diff is not None:
        parts.append(_findings(diff))
    if bench is not None and not bench.empty:
        parts += ["<h2>Benchmarks</h2>", bench.to_html(index=False, escape=True, border=0)]
    parts += ["<h2><code>.code</code></h2>", f"<pre>{e(result.code)}</pre>",
              "<h2>Source</h2>" if result.kind == "py" else "<h2>Code stored in the archive</h2>",
              "<pre>" + "\n".join(f"{n:4d}  {e(line)}" for n, line in enumerate(result.source.splitlines(), 1)) + "</pre>",
              f"<script>{_ZOOM}</script></body></html>"]
    return "\n".join(parts)


def _findings(diff: DiffResult) -> str:
    e = html.escape
    rows = []
    for conversion in diff.conversions:
        v = verdict(diff, conversion.mode)
        rows.append(f"<li class='{'ok' if v.matches else 'bad'}'>{e(v.sentence())}</li>")
    hazards = "".join(
        f"<tr><td>{h.line or ''}</td><td>{e(KINDS[h.kind].title)}</td><td>{e(h.message)}</td><td>{e(h.fix)}</td></tr>"
        for h in diff.hazards)
    table = (f"<table><tr><th>line</th><th>hazard</th><th>what happens</th><th>fix</th></tr>{hazards}</table>"
             if hazards else "<p>No hazards found.</p>")
    return f"<h2>Trace vs script</h2><p>On {len(diff.cases)} inputs (seed {diff.seed}):</p><ul>{''.join(rows)}</ul>{table}"


def _svg_only(svg: str) -> str:
    """Graphviz's SVG without its XML prologue and doctype, to sit inside the HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""
