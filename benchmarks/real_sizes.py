"""Real sizes: a 124M-parameter GPT (benchmarks/models/gpt_small.py) built from its own default config, inspected
in every mode through the command line's path (`tsviz inspect FILE --init config='GPTConfig()' --json`, the
sandboxed worker with its 3 GB address-space limit), with wall time and peak memory on both sides.

    python benchmarks/real_sizes.py [--repeats 3] [--file benchmarks/models/gpt_small.py]

Server side: this process, which runs the command as `python -m tsviz` does (peak RSS, reset before each run
through /proc/self/clear_refs, and its growth over the run). Worker side: as its fork server measured the job's
child (peak RSS, shared pages of the warm server included, and the address space it added to the warm server's,
which is what the 3 GB limit counts; torch's own libraries are already mapped when a job starts).
Each figure is the median of the repeats, the job cache cleared before each, after a first run that also starts
the worker (as a dashboard's is started once). The converted archive comes back as a job file, never in the
answer: its size is in the table. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import re
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

from tsviz import client
from tsviz.cli.commands import main as tsviz_main
from tsviz.client import sandbox
from tsviz.model.jobs import Limits

MODEL = Path(__file__).resolve().parent / "models" / "gpt_small.py"
RUNS = (  # (label, extra arguments)
    ("trace", ["--mode", "trace"]),
    ("script", ["--mode", "script"]),
    ("hybrid", ["--mode", "hybrid"]),
    ("hybrid, tracing h.0.attn", ["--mode", "hybrid", "--trace-submodule", "h.0.attn"]),
)


def _status_kb(field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(found.group(1)) if found else 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from the current RSS


def one_run(file: Path, init: str, extra: list[str]) -> dict:
    """One `tsviz inspect ... --json` in this process: its status, times, memory, and the result's sizes."""
    client.clear_cache()
    results: list[object] = []
    run = client.run

    def kept(*args, **kwargs):  # the result the command printed, for its sizes
        results.append(run(*args, **kwargs))
        return results[-1]

    out, err = io.StringIO(), io.StringIO()
    _reset_peak()
    rss_before = _status_kb("VmRSS")
    start = time.perf_counter()
    client.run = kept
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = tsviz_main(["inspect", str(file), "--init", init, "--json", *extra])
    finally:
        client.run = run
    wall = time.perf_counter() - start
    worker = client.last_worker()
    result = results[-1] if results else None
    return {
        "ok": code == 0, "problem": err.getvalue().strip().splitlines()[-1] if code else "",
        "wall_s": wall, "worker_s": worker.get("seconds") or 0.0,
        "server_peak_mb": _status_kb("VmHWM") / 1024, "server_growth_mb": (_status_kb("VmHWM") - rss_before) / 1024,
        "worker_rss_mb": worker.get("max_rss_mb") or 0.0,
        "worker_vm_mb": (worker.get("vm_peak_mb") or 0.0) - (worker.get("vm_base_mb") or 0.0),
        "base_vm_mb": worker.get("vm_base_mb") or 0.0,
        "archive_mb": result.archive.size / 2**20 if getattr(result, "archive", None) else 0.0,
        "answer_nodes": len(result.graph.nodes) + sum(len(v.graph.nodes) for v in result.views) if result else 0,
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--file", type=Path, default=MODEL)
    parser.add_argument("--init", default="config=GPTConfig()")
    args = parser.parse_args()
    # A first run, untimed, starts the worker as the command line does (with the file's project mounted)
    started = one_run(args.file, args.init, RUNS[0][1])["wall_s"]
    print(f"{args.file.name}, {args.init}; {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, torch {metadata.version('torch')}; worker: {sandbox.isolation()}, "
          f"{Limits().memory_mb / 1024:g} GB of address space beyond the warm worker's; medians of {args.repeats} "
          f"runs after a first one that also started the worker ({started:.1f} s)\n")
    print("| mode | result | wall s | worker s | server peak RSS MB (growth) | worker peak RSS MB | "
          "worker address space added MB (warm worker's) | archive MB |")
    print("|---|---|---|---|---|---|---|---|")
    for label, extra in RUNS:
        runs = [one_run(args.file, args.init, extra) for _ in range(args.repeats)]
        ok = all(r["ok"] for r in runs)
        what = "converts" if ok else runs[-1]["problem"].removeprefix("tsviz: error: ")[:150]
        print(f"| {label} | {what} | {median(runs, 'wall_s'):.1f} | {median(runs, 'worker_s'):.1f} | "
              f"{median(runs, 'server_peak_mb'):.0f} ({median(runs, 'server_growth_mb'):+.0f}) | "
              f"{median(runs, 'worker_rss_mb'):.0f} | {median(runs, 'worker_vm_mb'):.0f} "
              f"({median(runs, 'base_vm_mb'):.0f}) | "
              f"{median(runs, 'archive_mb'):.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
