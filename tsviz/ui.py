"""The only tsviz module that imports streamlit: the shared sidebar, cached jobs and rendering helpers."""
from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import streamlit as st

from tsviz import sandbox
from tsviz.bench_report import failed_rows
from tsviz.dot import to_dot
from tsviz.errors import TsvizError
from tsviz.fold import fold_constants
from tsviz.graph_diff import unmatched_nodes
from tsviz.hazards import nodes_at_line
from tsviz.inputs import DTYPES, format_input_spec, parse_input_spec
from tsviz.jobs import run_bench, run_devices, run_inspect, warm_up
from tsviz.types import (MODES, BenchJob, BenchRow, DeviceInfo, DiffRequest, DiffResult, ErrorInfo, InputSpec,
                         InspectRequest, InspectResult, IRGraph)
from tsviz.uploads import SUFFIXES, check_upload

R = TypeVar("R")
T = TypeVar("T")

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_models"
DEFAULT_SAMPLE = "data_dependent_if.py"
MODE_HELP = {
    "trace": "run forward() once on example inputs and record the ops",
    "script": "compile the Python source: keeps if / for / while",
    "hybrid": "trace the picked submodules, script the rest",
}


@dataclass(frozen=True)
class Loaded:
    """What the sidebar chose and what the worker made of it (result or error)."""

    request: InspectRequest | None
    result: InspectResult | None
    error: ErrorInfo | None


def sample_files() -> list[str]:
    return sorted(p.name for p in SAMPLES_DIR.glob("*.py"))


def in_worker(run: Callable[..., T], request: R, doing: str) -> tuple[T | None, ErrorInfo | None]:
    """A job's result or its error as data, with a spinner and, while other jobs hold the worker, the queue.

    The job runner caches results and errors by content, so a rerun (or a bad upload) costs nothing.
    """
    note = st.empty()

    def on_wait(text: str) -> None:
        note.info(f"{text}. {doing} starts as soon as it is free.", icon=":material/hourglass_top:")

    with st.spinner(f"{doing} in the worker…"):
        try:
            return run(request, on_wait=on_wait), None
        except TsvizError as e:
            return None, e.info()
        finally:
            note.empty()


@st.cache_resource
def _once_per_server() -> None:
    """Start the worker pool, so the first user does not wait for torch to import; then move everything
    imported so far (streamlit, pandas, plotly: about a million objects) out of the garbage collector's
    reach. Full collections of those stalled the server's event loop for up to a second under load."""
    warm_up()
    gc.collect()
    gc.freeze()


PAGES = (("app.py", "Graph & code", ":material/account_tree:"),
         ("pages/1_Model_overview.py", "Model overview", ":material/info:"),
         ("pages/2_Trace_vs_script.py", "Trace vs script", ":material/difference:"),
         ("pages/3_Benchmarks.py", "Benchmarks", ":material/speed:"))
_SIDEBAR_KEYS = ("source_kind", "sample", "mode", "entry:", "init:", "inputs:", "picks:")


def page_setup(title: str) -> Loaded:
    """Every page starts here: page config, navigation, and the shared model picker."""
    st.set_page_config(page_title=f"{title} · tsviz", page_icon=":material/account_tree:", layout="wide")
    _once_per_server()
    _keep_sidebar_choices()
    for path, label, icon in PAGES:
        st.sidebar.page_link(path, label=label, icon=icon)
    return sidebar()


def require_result(loaded: Loaded) -> InspectResult:
    """The result to show, or a message (no file yet / the file could not be read) and a stop."""
    if loaded.request is None:
        no_model_yet()
        st.stop()
    if loaded.result is None:
        st.header(loaded.request.filename)
        show_error(loaded.error, loaded.request.content.decode("utf-8", errors="replace"))
        st.stop()
    return loaded.result


def _keep_sidebar_choices() -> None:
    """Streamlit forgets widget values when the user switches pages; re-assigning them keeps them."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(_SIDEBAR_KEYS):
            st.session_state[key] = st.session_state[key]


def sidebar() -> Loaded:
    """The model picker shared by every page; runs the conversion (cached by content and options)."""
    bar = st.sidebar
    bar.title("tsviz")
    bar.caption("Explore TorchScript: trace, script, hybrid.")
    if not sandbox.prefix():
        bar.warning(sandbox.isolation(), icon=":material/shield:")
    kind = bar.radio("Model", ["Sample model", "Upload a file"], key="source_kind", horizontal=True)
    if kind == "Sample model":
        samples = sample_files()
        st.session_state.setdefault("sample", DEFAULT_SAMPLE)
        name = bar.selectbox("Sample", samples, key="sample",
                             format_func=lambda f: f.removesuffix(".py").replace("_", " "))
        filename, content = name, (SAMPLES_DIR / name).read_bytes()
    else:
        upload = bar.file_uploader("A .py model file or a TorchScript .pt archive",
                                   type=[s.lstrip(".") for s in SUFFIXES], key="upload")
        if upload is not None:  # kept outside the widget so it survives a page switch
            try:
                check_upload(upload.name, upload.size)
                st.session_state["uploaded"] = (upload.name, upload.getvalue())
            except TsvizError as e:  # the previous upload, if any, stays
                bar.error(e.one_line(), icon=":material/block:")
        if "uploaded" not in st.session_state:
            bar.info("Choose a file, or go back to a sample model.")
            return Loaded(None, None, None)
        filename, content = st.session_state["uploaded"]
        if upload is None:
            bar.caption(f"Showing {filename}, uploaded earlier.")
    is_archive = filename.lower().endswith(".pt")
    st.session_state.setdefault("mode", "script")
    mode = bar.radio("Mode", MODES, key="mode", horizontal=True, disabled=is_archive,
                     help=" · ".join(f"{m}: {h}" for m, h in MODE_HELP.items()))
    file_key = hashlib.sha256(content).hexdigest()[:16]
    request = InspectRequest(
        filename=filename, content=content, mode="script" if is_archive else mode,
        entry=_saved_entry(file_key),
        init_args=_saved_init_args(file_key),
        input_specs=_saved_input_specs(file_key),
        trace_submodules=_saved_picks(file_key),
    )
    result, error = in_worker(run_inspect, request, f"Converting {filename}")
    if result is not None and not request.entry:
        st.session_state[f"default_entry:{file_key}"] = result.entry
    if result is not None and not is_archive:
        _model_options(bar, result, file_key)
    return Loaded(request, result, error)


def _model_options(bar, result: InspectResult, key: str) -> None:
    """Entry point, constructor arguments, input shapes and hybrid picks, drawn from the last result."""
    names = [e.name for e in result.entries]
    if len(names) > 1:
        bar.selectbox("Entry point", names, index=names.index(result.entry), key=f"entry:{key}")
    entry = next(e for e in result.entries if e.name == result.entry)
    required = [p for p in entry.init_params if p.default is None and not p.name.startswith("*")]
    if required:
        bar.markdown("**Constructor arguments** (Python literals)")
        for p in required:
            bar.text_input(p.name + (f": {p.annotation}" if p.annotation else ""), key=f"init:{key}:{p.name}",
                           placeholder="e.g. 32")
    if result.needs_inputs or st.session_state.get(f"inputs:{key}:0"):
        bar.markdown("**Example inputs** for trace and hybrid (the file gives none): shape and dtype")
        params = [p.name for p in entry.forward_params if not p.name.startswith("*")] or ["x"]
        for i, spec in enumerate(result.suggested_inputs):
            label = params[i] if i < len(params) else f"input {i}"
            st.session_state.setdefault(f"inputs:{key}:{i}", format_input_spec(spec))
            bar.text_input(label, key=f"inputs:{key}:{i}",
                           help=f"e.g. 2x16 or 1x3x32x32 float32; dtypes: {', '.join(DTYPES)}")
    if result.mode == "hybrid" and result.submodules:
        options = [s.name for s in result.submodules]
        defaults = tuple(n for n in result.default_trace_submodules if n in options)
        st.session_state[f"default_picks:{key}"] = defaults
        st.session_state.setdefault(f"picks:{key}", list(defaults))
        bar.multiselect("Submodules to trace", options, key=f"picks:{key}", help="Their real inputs are recorded in one eager run; the rest is scripted.")


def _saved_init_args(key: str) -> tuple[tuple[str, str], ...]:
    prefix = f"init:{key}:"
    return tuple(sorted((k[len(prefix):], str(v)) for k, v in st.session_state.items() if k.startswith(prefix) and v))


def _saved_input_specs(key: str) -> tuple[InputSpec, ...]:
    specs = []
    i = 0
    while (text := st.session_state.get(f"inputs:{key}:{i}")) is not None:
        try:
            specs.append(parse_input_spec(text))
        except TsvizError as e:
            st.sidebar.error(e.one_line())
            return ()
        i += 1
    return tuple(specs)


# A choice equal to what the worker picks by itself is sent as "" / None, so the request (the cache key of the
# conversion) does not change when the widgets first appear holding those defaults.

def _saved_entry(key: str) -> str:
    chosen = st.session_state.get(f"entry:{key}", "")
    return "" if chosen == st.session_state.get(f"default_entry:{key}") else chosen


def _saved_picks(key: str) -> tuple[str, ...] | None:
    picks = st.session_state.get(f"picks:{key}")
    if picks is None or tuple(picks) == st.session_state.get(f"default_picks:{key}"):
        return None
    return tuple(picks)


def show_error(error: ErrorInfo, source: str = "") -> None:
    """The error in words, TorchScript's own message, and the user's line in context."""
    st.error(TsvizError.from_info(error).one_line(), icon=":material/error:")
    if error.detail:
        st.code(error.detail, language=None)
    if source and error.line:
        st.caption(f"{error.file}, around line {error.line}")
        st.code(source_excerpt(source, error.line), language="python")


def source_excerpt(source: str, line: int, context: int = 3) -> str:
    """A few lines around `line`, the line itself marked with an arrow."""
    lines = source.splitlines()
    start, end = max(1, line - context), min(len(lines), line + context)
    return "\n".join(f"{'→' if n == line else ' '} {n:4d}  {lines[n - 1]}" for n in range(start, end + 1))


@st.cache_data(ttl=600, show_spinner=False)
def devices() -> DeviceInfo | None:
    """The worker machine's CPUs and GPUs (None when the worker cannot say)."""
    try:
        return run_devices()
    except TsvizError:
        return None


def run_bench_job(job: BenchJob) -> list[BenchRow]:
    """One variant on one device in its own worker; a failure becomes rows that say what happened."""
    try:
        return list(run_bench(job).rows)
    except TsvizError as e:
        return failed_rows(job, e.one_line())


@st.cache_data(max_entries=16, show_spinner=False)
def _compared_graphs(_result: DiffResult, request_key: str) -> tuple[dict[str, IRGraph], dict[str, tuple[str, ...]]]:
    """Folded inlined graph per converted mode, and the nodes of trace / script with no counterpart in the other."""
    graphs = {c.mode: fold_constants(c.graph) for c in _result.conversions if c.error is None}
    unmatched: dict[str, tuple[str, ...]] = {}
    if "trace" in graphs and "script" in graphs:
        unmatched["trace"], unmatched["script"] = unmatched_nodes(graphs["trace"], graphs["script"])
    return graphs, unmatched


@st.cache_data(max_entries=64, show_spinner=False)
def compared_graph_dots(_result: DiffResult, request_key: str, line: int) -> dict[str, str]:
    """DOT per converted mode: nodes only one of trace / script has in red, `line`'s nodes in yellow.

    Folding and matching do not depend on the line, so picking another hazard only redraws.
    """
    graphs, unmatched = _compared_graphs(_result, request_key)
    dots = {}
    for mode, graph in graphs.items():
        marks = {node_id: "only" for node_id in unmatched.get(mode, ())}
        marks.update({node_id: "selected" for node_id in nodes_at_line(graph, line)})
        dots[mode] = to_dot(graph, marks=marks)
    return dots


@st.cache_data(max_entries=128, show_spinner=False)
def graph_dot(_result: InspectResult, result_key: str, view: str, fold: bool) -> str:
    """DOT text for one view of a result (cached per result key, view and folding)."""
    graph = _result.inlined if view == "inlined" else _result.graph
    return to_dot(fold_constants(graph) if fold else graph)


def diff_key(request: DiffRequest) -> str:
    return f"{result_key(request.model)}:{request.hybrid}:{request.seed}"


def result_key(request: InspectRequest) -> str:
    """A stable key for a request: content hash plus options."""
    text = repr((request.filename, request.mode, request.entry, request.init_args, request.input_specs,
                 request.trace_submodules))
    return hashlib.sha256(request.content + text.encode()).hexdigest()[:20]


def no_model_yet() -> None:
    st.info("Upload a `.py` model file or a TorchScript `.pt` archive in the sidebar, or pick a sample model.")
