"""Are tsviz's benchmark numbers honest and quick? Two checks, figures in the README.

1. Harness overhead: for one nn.Linear, tsviz's `measure()` against a bare torch.utils.benchmark.Timer
   on the same call, interleaved in one run (7 rounds each, medians compared).
2. A full CPU sweep of the ResNet-style sample (eager, trace, script, frozen; batch sizes 1 and 8)
   through the worker, as the page and `tsviz bench` run it: wall time and IQR / median per row.

Run: python benchmarks/bench_honesty.py [--rounds 7]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from torch.utils import benchmark

from tsviz import client
from tsviz.analysis.bench import measure
from tsviz.model.types import InspectRequest
from tsviz.report.bench import plan_jobs

ROOT = Path(__file__).resolve().parent.parent


def harness_overhead(rounds: int) -> None:
    torch.set_num_threads(1)
    layer = torch.nn.Linear(64, 64).eval()
    inputs = (torch.randn(8, 64),)
    ours, bare = [], []
    for _ in range(rounds):  # interleaved, so drift on a shared machine hits both alike
        ours.append(measure(layer, inputs, warmup=5, min_run_time=0.5, threads=1).median)
        with torch.no_grad():
            for _ in range(5):
                layer(*inputs)
            timer = benchmark.Timer(stmt="layer(x)", globals={"layer": layer, "x": inputs[0]}, num_threads=1)
            bare.append(timer.blocked_autorange(min_run_time=0.5).median)
    a, b = statistics.median(ours), statistics.median(bare)
    print(f"nn.Linear(64, 64) on 8x64, {rounds} interleaved rounds of 0.5 s each")
    print("| tsviz measure() | bare Timer | difference |\n|---|---|---|")
    print(f"| {a * 1e6:.2f} µs | {b * 1e6:.2f} µs | {100 * (a - b) / b:+.1f} % |")


def resnet_sweep() -> None:
    name = "resnet_style.py"
    request = InspectRequest(name, (ROOT / "sample_models" / name).read_bytes())
    jobs = plan_jobs(request, ["eager", "trace", "script", "frozen"], ["cpu"], (1, 8))
    start = time.perf_counter()
    rows = [row for job in jobs for row in client.run("bench", job).rows]
    wall = time.perf_counter() - start
    print(f"\n{name}: {len(jobs)} worker jobs, {len(rows)} rows, wall time {wall:.1f} s")
    print("| variant | batch | median | IQR / median | runs | matches eager |\n|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.variant} | {row.batch_size} | {row.median_s * 1e3:.2f} ms "
            f"| {100 * row.iqr_s / row.median_s:.1f} % "
            f"| {row.runs} | {row.matches_eager} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, torch {torch.__version__}\n"
    )
    harness_overhead(args.rounds)
    resnet_sweep()


if __name__ == "__main__":
    main()
