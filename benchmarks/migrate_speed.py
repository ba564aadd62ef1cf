"""Migration ladder speed: the time of each rung on the ResNet-style and 12-layer samples, as a .py and as a
traced and a scripted archive, through the sandboxed worker as the Migrate page runs it.

    python benchmarks/migrate_speed.py [--repeats 3] [--aoti]

Each rung's own time is the median over the repeats (the job's cache is bypassed by a comment that changes the
file's bytes); AOTInductor, when asked, compiles once per model. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support

import torch  # noqa: E402  (the archives are made here, outside the worker: our own samples)
from support.samples import SAMPLES, request_for  # noqa: E402

from tsviz import client  # noqa: E402
from tsviz.analysis.inspect_model import inspect_or_raise  # noqa: E402
from tsviz.client import sandbox  # noqa: E402
from tsviz.model.jobs import job  # noqa: E402
from tsviz.model.types import MigrateRequest  # noqa: E402

MODELS = ("resnet_style.py", "transformer_12_layers.py")
RUNGS = ("script", "load", "ts2ep", "non-strict", "strict", "dynamic batch", "draft_export", "aoti")


def variants(name: str) -> list[tuple[str, str, bytes]]:
    """(label, filename, bytes): the .py, then its traced and scripted archives (saved whole, however large)."""
    source = (SAMPLES / name).read_bytes()
    found = [(name, name, source)]
    for mode in ("trace", "script"):
        archive = client.files.read(inspect_or_raise(request_for(name, source, mode=mode)).archive)
        found.append((f"{name} as a {'traced' if mode == 'trace' else 'scripted'} archive "
                      f"({len(archive) / 2**20:.0f} MB)",
                      name.replace(".py", f".{mode}.pt"), archive))
    return found


def climb(filename: str, content: bytes, run: int, aoti: bool) -> tuple[dict[str, str], float]:
    """Each rung's time and verdict, and the whole job's wall time."""
    if filename.endswith(".py"):
        content += f"\n# run {run}\n".encode()  # new bytes: the worker's cache does not answer
    else:
        client.clear_cache()
    limits = replace(job("migrate").limits, benchmark_s=900.0, cpu_s=1200)
    start = time.perf_counter()
    result = client.run("migrate", MigrateRequest(request_for(filename, content), aoti=aoti), limits=limits)
    wall = time.perf_counter() - start
    return {a.name: (a.seconds, a.status) for a in result.attempts if not a.skipped}, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--aoti", action="store_true", help="also compile each program with AOTInductor (once)")
    args = parser.parse_args()
    print(f"Machine: {platform.machine()}, {torch.get_num_threads()} torch threads, Python "
          f"{platform.python_version()}, torch {torch.__version__}; {sandbox.isolation()}\n")
    print(f"| model | {' | '.join(RUNGS)} | whole job |")
    print(f"|---|{'---|' * (len(RUNGS) + 1)}")
    client.ping()
    for name in MODELS:
        for label, filename, content in variants(name):
            runs = [climb(filename, content, i, aoti=False) for i in range(args.repeats)]
            if args.aoti:
                aoti, _ = climb(filename, content, 99, aoti=True)
                if "aoti" in aoti:  # skipped where there is no program to compile
                    runs[0][0]["aoti"] = aoti["aoti"]
            cells = []
            for rung in RUNGS:
                times = [r[rung][0] for r, _ in runs if rung in r]
                status = next((r[rung][1] for r, _ in runs if rung in r), "")
                cells.append(f"{statistics.median(times):.2f} s {'✔' if status == 'pass' else '✘'}" if times else "–")
            print(f"| {label} | {' | '.join(cells)} | {statistics.median(w for _, w in runs):.2f} s |", flush=True)


if __name__ == "__main__":
    main()
