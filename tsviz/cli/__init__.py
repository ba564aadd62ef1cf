"""The command line: tsviz inspect | diff | bench | report | passes | archive | migrate | render.

Every command runs its job through the same sandboxed worker as the dashboard (tsviz.client), with the same
limits and messages: a file given here is as contained as one uploaded to the page. `--in-process` runs the
job here instead, for debugging one's own file. A user error exits 2 with one line on stderr.
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from tsviz import client
from tsviz.cli.parser import build_parser
from tsviz.client import sandbox
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import count_text, fold_constants
from tsviz.graph.hazards import KINDS, SEVERITY_TITLES, counted, grouped_notes
from tsviz.graph.layout import svg_or_problem
from tsviz.graph.verdict import case_rows
from tsviz.model.errors import InputError, TsvizError
from tsviz.model.inputs import parse_input_spec
from tsviz.model.jobs import job, saved_archive_request
from tsviz.model.jsonio import to_data
from tsviz.model.types import (
    MAX_INLINED_NODES,
    DiffRequest,
    InspectRequest,
    InspectResult,
    MigrateRequest,
    PassRequest,
)
from tsviz.model.uploads import check_suffix
from tsviz.report import views
from tsviz.report.review import review_report

__all__ = ["main"]
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'  # a file of its own, not in a page


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-") and Path(argv[0]).is_file():
        argv = ["serve", *argv]  # `tsviz FILE`, as `netron FILE`
    args = build_parser().parse_args(argv)
    client.preload(JOBS_OF[args.command])  # the worker starts with only what this command runs
    try:
        return COMMANDS[args.command](args)
    except TsvizError as e:
        print(f"tsviz: error: {e.one_line()}", file=sys.stderr)
        return 2


def run(args: Any, name: str, request: object = None) -> Any:
    """Job `name` of the job table: in the sandboxed worker, or here with --in-process."""
    spec = job(name)
    if getattr(args, "in_process", False):
        from tsviz.worker.run import call  # torch, and the user's code, in this process: asked for

        return call(spec, request)
    limits = spec.limits
    if not sandbox.status().works and spec.user_content:
        sandbox.announce()
    if getattr(args, "stage_timeout", None):
        limits = replace(limits, load_s=args.stage_timeout, convert_s=args.stage_timeout, run_s=args.stage_timeout)
    return client.run(name, request, limits=limits)


def request_of(args: Any) -> InspectRequest:
    path: Path = args.file
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path")
    init = []
    for item in args.init:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--init {item!r} is not NAME=VALUE", file=str(path), hint="e.g. --init hidden=32")
        init.append((name.strip(), value))
    return InspectRequest(
        filename=path.name, content=path.read_bytes(), mode=getattr(args, "mode", "script"), entry=args.entry,
        init_args=tuple(init), max_archive_mb=0,
        input_specs=tuple(parse_input_spec(text) for text in args.input),
        trace_submodules=tuple(args.trace_submodules) if args.trace_submodules else None,
    )


def converted(args: Any, request: InspectRequest | None = None) -> InspectResult:
    """The inspect job's result; a conversion that failed raises its error."""
    result = run(args, "inspect", request or request_of(args))
    if result.error is not None:
        raise TsvizError.from_info(result.error)
    return result


def _print_json(data: object, allow_nan: bool = True) -> int:
    print(json.dumps(data, indent=1, allow_nan=allow_nan))
    return 0


def _inspect(args: Any) -> int:
    result = converted(args)
    data = views.inspect_data(result)
    if args.out:
        _write_outputs(args.out, result, data)
    if args.json:
        return _print_json(data)
    print(f"{result.filename}: {result.entry} ({result.mode})")
    for note in result.notes:
        print(f"note: {note}")
    for part in result.traced_parts:
        where = f"line {part.line}: " if part.line else ""
        print(f"traced {part.name or 'the whole model'} ({part.type}), which does not compile: {where}{part.reason}")
    if result.input_shapes:
        print(f"inputs: {', '.join(result.input_shapes)}")
    inlined = (f"{result.inlined_skipped:,} IR nodes, counted, not extracted (see the note)"
               if result.inlined_skipped else f"{count_text(result.inlined)}, {len(result.inlined.blocks)} blocks")
    print(f"module graph: {count_text(result.graph)}; inlined: {inlined}")
    for w in result.warnings:
        print(f"{w.category}: {w.file}:{w.line}: {w.message}")
    print()
    print(result.code, end="")
    return 0


def _write_outputs(folder: Path, result: InspectResult, data: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{Path(result.filename).stem}.{result.mode}"
    if result.archive:  # a converted .py (an archive given is already on disk)
        (folder / f"{stem}.pt").write_bytes(result.archive)
    (folder / f"{stem}.code.py").write_text(result.code)
    (folder / f"{stem}.graph.dot").write_text(to_dot(fold_constants(result.graph)))
    (folder / f"{stem}.inlined.dot").write_text(to_dot(fold_constants(result.inlined)))
    (folder / f"{stem}.json").write_text(json.dumps(data, indent=1))


def _diff(args: Any) -> int:
    result = run(args, "diff", DiffRequest(request_of(args), hybrid=args.hybrid, seed=args.seed))
    data = views.diff_data(result, args.atol, args.rtol)
    if args.json:
        return _print_json(data, allow_nan=False)
    print(f"{result.filename}: {result.entry} · seed {result.seed} · "
          f"tolerance atol {args.atol:g} or rtol {args.rtol:g}")
    for note in result.notes:
        print(f"note: {note}")
    for judged in data["verdict"].values():
        print(judged["summary"])
    print()
    for row in case_rows(result, args.atol, args.rtol):
        cells = [f"{mode}: {row[mode]}" for mode in data["verdict"] if mode in row]
        print(f"{row['#']:2d}. {row['input']} [{row['shapes']}]  " + "  ".join(cells))
    hazards = counted(result.hazards)
    if hazards:
        print("\nhazards:")
    for h in hazards:
        print(f"  {result.filename}:{h.line}: {SEVERITY_TITLES[h.severity]} · {KINDS[h.kind].title}: {h.message}\n"
              f"      fix: {h.fix}")
    notes = grouped_notes(result.hazards)
    if notes:
        print("\nnotes (harmless for inference, not counted as hazards):")
    for group in notes:
        print(f"  {group.summary()}")
    return 0


def _bench(args: Any) -> int:
    from tsviz.report.bench import failed_rows, plan_jobs, rows_frame, summary_table, to_csv  # pandas, plotly

    request = request_of(args)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not run(args, "devices").cuda_devices:
        if args.device == "cuda":
            raise InputError("no CUDA GPU on this machine", hint="use --device cpu")
        devices = ["cpu"]
        print("tsviz: no CUDA GPU here; CPU only", file=sys.stderr)
    rows = []
    for bench in plan_jobs(request, args.variants, devices, args.batch_sizes, args.seq_lens, args.threads,
                           args.min_run_time):
        print(f"tsviz: timing {bench.variant} on {bench.device}…", file=sys.stderr)
        try:
            rows += run(args, "bench", bench).rows
        except TsvizError as e:  # this variant's worker failed: its rows say so, the others go on
            rows += failed_rows(bench, e.one_line())
    frame = rows_frame(rows, run=request.filename)
    if args.csv:
        print(to_csv(frame), end="")
    elif args.json:
        print(json.dumps([to_data(row) for row in rows], indent=1))
    else:
        print(summary_table(frame).drop(columns=["run"]).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _passes(args: Any) -> int:
    result = run(args, "passes", PassRequest(request_of(args), args.passes))
    if args.json:
        return _print_json(views.passes_data(result))
    print(f"{result.filename} ({result.mode})")
    for note in result.notes:
        print(f"note: {note}")
    for step in result.steps:
        print(f"  {step.summary}" + (f"  [{step.seconds * 1000:.0f} ms]" if step.seconds else ""))
    return 0 if all(s.error is None for s in result.steps) else 1


def _archive(args: Any) -> int:
    result = converted(args)
    if result.kind == "py":  # inspect the archive this conversion saves
        result = converted(args, saved_archive_request(result))
    report = result.archive_report
    if args.json:
        return _print_json(views.archive_data(result.filename, report))
    print(f"{result.filename}: file format version {report.format_version}. {report.version_note}")
    if report.training:
        print("saved in training mode")
    print(f"\n{len(report.files)} files, {sum(f[2] for f in report.files) / 1e6:.2f} MB uncompressed")
    print("\nmodules:")
    for m in report.modules:
        print(f"  {m.path or '(model)'}: {m.type}, {len(m.tensors)} tensors, {views.module_bytes(m) / 1024:.1f} KB; "
              f"{'; '.join(m.methods)}")
    print("\nbiggest tensors:")
    for t in report.biggest():
        print(f"  {t.name} ({t.kind}): {' x '.join(map(str, t.shape)) or 'scalar'} {t.dtype}, {t.bytes / 1024:.1f} KB")
    for name, size, _ in report.extra_files:
        print(f"extra file: {name} ({size} bytes)")
    return 0


def _migrate(args: Any) -> int:
    request = MigrateRequest(request_of(args), aoti=args.aoti, apply_fixes=args.apply_fixes)
    result = run(args, "migrate", request)
    if args.out is not None and result.program:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{Path(result.filename).stem}.pt2"
        path.write_bytes(result.program)
        print(f"wrote {path} (torch.export.save; load it with torch.export.load)", file=sys.stderr)
    elif args.out is not None and result.program_size:
        print(f"tsviz: the program is {result.program_size / 2**20:.0f} MB, too large to pass back; export it in "
              "your own code with torch.export.save", file=sys.stderr)
    if args.json:
        return _print_json(views.export_data(result))
    print(f"{result.filename}: " + ("exports with torch.export" if result.exported else "does not export")
          + f" (inputs: {', '.join(result.inputs)})")
    for note in result.notes:
        print(f"note: {note}")
    for row in views.ladder_rows(result):
        print(f"  {row['result']:<11} {row['rung']:<14} {row['seconds']:>7.2f} s  {row['outputs']}")
    for b in result.blockers:
        where = f":{b.line}" if b.line else ""
        first = f" (first written at {b.saved_from})" if b.saved_from else ""
        print(f"{result.filename}{where}: {b.kind} ({b.attempt}){first}: {b.message}\n    fix: {b.fix}")
    if result.suggested_fixes:
        done = "applied above" if args.apply_fixes else "rerun with --apply-fixes to apply them"
        print(f"torch's suggested fixes for a dynamic batch: {result.suggested_fixes} ({done})")
    return 0


def _render(args: Any) -> int:
    result = converted(args)
    if args.view == "inlined" and result.inlined_skipped:
        raise TsvizError(f"the inlined graph has {result.inlined_skipped:,} IR nodes, too many to extract or draw "
                         f"(the limit is {MAX_INLINED_NODES:,})", file=result.filename,
                         hint="render the module graph (--view graph), or inspect --json for its op counts")
    graph = result.inlined if args.view == "inlined" else result.graph
    drawn = graph if args.no_fold else fold_constants(graph)
    dot_text = to_dot(drawn)
    svg = ""
    if args.format == "svg":
        svg, problem = svg_or_problem(dot_text, len(drawn.nodes))
        if problem:
            raise TsvizError(problem, file=result.filename, hint="write --format dot and lay it out yourself, or "
                             "render the module graph")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dot_text if args.format == "dot" else XML_DECLARATION + svg)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _report(args: Any) -> int:
    from tsviz.report.bench import read_csv, summary_table  # pandas, plotly

    request = request_of(args)
    result = converted(args, request)
    diff = None
    if result.kind == "py" and not args.no_diff:
        diff = run(args, "diff", DiffRequest(request))
    bench = summary_table(read_csv(args.bench_csv.read_bytes(), str(args.bench_csv))) if args.bench_csv else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(review_report(result, diff=diff, bench=bench), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


JOBS_OF = {"inspect": ("inspect",), "diff": ("diff",), "bench": ("bench", "devices"), "report": ("inspect", "diff"),
           "passes": ("passes",), "archive": ("inspect",), "migrate": ("migrate",), "render": ("inspect",),
           "serve": ()}  # () : every job
def _serve(args: Any) -> int:
    """The dashboard in this process (tsviz/ui/serve.py), on a local file when one is given."""
    from tsviz.ui.serve import serve

    if args.file is not None:  # refuse a missing file or another type now, with the usual message
        if not args.file.is_file():
            raise InputError("no such file", file=str(args.file), hint="check the path")
        check_suffix(args.file.name)
    serve(args.file, args.port, args.address, open_browser=not args.no_browser)
    return 0


COMMANDS = {
    "serve": _serve,
    "inspect": _inspect,
    "diff": _diff,
    "bench": _bench,
    "report": _report,
    "passes": _passes,
    "archive": _archive,
    "migrate": _migrate,
    "render": _render,
}
