"""The command line's arguments: one sub-command per job, the same model options on each."""
from __future__ import annotations

import argparse
from pathlib import Path

from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL
from tsviz.model.errors import InputError
from tsviz.model.inputs import parse_sizes
from tsviz.model.types import DEFAULT_PASSES, MODES, PASSES, VARIANTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tsviz", description="Explore TorchScript graphs. Every command runs the "
                                     "model in the sandboxed worker, with the dashboard's limits and messages.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    inspect = sub.add_parser("inspect", help="convert a model and show its graph, .code and warnings")
    _add_model_options(inspect)
    inspect.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    inspect.add_argument("--out", type=Path, help="also write .pt, .dot, .code and .json files to this folder")
    inspect.set_defaults(command="inspect")

    diff = sub.add_parser("diff", help="run eager, trace and script on many inputs; list the trace's hazards")
    _add_model_options(diff, with_mode=False)
    diff.add_argument("--hybrid", action="store_true", help="also convert and compare hybrid mode")
    diff.add_argument("--seed", type=int, default=0, help="seed of the generated random inputs (default 0)")
    _add_tolerances(diff)
    diff.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    diff.set_defaults(command="diff")

    bench = sub.add_parser("bench", help="time eager, trace, script and frozen forms with torch.utils.benchmark")
    _add_model_options(bench, with_mode=False)
    bench.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu",
                       help="all: the CPU and, when present, CUDA (default cpu)")
    bench.add_argument("--variants", default="eager,trace,script,frozen", type=_variants,
                       help=f"comma-separated, from {','.join(VARIANTS)} (default eager,trace,script,frozen)")
    bench.add_argument("--batch-sizes", default="1,8", type=_numbers, help="comma-separated (default 1,8)")
    bench.add_argument("--seq-lens", default="", type=_numbers, help="sizes of every input's dimension 1 (optional)")
    bench.add_argument("--threads", type=int, default=1, help="torch threads on the CPU (default 1)")
    bench.add_argument("--min-run-time", type=float, default=0.5, help="seconds of timed calls per row (default 0.5)")
    output = bench.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print a JSON list of rows")
    output.add_argument("--csv", action="store_true", help="print CSV (the dashboard can upload it)")
    bench.set_defaults(command="bench")

    report = sub.add_parser("report", help="write a self-contained HTML review report (graph, .code, source, "
                                           "trace-vs-script findings, benchmarks)")
    _add_model_options(report)
    report.add_argument("--out", type=Path, required=True, help="the .html file to write")
    report.add_argument("--no-diff", action="store_true", help="leave out the trace-vs-script comparison")
    report.add_argument("--bench-csv", type=Path, help="include a table of `tsviz bench --csv` results")
    report.set_defaults(command="report")

    passes = sub.add_parser("passes", help="run TorchScript passes one at a time; one line per pass")
    _add_model_options(passes)
    passes.add_argument("--passes", default=",".join(DEFAULT_PASSES), type=_passes,
                        help=f"comma-separated, in order, from {','.join(PASSES)} (default: all, in that order)")
    passes.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    passes.set_defaults(command="passes")

    archive = sub.add_parser("archive", help="what a TorchScript archive holds (files, version, modules, tensors, "
                                             "methods), without running it; a .py is converted and saved first; a "
                                             "state dict or checkpoint: its tensors by module, loaded weights_only")
    _add_model_options(archive)
    archive.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    archive.set_defaults(command="archive")

    migrate = sub.add_parser("migrate", aliases=["export-check"],
                             help="the migration ladder off TorchScript: script or trace, torch.export (non-strict, "
                                  "strict, dynamic batch), draft_export and AOTInductor for a .py; TS2EPConverter "
                                  "for a .pt archive. Each rung's verdict, time, blockers with lines and fixes, and "
                                  "whether its outputs match")
    _add_model_options(migrate, with_mode=False)
    migrate.add_argument("--aoti", action="store_true",
                         help="also compile with AOTInductor, load the package and run it (needs g++; a minute or "
                              "more)")
    migrate.add_argument("--apply-fixes", action="store_true",
                         help="rerun the dynamic-batch export with torch's own suggested fixes")
    migrate.add_argument("--out", type=Path, default=None, help="write the exported program here as FILE.pt2")
    migrate.add_argument("--pt2", type=Path, default=None, metavar="FILE.pt2",
                         help="a .pt2 you already have (torch.export.save of this model): checked against the model")
    migrate.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    migrate.set_defaults(command="migrate")

    deploy = sub.add_parser("deploy", help="run the model in Python, in a C++ program on LibTorch and in ONNX "
                                           "Runtime: outputs checked against Python's, latency, throughput with "
                                           "T threads at once, and the C++ source and CMake file to take home")
    _add_model_options(deploy)
    deploy.add_argument("--threads", type=int, default=2,
                        help="the most threads calling the module at once (1, 2, 4, ... up to it; default 2)")
    deploy.add_argument("--no-onnx", action="store_true", help="leave out the ONNX rung (its export takes seconds)")
    _add_tolerances(deploy)
    deploy.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    deploy.set_defaults(command="deploy")

    serve = sub.add_parser("serve", help="open the dashboard, on a local file of any size when one is given (also "
                                         "`tsviz FILE`): the file is read where it lies, never uploaded")
    serve.add_argument("file", type=Path, nargs="?", help="a .py model file or a TorchScript .pt archive")
    _add_weights_option(serve)
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--address", default="127.0.0.1",
                       help="where the server listens (default: this machine only; see the README's Security section "
                            "before you open it to others)")
    serve.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    serve.set_defaults(command="serve")

    render = sub.add_parser("render", help="write the graph as DOT or SVG")
    _add_model_options(render)
    render.add_argument("--view", choices=("graph", "inlined"), default="graph",
                        help="graph: submodule calls as boxes (default); inlined: every op")
    render.add_argument("--no-fold", action="store_true", help="keep constants and attribute reads as nodes")
    render.add_argument("--format", choices=("dot", "svg"), default="dot")
    render.add_argument("--out", type=Path, required=True, help="the file to write")
    render.set_defaults(command="render")
    return parser


def _add_tolerances(parser: argparse.ArgumentParser) -> None:
    """An output matches the reference within --atol absolutely or --rtol relatively (the page's sliders)."""
    parser.add_argument("--atol", type=float, default=DEFAULT_ATOL,
                        help=f"absolute tolerance (default {DEFAULT_ATOL:g})")
    parser.add_argument("--rtol", type=float, default=DEFAULT_RTOL,
                        help=f"relative tolerance (default {DEFAULT_RTOL:g})")


def _add_model_options(parser: argparse.ArgumentParser, with_mode: bool = True) -> None:
    parser.add_argument("file", type=Path, help="a .py model file or a TorchScript .pt archive")
    if with_mode:
        parser.add_argument("--mode", choices=MODES, default="script")
    parser.add_argument("--entry", default="", help="entry point: model(), a class or a function name")
    parser.add_argument("--trace-submodule", action="append", dest="trace_submodules", metavar="NAME",
                        help="hybrid mode: a submodule to trace (repeat); default: the file's TRACE_SUBMODULES")
    parser.add_argument("--input", action="append", default=[], metavar="SPEC",
                        help="an example input when the file has none (default: a guess), e.g. 2x16, '1x3x32x32 "
                             "float32', a value of a type (int:16000, float:0.5, bool:true, str:greedy, none) or an "
                             "expression, 'torch.randint(0, 100, (35, 4))' (repeat)")
    parser.add_argument("--init", action="append", default=[], metavar="NAME=EXPR",
                        help="a constructor argument as a Python expression, e.g. hidden=32 or "
                             "'config=Config(width=64)' (repeat)")
    _add_weights_option(parser)
    parser.add_argument("--stage-timeout", type=float, metavar="SECONDS",
                        help="the worker's time limit for each stage (loading, converting, running); default: the "
                             "dashboard's (30 s to load, 60 s to convert, 60 s to run)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the model in this process instead of the sandboxed worker, for debugging your own "
                             "file: no sandbox, no time or memory limit, and a crash or hang takes this command "
                             "with it")


def _add_weights_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", type=Path, metavar="FILE",
                        help="a .py's trained weights, loaded into the built model: a state dict, a checkpoint, "
                             "safetensors or a whole pickled model (torch.save(model)); what does not fit is listed")


def _numbers(text: str) -> tuple[int, ...]:
    try:
        return parse_sizes(text)
    except InputError as e:
        raise argparse.ArgumentTypeError(e.one_line()) from None


def _passes(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown pass(es) {', '.join(unknown)}; choose from {', '.join(PASSES)}")
    return names


def _variants(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown variant(s) {', '.join(unknown) or '(none given)'}")
    return names
