"""tsviz dashboard, first page: walk the IR graph, linked both ways to the user's source and the .code.

Run with `streamlit run app.py`. It opens on a sample model, already converted.
"""
import streamlit as st

from tsviz import ui

loaded = ui.page_setup("Graph & code")
if ui.holds_program(loaded):  # a .pt2: the exported program's graph, code, signature and a sample run
    ui.show_program(loaded)
    st.stop()
teach = st.sidebar.toggle("Teaching mode", key=ui.State.teach.key,
                          help="For a projector: larger type, the lesson (or the editor) beside the graph, the graph "
                               "zoomed in.")
if teach:
    ui.teaching_style()
if loaded.edited and loaded.result is None and ui.state.editing:
    ui.failed_edit(loaded)  # the edited copy does not import: its error, the editor, the last graph; a stop
result = ui.require_result(loaded)

walk = ui.GraphWalk.load(loaded)  # which submodule, selection, search: from session state and the URL

st.header(ui.plain(f"{result.filename} · {result.entry} · {result.mode}"))
ui.model_origin(result)
editing = result.kind == "py" and ui.edit_toggle()
if editing and not teach:  # right under the switch on every run, converted or not: a component that moves reloads
    ui.editor(loaded, result.source)  # (in teaching mode it sits beside the graph, below)
if result.doc and not teach:
    with st.expander("The lesson of this model", expanded=not walk.path):  # out of the way once walking
        ui.lesson(result.doc, loaded.sample)
for note in result.notes:
    st.info(ui.plain(note), icon=":material/info:")
ui.show_weights_load(result)  # a .py given its weights: what did not fit, with the constructor value to change
if result.stdout:  # the model's own print() calls, during import, build and conversion
    with st.expander("The model printed", icon=":material/terminal:"):
        st.code(result.stdout, language=None)
if result.error is not None:
    ui.show_error(result.error, result.source)
    if editing:  # keep editing: the last graph that converted, greyed out
        ui.stale_graph(loaded)
    if result.error.type == "ScriptError" and result.mode == "script":
        st.button("Try hybrid mode: it traces just the parts that do not compile and scripts the rest",
                  key="to_hybrid", icon=":material/call_split:", on_click=ui.State.mode.set, args=("hybrid",))
    st.stop()

if editing:
    ui.remember(loaded, result)
for warning in result.warnings:
    where = f"line {warning.line} of {warning.file}" if warning.line else warning.file
    st.warning(f"**{ui.plain(warning.category)}** at {ui.plain(where)}: {ui.plain(warning.message)}",
               icon=":material/warning:")
if result.mode == "hybrid" and result.traced_parts:
    ui.traced_parts(result.traced_parts, result.source)
elif result.mode == "hybrid":
    traced = ", ".join(result.trace_submodules) or "nothing (pick submodules in the sidebar)"
    st.caption(f"Hybrid: traced {ui.plain(traced)}; everything else scripted. Traced submodules are orange boxes.")

view_col, fold_col, search_col, dot_col, pt_col, report_col = st.columns([3, 2, 3, 1.1, 1.1, 1.6],
                                                                         vertical_alignment="bottom")
view = view_col.segmented_control(
    "Graph", ["graph", "inlined"], default="graph", key=ui.State.view.key, required=True,
    format_func={"graph": "Module graph", "inlined": "Inlined graph"}.get,
    help="Module graph: one module at a time, submodule calls as boxes you can open (`.graph`). "
         "Inlined graph: every op of the whole model (`.inlined_graph`).",
)
fold = fold_col.toggle("Fold constants", value=True, key=ui.State.fold.key,
                       help="Show prim::Constant and attribute reads inside the nodes that use them.")
query = search_col.text_input("Search", key=ui.State.q.key, placeholder="conv2d · L20 · layer1 · x.1",
                              help="An op kind, a line of your source (L20), or a value or module name.")

if view == "graph" and result.views:
    crumbs = st.container(horizontal=True, gap="small", vertical_alignment="center")
    st.session_state["gpath_pick"] = walk.path
    types = {v.path: v.type for v in result.views}
    crumbs.selectbox("Open a submodule", ["", *types], key="gpath_pick",
                     format_func=lambda p: f"{p} · {types[p]}" if p else "Open a submodule…",
                     label_visibility="collapsed", width=260,
                     on_change=lambda: walk.open(st.session_state["gpath_pick"]))
    for label, path in ui.graph.breadcrumb(result.entry, walk.path) if walk.path else ():
        current = path == walk.path
        crumbs.button(ui.plain(label + (f" · {types[path]}" if path and current else "")), key=f"crumb:{path}",
                       type="primary" if current else "secondary", disabled=current,
                       on_click=walk.open, args=(path,))

stem = result.filename.rsplit(".", 1)[0]
if report_col.button("Report", key="make_report", icon=":material/description:",
                     help="One self-contained HTML file for a review meeting: the graph (zoomable), .code, source, "
                          "trace-vs-script findings and your benchmark table. Opens without a network."):
    ui.state.report = (ui.result_key(loaded.request),
                       ui.review_report(result, ui.diff_request(loaded), ui.state.bench_rows))
if ui.state.report[0] == ui.result_key(loaded.request):
    report_col.download_button("report.html", ui.state.report[1], file_name=f"{stem}.report.html",
                               mime="text/html", key="download_report", icon=":material/download:")

shown, code = walk.drawing(view, fold)
dot_text = walk.dot(view, fold)
dot_col.download_button("DOT", dot_text, file_name=f"{stem}.{result.mode}.{view}.dot", mime="text/vnd.graphviz",
                        key="download_dot", help="Download this graph as Graphviz DOT")
# an uploaded archive is offered as it came (the page holds it); a converted one from the job file the worker
# wrote, which the server holds and reads only when the button is clicked
archive = loaded.request.content if result.kind == "pt" else ui.job_file(result.archive)
if archive:
    pt_col.download_button(".pt", archive, file_name=result.filename if result.kind == "pt" else
                           f"{stem}.{result.mode}.pt", mime="application/octet-stream", key="download_pt",
                           help=f"Download the {'archive' if result.kind == 'pt' else 'converted module'} "
                                f"({ui.views.size_text(result.archive_size)}, torch.jit.save)")
else:  # a local archive
    pt_col.caption(f".pt: {ui.views.size_text(result.archive_size)}", help="The local file this server was started "
                   "on: it is already on your disk.")

matches = ui.graph.search(shown, query)
marks, focus = walk.marks(shown, matches)
if teach:  # the lesson beside the graph; .code and the node's details move below
    lesson_col, graph_col = st.columns([3, 4] if editing else [2, 5])
    with lesson_col:
        if editing:
            ui.editor(loaded, result.source, large=True)
        else:
            ui.lesson(result.doc, loaded.sample)
    side_col = st.container()
else:
    graph_col, side_col = st.columns([3, 2])
with graph_col:
    where = f"{ui.plain(walk.path)} · " if view == "graph" and walk.path else ""
    found = (f" · {len(matches)} match{'es' if len(matches) != 1 else ''} for “{ui.plain(query.strip())}”"
             if query.strip() else "")
    hint = " · double-click a submodule box to open it" if view == "graph" and result.views else ""
    in_source = "your source" if result.kind == "py" else "the code stored in the archive"
    counted = ui.count_text(walk.drawing(view, False)[0], shown if fold else None)  # the same count as the CLI's
    st.caption(f"{where}{counted}, {len(shown.blocks)} blocks · L<n> is the line in {in_source}{hint}{found}")
    svg, problem = ui.walk_svg(dot_text, len(shown.nodes))
    if view == "inlined" and result.inlined_skipped:
        problem = (f"The inlined graph of this model has {result.inlined_skipped:,} IR nodes: too many to draw or "
                   "to send to the browser. Use the module graph and open one submodule at a time.")
    if problem:
        st.warning(ui.plain(problem), icon=":material/warning:")
    else:
        ui.graph_view(svg, walk.layout_key(view, fold), marks=marks, focus=focus, key="graph_viewer",
                      on_select=walk.select, on_activate=walk.activate, zoom=1.5 if teach else 1.0,
                      height=720 if teach else 620)
with side_col:
    if walk.node and any(n.id == walk.node for n in shown.nodes):
        ui.show_node(ui.graph.node_details(shown, walk.node))
    st.caption("`.code`: TorchScript's Python-like view of "
               + (ui.code(walk.path) if view == "graph" and walk.path else "the compiled module")
               + " · click a line to find its nodes")
    ui.code_view(code, highlight=walk.code_highlight(shown, code), key="code_viewer", on_line=walk.pick_code_line,
                 height=380)

st.subheader("Source" if result.kind == "py" else "Code stored in the archive")
st.caption("Click a line to highlight the nodes it produced.")
ui.code_view(result.source, highlight=walk.source_highlight(shown), key="source_viewer", on_line=walk.pick_line,
             height=420)
for note in result.quiet_notes:
    st.caption(ui.plain(note))
walk.save_url()
