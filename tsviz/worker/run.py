"""What one job does inside a worker child: a JSON job in, a JSON-able answer out ({"ok": ...} or {"error": ...}).

The fork server (tsviz/worker/forkserver.py) calls `import_jobs` once, so torch and every job's module are
loaded before any fork, and calls `run_job` in a fresh child per job. Nothing here manages processes.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from tsviz.model import jobfiles, stages
from tsviz.model.errors import TsvizError, WorkerError
from tsviz.model.jobs import JOBS, Job, model_of, with_model
from tsviz.model.jsonio import from_data, to_data
from tsviz.model.project import is_source


def import_jobs(names: list[str] | None = None) -> None:
    """Import the modules of these jobs (default: every job; torch among them) in the fork server, before the
    first fork."""
    for spec in JOBS.values():
        if names is None or spec.name in names:
            function_of(spec)


def function_of(spec: Job) -> Callable[..., Any]:
    module, _, name = spec.function.partition(":")
    return getattr(importlib.import_module(module), name)


def call(spec: Job, request: object) -> Any:
    """The job's function on its request: the result, or a TsvizError raised (also the command line's
    --in-process path). A local .py (`tsviz FILE`) is read here, in the worker; a local archive is read in place
    by the job itself. What the user's code prints (import, build, conversion) never reaches this process's
    stdout: it comes back on the result's `stdout` where the result has one (InspectResult), else on stderr."""
    run = function_of(spec)
    model = model_of(request)
    if model is not None and model.job_file is not None:  # a file the server holds: read in place, like a local one
        model = replace(model, local_path=str(jobfiles.input_path(model.job_file)))
        request = with_model(request, model)
    if model is not None and model.weights_file is not None:  # uploaded weights the server holds, read in place
        model = replace(model, weights_path=str(jobfiles.input_path(model.weights_file)))
        request = with_model(request, model)
    if model is not None and model.local_path and is_source(model.local_path):
        request = with_model(request, replace(model, content=Path(model.local_path).read_bytes()))
    with printed() as text:  # a job that raises: what it printed goes to stderr, where its error goes
        result = run() if spec.request is None else run(request)
    if text.value and _has_stdout(result):  # an InspectResult: the page and the command line show it
        return replace(result, stdout=text.value)
    _to_stderr(text.value)  # a result with no place for it: stderr, never the stdout a --json reader parses
    return result


STDOUT_KEEP = 64 * 1024  # bytes of a job's prints kept (the last ones): a model that prints in a loop stays bounded


class Printed:
    """What the job printed, set when it ended: its last STDOUT_KEEP bytes, said as cut when there were more."""

    value = ""


@contextlib.contextmanager
def printed() -> Iterator[Printed]:
    """The job's stdout, both Python's (print, sys.stdout) and C's (writes to fd 1), into a temp file instead of
    this process's stdout. In the worker child that stdout is the log pipe; with --in-process it is the terminal
    that `--json` prints its one object on, which the model's own prints must never reach. fd 1 and sys.stdout
    are restored after the job, whatever it did to them."""
    text = Printed()
    _flush_all()  # what was printed before the job goes where it was going
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all: nothing to protect, nothing to capture
        yield text
        return
    stream, failed = sys.stdout, False
    with tempfile.TemporaryFile() as file:
        os.dup2(file.fileno(), 1)
        mine = sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
        try:
            yield text
        except BaseException:
            failed = True
            raise
        finally:
            _flush_all(mine)  # what the job printed and left buffered is the job's
            mine.close()  # not fd 1 (closefd=False)
            sys.stdout = stream
            os.dup2(saved, 1)
            os.close(saved)
            text.value = _tail(file)
            if failed:
                _to_stderr(text.value)


def _flush_all(*streams: Any) -> None:
    """Python's stdout streams and C's stdio buffers (a C extension's printf, TorchScript's print)."""
    for out in (sys.stdout, *streams, sys.__stdout__):
        with contextlib.suppress(Exception):
            out.flush()
    with contextlib.suppress(Exception):
        _libc().fflush(None)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def _tail(file: BinaryIO) -> str:
    size = file.seek(0, os.SEEK_END)
    cut = max(0, size - STDOUT_KEEP)
    file.seek(cut)
    text = file.read().decode("utf-8", errors="replace")
    return f"[the first {cut:,} bytes printed were cut; the last {STDOUT_KEEP // 1024} KB follow]\n{text}" if cut \
        else text


def _to_stderr(text: str) -> None:
    if text:
        with contextlib.suppress(Exception):
            sys.stderr.write(text)
            sys.stderr.flush()


def _has_stdout(result: object) -> bool:
    return is_dataclass(result) and not isinstance(result, type) and "stdout" in {f.name for f in fields(result)}


def run_job(job: dict) -> dict:
    """Run one job; every failure, ours or the user's, comes back as an error answer."""
    memory = f"{int(job.get('memory_mb', 0)) / 1024:g} GB "
    try:
        if job.get("job") not in JOBS:
            raise WorkerError(f"unknown job {job.get('job')!r}")
        spec = JOBS[job["job"]]
        request = None if spec.request is None else from_data(spec.request, job["request"])
        return {"ok": to_data(call(spec, request))}
    except TsvizError as e:
        if _out_of_memory(e.__cause__):
            e = WorkerError(f"ran out of the {memory}memory limit while {stages.current()}", file=e.file,
                            line=e.line, hint="the model or its inputs are too large for this dashboard")
        return {"error": to_data(e.info())}
    except Exception as e:  # a tsviz bug or an allocation failure, as text
        if _out_of_memory(e):
            error = WorkerError(f"ran out of the {memory}memory limit while {stages.current()}",
                                hint="the model or its inputs are too large for this dashboard")
        else:
            error = WorkerError(f"unexpected error in the worker while {stages.current()}: {type(e).__name__}: {e}")
        return {"error": to_data(error.info())}


def pong() -> dict:
    """The ping job: nothing to do, to time a round trip through the queue and a fresh child."""
    return {"pong": True}


def _out_of_memory(error: BaseException | None) -> bool:
    if isinstance(error, MemoryError):
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)
