"""Jobs from a page: the job table's jobs run in the sandboxed worker, with a spinner and the queue shown."""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from tsviz import client
from tsviz.client import startcache
from tsviz.model.errors import TsvizError
from tsviz.model.jobfiles import JobFile
from tsviz.model.jobs import is_archive, model_of
from tsviz.model.jsonio import from_data, to_data
from tsviz.model.types import BenchJob, BenchRow, DeviceInfo, ErrorInfo, InspectResult
from tsviz.report.review import review_report as assemble_report
from tsviz.ui.widgets import show_error, walk_svg

# The one call into the worker (tests replace it to count or delay jobs).
run_job = client.run


def in_worker(name: str, request: object, doing: str) -> tuple[Any, ErrorInfo | None]:
    """Job `name`'s result or its error as data, with a spinner saying what it is `doing` and, while other jobs
    hold the worker, the queue. The client caches results and errors by content, so a rerun costs nothing.
    """
    note = st.empty()

    def on_wait(text: str) -> None:
        note.info(f"{text}. {doing} starts as soon as it is free.", icon=":material/hourglass_top:")

    with st.spinner(f"{doing} in the worker…"):
        try:
            return run_job(name, request, on_wait=on_wait, owner=page_owner()), None
        except TsvizError as e:
            return None, e.info()
        finally:
            note.empty()


def job_file(ref: JobFile) -> Callable[[], bytes]:
    """A download button's data for a job file the server holds (a converted .pt, a .pt2): read when the button is
    clicked, on its own thread, not on every rerun of the page (tsviz/client/files.py)."""
    return functools.partial(client.files.read, ref)


def page_owner() -> str | None:
    """This session's page, as the queue knows it: each keeps at most one job waiting."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else f"{ctx.session_id}:{ctx.page_script_hash}"


def result_or_stop(name: str, request: object, doing: str) -> Any:
    """Job `name`'s result; on an error, the error shown (with the model's source around its line) and the page
    stopped."""
    result, error = in_worker(name, request, doing)
    if result is None:
        model = model_of(request)
        source = "" if model is None or is_archive(model) else model.content.decode("utf-8", "replace")
        show_error(error, source)
        st.stop()
    return result


DEVICES_TTL_S = 600
_AHEAD: list[tuple[float, DeviceInfo | None]] = []  # the probe made at server start (tsviz/ui/opening.py)
_PROBING = threading.Event()
_PROBING.set()


@st.cache_data(ttl=DEVICES_TTL_S, show_spinner=False)
def devices() -> DeviceInfo | None:
    """The worker machine's CPUs and GPUs (None when the worker cannot say)."""
    _PROBING.wait(timeout=120)  # the probe made ahead, if one is under way
    if _AHEAD and time.monotonic() - _AHEAD[-1][0] < DEVICES_TTL_S:
        return _AHEAD[-1][1]
    return _probe()


def probe_ahead() -> None:
    """Probe the machine now (off any page), or take a probe a server made here within DEVICES_TTL_S: the
    Benchmarks page's first view does not start a worker for it."""
    _PROBING.clear()
    try:
        kept = startcache.recall("devices", DEVICES_TTL_S)
        found = from_data(DeviceInfo, kept) if isinstance(kept, dict) else _probe()
        if found is not None and kept is None:
            startcache.keep("devices", to_data(found))
        _AHEAD.append((time.monotonic(), found))
    except (TypeError, ValueError, KeyError):
        _AHEAD.append((time.monotonic(), _probe()))
    finally:
        _PROBING.set()


def _probe() -> DeviceInfo | None:
    try:
        return run_job("devices")
    except TsvizError:
        return None


def run_bench_job(bench: BenchJob) -> list[BenchRow]:
    """One variant on one device in its own worker; a failure becomes rows that say what happened."""
    try:
        return list(run_job("bench", bench, owner=page_owner()).rows)
    except TsvizError as e:
        from tsviz.report.bench import failed_rows  # pandas and plotly: imported by the page that needs them

        return failed_rows(bench, e.one_line())


def review_report(result: InspectResult, diff_request: object, bench_rows: tuple[BenchRow, ...]) -> str:
    """The page's review report: the model graph, .code, source, trace-vs-script findings (default seed, from
    the worker's cache when the Trace vs script page ran them) and this session's benchmark rows, if any."""
    diff = None
    if result.kind == "py":
        diff, _ = in_worker("diff", diff_request, "Comparing trace and script for the report")
    from tsviz.report.bench import rows_frame, summary_table  # pandas and plotly, for the page that needs them

    bench = summary_table(rows_frame(bench_rows, "this machine")) if bench_rows else None
    return assemble_report(result, diff=diff, bench=bench, layout=walk_svg)  # the page's cached layout
