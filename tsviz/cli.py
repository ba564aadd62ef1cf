"""The command line: python -m tsviz inspect | diff | bench | report | passes | archive | export-check | render.

Same library calls as the dashboard."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from tsviz.dot import to_dot
from tsviz.errors import InputError, TsvizError
from tsviz.fold import fold_constants
from tsviz.inputs import parse_input_spec, parse_sizes
from tsviz.jsonio import to_data
from tsviz.layout import render_svg
from tsviz.graph_diff import op_count_rows
from tsviz.hazards import KINDS
from tsviz.types import (DEFAULT_PASSES, MODES, PASSES, VARIANTS, DiffRequest, DiffResult, ExportResult, InspectRequest,
                         InspectResult, IRGraph, Outcome, PassRequest)
from tsviz.verdict import DEFAULT_ATOL, DEFAULT_RTOL, Verdict, case_rows, verdict


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except TsvizError as e:
        print(f"tsviz: error: {e.one_line()}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tsviz", description="Explore TorchScript graphs.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    inspect = sub.add_parser("inspect", help="convert a model and show its graph, .code and warnings")
    _add_model_options(inspect)
    inspect.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    inspect.add_argument("--out", type=Path, help="also write .pt, .dot, .code and .json files to this folder")
    inspect.set_defaults(run=_inspect)

    diff = sub.add_parser("diff", help="run eager, trace and script on many inputs; list the trace's hazards")
    _add_model_options(diff, with_mode=False)
    diff.add_argument("--hybrid", action="store_true", help="also convert and compare hybrid mode")
    diff.add_argument("--seed", type=int, default=0, help="seed of the generated random inputs (default 0)")
    diff.add_argument("--atol", type=float, default=DEFAULT_ATOL, help=f"absolute tolerance (default {DEFAULT_ATOL:g})")
    diff.add_argument("--rtol", type=float, default=DEFAULT_RTOL, help=f"relative tolerance (default {DEFAULT_RTOL:g})")
    diff.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    diff.set_defaults(run=_diff)

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
    bench.set_defaults(run=_bench)

    report = sub.add_parser("report", help="write a self-contained HTML review report (graph, .code, source, "
                                           "trace-vs-script findings, benchmarks)")
    _add_model_options(report)
    report.add_argument("--out", type=Path, required=True, help="the .html file to write")
    report.add_argument("--no-diff", action="store_true", help="leave out the trace-vs-script comparison")
    report.add_argument("--bench-csv", type=Path, help="include a table of `tsviz bench --csv` results")
    report.set_defaults(run=_report)

    passes = sub.add_parser("passes", help="run TorchScript passes one at a time; one line per pass")
    _add_model_options(passes)
    passes.add_argument("--passes", default=",".join(DEFAULT_PASSES), type=_passes,
                        help=f"comma-separated, in order, from {','.join(PASSES)} (default: all, in that order)")
    passes.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    passes.set_defaults(run=_passes_run)

    archive = sub.add_parser("archive", help="what a TorchScript .pt holds (files, version, modules, tensors, "
                                             "methods), without running it; a .py is converted and saved first")
    _add_model_options(archive)
    archive.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    archive.set_defaults(run=_archive)

    export = sub.add_parser("export-check", help="would torch.export take this model? blockers with line, kind "
                                                 "and fix; op counts next to TorchScript's")
    _add_model_options(export, with_mode=False)
    export.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    export.set_defaults(run=_export_check)

    render = sub.add_parser("render", help="write the graph as DOT or SVG")
    _add_model_options(render)
    render.add_argument("--view", choices=("graph", "inlined"), default="graph",
                        help="graph: submodule calls as boxes (default); inlined: every op")
    render.add_argument("--no-fold", action="store_true", help="keep constants and attribute reads as nodes")
    render.add_argument("--format", choices=("dot", "svg"), default="dot")
    render.add_argument("--out", type=Path, required=True, help="the file to write")
    render.set_defaults(run=_render)
    return parser


def _add_model_options(parser: argparse.ArgumentParser, with_mode: bool = True) -> None:
    parser.add_argument("file", type=Path, help="a .py model file or a TorchScript .pt archive")
    if with_mode:
        parser.add_argument("--mode", choices=MODES, default="script")
    parser.add_argument("--entry", default="", help="entry point: model(), a class or a function name")
    parser.add_argument("--trace-submodule", action="append", dest="trace_submodules", metavar="NAME",
                        help="hybrid mode: a submodule to trace (repeat); default: the file's TRACE_SUBMODULES")
    parser.add_argument("--input", action="append", default=[], metavar="SPEC",
                        help="an example input when the file has none, e.g. 2x16 or '1x3x32x32 float32' (repeat)")
    parser.add_argument("--init", action="append", default=[], metavar="NAME=VALUE",
                        help="a constructor argument as a Python literal, e.g. hidden=32 (repeat)")


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


def _request(args: argparse.Namespace) -> InspectRequest:
    path: Path = args.file
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path")
    init = []
    for item in args.init:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--init {item!r} is not NAME=VALUE", file=str(path))
        init.append((name.strip(), value))
    return InspectRequest(
        filename=path.name, content=path.read_bytes(), mode=getattr(args, "mode", "script"), entry=args.entry,
        init_args=tuple(init), max_archive_mb=0,
        input_specs=tuple(parse_input_spec(text) for text in args.input),
        trace_submodules=tuple(args.trace_submodules) if args.trace_submodules else None,
    )


def _convert(args: argparse.Namespace) -> InspectResult:
    from tsviz.pipeline import inspect_or_raise  # imports torch: only once the arguments are known to be good

    return inspect_or_raise(_request(args))


def graph_data(graph: IRGraph, op_counts: dict[str, int]) -> dict:
    return {**to_data(graph), "op_counts": op_counts}


def result_data(result: InspectResult) -> dict:
    """The JSON object of `inspect --json`."""
    op_counts = result.inlined_op_counts()
    return {
        "file": result.filename,
        "mode": result.mode,
        "entry": result.entry,
        "entries": [e.name for e in result.entries],
        "inputs": list(result.input_shapes),
        "code": result.code,
        "graph": graph_data(result.graph, op_counts),
        "inlined_graph": graph_data(result.inlined, op_counts),
        "warnings": [to_data(w) for w in result.warnings],
        "notes": list(result.quiet_notes),
        "traced_submodules": list(result.trace_submodules),
        "archive_facts": dict(result.archive_facts),
    }


def _inspect(args: argparse.Namespace) -> int:
    result = _convert(args)
    data = result_data(result)
    if args.out:
        _write_outputs(args.out, result, data)
    if args.json:
        json.dump(data, sys.stdout, indent=1)
        print()
        return 0
    print(f"{result.filename}: {result.entry} ({result.mode})")
    if result.input_shapes:
        print(f"inputs: {', '.join(result.input_shapes)}")
    print(f"graph: {len(result.graph.nodes)} nodes; inlined: {len(result.inlined.nodes)} nodes, "
          f"{len(result.inlined.blocks)} blocks")
    for w in result.warnings:
        print(f"{w.category}: {w.file}:{w.line}: {w.message}")
    print()
    print(result.code, end="")
    return 0


def _write_outputs(folder: Path, result: InspectResult, data: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{Path(result.filename).stem}.{result.mode}"
    (folder / f"{stem}.pt").write_bytes(result.archive)
    (folder / f"{stem}.code.py").write_text(result.code)
    (folder / f"{stem}.graph.dot").write_text(to_dot(fold_constants(result.graph)))
    (folder / f"{stem}.inlined.dot").write_text(to_dot(fold_constants(result.inlined)))
    (folder / f"{stem}.json").write_text(json.dumps(data, indent=1))


def _diff(args: argparse.Namespace) -> int:
    from tsviz.compare import diff_file  # imports torch

    result = diff_file(DiffRequest(_request(args), hybrid=args.hybrid, seed=args.seed))
    data = diff_data(result, args.atol, args.rtol)
    if args.json:
        print(json.dumps(data, indent=1, allow_nan=False))
        return 0
    print(f"{result.filename}: {result.entry} · seed {result.seed} · tolerance atol {args.atol:g} or rtol {args.rtol:g}")
    for note in result.notes:
        print(f"note: {note}")
    for judged in data["verdict"].values():
        print(judged["summary"])
    print()
    for row in case_rows(result, args.atol, args.rtol):
        cells = [f"{mode}: {row[mode]}" for mode in data["verdict"] if mode in row]
        print(f"{row['#']:2d}. {row['input']} [{row['shapes']}]  " + "  ".join(cells))
    if result.hazards:
        print("\nhazards:")
    for h in result.hazards:
        print(f"  {result.filename}:{h.line}: {KINDS[h.kind].title}: {h.message}\n      fix: {h.fix}")
    return 0


def diff_data(result: DiffResult, atol: float, rtol: float) -> dict:
    """The JSON object of `diff --json` (infinite differences written as the string "inf")."""
    modes = [c.mode for c in result.conversions]
    return {
        "file": result.filename,
        "entry": result.entry,
        "seed": result.seed,
        "tolerance": {"atol": atol, "rtol": rtol},
        "conversions": {c.mode: {"error": c.error.message if c.error else None} for c in result.conversions},
        "cases": [
            {"index": c.index, "label": c.label, "origin": c.origin, "shapes": list(c.shapes),
             **({"eager_error": c.eager_error} if c.eager_error else {}),
             **{mode: _outcome_data(o) for mode, o in c.outcomes}}
            for c in result.cases
        ],
        "verdict": {mode: _verdict_data(verdict(result, mode, atol, rtol)) for mode in modes},
        "hazards": [{"kind": h.kind, "line": h.line, "message": h.message, "fix": h.fix, "code": h.code}
                    for h in result.hazards],
        "op_counts": op_count_rows({c.mode: c.graph for c in result.conversions if c.error is None}),
        "notes": list(result.notes),
        "timings_s": dict(result.timings),
    }


def _verdict_data(v: Verdict) -> dict:
    return {"matches": v.matches, "differs_on": list(v.differs_on), "errors_on": list(v.errors_on),
            "compared": v.compared, "summary": v.sentence()}


def _outcome_data(outcome: Outcome) -> dict:
    if outcome.error:
        return {"error": outcome.error}
    if outcome.mismatch:
        return {"mismatch": outcome.mismatch}
    return {"max_abs_diff": _finite(outcome.max_abs), "max_rel_diff": _finite(outcome.max_rel)}


def _finite(value: float | None) -> float | str | None:
    return "inf" if value is not None and math.isinf(value) else value


def _bench(args: argparse.Namespace) -> int:
    from tsviz.bench_report import failed_rows, plan_jobs, rows_frame, summary_table, to_csv
    from tsviz.jobs import run_bench, run_devices

    request = _request(args)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not run_devices().cuda_devices:
        if args.device == "cuda":
            raise InputError("no CUDA GPU on this machine", hint="use --device cpu")
        devices = ["cpu"]
        print("tsviz: no CUDA GPU here; CPU only", file=sys.stderr)
    rows = []
    for job in plan_jobs(request, args.variants, devices, args.batch_sizes, args.seq_lens, args.threads, args.min_run_time):
        print(f"tsviz: timing {job.variant} on {job.device}…", file=sys.stderr)
        try:
            rows += run_bench(job).rows
        except TsvizError as e:  # this variant's worker failed: its rows say so, the others go on
            rows += failed_rows(job, e.one_line())
    frame = rows_frame(rows, run=request.filename)
    if args.csv:
        print(to_csv(frame), end="")
    elif args.json:
        print(json.dumps([to_data(row) for row in rows], indent=1))
    else:
        print(summary_table(frame).drop(columns=["run"]).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _passes_run(args: argparse.Namespace) -> int:
    from tsviz.passes import explore_passes  # imports torch

    result = explore_passes(PassRequest(_request(args), args.passes))
    if args.json:
        steps = [{"pass": s.name, "summary": s.summary, "nodes": s.nodes, "seconds": round(s.seconds, 4),
                  "op_counts": s.counts(), "error": s.error.message if s.error else None} for s in result.steps]
        print(json.dumps({"file": result.filename, "mode": result.mode, "steps": steps, "notes": list(result.notes)},
                         indent=1))
        return 0
    print(f"{result.filename} ({result.mode})")
    for note in result.notes:
        print(f"note: {note}")
    for step in result.steps:
        print(f"  {step.summary}" + (f"  [{step.seconds * 1000:.0f} ms]" if step.seconds else ""))
    return 0 if all(s.error is None for s in result.steps) else 1


def _archive(args: argparse.Namespace) -> int:
    from tsviz.pipeline import inspect_or_raise

    request = _request(args)
    result = inspect_or_raise(request)
    if result.kind == "py":  # inspect the archive this conversion saves
        result = inspect_or_raise(InspectRequest(f"{args.file.stem}.{result.mode}.pt", result.archive, max_archive_mb=0))
    report = result.archive_report
    if args.json:
        print(json.dumps({"file": result.filename, **to_data(report),
                          "biggest": [to_data(t) for t in report.biggest()]}, indent=1))
        return 0
    print(f"{result.filename}: file format version {report.format_version}. {report.version_note}")
    if report.training:
        print("saved in training mode")
    print(f"\n{len(report.files)} files, {sum(f[2] for f in report.files) / 1e6:.2f} MB uncompressed")
    print("\nmodules:")
    for m in report.modules:
        size = sum(t.bytes for t in m.tensors)
        print(f"  {m.path or '(model)'}: {m.type}, {len(m.tensors)} tensors, {size / 1024:.1f} KB; "
              f"{'; '.join(m.methods)}")
    print("\nbiggest tensors:")
    for t in report.biggest():
        print(f"  {t.name} ({t.kind}): {' x '.join(map(str, t.shape)) or 'scalar'} {t.dtype}, {t.bytes / 1024:.1f} KB")
    for name, size, _ in report.extra_files:
        print(f"extra file: {name} ({size} bytes)")
    return 0


def _export_check(args: argparse.Namespace) -> int:
    from tsviz.export_check import export_check  # imports torch

    result = export_check(_request(args))
    if args.json:
        print(json.dumps(export_data(result), indent=1))
        return 0
    print(f"{result.filename}: " + ("exports with torch.export" if result.exported else "does not export"))
    for note in result.notes:
        print(f"note: {note}")
    for a in result.attempts:
        print(f"  {a.name}: {'ok' if a.ok else 'failed'} ({a.seconds:.2f} s)")
    for b in result.blockers:
        print(f"{result.filename}:{b.line}: {b.kind} ({b.attempt}): {b.message}\n    fix: {b.fix}")
    return 0


def export_data(result: ExportResult) -> dict:
    """The JSON object of `export-check --json`."""
    return {
        "file": result.filename,
        "exported": result.exported,
        "attempts": [to_data(a) for a in result.attempts],
        "blockers": [{"line": b.line, "kind": b.kind, "message": b.message, "fix": b.fix, "attempt": b.attempt}
                     for b in result.blockers],
        "op_counts": result.op_counts(),
        "torchscript_mode": result.torchscript_mode,
        "notes": list(result.notes),
    }


def _render(args: argparse.Namespace) -> int:
    result = _convert(args)
    graph = result.inlined if args.view == "inlined" else result.graph
    dot_text = to_dot(graph if args.no_fold else fold_constants(graph))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "dot":
        args.out.write_text(dot_text)
    else:
        args.out.write_text(render_svg(dot_text))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from tsviz.bench_report import read_csv, summary_table
    from tsviz.report import build_report

    result = _convert(args)
    diff = None
    if result.kind == "py" and not args.no_diff:
        from tsviz.compare import diff_file

        diff = diff_file(DiffRequest(_request(args)))
    bench = summary_table(read_csv(args.bench_csv.read_bytes(), str(args.bench_csv))) if args.bench_csv else None
    svg = render_svg(to_dot(fold_constants(result.graph)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(build_report(result, svg, diff=diff, bench=bench), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
