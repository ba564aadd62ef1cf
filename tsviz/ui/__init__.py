"""Streamlit only: what the pages use. Pages import `tsviz.ui` and nothing else of tsviz; each holds widgets
and rendering, and everything it shows comes from a library function (through the worker for anything that
runs the model). The modules: page.py (setup, sidebar, links), state.py (the session's keys), jobs.py (jobs
from a page), walk.py (the graph page's walk), widgets.py (shared rendering), viewer.py (browser components).
"""
from tsviz.graph import walk as graph
from tsviz.graph.diff import code_diff, op_changes, op_count_rows
from tsviz.graph.fold import count_text
from tsviz.graph.hazards import KINDS as HAZARDS
from tsviz.graph.hazards import SEVERITY_TITLES, counted, grouped_notes
from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL, case_rows, verdict
from tsviz.model.errors import TsvizError
from tsviz.model.inputs import parse_sizes
from tsviz.model.jobs import is_archive, saved_archive_request
from tsviz.model.types import DEFAULT_PASSES, PASSES, VARIANTS, MigrateRequest, PassRequest
from tsviz.report import views
from tsviz.ui.editor import edit_toggle, editor, failed_edit, remember, stale_graph
from tsviz.ui.given_weights import show_weights_load
from tsviz.ui.jobs import devices, in_worker, job_file, result_or_stop, review_report, run_bench_job
from tsviz.ui.page import (
    Loaded,
    diff_request,
    follow_renamed_page,
    model_request,
    no_model_yet,
    page_setup,
    require_request,
    require_result,
    require_source,
    tolerance_sliders,
)
from tsviz.ui.pt2 import holds_program, show_program
from tsviz.ui.state import State, state
from tsviz.ui.text import code, plain
from tsviz.ui.viewer import code_view, graph_view
from tsviz.ui.walk import GraphWalk, diff_key, result_key
from tsviz.ui.weights import holds_weights, show_weights
from tsviz.ui.widgets import (
    lesson,
    model_origin,
    paired_drawings,
    show_error,
    show_node,
    side_by_side,
    source_excerpt,
    teaching_style,
    traced_parts,
    walk_svg,
)

__all__ = [
    "DEFAULT_ATOL", "DEFAULT_PASSES", "DEFAULT_RTOL", "HAZARDS", "PASSES", "SEVERITY_TITLES", "VARIANTS", "GraphWalk",
    "Loaded", "MigrateRequest", "PassRequest", "State", "TsvizError", "bench", "case_rows", "code", "code_diff",
    "code_view", "count_text", "counted", "devices", "diff_key", "diff_request", "edit_toggle", "editor",
    "failed_edit", "follow_renamed_page", "graph", "graph_view", "grouped_notes", "holds_program", "holds_weights",
    "in_worker", "is_archive",
    "job_file",
    "lesson",
    "model_request", "no_model_yet", "op_changes", "op_count_rows", "page_setup", "paired_drawings", "parse_sizes",
    "model_origin", "plain", "remember", "require_request", "require_result", "require_source", "result_key",
    "result_or_stop",
    "review_report", "run_bench_job", "saved_archive_request", "show_error", "show_node", "show_program",
    "show_weights", "show_weights_load",
    "side_by_side",
    "source_excerpt", "stale_graph", "state", "teaching_style", "tolerance_sliders", "traced_parts", "verdict", "views",
    "walk_svg",
]


def __getattr__(name: str) -> object:
    """`ui.bench` (the benchmark tables and charts: pandas and plotly) is imported by the first page that uses it,
    not by every page's first run."""
    if name == "bench":
        from tsviz.report import bench

        return bench
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
