"""The deploy job's plain data: the model run by Python, by the LibTorch C++ runner and by ONNX Runtime, side by
side; and where the built C++ runner lives, which the server side needs to know without importing torch."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tsviz.model.jobfiles import JobFile
from tsviz.model.types import InspectRequest

CACHE_ENV = "TSVIZ_RUNNER_CACHE"  # where built runners are kept (default ~/.cache/tsviz/runner)
RUNNER_ENV = "TSVIZ_RUNNER_DIR"  # where a worker finds that folder: inside the sandbox, RUNNER_MOUNT
RUNNER_MOUNT = "/opt/tsviz-runner"  # the cache folder, read-only inside the sandbox
RUNGS = ("python", "eager", "libtorch", "onnxruntime")  # the order of the runs in a result


def runner_cache() -> Path:
    """The folder built runners are kept in, one sub-folder per torch version and source hash."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tsviz" / "runner"


def thread_counts(threads: int) -> tuple[int, ...]:
    """1, 2, 4, ... up to `threads`, and `threads` itself: the points of the throughput curve."""
    counts, n = [], 1
    while n < threads:
        counts.append(n)
        n *= 2
    return (*counts, max(1, threads))


@dataclass(frozen=True, slots=True)
class DeployRequest:
    """Run one model in Python, in C++ and in ONNX Runtime."""

    model: InspectRequest
    threads: int = 2  # the most threads calling the module at once (the curve: thread_counts(threads))
    iters: int = 20  # timed calls per rung, after warm-up
    onnx: bool = True  # also export to ONNX and run it in onnxruntime
    atol: float = 1e-5  # an output matches Python's within atol absolutely or rtol relatively (Trace vs
    rtol: float = 1e-4  # script's tolerances and defaults: tsviz.graph.verdict.DEFAULT_ATOL/RTOL)
    measure: int = 0  # the page's 'Measure again' presses: each is a new request, so timed afresh, not cached


@dataclass(frozen=True, slots=True)
class ThreadRate:
    """Calls per second with `n` threads calling the same module at once."""

    n: int
    per_second: float


@dataclass(frozen=True, slots=True)
class DeployRun:
    """One rung: the model run one way, checked against the Python TorchScript reference and timed."""

    name: str  # "python" (TorchScript in Python: the reference), "eager", "libtorch", "onnxruntime"
    ok: bool  # it ran and its outputs match the reference
    max_abs_diff: float | None  # largest difference from the reference; None where it did not run
    median_ms: float | None  # one call, median over the timed calls
    p90_ms: float | None
    iqr_ms: float | None = None  # interquartile range of one call
    threads: tuple[ThreadRate, ...] = ()  # throughput against threads calling at once
    reason: str | None = None  # why it did not run or does not match (a skip, a refusal, an error)
    line: int = 0  # the user's line a refusal points at, where known
    how: str = ""  # what ran: "torch::jit::load + forward in tsviz_runner (C++)", "onnxruntime 1.30.0 (CPU)"


@dataclass(frozen=True, slots=True)
class DeployResult:
    """The model deployed every way this machine can, with the C++ project to take home."""

    filename: str
    runs: tuple[DeployRun, ...]
    inputs: tuple[str, ...]  # the example inputs, described ("2x4 float32")
    cpp_source: str  # runner.cpp, as built
    cmake: str  # CMakeLists.txt, as built
    build_commands: str  # the shell commands that build it on the user's machine
    build_note: str  # how the runner was got here: built (seconds) or from the cache, or why it was not
    archive_name: str  # the archive's file name in the take-home project ("my_model.script.pt")
    archive: JobFile | None = None  # the TorchScript archive the runs used (for a .py: the conversion's)
    onnx_file: JobFile | None = None  # the exported .onnx, where the ONNX rung exported one
    mode: str = "archive"  # how a .py was converted (script, trace, hybrid); "archive" for a .pt
    notes: tuple[str, ...] = ()
