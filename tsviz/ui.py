"""The only tsviz module that imports streamlit: the shared sidebar, cached jobs and rendering helpers."""
from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, TypeVar

import pandas as pd
import streamlit as st

from tsviz import graph_view, sandbox
from tsviz.bench_report import failed_rows, rows_frame, summary_table
from tsviz.dot import to_dot
from tsviz.errors import TsvizError
from tsviz.fold import fold_constants
from tsviz.graph_diff import unmatched_nodes
from tsviz.hazards import nodes_at_line
from tsviz.inputs import DTYPES, format_input_spec, parse_input_spec
from tsviz.layout import render_svg
from tsviz.jobs import run_bench, run_devices, run_diff, run_inspect, warm_up
from tsviz.report import build_report
from tsviz.types import (MODES, BenchJob, BenchRow, DeviceInfo, DiffRequest, ErrorInfo, InputSpec,
                         InspectRequest, InspectResult, IRGraph)
from tsviz.uploads import SUFFIXES, check_upload, content_digest
from tsviz.viewer import graph_view as draw_graph

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
         ("pages/3_Benchmarks.py", "Benchmarks", ":material/speed:"),
         ("pages/4_Passes.py", "Passes", ":material/tune:"),
         ("pages/5_Archive.py", "Archive", ":material/inventory_2:"),
         ("pages/6_Export_check.py", "Export check", ":material/output:"))
_SIDEBAR_KEYS = ("source_kind", "sample", "mode", "entry:", "init:", "inputs:", "picks:")


def page_setup(title: str) -> Loaded:
    """Every page starts here: page config, navigation, and the shared model picker."""
    st.set_page_config(page_title=f"{title} · tsviz", page_icon=":material/account_tree:", layout="wide")
    _once_per_server()
    read_url_once()
    _keep_sidebar_choices()
    for path, label, icon in PAGES:
        st.sidebar.page_link(path, label=label, icon=icon)
    loaded = sidebar()
    if loaded.request is not None:  # every page's link names its model (the graph page adds where the walk is)
        st.query_params.from_dict(model_url_params(loaded.request))
    return loaded


def require_request(loaded: Loaded) -> InspectRequest:
    """The sidebar's model, or a note saying how to choose one and a stop."""
    if loaded.request is None:
        no_model_yet()
        st.stop()
    return loaded.request


def require_source(loaded: Loaded, what: str) -> InspectRequest:
    """The sidebar's model when it is a .py; an archive gets a note saying `what` needs the source, and a stop."""
    request = require_request(loaded)
    if request.filename.lower().endswith(".pt"):
        st.info(f"A `.pt` archive is already compiled: {what} needs the model's Python source. Upload the `.py` "
                "file it was made from, or pick a sample model.", icon=":material/info:")
        st.stop()
    return request


def require_result(loaded: Loaded) -> InspectResult:
    """The result to show, or a message (no file yet / the file could not be read) and a stop."""
    require_request(loaded)
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
            link = st.session_state.get("link_upload")
            bar.info(f"This link shows an uploaded file (content hash {link}); links never hold the file itself: "
                     "upload the same file to see the view." if link else "Choose a file, or go back to a sample model.")
            return Loaded(None, None, None)
        filename, content = st.session_state["uploaded"]
        if upload is None:
            bar.caption(f"Showing {filename}, uploaded earlier.")
    is_archive = filename.lower().endswith(".pt")
    st.session_state.setdefault("mode", "script")
    mode = bar.radio("Mode", MODES, key="mode", horizontal=True, disabled=is_archive,
                     help=" · ".join(f"{m}: {h}" for m, h in MODE_HELP.items()))
    file_key = content_key(content)
    request = InspectRequest(
        filename=filename, content=content, mode="script" if is_archive else mode,
        entry=_saved_entry(file_key),
        init_args=_saved_init_args(file_key),
        # script mode runs nothing, so the shape fields (which appear after the first run) do not change its request
        input_specs=_saved_input_specs(file_key) if mode != "script" else (),
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


def content_key(content: bytes) -> str:
    """Names a file by its bytes: the sidebar's widget keys and an upload's place in a link."""
    return content_digest(content)[:16]


def model_request(loaded: Loaded) -> InspectRequest:
    """The sidebar's model for a job that tries every conversion itself (the mode does not matter), with the
    shapes typed for it whatever the mode."""
    return replace(loaded.request, mode="script", input_specs=_saved_input_specs(content_key(loaded.request.content)))


def diff_request(loaded: Loaded, hybrid: bool = False, seed: int = 0) -> DiffRequest:
    """The comparison of the sidebar's model: every mode."""
    return DiffRequest(model_request(loaded), hybrid=hybrid, seed=seed)


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
    picked_drawing, picked_node = st.session_state.get("pair_node", ("", ""))
    for column, (label, (graph, dot_text)) in zip(st.columns(len(drawings) or 1), drawings.items()):
        drawing = f"{key}:{label}"  # a selection belongs to one drawing: another model or step starts without one
        picked = picked_node if picked_drawing == drawing else ""
        with column:
            st.markdown(f"**{label}** · {len(graph.nodes)} nodes")
            svg, problem = walk_svg(dot_text, len(graph.nodes))
            if problem:
                st.warning(problem, icon=":material/warning:")
                continue
            marked = nodes_at_line(graph, line) if line else ()
            marks = {node_id: "selected" for node_id in marked}
            if picked:
                marks[picked] = "selected"
            pick = lambda node_id, chosen=drawing: st.session_state.update(pair_node=(chosen, node_id))  # noqa: E731
            draw_graph(svg, drawing, marks=marks, focus=list(marked[:1]), key=f"pair_graph:{label}",
                       height=560, on_select=pick, on_activate=pick)
            if any(n.id == picked for n in graph.nodes):
                details = graph_view.node_details(graph, picked)
                show_node(details)
                if details["line"]:
                    st.code(source_excerpt(source, details["line"]), language="python")


def diff_key(request: DiffRequest) -> str:
    return f"{result_key(request.model)}:{request.hybrid}:{request.seed}"


def result_key(request: InspectRequest) -> str:
    """A stable key for a request: content hash plus options."""
    text = repr((request.filename, request.mode, request.entry, request.init_args, request.input_specs,
                 request.trace_submodules))
    return hashlib.sha256((content_digest(request.content) + text).encode()).hexdigest()[:20]


def no_model_yet() -> None:
    st.info("Upload a `.py` model file or a TorchScript `.pt` archive in the sidebar, or pick a sample model.")


# ---- walking the graph page: submodule, selection, search state (session state and the URL) -------------

MAX_LAYOUT_NODES = 2500  # beyond this, dot takes minutes: the page offers submodules instead
_URL_KEYS = {"view": "view", "path": "gpath", "node": "gnode", "line": "gline", "q": "q", "teach": "teach"}


def model_url_params(request: InspectRequest) -> dict[str, str]:
    """The model part of a link: sample or upload (by content hash only, never its bytes) and mode."""
    params = {"mode": request.mode}
    if st.session_state.get("source_kind", "Sample model") == "Sample model":
        params["sample"] = request.filename
    else:
        params["upload"] = content_key(request.content)
    return params


def read_url_once() -> None:
    """On a session's first run, a permalink's state (sample, mode, view, submodule, node, line, search)."""
    if st.session_state.get("url_read"):
        return
    st.session_state["url_read"] = True
    params = st.query_params
    if params.get("sample") in sample_files():
        st.session_state["source_kind"] = "Sample model"
        st.session_state["sample"] = params["sample"]
    elif params.get("upload"):
        st.session_state["source_kind"] = "Upload a file"
        st.session_state["link_upload"] = params["upload"]
    if params.get("mode") in MODES:
        st.session_state["mode"] = params["mode"]
    for param, key in _URL_KEYS.items():
        if param in params:
            value = params[param]
            st.session_state[key] = (int(value) if value.isdigit() else 0) if key == "gline" else \
                (value == "1") if key == "teach" else value
    if st.session_state.get("view") not in ("graph", "inlined"):
        st.session_state.pop("view", None)


class GraphWalk:
    """Where the reader is: the open submodule, the selected node or source line, the folded if/loop regions."""

    def __init__(self, loaded: Loaded) -> None:
        self.result, self.request = loaded.result, loaded.request

    @classmethod
    def load(cls, loaded: Loaded) -> GraphWalk:
        """The walk of this result; another model, mode or option starts a new walk (node ids differ)."""
        walk = cls(loaded)
        previous = st.session_state.get("walk_of")
        st.session_state["walk_of"] = walk._key()
        if previous is not None and previous != walk._key():
            walk.open("")
        if walk.result.view(walk.path) is None:
            st.session_state["gpath"] = ""
        return walk

    path = property(lambda self: st.session_state.get("gpath", ""))
    node = property(lambda self: st.session_state.get("gnode", ""))
    line = property(lambda self: int(st.session_state.get("gline", 0) or 0))

    def open(self, path: str) -> None:
        st.session_state.update(gpath=path, gnode="", gline=0)

    def select(self, node_id: str) -> None:
        st.session_state.update(gnode=node_id, gline=0)

    def pick_line(self, line: int) -> None:
        st.session_state.update(gline=int(line), gnode="")

    def pick_code_line(self, line: int) -> None:
        shown, code = self._current()
        hits = [node_id for node_id, n in graph_view.code_lines(shown, code).items() if n == line]
        if hits:
            self.select(hits[0])

    def activate(self, node_id: str) -> None:
        """Double-click: open a submodule call, or fold / unfold an if or loop region."""
        view = st.session_state.get("view", "graph")
        node = next((n for n in self._current()[0].nodes if n.id == node_id), None)
        if node is None:
            return
        target = graph_view.opens(self.result, self.path, node) if view == "graph" else None
        if target is not None:
            self.open(target)
        elif node.kind in ("prim::If", "prim::Loop"):
            key = self._collapsed_state(view)
            st.session_state[key] = st.session_state.get(key, frozenset()) ^ {node_id}

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
        return ",".join(sorted(st.session_state.get(self._collapsed_state(view), ())))

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
        lines = graph_view.code_lines(shown, code)
        selected = [self.node] if self.node else nodes_at_line(shown, self.line)
        return sorted({lines[n] for n in selected if n in lines})

    def save_url(self) -> None:
        """Add where the walk is to the URL (page_setup has put the model there)."""
        params = {}
        for param, key in _URL_KEYS.items():
            value = st.session_state.get(key)
            if value not in (None, "", 0, False) and not (param == "view" and value == "graph"):
                params[param] = "1" if value is True else str(value)
        st.query_params.update(params)

    def _current(self) -> tuple[IRGraph, str]:
        """What is drawn now, as the widgets' state says (callbacks run before the page does)."""
        return self.drawing(st.session_state.get("view", "graph"), st.session_state.get("fold", True))

    def _key(self) -> str:
        return result_key(self.request)

    def _collapsed_state(self, view: str) -> str:
        return f"collapsed:{self._key()}:{view}:{self.path if view == 'graph' else ''}"


@st.cache_data(max_entries=64, show_spinner=False)
def _walk_graph(_result: InspectResult, result_key: str, view: str, path: str, fold: bool, collapsed: str) -> IRGraph:
    graph = _result.inlined if view == "inlined" else _result.view(path).graph
    graph = fold_constants(graph) if fold else graph
    return graph_view.collapse(graph, frozenset(filter(None, collapsed.split(","))))


@st.cache_data(max_entries=64, show_spinner=False)
def _walk_dot(_result: InspectResult, key: str, view: str, path: str, fold: bool, collapsed: str) -> str:
    return to_dot(_walk_graph(_result, key, view, path, fold, collapsed))


@st.cache_data(max_entries=64, show_spinner="Laying out the graph…")
def walk_svg(dot_text: str, nodes: int) -> tuple[str, str]:
    """(svg, "") or ("", what to do instead): too many nodes, or dot too slow."""
    if nodes > MAX_LAYOUT_NODES:
        return "", (f"{nodes} nodes are too many to lay out here (the limit is {MAX_LAYOUT_NODES}). Use the module "
                    "graph and open one submodule at a time, or collapse if/loop regions.")
    try:
        return render_svg(dot_text), ""
    except TsvizError as e:
        return "", e.one_line()


def teaching_style() -> None:
    """Projector type: larger text everywhere on the page (the graph itself is zoomed by its viewer)."""
    st.html("<style>[data-testid=stMain] [data-testid=stMarkdown] :is(p, li) { font-size: 1.3rem; line-height: 1.55; }"
            "[data-testid=stMain] [data-testid=stCaptionContainer] { font-size: 1.05rem; }"
            "[data-testid=stMain] h1 { font-size: 2.6rem; }</style>")


def show_node(details: dict) -> None:
    """The selected node: kind, scope, source line; inputs and outputs with types; folded constants."""
    where = f" · line {details['line']}" if details["line"] else ""
    scope = f" · `{details['scope']}`" if details["scope"] else ""
    saved = f" · first written at {details['saved_from']}" if details["saved_from"] else ""
    st.markdown(f"**`{details['kind']}`**{scope}{where}{saved}")
    rows = [{"": "in", "name": arg, "value": value, "type": type_} for arg, value, type_ in details["inputs"]]
    rows += [{"": "out", "name": "", "value": name, "type": type_} for name, type_ in details["outputs"]]
    rows += [{"": "const", "name": k, "value": v, "type": ""} for k, v in details["constants"]]
    rows += [{"": "attr", "name": k, "value": v, "type": ""} for k, v in details["attributes"]]
    if rows:  # a plain table: it draws at once (a data grid took most of a second to appear on each click)
        st.table(pd.DataFrame(rows), border="horizontal")


def review_report(loaded: Loaded) -> str:
    """The page's review report: the model graph, .code, source, trace-vs-script findings (default seed, from
    the worker's cache when the Trace vs script page ran them) and this session's benchmark rows, if any."""
    result = loaded.result
    diff = None
    if result.kind == "py":
        diff, _ = in_worker(run_diff, diff_request(loaded), "Comparing trace and script for the report")
    rows = st.session_state.get("bench_rows") or []
    bench = summary_table(rows_frame(rows, "this machine")) if rows else None
    svg, _ = walk_svg(to_dot(fold_constants(result.graph)), len(result.graph.nodes))
    return build_report(result, svg, diff=diff, bench=bench)
