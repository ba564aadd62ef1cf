"""tsviz dashboard, first page: the IR graph next to the module's .code, with the user's source below.

Run with `streamlit run app.py`. It opens on a sample model, already converted.
"""
import streamlit as st

from tsviz import ui

loaded = ui.page_setup("Graph & code")
result = ui.require_result(loaded)

st.header(f"{result.filename} · {result.entry} · {result.mode}")
if result.doc:
    with st.expander("The lesson of this model", expanded=True):
        st.markdown(result.doc)
if result.error is not None:
    ui.show_error(result.error, result.source)
    st.stop()

for warning in result.warnings:
    where = f"line {warning.line} of {warning.file}" if warning.line else warning.file
    st.warning(f"**{warning.category}** at {where}: {warning.message}", icon=":material/warning:")
if result.mode == "hybrid":
    traced = ", ".join(result.trace_submodules) or "nothing (pick submodules in the sidebar)"
    st.caption(f"Hybrid: traced {traced}; everything else scripted. Traced submodules are orange boxes.")

view_col, fold_col, dot_col, pt_col = st.columns([3, 2, 2, 2], vertical_alignment="center")
view = view_col.segmented_control(
    "Graph", ["graph", "inlined"], default="graph", key="view", required=True,
    format_func={"graph": "Module graph", "inlined": "Inlined graph"}.get,
    help="Module graph: submodule calls as boxes (`.graph`). Inlined graph: every op (`.inlined_graph`).",
)
fold = fold_col.toggle("Fold constants", value=True, key="fold",
                       help="Show prim::Constant and attribute reads inside the nodes that use them.")
dot_text = ui.graph_dot(result, ui.result_key(loaded.request), view, fold)
stem = result.filename.rsplit(".", 1)[0]
dot_col.download_button("Download DOT", dot_text, file_name=f"{stem}.{result.mode}.{view}.dot", mime="text/vnd.graphviz",
                        key="download_dot")
pt_col.download_button("Download .pt", result.archive, file_name=f"{stem}.{result.mode}.pt",
                       mime="application/octet-stream", key="download_pt")

graph_col, code_col = st.columns([3, 2])
with graph_col:
    shown = result.inlined if view == "inlined" else result.graph
    st.caption(f"{len(shown.nodes)} IR nodes, {len(shown.blocks)} blocks · L<n> is the line in your source")
    st.graphviz_chart(dot_text, width="content")
with code_col:
    st.caption("`.code`: TorchScript's Python-like view of the compiled module")
    st.code(result.code, language="python", line_numbers=True, wrap_lines=True)

st.subheader("Source" if result.kind == "py" else "Code stored in the archive")
st.code(result.source, language="python", line_numbers=True)
for note in result.quiet_notes:
    st.caption(note)
