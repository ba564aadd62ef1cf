"""What one job does inside a worker child: a JSON job in, a JSON-able answer out ({"ok": ...} or {"error": ...}).

The fork server (tsviz/worker/forkserver.py) calls `import_jobs` once, so torch and every job's module are
loaded before any fork, and calls `run_job` in a fresh child per job. Nothing here manages processes.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tsviz.model import stages
from tsviz.model.errors import TsvizError, WorkerError
from tsviz.model.jobs import JOBS, Job, is_archive, model_of, with_model
from tsviz.model.jsonio import from_data, to_data


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
    by the job itself."""
    run = function_of(spec)
    model = model_of(request)
    if model is not None and model.local_path and not is_archive(model.filename):
        request = with_model(request, replace(model, content=Path(model.local_path).read_bytes()))
    return run() if spec.request is None else run(request)


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
