"""The GIL claim, measured: calls per second with 1, 2 and 4 threads calling the same module at once, from
Python (the eager nn.Module, the scripted module) and from C++ (tsviz's LibTorch runner, tsviz/deploy/cpp).

    python benchmarks/threads.py [--seconds 1.0] [--repeats 3] [--threads 1,2,4]

Two models: small matmuls (eight 64-wide Linear layers on one row: microseconds of math per call, so the Python
interpreter and its GIL are most of a call) and a big conv (a 3x3 convolution, 64 channels, 112x112: milliseconds
of math that releases the GIL, where Python threads scale too). Every call runs on one intra-op thread (torch and
the runner both set to 1), so T threads are T calls at once, as a server's request threads would be; on a machine
of N cores the ceiling is N times one thread. Our own models, so the runner runs outside the sandbox here. Medians
of the repeats; the machine should be quiet.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

import torch
from torch import nn

from tsviz.deploy import build
from tsviz.deploy.run import python_threads


def small_matmuls() -> tuple[nn.Module, tuple]:
    return nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(64, 64), nn.ReLU())]).eval(), (torch.randn(1, 64),)


def big_conv() -> tuple[nn.Module, tuple]:
    return nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU()).eval(), (torch.randn(1, 64, 112, 112),)


MODELS = {"small matmuls": small_matmuls, "big conv": big_conv}


def cpp_threads(binary: Path, archive: Path, inputs: Path, counts: tuple[int, ...], seconds: float) -> dict[int, float]:
    done = subprocess.run([str(binary), str(archive), str(inputs), str(archive.with_suffix(".out")), "--iters", "5",
                           "--threads", ",".join(map(str, counts)), "--seconds", str(seconds)],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    said = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in said:
        raise RuntimeError(said["error"])
    return {t["n"]: t["per_second"] for t in said["threads"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per point (default 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="1,2,4")
    args = parser.parse_args()
    counts = tuple(int(n) for n in args.threads.split(","))
    built = build.ensure_built()
    if not built.ok:
        raise SystemExit(built.reason)
    binary = build.runner_cache() / built.binary
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs; calls per second, median of {args.repeats}; "
          f"in brackets: times one thread")
    with tempfile.TemporaryDirectory() as tmp:
        for title, make in MODELS.items():
            torch.manual_seed(0)
            model, inputs = make()
            scripted = torch.jit.script(model)
            archive, saved = Path(tmp) / "model.pt", Path(tmp) / "inputs.pt"
            scripted.save(str(archive))
            torch.save(inputs, saved)
            runs = {"Python eager": lambda: dict((r.n, r.per_second) for r in python_threads(model, inputs, counts,
                                                                                            args.seconds)),
                    "Python scripted": lambda: dict((r.n, r.per_second) for r in python_threads(scripted, inputs,
                                                                                               counts, args.seconds)),
                    "C++ (LibTorch)": lambda: cpp_threads(binary, archive, saved, counts, args.seconds)}
            print(f"\n{title}")
            print(f"  {'':<16}" + "".join(f"{f'{n} thread' + ('s' if n > 1 else ''):>20}" for n in counts))
            for name, measure in runs.items():
                samples = [measure() for _ in range(args.repeats)]
                medians = {n: statistics.median(s[n] for s in samples) for n in counts}
                cells = "".join(f"{f'{medians[n]:,.0f} ({medians[n] / medians[counts[0]]:.2f}x)':>20}" for n in counts)
                print(f"  {name:<16}{cells}")


if __name__ == "__main__":
    main()
