"""Run a job in a fresh worker process with time and memory limits; JSON in, validated JSON out."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, replace
from typing import TypeVar

from tsviz import sandbox
from tsviz.errors import TsvizError, WorkerError
from tsviz.jsonio import from_data, to_data
from tsviz.types import BenchJob, BenchResult, DeviceInfo, DiffRequest, DiffResult, ErrorInfo, InspectRequest, InspectResult
from tsviz.worker import STAGE_MARK

T = TypeVar("T")
MAX_ANSWER_BYTES = 256 * 1024 * 1024
_ROOT = sandbox.ROOT
_SLOTS = threading.BoundedSemaphore(2)  # two cores: at most two jobs at once


@dataclass(frozen=True)
class Limits:
    """Per-job limits. torch alone needs ~0.75 GB of address space just to import."""

    timeout_s: float = 60.0
    memory_mb: int = 3072  # 0: no address-space limit
    cpu_s: int = 120


def run_inspect(request: InspectRequest, limits: Limits = Limits()) -> InspectResult:
    """inspect_file() in a worker process; a TsvizError comes back as the same error here."""
    return _run_job("inspect", request, InspectResult, request.filename, limits)


def run_diff(request: DiffRequest, limits: Limits = Limits()) -> DiffResult:
    """compare.diff_file() in a worker process: eager vs trace vs script on many inputs."""
    return _run_job("diff", request, DiffResult, request.model.filename, limits)


def run_bench(job: BenchJob, limits: Limits = Limits(timeout_s=180, cpu_s=600)) -> BenchResult:
    """One variant on one device, in its own worker: a crash there loses no other variant's rows.

    CUDA reserves far more address space than it uses, so CUDA jobs run without the address-space limit.
    """
    if job.device == "cuda":  # and the sandbox has no GPU device nodes: reduced isolation for GPU jobs
        return _run_job("bench", job, BenchResult, job.model.filename, replace(limits, memory_mb=0), sandboxed=False)
    return _run_job("bench", job, BenchResult, job.model.filename, limits)


def run_devices(limits: Limits = Limits(timeout_s=60)) -> DeviceInfo:
    """The worker machine's CPU count and CUDA GPUs."""
    return _run_job("devices", None, DeviceInfo, "", limits)


def _run_job(name: str, request: object, result_type: type[T], filename: str, limits: Limits,
             sandboxed: bool = True) -> T:
    job = {"job": name, "request": to_data(request), "memory_mb": limits.memory_mb}
    answer = _run_worker(job, limits, filename, sandboxed)
    try:
        if "error" in answer:
            raise TsvizError.from_info(from_data(ErrorInfo, answer["error"]))
        return from_data(result_type, answer["ok"])
    except (KeyError, ValueError, TypeError) as e:
        raise WorkerError(f"the worker sent a malformed answer ({e})", file=filename) from e


def _limit_child(limits: Limits) -> None:
    """Runs in the child before exec: cap memory, CPU time and core files."""
    if limits.memory_mb:
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run_worker(job: dict, limits: Limits, filename: str, sandboxed: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(_ROOT), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    wrapper = sandbox.prefix() if sandboxed else ()
    argv = [*wrapper, sys.executable, "-m", "tsviz.worker"]
    with _SLOTS:
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=_ROOT, env=env, start_new_session=True,
            preexec_fn=lambda: _limit_child(limits),
        )
        try:
            out, err = process.communicate(json.dumps(job).encode(), timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            out, err = process.communicate()
            raise WorkerError(f"timed out after {limits.timeout_s:g} s while {_last_stage(err)}", file=filename,
                              hint="the model may loop forever or be too large to convert here") from None
    if process.returncode != 0 or not out:
        code = process.returncode
        if wrapper and code > 128:  # bwrap reports a child killed by signal N as 128 + N
            code = 128 - code
        raise _death(code, err, limits, filename)
    if len(out) > MAX_ANSWER_BYTES:
        raise WorkerError(f"the result is larger than {MAX_ANSWER_BYTES // 2**20} MB", file=filename)
    try:
        answer = json.loads(out)
    except ValueError as e:
        raise WorkerError("the worker sent an answer that is not JSON", file=filename) from e
    if not isinstance(answer, dict) or not ({"ok", "error"} & answer.keys()):
        raise WorkerError("the worker sent an answer of the wrong shape", file=filename)
    return answer


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _last_stage(stderr: bytes) -> str:
    stages = [ln.split(STAGE_MARK, 1)[1].strip() for ln in stderr.decode(errors="replace").splitlines() if STAGE_MARK in ln]
    return stages[-1] if stages else "starting"


def _death(code: int, stderr: bytes, limits: Limits, filename: str) -> TsvizError:
    stage = _last_stage(stderr)
    if code < 0:
        name = signal.Signals(-code).name
        if name == "SIGXCPU":
            what = f"used up its {limits.cpu_s} s of CPU time"
        elif name == "SIGKILL":
            what = f"was killed (most likely out of its {limits.memory_mb / 1024:g} GB memory limit)"
        else:
            what = f"crashed ({name})"
    else:
        what = f"exited with status {code}"
    tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
    return WorkerError(f"the worker process {what} while {stage}", file=filename,
                       hint="the model's code crashed the interpreter; the dashboard is unaffected",
                       detail="\n".join(tail))

