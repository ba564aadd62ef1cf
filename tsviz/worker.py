"""The worker process: reads one job as JSON on stdin, writes one JSON answer. Run as `python -m tsviz.worker`."""
from __future__ import annotations

import json
import os
import sys

STAGE_MARK = "tsviz-stage:"


def stage(name: str) -> None:
    """Tell the parent what we are doing, so a timeout or crash can say where it happened."""
    print(f"{STAGE_MARK} {name}", file=sys.stderr, flush=True)


def _out_of_memory(error: BaseException | None) -> bool:
    if isinstance(error, MemoryError):
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)


def _answer_channel():
    """Keep the answer channel clean: from here on, anything printed (user code included) goes to stderr."""
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return answer


def main() -> int:
    answer_channel = _answer_channel()
    stage("starting Python and importing torch")
    from tsviz.bench import bench_variant, probe_devices
    from tsviz.compare import diff_file
    from tsviz.errors import TsvizError, WorkerError
    from tsviz.jsonio import from_data, to_data
    from tsviz.pipeline import inspect_file
    from tsviz.types import BenchJob, DiffRequest, InspectRequest

    jobs = {  # job name -> (request type, function, what the stage is called)
        "inspect": (InspectRequest, inspect_file, "loading and converting"),
        "diff": (DiffRequest, diff_file, "converting and comparing"),
        "bench": (BenchJob, bench_variant, "benchmarking"),
        "devices": (None, probe_devices, "looking for devices"),
    }
    memory, doing = "", "starting"
    try:
        job = json.loads(sys.stdin.read())
        if job.get("job") not in jobs:
            raise WorkerError(f"unknown job {job.get('job')!r}")
        request_type, run, doing = jobs[job["job"]]
        memory = f"{int(job.get('memory_mb', 0)) / 1024:g} GB "
        if request_type is None:
            stage(doing)
            answer = {"ok": to_data(run())}
        else:
            request = from_data(request_type, job["request"])
            filename = request.filename if isinstance(request, InspectRequest) else request.model.filename
            stage(f"{doing} {filename}")
            answer = {"ok": to_data(run(request))}
    except TsvizError as e:
        if _out_of_memory(e.__cause__):
            e = WorkerError(f"ran out of the {memory}memory limit while {doing}", file=e.file,
                            line=e.line, hint="the model or its inputs are too large for this dashboard")
        answer = {"error": to_data(e.info())}
    except Exception as e:  # a tsviz bug or an allocation failure, as text
        if _out_of_memory(e):
            answer = {"error": to_data(WorkerError("ran out of the worker's memory limit").info())}
        else:
            answer = {"error": to_data(WorkerError(f"unexpected error in the worker: {type(e).__name__}: {e}").info())}
    stage("sending the result")
    json.dump(answer, answer_channel)
    answer_channel.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
