"""Deploy: the model out of Python. Python's run of the TorchScript module beside a C++ program on LibTorch and
ONNX Runtime, outputs checked, latency and threads timed, and the C++ project to take home."""

import functools

import pandas as pd
import streamlit as st

from tsviz import ui
from tsviz.ui import deploy

loaded = ui.page_setup("Deploy")
request = ui.require_request(loaded)
name = request.filename
st.header(f"Deploy without Python · {ui.plain(name)}")
st.caption("Train in Python, then load the saved program where there is no Python: a C++ server on LibTorch, where "
           "calls take no GIL and many run at once. This runs the " + ("archive" if ui.is_archive(request) else
           f"model, converted with {request.mode} (the sidebar's mode),") + " in Python, in a C++ program built on "
           "this machine's LibTorch, and exported to ONNX in ONNX Runtime, all in the worker's sandbox; each "
           "output is checked against Python's. The torch.export and AOTInductor rungs are on the Migrate page.")
st.page_link("pages/6_Migrate.py", label="torch.export and AOTInductor: the Migrate page", icon=":material/output:")

left, right, atol_col, rtol_col = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
atol, rtol = deploy.tolerance_sliders(atol_col, rtol_col, "deploy")
threads = left.select_slider("Threads calling the module at once (most)", options=[1, 2, 4, 8], value=2,
                             key="deploy_threads")
onnx = right.toggle("ONNX rung (its export takes a few seconds)", value=True, key="deploy_onnx")
measure = deploy.measured_again()
built = deploy.prepare_runner()
if not built.ok:
    st.warning(built.reason, icon=":material/warning:")
result = ui.result_or_stop("deploy", deploy.deploy_request(loaded, threads, onnx, atol, rtol, measure),
                           f"Running {name} in Python, C++ and ONNX Runtime")

rows = ui.views.deploy_rows(result)
frame = pd.DataFrame(rows, columns=["rung", "ok", "max abs diff", "median ms", "p90 ms", "throughput", "reason"])
st.dataframe(frame, hide_index=True, key="deploy_table",
             column_config={"max abs diff": st.column_config.NumberColumn(format="%.1e"),
                            "median ms": st.column_config.NumberColumn(format="%.4f"),
                            "p90 ms": st.column_config.NumberColumn(format="%.4f"),
                            "reason": st.column_config.TextColumn(width="large")})
st.caption(f"Inputs: {ui.plain(', '.join(result.inputs))}. C++ runner: {ui.plain(result.build_note)}. "
           "Each thread runs one call at a time on one intra-op thread, so T threads are T requests at once; "
           "on a machine of N cores the ceiling is N×. "
           f"ok: every output element within {atol:.0e} of Python's absolutely or {rtol:.0e} relatively.")
for note in result.notes:
    st.caption(ui.plain(note))
charts = st.columns(2)
charts[0].plotly_chart(deploy.latency_chart(result), key="deploy_latency")
charts[1].plotly_chart(deploy.threads_chart(result), key="deploy_threads_chart")

st.subheader("Take it home")
st.markdown(f"Build the runner beside {ui.code(result.archive_name)} on your own machine, with the torch you "
            "have installed:")
st.code(result.build_commands, language="bash")
zip_name = f"{result.archive_name.rsplit('.', 1)[0]}_cpp.zip"
st.download_button(f"{ui.plain(zip_name)}: runner.cpp, CMakeLists.txt, the archive, a README",
                   functools.partial(deploy.take_home_zip, result), file_name=zip_name, mime="application/zip",
                   key="download_cpp_zip", icon=":material/download:")
source, cmake = st.tabs(["runner.cpp", "CMakeLists.txt"])
source.code(result.cpp_source, language="cpp")
cmake.code(result.cmake, language="cmake")
