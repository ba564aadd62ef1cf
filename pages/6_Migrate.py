"""Migrate: the ladder off TorchScript. For a .py, script or trace, torch.export, a dynamic batch, draft_export and
AOTInductor; for a .pt archive whose source may be gone, TS2EPConverter. Each rung's verdict, time and check."""

import pandas as pd
import streamlit as st

from tsviz import ui

loaded = ui.page_setup("Migrate")
request = ui.require_request(loaded)
name = request.filename
archive = ui.is_archive(request)  # by content: a TorchScript .pth is an archive
st.header(f"Migrate off TorchScript · {ui.plain(name)}")
st.caption("TorchScript is deprecated; `torch.export` is where models go next. This runs every rung that applies, "
           + ("for an archive: `torch.jit.load`, then `TS2EPConverter` (the converter torch ships for archives whose "
              "source may be gone), the batch dimension dynamic, and AOTInductor." if archive else
              "in order: TorchScript (script, or trace when script fails), `torch.export.export` non-strict (your "
              "Python runs as Python) and strict (TorchDynamo reads it), the batch dimension dynamic, "
              "`draft_export`'s report, and AOTInductor.")
           + " Every program made is run against the " + ("archive" if archive else "eager model")
           + " on the sample inputs and on generated ones.")

key = ui.result_key(request)
aoti = st.toggle("AOTInductor: compile the program to a package, load it and run it (compiles C++: a minute or more)",
                 key=f"aoti:{key}")
fixes_key = f"apply_fixes:{key}"
result = ui.result_or_stop("migrate", ui.MigrateRequest(ui.model_request(loaded), aoti=aoti,
                                                        apply_fixes=st.session_state.get(fixes_key, False)),
                           f"Climbing the migration ladder for {name}")

made = "Converts with TS2EPConverter" if archive else "Exports with torch.export"
if result.exported:
    st.success(made + ("" if all(a.ok for a in result.attempts if not a.skipped)
                                          else ", with the findings below"), icon=":material/check_circle:")
else:
    st.error(f"{'TS2EPConverter' if archive else 'torch.export'} refuses this model: {len(result.blockers)} blocker"
             f"{'s' if len(result.blockers) != 1 else ''} below.", icon=":material/block:")
st.dataframe(pd.DataFrame(ui.views.ladder_rows(result), columns=ui.views.LADDER_COLUMNS), hide_index=True,
             key="ladder", column_config={"outputs": st.column_config.TextColumn(width="large")})
if not any(note.startswith("Inputs:") for note in result.notes):
    st.caption(f"Every rung ran on {ui.plain(', '.join(result.inputs))}.")
for note in result.notes:
    st.caption(ui.plain(note))
if result.program is not None:  # the job file the server holds, read when the button is clicked
    stem = name.rsplit(".", 1)[0]
    st.download_button(f"{stem}.pt2 ({ui.views.size_text(result.program_size)})", ui.job_file(result.program),
                       file_name=f"{stem}.pt2", mime="application/octet-stream", key="download_pt2",
                       icon=":material/download:",
                       help=f"The program the {result.program_from} rung made (torch.export.save); load it with "
                            "torch.export.load and call .module().")

if result.suggested_fixes:
    with st.container(border=True):
        st.markdown("**A dynamic batch was specialised.** torch suggests:")
        st.code(result.suggested_fixes, language="python")
        applied = st.session_state.get(fixes_key, False)
        st.button("Show the export without torch's fixes" if applied else "Re-run with torch's suggested fixes",
                  key="apply_fixes", icon=":material/build:",
                  on_click=lambda: st.session_state.update({fixes_key: not applied}))

for blocker in result.blockers:
    with st.container(border=True):
        where = f"line {blocker.line}" if blocker.line else "no line (torch named none)"
        of = "of the code stored in the archive" if archive else f"of {ui.plain(name)}"
        first = f" · first written at {ui.plain(blocker.saved_from)}" if blocker.saved_from else ""
        op = f"{ui.code(blocker.op)} · " if blocker.op else ""
        st.markdown(f"**{ui.plain(blocker.kind.capitalize())}** · {op}{where} {of}{first} · found by "
                    f"{ui.plain(blocker.attempt)}")
        if blocker.line:
            st.code(ui.source_excerpt(result.source, blocker.line), language="python")
        st.markdown(f"{ui.plain(blocker.message)}.  \n**Fix:** {ui.plain(blocker.fix)}")
        with st.expander("torch's message"):
            st.code(blocker.detail, language="text")

program_graph = result.converted if archive else result.graph
if program_graph.nodes:
    right = "converted by TS2EPConverter" if archive else "torch.export"
    st.subheader(f"TorchScript next to {right}")
    st.caption(f"Left: the {'archive' if archive else ui.plain(result.torchscript_mode)}'s graph, inlined. Right: the "
               "program (ATen ops; parameters folded into the nodes that use them). A TorchScript `if` is a "
               "`prim::If` region with its then / else blocks; in the program it is a `torch.cond` region with "
               "`true_graph_0` / `false_graph_0`. Red border: an op with no counterpart on the other side (matched "
               "by line, then module path, then op). Click a node for its details.")
    graph_tab, ops_tab, code_tab = st.tabs(["Graphs", "Op counts", "Program code"])
    with graph_tab:
        if not result.torchscript.nodes:
            st.caption(f"The TorchScript graph has {sum(dict(result.torchscript_op_counts).values()):,} nodes: too "
                       "many to draw, so it is only counted (see Op counts).")
        labels = (f"TorchScript ({'archive' if archive else result.torchscript_mode})", right)
        graphs = {label: g for label, g in zip(labels, (result.torchscript, program_graph)) if g.nodes}
        drawings = ui.paired_drawings(graphs, f"migrate:{key}", labels)
        ui.side_by_side(drawings, f"migrate:{key}", result.source)
    with ops_tab:
        rows = ui.views.export_op_rows(result)
        st.caption("ATen ops in each graph; ops whose counts differ come first. TorchScript keeps the checks and "
                   "size arithmetic Python would run (`aten::size`, `aten::len`, ...); export keeps only tensor work.")
        st.dataframe(pd.DataFrame(rows, columns=ui.views.EXPORT_OP_COLUMNS), hide_index=True,
                     key="export_ops")
    with code_tab:
        st.code(result.code, language="python")
