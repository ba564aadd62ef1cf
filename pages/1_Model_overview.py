"""What tsviz knows about the model: entry points, inputs, submodules, op counts, archive facts."""
import pandas as pd
import plotly.express as px
import streamlit as st

from tsviz import ui

loaded = ui.page_setup("Model overview")
result = ui.require_result(loaded)

st.header(f"Overview of {ui.plain(result.filename)}")
left, right = st.columns(2)
with left:
    if result.kind == "py":
        st.subheader("Entry points")
        st.dataframe(pd.DataFrame([
            {"entry": e.name, "kind": e.kind,
             "constructor arguments": ", ".join(p.name + ("" if p.default is None else f"={p.default}")
                                                for p in e.init_params),
             "inputs": ", ".join(p.name for p in e.forward_params), "converted": "✔" if e.name == result.entry else ""}
            for e in result.entries
        ]), hide_index=True, key="entries_table")
        st.markdown(f"**Inputs used:** {ui.plain(', '.join(result.input_shapes)) or 'none (script mode needs none)'}")
    else:
        st.subheader("Archive")
        st.dataframe(pd.DataFrame(result.archive_facts, columns=["fact", "value"]), hide_index=True, key="facts_table")
        st.page_link("pages/5_Archive.py", label="Every file, module, tensor and method of the archive",
                     icon=":material/inventory_2:")
    if result.submodules:
        st.subheader("Submodules")
        traced = set(result.trace_submodules)
        st.dataframe(pd.DataFrame([
            {"submodule": s.name, "type": s.type, "control flow in forward": "yes" if s.has_control_flow else "",
             "converted by": "trace" if s.name in traced or any(s.name.startswith(t + ".") for t in traced)
                             else result.mode}
            for s in result.submodules
        ]), hide_index=True, key="submodules_table", height=300)
with right:
    if result.error is not None:
        ui.show_error(result.error, result.source)
    else:
        counts = result.inlined_op_counts()
        st.subheader(f"Ops in the inlined graph ({sum(counts.values())} nodes)")
        frame = pd.DataFrame(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), columns=["op", "count"])
        figure = px.bar(frame.head(20), x="count", y="op", orientation="h", height=max(240, 24 * min(len(frame), 20)))
        figure.update_layout(yaxis={"autorange": "reversed"}, margin={"l": 0, "r": 0, "t": 10, "b": 0})
        st.plotly_chart(figure, key="op_chart")
        st.dataframe(frame, hide_index=True, key="ops_table", height=240)
        if result.warnings:
            st.subheader("Warnings")
            st.dataframe(pd.DataFrame([{"kind": w.category, "line": w.line or None, "message": w.message}
                                       for w in result.warnings]), hide_index=True, key="warnings_table")
