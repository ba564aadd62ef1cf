"""Benchmarks: eager vs trace vs script vs frozen, timed with torch.utils.benchmark, one worker job per variant."""
import pandas as pd
import streamlit as st

from tsviz import ui
from tsviz.ui import TsvizError, bench, state

THIS_RUN = "this machine"
RUN_TIMES = [0.1, 0.2, 0.5, 1.0, 2.0]
MAX_CSV_FILES = 6  # CSVs kept per session

loaded = ui.page_setup("Benchmarks")
st.header("Benchmarks" + (f" · {ui.plain(loaded.request.filename)}" if loaded.request else ""))

machine = ui.devices()
gpus = machine.cuda_devices if machine else ()
can_run = loaded.request is not None and not ui.is_archive(loaded.request)

# ---- what to compare --------------------------------------------------------------------------------
with st.form("bench_form", border=True):
    left, middle, right = st.columns(3)
    variants = left.multiselect("Variants", ui.VARIANTS, default=["eager", "trace", "script", "frozen"],
                                key="bench_variants",
                                help="frozen: torch.jit.freeze of the scripted module; optimized: "
                                     "torch.jit.optimize_for_inference (conv + batch norm folding, fusions).")
    devices = left.multiselect("Devices", ["cpu", "cuda"] if gpus else ["cpu"], default=["cpu"], key="bench_devices")
    batch_text = middle.text_input("Batch sizes", "1,8", key="bench_batches",
                                   help="Dimension 0 of every input is set to each size in turn.")
    seq_text = middle.text_input("Sequence lengths (optional)", "", key="bench_seqs",
                                 help="Dimension 1 of every input of 2 or more dimensions, for models with a sequence.")
    threads = right.number_input("CPU threads", 1, machine.cpu_count if machine else 64, 1, key="bench_threads")
    run_time = right.select_slider("Timed seconds per row", RUN_TIMES, value=0.5, key="bench_run_time",
                                   help="torch.utils.benchmark's blocked_autorange runs at least this long.")
    start = st.form_submit_button("Run benchmark", type="primary", disabled=not can_run)
st.caption(
    ("No CUDA GPU on this machine: CPU only. " if not gpus else f"GPU: {', '.join(gpus)}. ")
    + "Model in eval() under torch.no_grad(); each variant is called 5 times before timing (TorchScript's profiling "
      "executor optimises a module only after its first calls); traces are made on the device they are timed on; "
      "every row is checked against the eager output first."
)
if loaded.request is None:
    st.info("Pick a sample or upload a `.py` model in the sidebar to run a benchmark; you can still compare CSV files "
            "below.", icon=":material/info:")
elif not can_run:
    st.info("A `.pt` archive cannot be traced or scripted again: benchmark its `.py` source.", icon=":material/info:")


if start and can_run:
    try:
        batches, seqs = ui.parse_sizes(batch_text) or (1,), ui.parse_sizes(seq_text)
        state.bench_queue = tuple(bench.plan_jobs(loaded.request, variants, devices, batches, seqs, int(threads),
                                                  run_time))
        state.bench_rows, state.bench_total = (), len(state.bench_queue)
    except TsvizError as e:
        st.error(ui.plain(e.one_line()), icon=":material/error:")

# ---- one job per rerun: progress shows between jobs, Cancel takes effect after the one running -----------
if state.bench_queue:
    job = state.bench_queue[0]
    done = state.bench_total - len(state.bench_queue)
    st.progress(done / state.bench_total,
                text=f"Timing {job.variant} on {job.device} ({done + 1} of {state.bench_total})…")
    if st.button("Cancel", key="bench_cancel"):
        state.bench_queue = ()
        st.rerun()
    state.bench_rows = state.bench_rows + tuple(ui.run_bench_job(job))
    state.bench_queue = state.bench_queue[1:]
    st.rerun()

# ---- results ------------------------------------------------------------------------------------------
frames = [bench.rows_frame(state.bench_rows, THIS_RUN)] if state.bench_rows else []
frames += list(state.bench_uploads.values())
with st.expander("Compare with results from another machine (CSV)", expanded=not frames):
    st.caption("Run `python -m tsviz bench FILE --csv > results.csv` there (a GPU server, say) and upload the file "
               f"(the last {MAX_CSV_FILES} uploaded are kept).")
    upload = st.file_uploader("Benchmark CSV", type=["csv"], key="bench_csv")
    if upload is not None and upload.name not in state.bench_uploads:
        try:  # the newest MAX_CSV_FILES are kept
            kept = list(state.bench_uploads.items())[-(MAX_CSV_FILES - 1):]
            state.bench_uploads = {**dict(kept), upload.name: bench.read_csv(upload.getvalue(), upload.name)}
            st.rerun()
        except TsvizError as e:
            st.error(ui.plain(e.one_line()), icon=":material/error:")
    if state.bench_uploads and st.button("Forget uploaded CSVs", key="bench_forget"):
        state.bench_uploads = {}
        st.rerun()
if not frames:
    st.stop()

results = pd.concat(frames, ignore_index=True)
table = bench.summary_table(results)
noisy = int(results["noisy"].sum())
st.subheader(f"{len(results)} measurements" + (f" · {noisy} noisy" if noisy else ""))
st.dataframe(
    table.style.map(lambda v: "background-color: #fde2e1" if v in ("DIFFERS from eager", "error") else "",
                    subset=["check"])
               .map(lambda v: "background-color: #fff3c4" if v else "", subset=["noise"]),
    hide_index=True, key="bench_table",
    column_config={"median_ms": st.column_config.NumberColumn("median (ms)", format="%.3f"),
                   "iqr_ms": st.column_config.NumberColumn("IQR (ms)", format="%.3f"),
                   "iqr_%": st.column_config.NumberColumn("IQR % of median", format="%.1f")},
)
if state.bench_rows:
    st.download_button("Download CSV", bench.to_csv(bench.rows_frame(state.bench_rows, THIS_RUN)),
                       file_name="tsviz-bench.csv", mime="text/csv", key="bench_download")

latency_tab, speedup_tab, device_tab = st.tabs(["Latency vs batch size", "Speed-up over eager", "CPU vs GPU"])
with latency_tab:
    st.plotly_chart(bench.latency_chart(results), key="latency_chart")
with speedup_tab:
    st.plotly_chart(bench.speedup_chart(results), key="speedup_chart")
with device_tab:
    if results["device"].nunique() < 2:
        st.caption("Only one device in these results: upload a CSV from a GPU machine to see both side by side.")
    st.plotly_chart(bench.device_chart(results), key="device_chart")
