"""Export check: TorchScript is deprecated in favour of torch.export. Would this model export, and if not, why?"""

import pandas as pd
import streamlit as st

from tsviz import ui

loaded = ui.page_setup("Export check")
name = ui.require_request(loaded).filename
st.header(f"Export check · {ui.plain(name)}")
ui.require_source(loaded, "torch.export")
st.caption("TorchScript is deprecated in current PyTorch; `torch.export` is where models go next. This runs "
           "`torch.export.export` on the model non-strict (your Python runs as Python) and strict (TorchDynamo "
           "reads it), then once more with the batch dimension dynamic.")

result = ui.result_or_stop("export", ui.model_request(loaded), f"Exporting {name} with torch.export")

if result.exported:
    st.success("Exports with torch.export" + ("" if all(a.ok for a in result.attempts)
                                               else ", with the findings below for a dynamic batch"),
               icon=":material/check_circle:")
else:
    st.error(f"torch.export refuses this model: {len(result.blockers)} blocker"
             f"{'s' if len(result.blockers) != 1 else ''} below.", icon=":material/block:")
st.dataframe(pd.DataFrame([{"export": a.name, "result": "✔ exported" if a.ok else "✘ failed",
                            "seconds": round(a.seconds, 2), "call": a.note} for a in result.attempts]),
             hide_index=True, key="export_attempts")
for note in result.notes:
    st.caption(ui.plain(note))

for blocker in result.blockers:
    with st.container(border=True):
        where = f"line {blocker.line}" if blocker.line else "no line (torch named none)"
        st.markdown(f"**{ui.plain(blocker.kind.capitalize())}** · {where} of {ui.plain(name)} · found by the "
                    f"{blocker.attempt} export")
        if blocker.line:
            st.code(ui.source_excerpt(result.source, blocker.line), language="python")
        st.markdown(f"{ui.plain(blocker.message)}.  \n**Fix:** {ui.plain(blocker.fix)}")
        with st.expander("torch's message"):
            st.code(blocker.detail, language="text")

if result.exported:
    st.subheader("The exported graph next to TorchScript's")
    st.caption(f"Left: `{result.torchscript_mode}`, inlined. Right: the exported program (ATen ops; parameters "
               "folded into the nodes that use them). Constants folded. Red border: an op with no counterpart on "
               "the other side. Click a node for its details.")
    graph_tab, ops_tab, code_tab = st.tabs(["Graphs", "Op counts", "Exported code"])
    with graph_tab:
        if not result.torchscript.nodes:
            st.caption(f"The TorchScript graph has {sum(dict(result.torchscript_op_counts).values()):,} nodes: too "
                       "many to draw, so it is only counted (see Op counts).")
        labels = (f"TorchScript ({result.torchscript_mode})", "torch.export")
        graphs = {label: g for label, g in zip(labels, (result.torchscript, result.graph)) if g.nodes}
        drawings = ui.paired_drawings(graphs, f"export:{ui.result_key(loaded.request)}", labels)
        ui.side_by_side(drawings, f"export:{ui.result_key(loaded.request)}", result.source)
    with ops_tab:
        rows = ui.views.export_op_rows(result)
        st.caption("ATen ops in each graph; ops whose counts differ come first. TorchScript keeps the checks and "
                   "size arithmetic Python would run (`aten::size`, `aten::len`, ...); export keeps only tensor work.")
        st.dataframe(pd.DataFrame(rows, columns=ui.views.EXPORT_OP_COLUMNS), hide_index=True,
                     key="export_ops")
    with code_tab:
        st.code(result.code, language="python")
