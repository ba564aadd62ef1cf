"""Passes: what TorchScript's own passes do to the forward graph, one step at a time, before and after."""

import pandas as pd
import streamlit as st

from tsviz import ui
from tsviz.ui import DEFAULT_PASSES, PASSES

loaded = ui.page_setup("Passes")
name = ui.require_request(loaded).filename
st.header(f"Passes · {ui.plain(name)}")
st.caption("TorchScript rewrites a graph before it runs it. Pick a pipeline: each pass works on what the one before "
           "it left, and every step shows the forward graph, its `.code` and its op counts before and after.")

chosen = st.multiselect("Pipeline, in the order picked", list(PASSES), default=list(DEFAULT_PASSES), key="passes",
                        help="\n\n".join(f"**{p}**: {text}" for p, text in PASSES.items()))
request = ui.PassRequest(loaded.request, tuple(chosen))
result = ui.result_or_stop("passes", request, f"Running {len(chosen)} passes on {name}")
for note in result.notes:
    st.caption(ui.plain(note))

steps = result.steps
st.dataframe(pd.DataFrame(ui.views.pass_rows(result)), hide_index=True, key="passes_table")
if len(steps) < 2:
    st.info("Pick at least one pass to see what it does.", icon=":material/info:")
    st.stop()

numbers = list(range(1, len(steps)))
run_key = f"{ui.result_key(loaded.request)}:{','.join(chosen)}"
if st.session_state.get("pass_step_of") != run_key or st.session_state.get("pass_step") not in numbers:
    st.session_state["pass_step_of"] = run_key  # another model or pipeline: start where it failed, else on freeze
    st.session_state["pass_step"] = next((i for i in numbers if steps[i].error is not None),
                                         next((i for i in numbers if steps[i].name == "freeze"), 1))
pick = st.segmented_control("Step", numbers, key="pass_step", required=True,
                            format_func=lambda i: f"{i} · {steps[i].name}")
before, after = steps[pick - 1], steps[pick]
st.markdown(f"**{ui.plain(after.summary)}**")
st.caption(PASSES[after.name])
if after.error is not None:
    ui.show_error(after.error, "")
    st.stop()

graph_tab, ops_tab, code_tab = st.tabs(["Before and after", "Op counts", "Code"])
with graph_tab:
    too_large = [s for s in (before, after) if not s.graph.nodes and s.nodes]
    if too_large:
        st.warning(f"{too_large[0].nodes:,} nodes: too many to draw. The op counts and the code show the change.",
                   icon=":material/warning:")
    else:
        st.caption("Constants folded. Red border: a node with no counterpart on the other side (removed by the pass "
                   "on the left, added by it on the right). Click a node for its details.")
        labels = (f"before ({before.name})", f"after {after.name}")
        drawings = ui.paired_drawings(dict(zip(labels, (before.graph, after.graph))), f"{run_key}:{pick}", labels)
        ui.side_by_side(drawings, f"passes:{run_key}:{pick}", loaded.request.content.decode("utf-8", errors="replace"))
with ops_tab:
    counts_before, counts_after = before.counts(), after.counts()
    st.caption("Ops whose count this pass changed, largest change first.")
    st.dataframe(pd.DataFrame([{"op": kind, "before": counts_before.get(kind, 0), "after": counts_after.get(kind, 0),
                                "change": f"{delta:+d}"} for kind, delta in ui.op_changes(counts_before, counts_after)],
                              columns=["op", "before", "after", "change"]), hide_index=True, key="pass_ops_table")
with code_tab:
    if after.name == "profiled_run":
        st.caption("The executed graph belongs to no module, so it has no `.code`: this is its IR, as torch prints it.")
        st.code(after.code, language="text")
    else:
        diff_text = ui.code_diff(before.code, after.code, f"{before.name}.code", f"{after.name}.code")
        st.code(diff_text or "This pass left the .code as it was.", language="diff")
