"""The deploy job, inside the worker: one TorchScript archive run by Python, by the LibTorch C++ runner and by
ONNX Runtime, each checked against Python's outputs and timed, one thread and T threads at once.

How the C++ process is contained: this job already runs in the worker's bubblewrap sandbox (no network, no host
files, an unprivileged user, a private /tmp, the worker's memory and process limits), and the runner is started
from here as its child, so it inherits all of it; the archive it loads is the job's own read-only copy or the
job's private /tmp file. The binary was built beforehand, outside the sandbox, from tsviz's own source only
(tsviz/deploy/build.py), and is mounted read-only at RUNNER_MOUNT. A hostile archive loaded in C++ gets what it
gets in Python.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import torch

from tsviz.analysis import archive
from tsviz.analysis.convert import convert, describe
from tsviz.analysis.inspect_model import saved_archive
from tsviz.analysis.migrate import archive_inputs
from tsviz.analysis.outputs import call_safely, compare_outputs, error_text
from tsviz.analysis.state import Fresh, drift
from tsviz.deploy import build, onnx_rung
from tsviz.load.modelfile import private_copy, source_model
from tsviz.load.sniff import require_kind
from tsviz.model import jobfiles
from tsviz.model.deploy import RUNNER_ENV, DeployRequest, DeployResult, DeployRun, ThreadRate, thread_counts
from tsviz.model.errors import ArchiveError
from tsviz.model.stages import stage
from tsviz.model.types import MigrateRequest

WARMUP = 3
THREAD_SECONDS = 0.3  # each point of the throughput curve
RUNNER_TIMEOUT_S = 120


def deploy(request: DeployRequest) -> DeployResult:
    name = request.model.filename
    with tempfile.TemporaryDirectory(prefix="tsviz-deploy-") as tmp:
        with private_copy(request.model) as path:
            # by content, never the suffix: a TorchScript .pth or .jit deploys like a .pt; a state dict, an ONNX
            # or safetensors file gets the refusal every other job gives
            if require_kind(path, name).kind == "torchscript":
                stage("load", f"loading the archive {name} (torch.jit.load runs its code)")
                module = archive.load_archive(str(path), name)
                inputs, notes = archive_inputs(module, MigrateRequest(request.model))  # leaves it in fresh state
                return _deployed(request, module, None, str(path), inputs, notes, "archive", tmp)
        with source_model(request.model, "deploy") as model_file:
            torch.manual_seed(0)
            (target, inputs, _), guessed = model_file.build_with_inputs()
            mode = request.model.mode
            stage("convert", f"converting {name} with {mode}")
            converted = convert(target, mode, inputs, model_file.origin, **model_file.hybrid_options(target))
            path = str(Path(tmp) / "model.pt")
            torch.jit.save(converted.module, path)
            notes = [*guessed, *converted.notes]
            return _deployed(request, converted.module, target, path, inputs, notes, mode, tmp,
                             model_file.origin.path)


def _deployed(request: DeployRequest, module: Any, eager: Any, path: str, inputs: tuple, notes: list[str],
              mode: str, tmp: str, user_path: str = "") -> DeployResult:
    name = request.model.filename
    counts = thread_counts(request.threads)
    stage("run", f"running {name} in Python (the reference)")
    # a module that keeps state is checked from the state it was saved with, as the C++ runner's first call is
    fresh = Fresh(module)
    kept = drift(fresh, inputs)
    reference, error = call_safely(fresh.new(), inputs)
    if error:
        raise ArchiveError(f"the TorchScript module does not run on its inputs: {error}", file=name,
                                   hint="give inputs it accepts: --input 2x4, or the input fields in the sidebar")
    notes = [*notes, f"{kept[0].upper()}{kept[1:]} (each run's outputs are its first call's)."] if kept else notes
    if kept and counts != (1,):  # threads calling one module that writes its state race on it (and can crash)
        counts = (1,)
        notes.append("A module that keeps state between calls is timed on one thread only: several threads calling "
                     "it at once would race on its state; a server gives each thread its own copy.")
    runs = [_python_run("python", module, inputs, reference, request, counts,
                        "torch.jit.load + forward in Python (TorchScript)", fresh if kept else None)]
    if eager is not None:
        runs.append(_python_run("eager", eager, inputs, reference, request, counts, "the nn.Module in Python",
                                Fresh(eager) if kept else None))
    built = build.ensure_found()
    runs.append(_cpp_run(built, path, inputs, reference, request, counts, tmp))
    onnx_file = None
    if request.onnx:
        stage("benchmark", f"exporting {name} to ONNX and running it in onnxruntime")
        run, onnx_file = onnx_rung.onnx_run(eager if eager is not None else module, inputs, reference, request,
                                            tmp, user_path)
        runs.append(run)
    from_archive = mode == "archive"  # the file itself is the archive; a .py's is the conversion's
    archive_name = Path(name).name if from_archive else f"{Path(name).stem}.{mode}.pt"
    saved = _copied(path) if from_archive else saved_archive(module)["archive"]
    return DeployResult(
        filename=name, runs=tuple(runs), inputs=tuple(describe(x) for x in inputs),
        cpp_source=(build.SOURCES / "runner.cpp").read_text(), cmake=(build.SOURCES / "CMakeLists.txt").read_text(),
        build_commands=build.build_commands(archive_name, example_code(inputs)), build_note=built.note(),
        archive_name=archive_name,
        archive=saved, onnx_file=onnx_file, mode=mode, notes=tuple(notes))


def example_code(inputs: tuple) -> str:
    """Python that makes inputs of the same shapes and dtypes, for the take-home commands ("torch.randn(4, 16),")."""
    parts = []
    for x in inputs:
        if not isinstance(x, torch.Tensor):
            parts.append(repr(x))
        elif x.is_floating_point():
            dtype = "" if x.dtype == torch.float32 else f", dtype={x.dtype}"
            parts.append(f"torch.randn({', '.join(map(str, x.shape))}{dtype})")
        else:
            parts.append(f"torch.zeros(({', '.join(map(str, x.shape))}{',' if x.dim() == 1 else ''}), dtype={x.dtype})")
    return "".join(f"{p}," for p in parts) if len(parts) == 1 else ", ".join(parts)


def _copied(path: str) -> jobfiles.JobFile:
    data = Path(path).read_bytes()
    return jobfiles.write("archive.pt", lambda target: Path(target).write_bytes(data))


def timings(fn: Any, inputs: tuple, iters: int) -> tuple[float, float, float]:
    """(median, p90, IQR) of one call in ms, after WARMUP calls."""
    with torch.inference_mode():
        for _ in range(WARMUP):
            fn(*inputs)
        times = []
        for _ in range(iters):
            start = time.perf_counter()
            fn(*inputs)
            times.append((time.perf_counter() - start) * 1000)
    return summary(times)


def summary(times: list[float]) -> tuple[float, float, float]:
    if len(times) < 2:
        return times[0], times[0], 0.0
    cuts = statistics.quantiles(times, n=20, method="inclusive")  # 5% steps: [4] is p25, [17] is p90
    return statistics.median(times), cuts[17], cuts[14] - cuts[4]


def python_threads(fn: Any, inputs: tuple, counts: tuple[int, ...], seconds: float = THREAD_SECONDS,
                   ) -> tuple[ThreadRate, ...]:
    """Calls per second with n Python threads calling fn at once (one intra-op thread each, as the C++ runner)."""
    rates = []
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for n in counts:
            calls = [0] * n
            stop = time.perf_counter() + seconds

            def loop(i: int) -> None:
                with torch.inference_mode():
                    while time.perf_counter() < stop:
                        fn(*inputs)
                        calls[i] += 1

            start = time.perf_counter()
            workers = [threading.Thread(target=loop, args=(i,)) for i in range(n)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            rates.append(ThreadRate(n, round(sum(calls) / (time.perf_counter() - start), 1)))
    finally:
        torch.set_num_threads(before)
    return tuple(rates)


def _python_run(name: str, fn: Any, inputs: tuple, reference: Any, request: DeployRequest,
                counts: tuple[int, ...], how: str, fresh: Fresh | None = None) -> DeployRun:
    """Timed and checked; a module that keeps state (fresh given) is checked on its first call from fresh state."""
    stage("benchmark", f"timing {request.model.filename} in Python ({name})")
    got, error = call_safely(fresh.new() if fresh is not None else fn, inputs)
    if error:
        return DeployRun(name, False, None, None, None, reason=error, how=how)
    ok, diff, reason = checked(reference, got, request)
    median, p90, iqr = timings(fn, inputs, request.iters)
    return DeployRun(name, ok, diff, median, p90, iqr, python_threads(fn, inputs, counts), reason, how=how)


def checked(reference: Any, got: Any, request: DeployRequest) -> tuple[bool, float | None, str | None]:
    """(matches, largest difference, why not) against the reference, within the request's tolerances (the Deploy
    page's sliders, Trace vs script's defaults)."""
    outcome = compare_outputs(reference, got)
    if outcome.matches(request.atol, request.rtol):
        return True, outcome.max_abs or 0.0, None
    return False, outcome.max_abs, outcome.error or outcome.mismatch or \
        f"outputs differ from Python's (largest difference {outcome.max_abs:.2g})"


def runner_binary(built: build.Built) -> Path:
    folder = Path(os.environ[RUNNER_ENV]) if os.environ.get(RUNNER_ENV) else build.runner_cache()
    return folder / built.binary


def _cpp_run(built: build.Built, path: str, inputs: tuple, reference: Any, request: DeployRequest,
             counts: tuple[int, ...], tmp: str) -> DeployRun:
    how = "torch::jit::load + forward in tsviz_runner (C++, LibTorch)"
    if not built.ok:
        return DeployRun("libtorch", False, None, None, None, reason=built.reason, how=how)
    stage("benchmark", f"running {request.model.filename} in the C++ runner")
    given, answer = Path(tmp) / "inputs.pt", Path(tmp) / "outputs.pt"
    torch.save(tuple(inputs), given)
    command = [str(runner_binary(built)), path, str(given), str(answer), "--warmup", str(WARMUP),
               "--iters", str(request.iters), "--threads", ",".join(map(str, counts)),
               "--seconds", str(THREAD_SECONDS)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUNNER_TIMEOUT_S,
                              env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}, cwd=tmp)
    except subprocess.TimeoutExpired:
        return DeployRun("libtorch", False, None, None, None, reason=f"the C++ runner ran past {RUNNER_TIMEOUT_S} s",
                         how=how)
    except OSError as e:
        return DeployRun("libtorch", False, None, None, None, reason=f"the C++ runner did not start: {e}", how=how)
    said = _last_json(done.stdout)
    if done.returncode != 0 or "error" in said:
        why = said.get("error") or (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return DeployRun("libtorch", False, None, None, None, reason=f"in C++: {_first_line(why)}", how=how)
    try:
        got = torch.load(answer, weights_only=True)
    except Exception as e:  # its output file is the runner's: read it as untrusted as any
        return DeployRun("libtorch", False, None, None, None, reason=f"its outputs could not be read: "
                         f"{error_text(e)}", how=how)
    ok, diff, reason = checked(reference, got, request)
    iqr = said["q3_ms"] - said["q1_ms"]
    rates = tuple(ThreadRate(int(t["n"]), round(float(t["per_second"]), 1)) for t in said.get("threads", ()))
    return DeployRun("libtorch", ok, diff, said["median_ms"], said["p90_ms"], iqr, rates, reason, how=how)


def _last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        try:
            found = json.loads(line)
        except ValueError:
            continue
        if isinstance(found, dict):
            return found
    return {}


def _first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")[:400]
