"""The one job table: every job the worker runs, with its request, its result, its function and its limits.

The worker imports each job's function from here; the client checks the answer against the result type and
applies the limits; pages and the command line name a job and pass its request. Adding a job is one entry
here plus its function in tsviz.analysis. The function is named as text ("module:function") so that this
table, like everything on the server's side, never imports torch.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from tsviz.model.deploy import DeployRequest, DeployResult
from tsviz.model.errors import InputError
from tsviz.model.filekinds import Sniffed, sniff
from tsviz.model.package import PackageResult
from tsviz.model.pt2 import Pt2Result
from tsviz.model.types import (
    BenchJob,
    BenchResult,
    DeviceInfo,
    DiffRequest,
    DiffResult,
    ExportResult,
    InspectRequest,
    InspectResult,
    MigrateRequest,
    PassRequest,
    PassResult,
)
from tsviz.model.weights import WeightsResult


@dataclass(frozen=True)
class Limits:
    """Per-job limits. Memory is address space a job may map beyond the warm worker's own (torch and its
    libraries, already mapped when the job starts: 0.7 GB for the CPU build, over 3 GB for a CUDA build)."""

    load_s: float = 30.0
    convert_s: float = 60.0
    run_s: float = 60.0
    benchmark_s: float = 300.0
    memory_mb: int = 3072  # beyond the warm worker's; 0: no limit (CUDA reserves far more than it uses)
    cpu_s: int = 240
    file_mb: int = 2048  # the largest file a job may write (a converted archive is one: 4 bytes a parameter)
    files_mb: int = 2048  # all its job files together (tsviz/model/jobfiles.py): the host disk they take
    open_files: int = 256
    processes: int = 64  # processes in the job's sandbox (RLIMIT_NPROC outside one)
    answer_mb: int = 256
    parse_mb: int = 512  # the most the dashboard spends on rebuilding one answer (see client/answers.py)

    @classmethod
    def every_stage(cls, seconds: float, **other: int) -> Limits:
        return cls(load_s=seconds, convert_s=seconds, run_s=seconds, benchmark_s=seconds, **other)

    def for_server(self) -> dict:
        return {
            "stages_s": {"load": self.load_s, "convert": self.convert_s, "run": self.run_s,
                         "benchmark": self.benchmark_s},
            "memory_mb": self.memory_mb, "cpu_s": self.cpu_s, "file_mb": self.file_mb,
            "open_files": self.open_files, "processes": self.processes, "answer_bytes": self.answer_mb * 2**20,
            "files_bytes": self.files_mb * 2**20,
        }

    def total_s(self) -> float:
        return self.load_s + self.convert_s + self.run_s + self.benchmark_s


@dataclass(frozen=True)
class Job:
    """One kind of job."""

    name: str
    request: type | None  # the request dataclass, or None for a job that takes nothing
    result: type  # the dataclass the answer is rebuilt into (dict: a plain JSON object)
    function: str  # "module:function" in tsviz.analysis or tsviz.worker, imported only inside the worker
    limits: Limits = Limits()
    cached: bool = True  # results and errors remembered by content (not for a probe of the machine)
    user_content: bool = True  # False: runs no user file (the device probe), so it may run outside the sandbox


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("inspect", InspectRequest, InspectResult, "tsviz.analysis.inspect_model:inspect_file"),
    Job("diff", DiffRequest, DiffResult, "tsviz.analysis.diff:diff_file"),
    Job("passes", PassRequest, PassResult, "tsviz.analysis.passes:explore_passes"),
    Job("migrate", MigrateRequest, ExportResult, "tsviz.analysis.migrate:migrate", Limits(benchmark_s=300)),
    Job("deploy", DeployRequest, DeployResult, "tsviz.deploy.run:deploy", Limits(benchmark_s=300, cpu_s=600)),
    Job("bench", BenchJob, BenchResult, "tsviz.analysis.bench:bench_variant", Limits(cpu_s=600)),
    Job("devices", None, DeviceInfo, "tsviz.analysis.bench:probe_devices", Limits.every_stage(60),
        cached=False, user_content=False),
    Job("weights", InspectRequest, WeightsResult, "tsviz.analysis.weights:list_weights"),
    Job("pt2", InspectRequest, Pt2Result, "tsviz.analysis.pt2:view_pt2"),
    Job("package", InspectRequest, PackageResult, "tsviz.analysis.package:view_package"),
    Job("ping", None, dict, "tsviz.worker.run:pong", cached=False),
)}


def job(name: str) -> Job:
    if name not in JOBS:
        raise KeyError(f"no job named {name!r}; the jobs are {', '.join(JOBS)}")
    return JOBS[name]


def model_of(request: object) -> InspectRequest | None:
    """The model file a request is about (every job's request holds one, or is one)."""
    if isinstance(request, InspectRequest):
        return request
    model = getattr(request, "model", None)
    return model if isinstance(model, InspectRequest) else None


def with_model(request: object, model: InspectRequest) -> object:
    """The request with its model file replaced (the request itself, when it is one)."""
    return model if isinstance(request, InspectRequest) else replace(request, model=model)


def filename_of(request: object) -> str:
    """The user's name for the file a job runs, for its error messages ("" for a job without one)."""
    model = model_of(request)
    return model.filename if model is not None else ""


def kind_of(request: InspectRequest) -> Sniffed:
    """What the request's file is, read from its content (tsviz.model.filekinds), never from its name."""
    if request.job_file is not None:  # the archive a .py's conversion saved
        return Sniffed("torchscript")
    if request.content or not request.local_path:
        return sniff(request.content)
    try:
        return sniff(Path(request.local_path))
    except OSError as e:
        return Sniffed("unknown", detail=f"it cannot be read: {e.strerror or e}")


def is_archive(request: InspectRequest) -> bool:
    """A TorchScript archive, as opposed to Python source, by its content (never by its name)."""
    return kind_of(request).kind == "torchscript"


def require_source(request: InspectRequest, what: str) -> None:
    """Refuse an archive for a job that needs the model's Python source."""
    if is_archive(request):
        raise InputError(f"{what} needs the model's Python source; a .pt archive is already compiled",
                         file=request.filename, hint="upload the .py file the archive was made from")


def saved_archive_request(result: InspectResult) -> InspectRequest:
    """Inspect the archive a .py's conversion saved ("my_model.trace.pt"), as the Archive page and `tsviz archive`
    do for a .py: the job file the server holds is handed to the worker as it is, never as bytes in the job."""
    if result.archive is None:
        raise InputError("the model did not convert, so there is no saved archive", file=result.filename)
    return InspectRequest(saved_archive_name(result), b"", job_file=result.archive)


def saved_archive_name(result: InspectResult) -> str:
    """The name a .py's converted archive downloads as: "my_model.trace.pt"."""
    return f"{Path(result.filename).stem}.{result.mode}.pt"
