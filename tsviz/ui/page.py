"""Every page starts here: page config, navigation, the link's state, and the sidebar's model picker."""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st

from tsviz import client
from tsviz.client import sandbox
from tsviz.model.errors import TsvizError
from tsviz.model.filekinds import PROGRAM_KINDS, SOURCE_KINDS, WEIGHT_KINDS, refusal, saved_as, sniff
from tsviz.model.inputs import DTYPES, format_input_spec, parse_input_spec
from tsviz.model.jobs import is_archive, kind_of
from tsviz.model.project import project_stamp
from tsviz.model.types import MODES, DiffRequest, ErrorInfo, InputSpec, InspectRequest, InspectResult
from tsviz.model.uploads import (
    LOCAL_COMMAND,
    MAX_UPLOAD_MB,
    check_upload,
    content_digest,
    default_model_file,
    zip_files,
    zip_member,
    zip_python_files,
)
from tsviz.report.views import size_text
from tsviz.ui.given_weights import weights_fields
from tsviz.ui.jobs import in_worker
from tsviz.ui.state import (
    URL_KEYS,
    State,
    default_entry_key,
    default_picks_key,
    editor_key,
    entry_key,
    guess_key,
    init_key,
    input_key,
    keep_sidebar_choices,
    picks_key,
    prefill_key,
    state,
)
from tsviz.ui.text import code, plain
from tsviz.ui.widgets import failed_file

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_models"
ICON = Path(__file__).resolve().parents[1] / "assets" / "icon.png"
DEFAULT_SAMPLE = "data_dependent_if.py"
MODE_HELP = {
    "trace": "run forward() once on example inputs and record the ops",
    "script": "compile the Python source: keeps if / for / while",
    "hybrid": "trace the picked submodules, script the rest",
}
PAGES = (("app.py", "Graph & code", ":material/account_tree:"),
         ("pages/1_Model_overview.py", "Model overview", ":material/info:"),
         ("pages/2_Trace_vs_script.py", "Trace vs script", ":material/difference:"),
         ("pages/3_Benchmarks.py", "Benchmarks", ":material/speed:"),
         ("pages/4_Passes.py", "Passes", ":material/tune:"),
         ("pages/5_Archive.py", "Archive", ":material/inventory_2:"),
         ("pages/6_Migrate.py", "Migrate", ":material/output:"),
         ("pages/7_Deploy.py", "Deploy", ":material/rocket_launch:"))
# Pages renamed since their links were shared: the old address opens the page under its new name, link and all
RENAMED = {"Export_check": "pages/6_Migrate.py"}


@dataclass(frozen=True)
class Loaded:
    """What the sidebar chose and what the worker made of it (result or error)."""

    request: InspectRequest | None
    result: InspectResult | None
    error: ErrorInfo | None
    sample: bool = False  # one of our sample models (its docstring's markdown is ours), not an upload
    base_key: str = ""  # names the file as chosen (sample, upload, local file), edited or not
    edited: bool = False  # the request holds the session's edited copy of that file


def sample_files() -> list[str]:
    return sorted(p.name for p in SAMPLES_DIR.glob("*.py"))


def content_key(content: bytes) -> str:
    """Names a file by its bytes: the sidebar's widget keys and an upload's place in a link."""
    return content_digest(content)[:16]


def client_address() -> str | None:
    """The browser's address as the server's socket sees it (the TCP peer, which a header cannot fake; a proxy
    on the same machine makes everyone loopback); None where it is not known."""
    from streamlit.runtime import exists, get_instance
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not exists():
        return None
    session = get_instance().get_client(ctx.session_id)
    context = getattr(session, "client_context", None)
    return getattr(context, "remote_ip", None)


@st.cache_resource
def _once_per_server() -> None:
    """Say in the server's log how uploads are isolated (and why, where they are not); start the worker pool,
    so the first user does not wait for torch to import; then move everything
    imported so far (streamlit, pandas, plotly: about a million objects) out of the garbage collector's
    reach. Full collections of those stalled the server's event loop for up to a second under load."""
    sandbox.announce()
    from streamlit import runtime

    if runtime.exists():  # a real server (not AppTest): the opening view and the worker pool (`tsviz serve` has
        from tsviz.ui import opening  # started both already; `streamlit run app.py` starts them here)

        opening.prepare()
    else:
        client.warm_up()
    gc.collect()
    gc.freeze()


def page_setup(title: str) -> Loaded:
    """Every page starts here: page config, navigation, and the shared model picker."""
    # the icon is a file of ours: a :material/...: icon would be fetched from Google's servers by every browser
    st.set_page_config(page_title=f"{title} · tsviz", page_icon=str(ICON), layout="wide")
    _once_per_server()
    follow_renamed_page()
    read_url_once()
    keep_sidebar_choices()
    for path, label, icon in PAGES:
        st.sidebar.page_link(path, label=label, icon=icon)
    loaded = sidebar()
    if loaded.request is not None:  # every page's link names its model (the graph page adds where the walk is)
        st.query_params.from_dict(model_url_params(loaded.request))
    return loaded


def require_request(loaded: Loaded) -> InspectRequest:
    """The sidebar's model, or a note saying how to choose one and a stop (a torch.save file: where its tensors
    are shown, and a stop)."""
    if loaded.request is None:
        no_model_yet()
        st.stop()
    _stop_for_weights(loaded)
    return loaded.request


def require_source(loaded: Loaded, what: str) -> InspectRequest:
    """The sidebar's model when it is a .py; an archive gets a note saying `what` needs the source, and a stop."""
    request = require_request(loaded)
    if is_archive(request):
        st.info(f"A TorchScript archive is already compiled: {plain(what)} needs the model's Python source. Upload "
                "the `.py` file it was made from, or pick a sample model.", icon=":material/info:")
        st.stop()
    return request


def require_result(loaded: Loaded) -> InspectResult:
    """The result to show, or a message (no file yet / the file could not be read) and a stop."""
    require_request(loaded)
    if loaded.result is None:
        st.header(plain(loaded.request.filename))
        failed_file(loaded.error, loaded.request.content.decode("utf-8", errors="replace"), loaded.request.project)
        st.stop()
    return loaded.result


def _stop_for_weights(loaded: Loaded) -> None:
    """A torch.save file (the sidebar ran no job for it): say what it is and where its tensors are, and stop."""
    if loaded.request is None or loaded.result is not None or loaded.error is not None:
        return
    st.header(plain(loaded.request.filename))
    found = kind_of(loaded.request)
    if found.kind in PROGRAM_KINDS:
        shows = ("its graph, code, signature and a run on sample inputs" if found.kind == "pt2" else
                 "what it holds and draws the models pickled in it")
        st.info(f"{plain(saved_as(loaded.request.filename, found))}: not a TorchScript archive. The **Graph & code** "
                f"page shows {shows}.", icon=":material/info:")
        st.stop()
    st.info(f"{plain(saved_as(loaded.request.filename, kind_of(loaded.request)))}: saved tensors (a state dict or a "
            "checkpoint), not a program, so there is no graph to draw. The **Archive** page lists its tensors by "
            "module; to see the model, open the `.py` that defines it and give this file to its **Weights** "
            "uploader.", icon=":material/info:")
    st.stop()


def no_model_yet() -> None:
    if state.source_kind == "Upload a file" and not sandbox.allows_uploads_from(client_address()):
        st.warning(sandbox.REFUSAL, icon=":material/gpp_bad:")
        return
    st.info("Upload a `.py` model file or a TorchScript `.pt` archive in the sidebar, or pick a sample model.")


def sidebar() -> Loaded:
    """The model picker shared by every page; runs the conversion (cached by content and options)."""
    bar = st.sidebar
    bar.title("tsviz")
    bar.caption("Explore TorchScript: trace, script, hybrid.")
    uploads_allowed = sandbox.allows_uploads_from(client_address())
    if not sandbox.status().works:
        bar.warning(plain(sandbox.isolation()), icon=":material/shield:")
    local = sandbox.local_file()
    kinds = ["Sample model", "Upload a file"] + (["Local file"] if local else [])
    kind = bar.radio("Model", kinds, key=State.source_kind.key, horizontal=True)
    stamp, project = "", b""
    if kind == "Local file":  # `tsviz FILE`: the path goes to the worker; this process never reads the bytes
        info = os.stat(local)
        filename, content, stamp = Path(local).name, b"", f"{info.st_size}:{info.st_mtime_ns}"
        if (mount := sandbox.local_mount()) != local:  # a .py in its project: its siblings name the version too
            stamp += f":{project_stamp(mount)}"
        bar.caption(f"Local file {code(local)}, {size_text(info.st_size)}: read where it lies, not uploaded.")
    elif kind == "Sample model":
        State.sample.setdefault(DEFAULT_SAMPLE)
        name = bar.selectbox("Sample", sample_files(), key=State.sample.key,
                             format_func=lambda f: f.removesuffix(".py").replace("_", " "))
        filename, content = name, (SAMPLES_DIR / name).read_bytes()
    elif not uploads_allowed:  # fail closed: no sandbox, and this browser is not on the server's machine
        bar.error("Uploads are off for browsers on other machines: this server has no sandbox.",
                  icon=":material/gpp_bad:")
        state.uploaded = None
        return Loaded(None, None, None)
    else:
        upload = bar.file_uploader("A .py model file, a TorchScript archive (.pt, .pth, .jit, any name), or a .zip of "
                                   "a project", key="upload")  # any name: the kind is read from the content
        bar.caption(f"Up to {MAX_UPLOAD_MB} MB. A larger file: run {code(f'{LOCAL_COMMAND} path/to/model.pt')} on the "
                    "machine that has it; the dashboard opens on it there, read where it lies, not uploaded.")
        if upload is not None:  # kept outside the widget so it survives a page switch
            try:
                check_upload(upload.name, upload.size)
                state.uploaded = (upload.name, upload.getvalue())
            except TsvizError as e:  # the previous upload, if any, stays
                bar.error(plain(e.one_line()), icon=":material/block:")
        if state.uploaded is None:
            link = state.link_upload
            bar.info(f"This link shows an uploaded file (content hash {code(link)}); links never hold the file itself: "
                     "upload the same file to see the view." if link
                     else "Choose a file, or go back to a sample model.")
            return Loaded(None, None, None)
        filename, content = state.uploaded
        if upload is None:
            bar.caption(f"Showing {plain(filename)}, uploaded earlier.")
        filename, content, project = _project_upload(bar, filename, content)
    found = kind_of(InspectRequest(filename, content, local_path=local if kind == "Local file" else ""))
    if kind != "Sample model":
        bar.caption(plain(saved_as(filename, found)))
    if found.kind in (*WEIGHT_KINDS, *PROGRAM_KINDS):  # no TorchScript: the Archive page lists saved tensors
        if found.kind in WEIGHT_KINDS:  # (tsviz.ui.weights), the Graph & code page shows a .pt2 (tsviz.ui.pt2)
            bar.info("Saved tensors, no program: the **Archive** page lists them by module.", icon=":material/info:")
        return Loaded(InspectRequest(filename, content, local_path=local if kind == "Local file" else "",
                                     local_stamp=stamp), None, None, base_key=content_key(content or local.encode()))
    if (refused := refusal(filename, found)) is not None:
        bar.error(plain(refused.one_line()), icon=":material/block:")
        return Loaded(None, None, None)
    archive = found.kind == "torchscript"
    State.mode.setdefault("script")
    file_key = content_key(content or f"{local}:{stamp}".encode())  # the file's options stay with it through edits
    weights = {} if archive else weights_fields(bar, file_key, local=kind == "Local file")  # a .py's trained weights
    _default_mode(file_key)
    mode = bar.radio("Mode", MODES, key=State.mode.key, horizontal=True, disabled=archive,
                     help=" · ".join(f"{m}: {h}" for m, h in MODE_HELP.items()),
                     on_change=State.mode_chosen.set, args=(True,))
    applied = st.session_state.get(editor_key(file_key))  # Ctrl+Enter in the graph page's editor, this very run
    if applied is not None and applied.encode() != content:
        state.edits = {**state.edits, file_key: applied.encode()}
    elif applied is not None:  # edited back to the file itself
        state.edits = {k: v for k, v in state.edits.items() if k != file_key}
    edit = state.edits.get(file_key)
    if edit is not None:
        content, local, stamp = edit, "", ""
        bar.caption("Showing your edited copy: Revert in the editor goes back to the file.")
    request = InspectRequest(
        filename=filename, content=content, mode="script" if archive else mode,
        entry=_saved_entry(file_key),
        init_args=_saved_init_args(file_key),
        # script mode runs nothing, so the shape fields (which appear after the first run) do not change its request
        input_specs=_saved_input_specs(file_key) if mode != "script" else (),
        trace_submodules=_saved_picks(file_key),
        local_path=local if kind == "Local file" else "", local_stamp=stamp, project=project, **weights,
    )
    result, error = in_worker("inspect", request, f"Converting {filename}")
    if _script_failed_by_default(request, result, file_key):
        st.rerun()  # shown in hybrid from the start of the page (the radio above says so too)
    if result is not None and not request.entry:
        st.session_state[default_entry_key(file_key)] = result.entry
    if result is not None and not archive:
        _model_options(bar, result, file_key, guessed=not request.input_specs)
    elif result is not None:
        _archive_input_fields(bar, result, file_key)
    return Loaded(request, result, error, sample=kind == "Sample model" and edit is None, base_key=file_key,
                  edited=edit is not None)


def _project_upload(bar, filename: str, content: bytes) -> tuple[str, bytes, bytes]:
    """(model file name, its bytes, the project's zip or b""): a .zip upload is a project whose model file the
    user names (read from its directory here; the worker unpacks the rest); a .py may bring its siblings."""
    if sniff(content).kind in ("project", "zip"):
        try:
            names = zip_python_files(content)
        except TsvizError as e:
            bar.error(plain(e.one_line()), icon=":material/block:")
            st.stop()
        if not names:
            bar.error(f"{plain(filename)} holds no .py file.", icon=":material/block:")
            st.stop()
        st.session_state.setdefault("zip_member", default_model_file(names))
        if st.session_state["zip_member"] not in names:
            st.session_state["zip_member"] = default_model_file(names)
        model = bar.selectbox("Model file in the project", names, key="zip_member",
                              help="The file that defines the model; the project's other files import as they would "
                                   "in the repository (the zip is unpacked in the sandbox).")
        return model, zip_member(content, model), content
    if sniff(content).kind not in SOURCE_KINDS:
        return filename, content, b""
    siblings = bar.file_uploader("The project's other files it imports (optional)", type=["py", "json", "yaml",
                                 "yml", "toml", "txt", "cfg"], accept_multiple_files=True, key="upload_siblings",
                                 help="Beside the model file, as in its folder: `from .parts import Block` and "
                                      "`import utils` then find them. A package with folders: upload a .zip.")
    if not siblings:
        return filename, content, b""
    files = {f.name: f.getvalue() for f in siblings if f.name != filename}
    bar.caption(f"With {len(files)} file{'s' if len(files) != 1 else ''} of its project: "
                f"{plain(', '.join(sorted(files)))}.")
    return filename, content, zip_files({**files, filename: content})


def _default_mode(file_key: str) -> None:
    """Script until it fails: while the user has not picked a mode, a file that does not script is shown in
    hybrid (which traces just the parts that do not compile), and the next file starts in script again."""
    if state.mode_chosen or not state.hybrid_for:
        return
    if state.hybrid_for == file_key:
        state.mode = "hybrid"
    elif state.mode == "hybrid":
        state.mode, state.hybrid_for = "script", ""


def _script_failed_by_default(request: InspectRequest, result: InspectResult | None, file_key: str) -> bool:
    """Script mode, not picked by the user, failed to compile this .py: remember to show it in hybrid."""
    if (state.mode_chosen or request.mode != "script" or result is None or result.kind != "py"
            or result.error is None or result.error.type != "ScriptError"):
        return False
    state.hybrid_for = file_key
    return True


def _archive_input_fields(bar, result: InspectResult, file_key: str) -> None:
    """An archive's forward arguments, for the Migrate page's sample inputs (empty: it finds some itself)."""
    typed = [(dict(n.attrs).get("name", ""), n.outputs[0].type if n.outputs else "") for n in result.graph.nodes
             if n.kind == "input"]
    typed = [(name, kind) for name, kind in typed if name != "self"]
    if not typed:
        return
    bar.markdown("**Example inputs** for the Migrate and Deploy pages: a shape and dtype for a tensor, a typed "
                 "value for the rest (empty: it finds some itself)")
    for i, (name, kind) in enumerate(typed):
        bar.text_input(plain(f"{name or f'input {i}'}: {kind}" if kind else name or f"input {i}"),
                       key=input_key(file_key, i), placeholder=_TYPED_EXAMPLES.get(kind.removeprefix(
                           "Optional[").rstrip("]"), "e.g. 2x8 float32"))


# what the sidebar suggests typing for an argument of each schema type (tsviz.model.inputs reads them)
_TYPED_EXAMPLES = {"int": "e.g. int:16000", "float": "e.g. float:0.5", "bool": "e.g. bool:true",
                   "str": "e.g. str:greedy", "NoneType": "none", "List[int]": "e.g. [1, 2]"}


def _model_options(bar, result: InspectResult, file_key: str, guessed: bool) -> None:
    """Entry point, constructor arguments, input shapes and hybrid picks, drawn from the last result (whose
    suggested inputs are the worker's own guess when `guessed`)."""
    names = [e.name for e in result.entries]
    if len(names) > 1:
        bar.selectbox("Entry point", names, index=names.index(result.entry), key=entry_key(file_key))
    entry = next(e for e in result.entries if e.name == result.entry)
    params = [p for p in entry.init_params if not p.name.startswith("*")]
    if params:
        bar.markdown("**Constructor arguments**")
        bar.caption("Python expressions, evaluated in the sandbox with the file's names, torch, nn, math and "
                    "SimpleNamespace: 32, 'LSTM', Config(width=64).")
        st.session_state[prefill_key(file_key)] = {p.name: p.prefill for p in params if p.prefill}
    for p in (p for p in params if p.default is None):
        st.session_state.setdefault(init_key(file_key, p.name), p.prefill)
        reads = plain(", ".join(f"{p.name}.{a}" for a in p.reads))
        bar.text_input(plain(p.name + (f": {p.annotation}" if p.annotation else "")), key=init_key(file_key, p.name),
                       placeholder=f"SimpleNamespace({', '.join(f'{a}=…' for a in p.reads[:4])})" if p.reads
                       else "e.g. 32, 'LSTM' or (3, 3)",
                       help=f"The constructor reads {reads}." if reads else None)
        if p.reads:
            bar.caption(f"reads {reads}")
    optional = [p for p in params if p.default is not None]
    if optional:
        with bar.expander(f"{len(optional)} more with defaults"):
            for p in optional:
                st.text_input(plain(p.name), key=init_key(file_key, p.name), placeholder=p.default,
                              help=f"Empty keeps the default, {code(p.default)}.")
    if result.needs_inputs or st.session_state.get(input_key(file_key, 0)):
        bar.markdown("**Example inputs** for trace and hybrid (the file gives none): a shape and dtype, or a "
                     "Python expression (`model` is the built model)")
        params = [p.name for p in entry.forward_params if not p.name.startswith("*")] or ["x"]
        texts = tuple(format_input_spec(spec) for spec in result.suggested_inputs)
        previous = st.session_state.get(guess_key(file_key), ())
        for i, text in enumerate(texts):
            label = params[i] if i < len(params) else f"input {i}"
            typed = st.session_state.get(input_key(file_key, i))
            if typed is None or (guessed and i < len(previous) and typed == previous[i]):
                st.session_state[input_key(file_key, i)] = text  # not edited: it follows the worker's guess
            bar.text_input(plain(label), key=input_key(file_key, i),
                           help=f"e.g. 2x16 or 1x3x32x32 float32 (dtypes: {', '.join(DTYPES)}), a value of a "
                                "type (int:16000, float:0.5, bool:true, str:greedy, none), or an expression: "
                                "torch.randint(0, 100, (35, 4)), model.init_hidden(4)")
        if guessed:
            st.session_state[guess_key(file_key)] = texts
    if result.mode == "hybrid" and result.submodules:
        options = [s.name for s in result.submodules]
        defaults = tuple(n for n in result.default_trace_submodules if n in options)
        st.session_state[default_picks_key(file_key)] = defaults
        st.session_state.setdefault(picks_key(file_key), list(defaults))
        bar.multiselect("Submodules to trace", options, key=picks_key(file_key),
                        help="Their real inputs are recorded in one eager run; the rest is scripted.")


def model_request(loaded: Loaded) -> InspectRequest:
    """The sidebar's model for a job that tries every conversion itself (the mode does not matter), with the
    shapes typed for it whatever the mode."""
    return replace(loaded.request, mode="script", input_specs=_saved_input_specs(loaded.base_key))


def diff_request(loaded: Loaded, hybrid: bool = False, seed: int = 0) -> DiffRequest:
    """The comparison of the sidebar's model: every mode."""
    return DiffRequest(model_request(loaded), hybrid=hybrid, seed=seed)


def _saved_init_args(file_key: str) -> tuple[tuple[str, str], ...]:
    """Typed constructor arguments; one equal to the worker's own prefill is not sent (see below)."""
    prefix, prefills = init_key(file_key), st.session_state.get(prefill_key(file_key), {})
    return tuple(sorted((k[len(prefix):], str(v)) for k, v in st.session_state.items()
                        if isinstance(k, str) and k.startswith(prefix) and v
                        and str(v).strip() != prefills.get(k[len(prefix):])))


def _saved_input_specs(file_key: str) -> tuple[InputSpec, ...]:
    """Typed inputs; none when they are the worker's own last guess, so the worker guesses (and, when it runs
    the model, keeps the guess the model runs on)."""
    texts = []
    while (text := st.session_state.get(input_key(file_key, len(texts)))) is not None:
        texts.append(text)
    if tuple(texts) == st.session_state.get(guess_key(file_key)) or not any(texts):
        return ()
    try:
        return tuple(parse_input_spec(text) for text in texts)
    except TsvizError as e:
        st.sidebar.error(plain(e.one_line()))
        return ()


# A choice equal to what the worker picks by itself is sent as "" / None, so the request (the cache key of the
# conversion) does not change when the widgets first appear holding those defaults.


def _saved_entry(file_key: str) -> str:
    chosen = st.session_state.get(entry_key(file_key), "")
    return "" if chosen == st.session_state.get(default_entry_key(file_key)) else chosen


def _saved_picks(file_key: str) -> tuple[str, ...] | None:
    picks = st.session_state.get(picks_key(file_key))
    if picks is None or tuple(picks) == st.session_state.get(default_picks_key(file_key)):
        return None
    return tuple(picks)


# ---- links: the model and the walk in the URL ------------------------------------------------------------


def model_url_params(request: InspectRequest) -> dict[str, str]:
    """The model part of a link: sample or upload (by content hash only, never its bytes) and mode."""
    params = {"mode": request.mode}
    if state.source_kind == "Sample model":
        params["sample"] = request.filename
    elif request.local_path:
        params["local"] = "1"
    else:
        params["upload"] = content_key(request.content)
    return params


def follow_renamed_page() -> None:
    """An old permalink (/Export_check?sample=...) lands on the main script, Streamlit finding no page of that
    name: switch to the page it now is, with the link's parameters."""
    url = st.context.url or ""
    old = url.rstrip("/").rsplit("/", 1)[-1]
    if old in RENAMED:
        st.switch_page(RENAMED[old], query_params=st.query_params.to_dict())


def read_url_once() -> None:
    """On a session's first run, a permalink's state (sample, mode, view, submodule, node, line, search)."""
    if state.url_read:
        return
    state.url_read = True
    params = st.query_params
    if sandbox.local_file() and not params.get("sample") and not params.get("upload"):
        state.source_kind = "Local file"  # `tsviz FILE` opens on its file
    elif params.get("sample") in sample_files():
        state.source_kind = "Sample model"
        state.sample = params["sample"]
    elif params.get("upload"):
        state.source_kind = "Upload a file"
        state.link_upload = params["upload"]
    if params.get("mode") in MODES:
        state.mode = params["mode"]
    for param, key in URL_KEYS.items():
        if param in params:
            value = params[param]
            if key is State.gline:
                value = int(value) if value.isdigit() else 0
            elif key is State.teach:
                value = value == "1"
            st.session_state[key.key] = value
    if state.view not in ("graph", "inlined"):
        State.view.clear()


TOLERANCES = [10.0 ** -k for k in range(10, 0, -1)]  # 1e-10 ... 1e-1, the Trace vs script page's steps


def tolerance_sliders(atol_col: object, rtol_col: object, key: str) -> tuple[float, float]:
    """(atol, rtol) from Trace vs script's two sliders, in the columns given: an output matches when every
    element is within atol absolutely or rtol relatively (tsviz.graph.verdict's defaults)."""
    from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL

    atol = atol_col.select_slider("Absolute tolerance", TOLERANCES, value=DEFAULT_ATOL, key=f"{key}_atol",
                                  format_func=lambda v: f"{v:.0e}")
    rtol = rtol_col.select_slider("Relative tolerance", TOLERANCES, value=DEFAULT_RTOL, key=f"{key}_rtol",
                                  format_func=lambda v: f"{v:.0e}")
    return atol, rtol
