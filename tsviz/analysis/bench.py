"""Time eager, traced, scripted, hybrid, frozen and optimized forms of a model with torch.utils.benchmark.

One BenchJob is one variant on one device over a sweep of batch sizes; it runs in its own worker
process, so a crash in one variant loses nothing else. Every measurement is checked against the
eager output first, warmed up (TorchScript's profiling executor optimises a module only after its
first calls) and taken under torch.no_grad() with the model in eval mode.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils import benchmark

from tsviz.analysis.convert import convert
from tsviz.analysis.outputs import call_safely, compare_outputs, error_text
from tsviz.load.inputs import resized
from tsviz.load.modelfile import ModelFile, source_model
from tsviz.model.errors import InputError, TsvizError
from tsviz.model.stages import stage
from tsviz.model.types import VARIANTS, BenchJob, BenchResult, BenchRow, DeviceInfo

NOISY_IQR = 0.10  # an IQR above this share of the median flags the row
ATOL, RTOL = 1e-4, 1e-3  # frozen / optimized forms fold conv + batch norm, which moves the last digits


def probe_devices() -> DeviceInfo:
    cuda = tuple(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) \
        if torch.cuda.is_available() else ()
    return DeviceInfo(cpu_count=os.cpu_count() or 1, cuda_devices=cuda, torch_version=torch.__version__)


def bench_variant(job: BenchJob) -> BenchResult:
    """Every (batch size, sequence length) of the sweep for one variant on one device."""
    if job.variant not in VARIANTS:
        raise InputError(f"unknown variant {job.variant!r}", hint=f"choose from {', '.join(VARIANTS)}")
    if job.device == "cuda" and not torch.cuda.is_available():
        raise InputError("no CUDA GPU on this machine",
                         hint="benchmark on the CPU, or run `tsviz bench --csv` on a GPU machine and upload the CSV")
    with source_model(job.model, "a benchmark") as model_file:
        return BenchResult(rows=tuple(_sweep(model_file, job)), torch_version=torch.__version__)


def _sweep(model_file: ModelFile, job: BenchJob) -> list[BenchRow]:
    if job.device == "cpu":
        torch.set_num_threads(job.threads)
    device = torch.device(job.device)
    device_name = f"CPU, {job.threads} thread{'s' if job.threads > 1 else ''}" if job.device == "cpu" \
        else torch.cuda.get_device_name(device)
    torch.manual_seed(0)
    (target, example, _), _ = model_file.build_with_inputs()
    if isinstance(target, nn.Module):
        target = target.to(device)
    example = tuple(x.to(device) if isinstance(x, torch.Tensor) else x for x in example)
    sizes = [(b, s) for b in job.batch_sizes for s in (job.seq_lens or (0,))]
    row = dict(variant=job.variant, device=job.device, device_name=device_name)
    stage("convert", f"making the {job.variant} variant of {job.model.filename}")
    try:
        fn, note = _make_variant(target, job.variant, example, model_file)
    except TsvizError as e:
        return [BenchRow(**row, batch_size=b, seq_len=s, error=e.one_line()) for b, s in sizes]
    stage("benchmark", f"timing {job.variant} on {job.device}")
    rows = []
    for batch, seq in sizes:
        inputs = _sized(example, batch, seq)
        eager, eager_error = call_safely(target, inputs)
        if eager_error:
            rows.append(BenchRow(**row, batch_size=batch, seq_len=seq,
                                 error=f"the eager model fails at this size: {eager_error}"))
            continue
        output, error = call_safely(fn, inputs)
        if error:
            rows.append(BenchRow(**row, batch_size=batch, seq_len=seq, error=error))
            continue
        outcome = compare_outputs(eager, output)
        measurement = measure(fn, inputs, warmup=job.warmup, min_run_time=job.min_run_time, threads=job.threads)
        rows.append(BenchRow(
            **row, batch_size=batch, seq_len=seq, median_s=measurement.median, iqr_s=measurement.iqr,
            runs=len(measurement.times), number_per_run=measurement.number_per_run,
            matches_eager=outcome.matches(ATOL, RTOL), max_abs_diff=outcome.max_abs or 0.0,
            noisy=measurement.iqr > NOISY_IQR * measurement.median,
            note=outcome.mismatch or note,
        ))
    return rows


def measure(fn: Callable, inputs: tuple, *, warmup: int, min_run_time: float, threads: int) -> benchmark.Measurement:
    """`warmup` untimed calls, then torch.utils.benchmark's blocked_autorange (it synchronises CUDA itself)."""
    with torch.no_grad():
        for _ in range(warmup):
            fn(*inputs)
        timer = benchmark.Timer(stmt="fn(*inputs)", globals={"fn": fn, "inputs": inputs}, num_threads=threads)
        return timer.blocked_autorange(min_run_time=min_run_time)


def _make_variant(target: Any, variant: str, example: tuple, model_file: ModelFile) -> tuple[Callable, str]:
    """The callable to time, and a note for its rows. Traces are made on the device being measured."""
    if variant == "eager":
        return target, ""
    on = example[0].device.type if example and isinstance(example[0], torch.Tensor) else "cpu"
    if variant in ("trace", "script", "hybrid"):
        converted = convert(target, variant, example, model_file.origin,
                            **model_file.hybrid_options(target))
        return converted.module, f"traced on {on}" if variant != "script" else ""
    if not isinstance(target, nn.Module):
        raise InputError(f"{variant} needs an nn.Module; this entry is a function", file=model_file.origin.name)
    scripted = convert(target, "script", example, model_file.origin).module
    try:
        if variant == "frozen":
            return torch.jit.freeze(scripted), "torch.jit.freeze of the scripted module"
        return torch.jit.optimize_for_inference(scripted), "torch.jit.optimize_for_inference of the scripted module"
    except Exception as e:  # the pass itself rejects the module
        raise TsvizError(f"{variant} failed: {error_text(e)}", file=model_file.origin.name) from e


def _sized(example: tuple, batch: int, seq: int) -> tuple:
    """The example inputs with dimension 0 set to `batch` and, when `seq`, dimension 1 set to `seq`."""
    sized = []
    for x in example:
        if isinstance(x, torch.Tensor) and x.dim() >= 1:
            x = resized(x, 0, batch)
            if seq and x.dim() >= 2:
                x = resized(x, 1, seq)
        sized.append(x)
    return tuple(sized)
