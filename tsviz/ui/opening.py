"""The opening view, made ahead: at server start, in the background, the opening sample's conversion, its DOT and
its layout, then the first views of the other pages (Trace vs script, Passes, Migrate, Archive, the machine's
devices), so the first visitor finds them ready instead of waiting for the worker to import torch and run them.

The jobs' answers are kept on disk between starts (tsviz/client/startcache.py, keyed by tsviz, torch and the job
with the sample's sha256): a server started again has the opening view within milliseconds of starting, before its
worker is even up. The requests are the ones the pages make on a first visit (tests/app/test_opening_view.py says
they are); the results go into the same caches the pages read (the client's, the walk's and the layout's).
"""
from __future__ import annotations

import gc
import os
import sys
import threading
import time
from pathlib import Path

from tsviz import client
from tsviz.client import sandbox
from tsviz.model.errors import TsvizError
from tsviz.model.filekinds import SOURCE_KINDS, refusal
from tsviz.model.jobs import kind_of, saved_archive_request
from tsviz.model.project import project_stamp
from tsviz.model.types import DiffRequest, InspectRequest, MigrateRequest, PassRequest
from tsviz.ui.page import DEFAULT_SAMPLE, SAMPLES_DIR
from tsviz.ui.walk import _walk_dot, _walk_graph, result_key
from tsviz.ui.widgets import lay_out_ahead

_STARTED = threading.Event()
ready = threading.Event()  # the opening graph page's view is in the caches (tests, benchmarks)
_SHOWN = threading.Event()  # a graph page's run has finished: the heavy imports may start


def opening_request() -> InspectRequest:
    """The graph page's request on a first visit: the default sample, script mode, every option its default."""
    return InspectRequest(filename=DEFAULT_SAMPLE, content=(SAMPLES_DIR / DEFAULT_SAMPLE).read_bytes(), mode="script")


def other_requests(request: InspectRequest) -> list[tuple[str, object]]:
    """The other pages' first jobs on the opening sample, in the order they are offered in the sidebar."""
    return [("diff", DiffRequest(request)), ("passes", PassRequest(request)), ("migrate", MigrateRequest(request))]


def local_request(local: str) -> InspectRequest | None:
    """The graph page's request on a first visit to `tsviz FILE`: the file read where it lies (by its path, its
    size and time, its project's stamp), script mode; None for what the page shows without a conversion."""
    info = os.stat(local)
    stamp = f"{info.st_size}:{info.st_mtime_ns}"
    if (mount := sandbox.local_mount()) != local:  # a .py in its project: its siblings name the version too
        stamp += f":{project_stamp(mount)}"
    name = Path(local).name
    found = kind_of(InspectRequest(name, b"", local_path=local))
    if found.kind == "torchscript":
        return InspectRequest(name, b"", mode="script", local_path=local, local_stamp=stamp)
    if found.kind not in SOURCE_KINDS or refusal(name, found) is not None:
        return None
    weights = {}
    if path := sandbox.weights_file():  # as tsviz.ui.given_weights gives them
        size = os.stat(path)
        weights = dict(weights_path=path, weights_name=Path(path).name,
                       weights_stamp=f"{size.st_size}:{size.st_mtime_ns}")
    return InspectRequest(name, b"", mode="script", local_path=local, local_stamp=stamp, **weights)


def prepare() -> None:
    """Start the worker pool and make the opening view in a background thread (once per process). (Starting the
    pool only after the first graph, when the view needs no worker, made that graph faster on a 2-core machine but
    the next sample 9 s instead of 2 s in benchmarks/browser_speed.py: the pool starts at once.)"""
    if _STARTED.is_set():
        return
    _STARTED.set()
    # Streamlit's first element of a process looks at the whole call stack, reading the source of every frame, to
    # see whether it runs in a REPL (to print a hint there): a fifth of the first visit's run. This is a server.
    from streamlit import delta_generator

    delta_generator._use_warning_has_been_displayed = True
    threading.Thread(target=_prepare, name="tsviz-opening", daemon=True).start()


def prepare_now() -> None:
    """The graph page's opening view, made in this thread (tests; `prepare` runs it in the background). For a
    local file (`tsviz FILE`) it is kept in memory only: the user's own file is not copied into a cache."""
    local = sandbox.local_file()
    request = local_request(local) if local else opening_request()
    if request is None:
        ready.set()
        return
    result = client.run("inspect", request, persist=not local)
    key = result_key(request)
    if result.error is None:
        shown = _walk_graph(result, key, "graph", "", True, "")
        lay_out_ahead(_walk_dot(result, key, "graph", "", True, ""), len(shown.nodes))
    ready.set()


def _prepare() -> None:
    start = time.perf_counter()
    try:
        client.warm_up()  # at once, view or no view: the next click (another sample, an upload) needs a worker
        prepare_now()
        import numpy  # noqa: F401 - what the page's icon (st.set_page_config) imports on the first visit
        import PIL.Image  # noqa: F401

        _say(f"the opening view is ready ({time.perf_counter() - start:.2f} s after the server started making it)")
        from tsviz.ui.jobs import probe_ahead

        _import_later()  # once the first graph is drawn: pandas and plotly, then the device probe's own worker
        probe = threading.Thread(target=probe_ahead, name="tsviz-devices", daemon=True)  # in a worker of its own
        probe.start()
        if not sandbox.local_file():
            for name, job in other_requests(opening_request()):  # after any visitor's own jobs
                client.run(name, job, persist=True, background=True)
            result = client.run("inspect", opening_request(), persist=True)  # in memory: the Archive page's job
            if result.error is None and result.archive is not None:  # inspects the archive its conversion saved
                client.run("inspect", saved_archive_request(result), persist=True, background=True)
        probe.join(timeout=180)
        _say(f"the other pages' first views are ready ({time.perf_counter() - start:.2f} s)")
    except TsvizError:  # the page runs the job itself and shows what went wrong
        ready.set()
        client.warm_up()
    except Exception:  # noqa: BLE001 - a view made ahead is an optimisation: never a failure of the server
        ready.set()
        client.warm_up()


def _say(text: str) -> None:
    print(f"tsviz: {text}", file=sys.stderr, flush=True)


def shown() -> None:
    """The graph page's run has ended: what the other pages import, and the workers, may come once the browser has
    had its JavaScript for the page (it asks the server for a file per kind of widget, after the run's messages; a
    server importing pandas and plotly meanwhile answered them seconds late on a 2-core machine)."""
    if not _SHOWN.is_set():
        threading.Timer(AFTER_SHOWN_S, _SHOWN.set).start()


AFTER_SHOWN_S = 3.0


def _import_later() -> None:
    """The other pages' heavy modules (pandas, plotly), imported once the first graph page's run has ended (or
    after 8 s without a visitor): the first graph does not wait for them, and the next page's first view finds
    them imported."""
    _SHOWN.wait(timeout=8.0)
    import pandas  # noqa: F401
    import plotly.express  # noqa: F401

    gc.freeze()  # out of the collector's reach, as what was imported before the server started
