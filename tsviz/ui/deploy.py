"""The Deploy page's wiring: the C++ runner built once per server before the job, the request from the sidebar,
the take-home project as a zip, and the page's two charts."""
from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from tsviz.client import files, runner
from tsviz.model.deploy import DeployRequest, DeployResult
from tsviz.report import views
from tsviz.ui.page import Loaded, model_request, tolerance_sliders

__all__ = ["deploy_request", "latency_chart", "measured_again", "prepare_runner", "take_home_zip", "threads_chart",
           "tolerance_sliders"]


def prepare_runner() -> runner.RunnerBuild:
    """The C++ runner, built the first time any page asks (a minute), found in the cache after."""
    with st.spinner("Building the C++ runner against the installed LibTorch (once per machine, about a minute)…"):
        return runner.prepare()


def deploy_request(loaded: Loaded, threads: int, onnx: bool, atol: float, rtol: float,
                   measure: int = 0) -> DeployRequest:
    """The sidebar's model, converted in the sidebar's mode, with the shapes typed for it and the page's
    tolerances; `measure` counts 'Measure again' (measured_again)."""
    return DeployRequest(replace(model_request(loaded), mode=loaded.request.mode), threads=threads, onnx=onnx,
                         atol=atol, rtol=rtol, measure=measure)


MEASURED = "deploy_measured"  # session state: how many times 'Measure again' was pressed


def measured_again(container: object = st) -> int:
    """The 'Measure again' button, and how often it was pressed this session. The client caches a job's result
    by its request's content, so the same request shows the same timings; the count is part of the request, so
    a press runs the job afresh (the earlier result stays cached under its own request)."""
    if container.button("Measure again", key="deploy_measure_again", icon=":material/refresh:",
                        help="Run every rung again, not from the cache: timings vary from run to run"):
        st.session_state[MEASURED] = st.session_state.get(MEASURED, 0) + 1
    return st.session_state.get(MEASURED, 0)


def take_home_zip(result: DeployResult) -> bytes:
    """runner.cpp, CMakeLists.txt, the archive and a README with the build commands filled in."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, text in views.take_home_texts(result).items():
            zipped.writestr(f"tsviz_runner/{name}", text)
        if result.archive is not None:
            zipped.writestr(f"tsviz_runner/{result.archive_name}", files.read(result.archive))
    return buffer.getvalue()


def latency_chart(result: DeployResult) -> go.Figure:
    rows = [r for r in views.deploy_rows(result) if r["median ms"] is not None]
    figure = px.bar(rows, x="rung", y="median ms", error_y=[r["p90 ms"] - r["median ms"] for r in rows],
                    title="One call: median (bar) to p90 (whisker), ms", height=320)
    figure.update_layout(xaxis_title=None, yaxis_title="ms per call")
    return figure


def threads_chart(result: DeployResult) -> go.Figure:
    figure = px.line(views.thread_rows(result), x="threads", y="calls per second", color="rung", markers=True,
                     title="Throughput: threads calling the same module at once", height=320)
    figure.update_xaxes(dtick=1)
    return figure
