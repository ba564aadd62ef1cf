"""A review report: one self-contained HTML file (no network needed to open it) with the model's graph
(SVG you can zoom), its .code, the source, the trace-vs-script findings and the benchmark table. No torch."""
from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tsviz.assets import asset
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import count_text, fold_constants
from tsviz.graph.hazards import KINDS, SEVERITY_TITLES, counted, grouped_notes
from tsviz.graph.layout import svg_or_problem
from tsviz.graph.verdict import verdict
from tsviz.model.types import DiffResult, InspectResult

if TYPE_CHECKING:
    import pandas as pd


def review_report(result: InspectResult, *, diff: DiffResult | None = None, bench: pd.DataFrame | None = None,
                  when: datetime | None = None, layout: Callable[[str, int], tuple[str, str]] = svg_or_problem) -> str:
    """The review report of a result, as the dashboard's Report button and `tsviz report` write it: the module
    graph drawn folded (left out, with the reason, when it is too large to lay out). `layout` is DOT and node
    count -> (svg, problem); the dashboard passes its cached one, which has already laid out this graph."""
    svg, problem = layout(to_dot(fold_constants(result.graph)), len(result.graph.nodes))
    return build_report(result, svg, diff=diff, bench=bench, when=when, graph_note=problem)


def build_report(result: InspectResult, svg: str, *, diff: DiffResult | None = None,
                 bench: pd.DataFrame | None = None, when: datetime | None = None, graph_note: str = "") -> str:
    """The report as one HTML string. Every text from the model is escaped; the only script is the zoom."""
    e = html.escape
    when = when or datetime.now(UTC)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(result.filename)} · tsviz report</title>",
        f"<style>{asset('report.css')}</style></head><body>",
        f"<h1>{e(result.filename)} · {e(result.entry)} · {e(result.mode)}</h1>",
        f"<p class='meta'>tsviz review report, {when:%Y-%m-%d %H:%M} UTC · {e(count_text(result.graph))} in the "
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
              f"<div class='graph'>{_svg_only(svg)}</div>" if svg else f"<p>{e(graph_note)}</p>"]
    if diff is not None:
        parts.append(_findings(diff))
    if bench is not None and not bench.empty:
        parts += ["<h2>Benchmarks</h2>", bench.to_html(index=False, escape=True, border=0)]
    parts += ["<h2><code>.code</code></h2>", f"<pre>{e(result.code)}</pre>",
              "<h2>Source</h2>" if result.kind == "py" else "<h2>Code stored in the archive</h2>",
              "<pre>" + "\n".join(f"{n:4d}  {e(line)}" for n, line in enumerate(result.source.splitlines(), 1))
              + "</pre>",
              f"<script>{asset('panzoom.js')}\n{asset('report_zoom.js')}</script></body></html>"]
    return "\n".join(parts)


def _findings(diff: DiffResult) -> str:
    e = html.escape
    rows = []
    for conversion in diff.conversions:
        v = verdict(diff, conversion.mode)
        rows.append(f"<li class='{'ok' if v.matches else 'bad'}'>{e(v.sentence())}</li>")
    hazards = "".join(
        f"<tr><td>{h.line or ''}</td><td>{e(SEVERITY_TITLES[h.severity])}</td><td>{e(KINDS[h.kind].title)}</td>"
        f"<td>{e(h.message)}</td><td>{e(h.fix)}</td></tr>" for h in counted(diff.hazards))
    table = (f"<table><tr><th>line</th><th>severity</th><th>hazard</th><th>what happens</th><th>fix</th></tr>"
             f"{hazards}</table>" if hazards else "<p>No hazards found.</p>")
    notes = "".join(f"<li>{e(group.summary())}</li>" for group in grouped_notes(diff.hazards))
    notes = f"<p>Notes, harmless for inference (not counted):</p><ul>{notes}</ul>" if notes else ""
    return (f"<h2>Trace vs script</h2><p>On {len(diff.cases)} inputs (seed {diff.seed}):</p>"
            f"<ul>{''.join(rows)}</ul>{table}{notes}")


def _svg_only(svg: str) -> str:
    """Graphviz's SVG without its XML prologue and doctype, to sit inside the HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""
