"""The Graph & code page's view of a torch.package archive: what it holds (modules, externs, pickles), and the
picked pickled model drawn: a ScriptModule as an archive, an eager nn.Module scripted or traced like a .py, with
its interned source as the source view."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from tsviz.model.errors import TsvizError
from tsviz.model.filekinds import saved_as
from tsviz.model.inputs import parse_input_spec
from tsviz.model.jobs import kind_of
from tsviz.report import package as views
from tsviz.ui.jobs import result_or_stop
from tsviz.ui.page import Loaded
from tsviz.ui.text import code, plain
from tsviz.ui.widgets import clickable_graph, show_error


def show_package(loaded: Loaded) -> None:
    """List the package in the worker, and draw the pickled model picked (the first one, to start)."""
    request = loaded.request
    chosen = st.session_state.get("package_pickle") or ""
    mode = st.session_state.get("package_mode") or "script"
    specs, problem = _typed_inputs(st.session_state.get("package_inputs", "")) if mode == "trace" else ((), "")
    result = result_or_stop("package", replace(request, entry=chosen, mode=mode, input_specs=specs),
                            f"Opening {request.filename} with torch.package.PackageImporter")
    st.header(f"{plain(request.filename)} · torch.package")
    st.caption(f"{plain(saved_as(request.filename, kind_of(request)))}, opened with `torch.package.PackageImporter` "
               "in the sandboxed worker (loading its pickles runs its code there, never in this server).")
    modules_col, extern_col, pickles_col, models_col = st.columns(4)
    modules_col.metric("Interned modules", len(result.modules))
    extern_col.metric("Extern modules", len(result.externs))
    pickles_col.metric("Pickles", len(result.pickles))
    models_col.metric("Models", len(result.models), help="Pickles that hold a ScriptModule or an nn.Module")
    for note in result.notes:
        st.info(plain(note), icon=":material/info:")
    model_tab, contents_tab = st.tabs(["Model", "Contents"])
    with contents_tab:
        st.dataframe(pd.DataFrame(views.pickle_rows(result), columns=views.PICKLE_COLUMNS), hide_index=True,
                     key="package_pickles")
        st.markdown("**Interned modules** (their source is in the package)\n\n"
                    + ("\n".join(f"- {code(m)}" for m in result.modules) or "None."))
        st.markdown("**Extern modules** (the loading interpreter provides them)\n\n"
                    + (", ".join(code(m) for m in result.externs) or "None."))
        if result.other_files:
            st.markdown("**Other files**\n\n" + "\n".join(f"- {code(f)}" for f in result.other_files))
    with model_tab:
        if result.model is not None:
            _model(result, problem)
    st.caption(f"The same on the command line: {code(f'tsviz inspect {request.filename} --entry {result.picked}')}"
               if result.picked else "")


def _typed_inputs(text: str) -> tuple[tuple, str]:
    """The trace's inputs typed as "2x8; 2x4 int64" (one spec an input, as --input takes them), and what is wrong
    with them ("" when nothing is)."""
    try:
        return tuple(parse_input_spec(part) for part in text.split(";") if part.strip()), ""
    except TsvizError as e:
        return (), e.one_line()


def _model(result, problem: str) -> None:
    models = [p.resource for p in result.models]
    holds = {p.resource: p for p in result.models}
    pick_col, mode_col = st.columns([3, 2])
    pick_col.selectbox("Pickled model", models, index=models.index(result.picked), key="package_pickle",
                       format_func=lambda r: f"{r} · {holds[r].holds} {holds[r].type}")
    eager = holds[result.picked].holds == "nn.Module"
    mode_col.radio("Mode", ["script", "trace"], key="package_mode", horizontal=True, disabled=not eager,
                   help="An eager module is converted like a .py: script compiles its source, trace runs it once "
                        "on guessed inputs. A ScriptModule is already compiled.")
    if eager and st.session_state.get("package_mode") == "trace":
        st.text_input("Inputs for the trace", key="package_inputs", placeholder="guessed; or e.g. 2x8 · 1x3x32x32 "
                      "float32 · int:16000, one per input, separated by ;",
                      help="The example inputs the trace runs forward on, as `--input` takes them. Empty: tsviz "
                           "guesses them from forward's parameters and the layers that take them.")
        if problem:
            st.error(plain(problem), icon=":material/block:")
    model = result.model
    if model.error is not None:
        show_error(model.error, model.source)
        return
    for note in model.notes:
        st.caption(plain(note))
    if model.input_shapes and not any(note.startswith("Inputs:") for note in model.notes):
        st.caption(f"Traced on {plain(', '.join(model.input_shapes))}, the inputs typed above.")
    graph_col, code_col = st.columns([3, 2])
    with graph_col:
        clickable_graph(model.graph, f"package:{model.filename}:{model.mode}", "package_graph")
    with code_col:
        st.caption("`.code`: TorchScript's Python-like view of the module")
        st.code(model.code, language="python", line_numbers=True)
    if model.source:
        where = (f"{code(result.source_file)}, interned in the package: L<n> in the graph is its line"
                 if result.source_file else "the code stored in the archive")
        st.subheader("Source")
        st.caption(where)
        st.code(model.source, language="python", line_numbers=True)
