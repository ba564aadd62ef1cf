"""What one job does inside a worker child: a JSON job in, a JSON-able answer out ({"ok": ...} or {"error": ...}).

The fork server (tsviz/forkserver.py) imports this module once, so torch is loaded before any fork, and
calls `run_job` in a fresh child per job. Nothing here manages processes.
"""
from __future__ import annotations

from tsviz import stages
from tsviz.bench import bench_variant, probe_devices
from tsviz.compare import diff_file
from tsviz.errors import TsvizError, WorkerError
from tsviz.jsonio import from_data, to_data
from tsviz.export_check import export_check
from tsviz.passes import explore_passes
from tsviz.pipeline import inspect_file
from tsviz.types import BenchJob, DiffRequest, InspectRequest, PassRequest

JOBS = {  # job name -> (request type or None, function)
    "inspect": (InspectRequest, inspect_file),
    "diff": (DiffRequest, diff_file),
    "passes": (PassRequest, explore_passes),
    "export": (InspectRequest, export_check),
    "bench": (BenchJob, bench_variant),
    "devices": (None, probe_devices),
    "ping": (None, lambda: {"pong": True}),
}


def run_job(job: dict) -> dict:
    """Run one job; every failure, ours or the user's, comes back as an error answer."""
    memory = f"{int(job.get('memory_mb', 0)) / 1024:g} GB "
    try:
        if job.get("job") not in JOBS:
            raise WorkerError(f"unknown job {job.get('job')!r}")
        request_type, run = JOBS[job["job"]]
        result = run() if request_type is None else run(from_data(request_type, job["request"]))
        return {"ok": to_data(result)}
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


def _out_of_memory(error: BaseException | None) -> bool:
    if isinstance(error, MemoryError):
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)
