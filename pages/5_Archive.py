"""Archive: what a TorchScript archive holds, read without running its forward, or a state dict's or checkpoint's
tensors (both loaded only in the sandboxed worker)."""

import pandas as pd
import streamlit as st

from tsviz import ui

size_text = ui.views.size_text


loaded = ui.page_setup("Archive")
if ui.holds_weights(loaded):  # a state dict or a checkpoint: its tensors, not a program
    ui.show_weights(loaded)
    st.stop()
result = ui.require_result(loaded)
if result.kind == "py":  # the archive tsviz saved from this model
    st.header(f"Archive · {ui.plain(result.filename)} saved in {result.mode} mode")
    if result.error is not None:
        st.caption("The model did not convert, so there is no archive to inspect.")
        ui.show_error(result.error, result.source)
        st.stop()
    st.caption(f"What `torch.jit.save` writes for {ui.plain(result.filename)} converted with {result.mode}: upload any "
               "`.pt` in the sidebar to inspect it the same way.")
    saved = ui.saved_archive_request(result)
    result = ui.result_or_stop("inspect", saved, f"Inspecting {saved.filename}")
else:
    st.header(f"Archive · {ui.plain(result.filename)}")
report = result.archive_report
st.caption("Read from the zip and the loaded module; `forward` is never called.")

tensors = report.tensors()
version_col, size_col, tensor_col, module_col, extra_col = st.columns(5)
version_col.metric("File format version", report.format_version)
size_col.metric("Files", len(report.files), help=f"{size_text(sum(f[2] for f in report.files))} uncompressed")
tensor_col.metric("Tensor data", size_text(sum(t.bytes for t in tensors)), help=f"{len(tensors)} tensors")
module_col.metric("Modules", len(report.modules))
extra_col.metric("Extra files", len(report.extra_files))
st.info(ui.plain(report.version_note), icon=":material/history:")
if report.training:
    st.warning("Saved in training mode: dropout and batch norm behave as in training unless the loader calls "
               "`.eval()`.", icon=":material/warning:")


def tensor_rows(items) -> pd.DataFrame:
    return pd.DataFrame(ui.views.tensor_rows(items), columns=ui.views.TENSOR_COLUMNS)


modules_tab, biggest_tab, files_tab, extra_tab = st.tabs(["Modules", "Biggest tensors", "Files",
                                                          "Constants & extra files"])
with modules_tab:
    st.dataframe(pd.DataFrame(ui.views.module_rows(report)), hide_index=True, key="archive_modules")
    paths = [m.path for m in report.modules]
    chosen = st.selectbox("Look inside a module", paths, key="archive_module",
                          format_func=lambda p: f"{p or '(the model)'} · {report.modules[paths.index(p)].type}")
    module = report.modules[paths.index(chosen)]
    methods_col, tensors_col = st.columns([2, 3])
    methods_col.markdown("**Methods**\n\n" + "\n".join(f"- {ui.code(m)}" for m in module.methods))
    if module.tensors:
        tensors_col.dataframe(tensor_rows(module.tensors), hide_index=True, key="archive_module_tensors")
    else:
        tensors_col.caption("No parameters or buffers of its own.")
    lines = ui.graph.stored_file(result, module.code_file)
    st.caption(
        f"{ui.code('code/' + module.code_file)} in the archive · `# ←` marks where a line was first written, from "
        "the archive's debug info"
        if any(origin for _, origin in lines)
        else ui.code("code/" + module.code_file)
    )
    width = max((len(text) for text, _ in lines), default=0)
    st.code("\n".join(f"{text:<{width}}  # ← {origin}" if origin else text for text, origin in lines)
            or "(no code file for this module)", language="python", line_numbers=True)
with biggest_tab:
    st.dataframe(tensor_rows(report.biggest(15)), hide_index=True, key="archive_biggest")
with files_tab:
    st.dataframe(pd.DataFrame([{"file": name, "what": kind, "bytes": size, "compressed": packed}
                               for name, kind, size, packed in report.files]), hide_index=True, key="archive_files")
with extra_tab:
    st.markdown("**Constants of the code** (`CONSTANTS.cN`: a frozen module keeps its weights here)")
    if report.constants:
        st.dataframe(tensor_rows(report.constants), hide_index=True, key="archive_constants")
    else:
        st.caption("None.")
    st.markdown("**Extra files** (`torch.jit.save(..., _extra_files=...)`)")
    for name, size, preview in report.extra_files:
        st.caption(f"{ui.plain(name)} · {size} bytes")
        st.code(preview + ("…" if size > len(preview) else ""), language="text")
    if not report.extra_files:
        st.caption("None.")
