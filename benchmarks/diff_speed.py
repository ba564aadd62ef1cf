"""How long does the trace-vs-script comparison take, next to the forward passes it has to run?

Run: python benchmarks/diff_speed.py [--sample resnet_style] [--repeat 5]
In-process (no worker start-up). Prints medians over --repeat runs of the whole diff and of its steps,
and the median of one eager forward pass on the example inputs.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import torch

from tsviz.analysis.diff import diff_file
from tsviz.load.modelfile import open_model_file, write_private_copy
from tsviz.model.types import DiffRequest, InspectRequest

ROOT = Path(__file__).resolve().parent.parent


def forward_seconds(request: InspectRequest, repeat: int) -> float:
    """Median of one eager forward pass of the sample on its example inputs (after two warm-up calls)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target, inputs, _ = open_model_file(request, write_private_copy(request, tmp)).build()
        with torch.no_grad():
            for _ in range(2):
                target(*inputs)
            times = []
            for _ in range(max(repeat, 10)):
                start = time.perf_counter()
                target(*inputs)
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", default="resnet_style")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    name = f"{args.sample}.py"
    request = InspectRequest(name, (ROOT / "sample_models" / name).read_bytes())
    diff_file(DiffRequest(request))  # warm-up: first imports and TorchScript's own caches
    steps: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        result = diff_file(DiffRequest(request))
        for step, seconds in result.timings:
            steps.setdefault(step, []).append(seconds)
    modes = sum(1 for c in result.conversions if c.error is None)
    passes = sum(1 + len(c.outcomes) for c in result.cases)
    forward = forward_seconds(request, args.repeat)
    run = statistics.median(steps["run"])
    print(f"{name}: {len(result.cases)} inputs x (eager + {modes} converted modules) = {passes} forward passes; "
          f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, medians of {args.repeat}")
    print("| step | median |")
    print("|---|---|")
    for step, values in steps.items():
        print(f"| {step} | {statistics.median(values) * 1000:.0f} ms |")
    print(f"| one eager forward pass | {forward * 1000:.1f} ms |")
    print(
        f"| run step per forward pass | {run / passes * 1000:.1f} ms ({run / passes / forward:.2f}x a bare forward) |"
    )


if __name__ == "__main__":
    main()
