"""The command line on the worker's path: what running a job sandboxed costs over running it in process.

    python benchmarks/cli_speed.py [--repeats 5] [--sample resnet_style.py]

Times the whole `tsviz inspect SAMPLE --json` command, from the shell's point of view (a new process each
time: importing, starting the sandboxed worker, which imports torch and only the inspect job, the job, the
answer), against the same command with --in-process. Medians of the repeats, run alternately.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", default="resnet_style.py")
    args = parser.parse_args()
    tsviz = shutil.which("tsviz") or sys.exit("install the package first: pip install -e .")
    command = [tsviz, "inspect", str(SAMPLES / args.sample), "--json"]
    times: dict[str, list[float]] = {"sandboxed worker": [], "--in-process": []}
    for _ in range(args.repeats):
        times["sandboxed worker"].append(seconds(command))
        times["--in-process"].append(seconds([*command, "--in-process"]))
    for name, values in times.items():
        print(f"{name:>17}: median {statistics.median(values):.2f} s  (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()
