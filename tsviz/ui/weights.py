"""The Archive page's view of a state dict or a checkpoint: its tensors by module, totals, the other entries."""
from __future__ import annotations

import streamlit as st

from tsviz.model.filekinds import WEIGHT_KINDS, saved_as
from tsviz.model.jobs import kind_of
from tsviz.report import weights as views
from tsviz.report.views import size_text
from tsviz.ui.jobs import result_or_stop
from tsviz.ui.page import Loaded
from tsviz.ui.text import code, plain


def holds_weights(loaded: Loaded) -> bool:
    """The sidebar's file is a torch.save file (a state dict, a checkpoint), not a program."""
    return loaded.request is not None and kind_of(loaded.request).kind in WEIGHT_KINDS


def show_weights(loaded: Loaded) -> None:
    """Load the file with weights_only=True in the worker and show what it holds."""
    import pandas as pd  # for the Archive page only, not every page's first run

    request = loaded.request
    st.header(f"Archive · {plain(request.filename)}")
    result = result_or_stop("weights", request, f"Reading {request.filename} with torch.load(weights_only=True)")
    st.caption(f"{plain(saved_as(request.filename, kind_of(request)))}: {plain(result.holds)} ({result.format}), "
               "loaded with `torch.load(weights_only=True)` in the sandboxed worker: tensors and plain values only, "
               "no code of the file's runs.")
    tensors_col, elements_col, bytes_col, entry_col = st.columns(4)
    tensors_col.metric("Tensors", len(result.tensors))
    elements_col.metric("Elements", f"{result.total_numel:,}")
    bytes_col.metric("Tensor data", size_text(result.total_bytes))
    entry_col.metric("Weights entry", result.weights_entry or "(the file)",
                     help="The checkpoint entry the tensors below come from")
    for note in result.notes:
        st.info(plain(note), icon=":material/info:")
    tree_tab, totals_tab, entries_tab = st.tabs(["Tensors by module", "Totals",
                                                 f"Other entries ({len(result.entries)})"])
    with tree_tab:
        tops = [t.name for t in result.by_module]
        chosen = st.selectbox("Module", ["(all)", *tops], key="weights_module",
                              help="Top-level modules of the state dict; a module's rows hold its submodules' too")
        rows = views.tensor_rows(result, "" if chosen == "(all)" else chosen.replace("(top)", ""))
        st.dataframe(pd.DataFrame(rows, columns=views.TENSOR_COLUMNS), hide_index=True, key="weights_tensors")
    with totals_tab:
        st.subheader("By dtype")
        st.dataframe(pd.DataFrame(views.total_rows(result.by_dtype), columns=views.TOTAL_COLUMNS), hide_index=True,
                     key="weights_by_dtype")
        st.subheader("By top-level module")
        st.dataframe(pd.DataFrame(views.total_rows(result.by_module), columns=views.TOTAL_COLUMNS), hide_index=True,
                     key="weights_by_module")
    with entries_tab:
        if result.entries:
            st.dataframe(pd.DataFrame(views.entry_rows(result), columns=views.ENTRY_COLUMNS), hide_index=True,
                         key="weights_entries")
        else:
            st.caption("The file is the state dict itself: nothing else is saved in it.")
    st.caption(f"The same listing on the command line: {code(f'tsviz archive {request.filename} --json')}.")
