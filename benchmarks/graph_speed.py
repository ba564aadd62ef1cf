"""How fast is the graph view? Extraction + DOT generation, and `dot` layout, for ResNet-50 and a 12-layer encoder.

Run: python benchmarks/graph_speed.py [--repeat 5] [--skip-naive]
Prints a Markdown table (medians over --repeat runs; the naive layout runs once, it is slow).
"""
from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import subprocess
import time
import warnings
from pathlib import Path

import torch

from tsviz.analysis.ir import extract_graph
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import fold_constants

ROOT = Path(__file__).resolve().parent.parent


def load_sample(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "sample_models" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


LAYOUT_LIMIT_S = 120.0


def dot_layout_seconds(dot_text: str, repeat: int, timeout: float = LAYOUT_LIMIT_S) -> float:
    """Median wall time of `dot -Tsvg`; inf when one run passes `timeout` (it is stopped there)."""
    def run() -> None:
        subprocess.run(["dot", "-Tsvg", "-o", "/dev/null"], input=dot_text.encode(), check=True, timeout=timeout)
    try:
        return median_time(run, repeat)[0]
    except subprocess.TimeoutExpired:
        return float("inf")


def seconds(value: float) -> str:
    return f"over {LAYOUT_LIMIT_S:.0f} s (stopped)" if value == float("inf") else f"{value:.2f} s"


def measure(label: str, scripted, repeat: int, naive: bool) -> list[str]:
    def default_view() -> str:  # what the page shows first: module graph, folded
        return to_dot(fold_constants(extract_graph(scripted.graph)))

    def inlined_view() -> str:  # extraction of the inlined graph (what the worker sends) + folded DOT
        return to_dot(fold_constants(extract_graph(scripted.inlined_graph)))

    inlined = extract_graph(scripted.inlined_graph)
    folded = fold_constants(inlined)
    t_default, default_dot = median_time(default_view, repeat)
    t_inlined, inlined_dot = median_time(inlined_view, repeat)
    rows = [
        f"| {label} | module graph, folded (default view) | {len(extract_graph(scripted.graph).nodes)} | "
        f"{t_default * 1000:.0f} ms | {seconds(dot_layout_seconds(default_dot, repeat))} |",
        f"| {label} | inlined, folded | {len(inlined.nodes)} → {len(folded.nodes)} | {t_inlined * 1000:.0f} ms | "
        f"{seconds(dot_layout_seconds(inlined_dot, 1 if len(folded.nodes) > 5000 else repeat))} |",
    ]
    if naive:
        naive_dot = to_dot(inlined)
        rows.append(f"| {label} | inlined, every IR node (naive) | {len(inlined.nodes)} | – | "
                    f"{seconds(dot_layout_seconds(naive_dot, 1))} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow layout of the unfolded inlined graph")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    resnet = torch.jit.script(load_sample("resnet_style").resnet50())
    encoder = torch.jit.script(load_sample("transformer_12_layers").model())
    dot_version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    print(f"Machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread, "
          f"Python {platform.python_version()}, torch {torch.__version__}, {dot_version}; medians of {args.repeat}.\n")
    print("| model | view | IR nodes | extract + DOT | `dot` layout |")
    print("|---|---|---|---|---|")
    for row in measure("ResNet-50, scripted", resnet, args.repeat, not args.skip_naive):
        print(row)
    for row in measure("12-layer encoder, scripted", encoder, args.repeat, False):
        print(row)


if __name__ == "__main__":
    main()
