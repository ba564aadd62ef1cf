"""Trace vs script: where a trace gives other answers than the eager model, and why, pinned to source lines."""

import pandas as pd
import streamlit as st

from tsviz import ui

loaded = ui.page_setup("Trace vs script")
st.header(f"Trace vs script · {ui.plain(ui.require_request(loaded).filename)}")
ui.require_source(loaded, "comparing trace and script")

seed_col, atol_col, rtol_col, hybrid_col = st.columns([1, 2, 2, 1], vertical_alignment="bottom")
seed = seed_col.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="diff_seed",
                             help="Seeds the model's weights, the file's inputs and the generated inputs.")
atol, rtol = ui.tolerance_sliders(atol_col, rtol_col, "diff")
hybrid = hybrid_col.toggle("Hybrid too", value=loaded.request.mode == "hybrid", key="diff_hybrid",
                           help="Also convert in hybrid mode (the sidebar's submodule picks) and compare it.")

request = ui.diff_request(loaded, hybrid=hybrid, seed=int(seed))
result = ui.result_or_stop("diff", request, "Converting three ways and running every input")

# ---- verdicts and outputs --------------------------------------------------------------------------
modes = [c.mode for c in result.conversions]
for mode in modes:
    v = ui.verdict(result, mode, atol, rtol)
    if v.matches:
        st.success(ui.plain(v.sentence()), icon=":material/check_circle:")
    else:
        st.error(ui.plain(v.sentence()), icon=":material/cancel:")
for note in result.notes:
    st.caption(ui.plain(note))

st.subheader(f"Outputs on {len(result.cases)} inputs")
st.caption(f"Each cell: the largest absolute and relative difference from the eager model over every output "
           f"element. ✔ when every element is within {atol:.0e} absolutely or within {rtol:.0e} relatively. "
           f"Generated inputs change one size, the sign or the scale of the example, or draw new values "
           f"(seed {result.seed}).")
rows = pd.DataFrame(ui.case_rows(result, atol, rtol))
mode_columns = [m for m in modes if m in rows.columns]
st.dataframe(
    rows.style.map(lambda text: "background-color: #fde2e1" if str(text).startswith("✘") else "", subset=mode_columns),
    hide_index=True, key="outputs_table",
)

# ---- hazards --------------------------------------------------------------------------------------
hazards = ui.counted(result.hazards)
st.subheader(f"Hazards in the trace ({len(hazards)})")
selected_line = 0
if not hazards:
    trace = result.conversion("trace")
    st.info("No hazards found: no TracerWarning, no lost control flow, no frozen values or devices."
            if trace is not None and trace.error is None else "The trace failed, so there is no traced graph to read.")
else:
    st.caption("Wrong output: the trace was seen differing from eager on these inputs. May differ: the inputs "
               "tried here did not expose it, but other inputs can.")
    list_col, detail_col = st.columns([2, 3])
    labels = [f"{ui.SEVERITY_TITLES[h.severity]} · line {h.line or '?'} · {ui.HAZARDS[h.kind].title}"
              for h in hazards]
    chosen = list_col.radio("Pick one to see its line and its nodes", range(len(labels)), key="hazard",
                            format_func=labels.__getitem__, captions=[ui.plain(h.message) for h in hazards])
    hazard = hazards[chosen]
    selected_line = hazard.line
    with detail_col:
        st.markdown(f"**{ui.HAZARDS[hazard.kind].title}** at line {hazard.line} of {ui.plain(result.filename)}")
        if hazard.line:
            st.code(ui.source_excerpt(result.source, hazard.line), language="python")
        st.markdown(f"{ui.plain(hazard.message)}  \n**Fix:** {ui.plain(hazard.fix)}")
        st.info(ui.HAZARDS[hazard.kind].note, icon=":material/school:")

notes = ui.grouped_notes(result.hazards)
if notes:
    with st.expander(f"Notes: true, but harmless for inference ({len(notes)}; not counted as hazards)"):
        for group in notes:
            st.markdown(f"**{ui.plain(group.summary())}**  \n{ui.plain(group.detail)}  \n*Fix:* {ui.plain(group.fix)}")

# ---- structure -------------------------------------------------------------------------------------
st.subheader("Structure")
drawings = ui.paired_drawings({c.mode: c.graph for c in result.conversions if c.error is None}, ui.diff_key(request),
                               ("trace", "script"))
st.caption("Inlined graphs, constants folded. Red border: no counterpart in the other graph (a dropped branch, "
           "an unrolled loop copy, a size the trace froze)."
           + (f" Yellow: made by line {selected_line}, the hazard picked above." if selected_line else "")
           + " Click a node for its details and its line.")
graph_tab, ops_tab, code_tab = st.tabs(["Graphs side by side", "Op counts", ".code diff"])
with graph_tab:
    ui.side_by_side(drawings, ui.diff_key(request), result.source, selected_line)
    for conversion in result.conversions:
        if conversion.error is not None:
            st.warning(f"{conversion.mode} could not convert the model: {ui.plain(conversion.error.message)}")
with ops_tab:
    ops = ui.op_count_rows({c.mode: c.graph for c in result.conversions if c.error is None})
    st.caption("Ops in each inlined graph; ops whose counts differ come first.")
    st.dataframe(pd.DataFrame(ops), hide_index=True, key="op_counts_table")
with code_tab:
    trace, script = result.conversion("trace"), result.conversion("script")
    if trace and script and trace.error is None and script.error is None:
        diff_text = ui.code_diff(trace.code, script.code, "trace.code", "script.code")
        st.code(diff_text or "The two .code texts are the same.", language="diff")
    else:
        st.info("Both trace and script must convert to diff their .code.")

with st.expander("What each hazard means"):
    for kind in ui.HAZARDS.values():
        st.markdown(f"**{kind.title}.** {kind.note}")
