"""The Graph & code page's view of a .pt2 (torch.export.save): its graph, its code, its signature with parameters,
buffers, constants and user inputs apart, the ranges of its dynamic dims, and a run on sample inputs."""
from __future__ import annotations

import streamlit as st

from tsviz.model.filekinds import PROGRAM_KINDS, saved_as
from tsviz.model.jobs import kind_of
from tsviz.report import pt2 as views
from tsviz.ui.jobs import result_or_stop
from tsviz.ui.page import Loaded
from tsviz.ui.text import code, plain
from tsviz.ui.widgets import clickable_graph


def holds_program(loaded: Loaded) -> bool:
    """The sidebar's file is an exported program (.pt2) or a torch.package, which the inspect job does not open."""
    return loaded.request is not None and kind_of(loaded.request).kind in PROGRAM_KINDS


def show_program(loaded: Loaded) -> None:
    """Load the .pt2 with torch.export.load in the worker and show what it is (a torch.package: what it holds)."""
    request = loaded.request
    if kind_of(request).kind == "package":
        from tsviz.ui.package import show_package

        show_package(loaded)
        return
    result = result_or_stop("pt2", request, f"Loading {request.filename} with torch.export.load")
    st.header(f"{plain(request.filename)} · exported program")
    st.caption(f"{plain(saved_as(request.filename, kind_of(request)))}, loaded with `torch.export.load` in the "
               "sandboxed worker. An exported program is one flat graph of ATen ops: parameters and buffers are "
               "inputs of the graph (folded into the nodes that use them here), and `torch.cond` / `while_loop` "
               "are regions holding their subgraphs.")
    user, state = result.inputs_of("user input"), [i for i in result.inputs if i.kind in views.STATE_KINDS]
    inputs_col, state_col, dims_col, run_col = st.columns(4)
    inputs_col.metric("User inputs", len(user))
    state_col.metric("Parameters · buffers · constants",
                     " · ".join(str(len(result.inputs_of(k))) for k in ("parameter", "buffer", "constant")),
                     help=f"{len(state)} inputs of the graph are the model's state, lifted by export")
    dims_col.metric("Dynamic dims", len(result.ranges))
    run_col.metric("Sample run", f"{result.run.seconds * 1e3:.1f} ms" if result.run.ok else "failed")
    graph_tab, signature_tab, run_tab = st.tabs(["Graph & code", "Signature", "Sample run"])
    with graph_tab:
        _graph_and_code(result)
    with signature_tab:
        _signature(result)
    with run_tab:
        _sample_run(result)
    st.caption(f"The same view on the command line: {code(f'tsviz inspect {request.filename} --json')}.")


def _graph_and_code(result) -> None:
    graph_col, code_col = st.columns([3, 2])
    with graph_col:
        clickable_graph(result.graph, f"pt2:{result.filename}", "pt2_graph", regions="regions")
    with code_col:
        st.caption("`ep.graph_module.code`: the Python the graph reads as")
        st.code(result.code, language="python", line_numbers=True)


def _signature(result) -> None:
    import pandas as pd  # for a .pt2's page only, not every page's first run

    st.subheader("User inputs")
    st.dataframe(pd.DataFrame(views.input_rows(result.inputs_of("user input")), columns=views.INPUT_COLUMNS),
                 hide_index=True, key="pt2_user_inputs")
    st.subheader("Outputs")
    st.dataframe(pd.DataFrame(views.output_rows(result), columns=views.OUTPUT_COLUMNS), hide_index=True,
                 key="pt2_outputs")
    st.subheader("Range constraints of dynamic dims")
    if result.ranges:
        st.dataframe(pd.DataFrame(views.range_rows(result), columns=views.RANGE_COLUMNS), hide_index=True,
                     key="pt2_ranges")
    else:
        st.caption("None: every dim is fixed to the size it was exported with (export with "
                   "`dynamic_shapes={'x': {0: torch.export.Dim('batch')}}` to keep one free).")
    for kind in ("parameter", "buffer", "constant"):
        rows = views.input_rows(result.inputs_of(kind))
        st.subheader(f"{kind.capitalize()}s ({len(rows)})")
        if rows:
            st.dataframe(pd.DataFrame(rows, columns=views.INPUT_COLUMNS), hide_index=True, key=f"pt2_{kind}s")
        else:
            st.caption("None.")


def _sample_run(result) -> None:
    run = result.run
    if run.ok:
        st.success(f"`ep.module()` ran in {run.seconds * 1e3:.1f} ms", icon=":material/check_circle:")
    else:
        st.error(f"`ep.module()` refused the sample inputs: {plain(run.error)}", icon=":material/block:")
    st.markdown("**Inputs**\n\n" + "\n".join(f"- {code(text)}" for text in run.inputs) if run.inputs
                else "**Inputs:** none")
    if run.outputs:
        st.markdown("**Outputs**\n\n" + "\n".join(f"- {code(text)}" for text in run.outputs))
    for note in result.notes:
        st.caption(plain(note))
