"""tsviz inspect | render | report: one conversion, shown as text and JSON, drawn as DOT or SVG, or written as
an HTML review report."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tsviz.cli.common import converted, print_json, request_of, run
from tsviz.client import files
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import count_text, fold_constants
from tsviz.graph.layout import svg_or_problem
from tsviz.model.errors import TsvizError
from tsviz.model.filekinds import PROGRAM_KINDS, WEIGHT_KINDS
from tsviz.model.jobs import kind_of
from tsviz.model.package import PackageResult
from tsviz.model.pt2 import Pt2Result
from tsviz.model.types import MAX_INLINED_NODES, DiffRequest, InspectResult
from tsviz.report import package as package_view
from tsviz.report import pt2 as program_view
from tsviz.report import views
from tsviz.report.review import review_report

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'  # a file of its own, not in a page


def inspect(args: Any) -> int:
    # an exported program or a package has its own view; saved tensors or a pickled model go to the worker, which
    # names what they are (a whole model by its class, and how to give it its .py: tsviz/analysis/weights.py)
    request = request_of(args, also=(*PROGRAM_KINDS, *WEIGHT_KINDS))
    if kind_of(request).kind == "pt2":  # an exported program: its own view (tsviz/analysis/pt2.py)
        return program(args, run(args, "pt2", request))
    if kind_of(request).kind == "package":  # a torch.package: listed, one model drawn (tsviz/analysis/package.py)
        return package(args, run(args, "package", request))
    result = converted(args, request)
    data = views.inspect_data(result)
    if args.out:
        _write_outputs(args.out, result, data)
    if args.json:
        return print_json(data)
    print(f"{result.filename}: {result.entry} ({result.mode})")
    for note in result.notes:
        print(f"note: {note}")
    for line in result.stdout.splitlines():
        print(f"printed: {line}")
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


def program(args: Any, result: Pt2Result) -> int:
    """A .pt2's graph, signature, dynamic dims and sample run: JSON, or lines then its code."""
    data = program_view.program_data(result)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = Path(result.filename).stem
        (args.out / f"{stem}.code.py").write_text(result.code)
        (args.out / f"{stem}.graph.dot").write_text(to_dot(fold_constants(result.graph)))
        (args.out / f"{stem}.json").write_text(json.dumps(data, indent=1))
    if args.json:
        return print_json(data)
    print("\n".join(program_view.summary_lines(result)))
    print()
    print(result.code, end="")
    return 0


def package(args: Any, result: PackageResult) -> int:
    """A torch.package's listing and its picked model: JSON, or lines then the model's .code. A model that does
    not convert is an error, as a .py's is."""
    if result.model is not None and result.model.error is not None:
        raise TsvizError.from_info(result.model.error)
    if args.json:
        return print_json(package_view.package_data(result))
    print("\n".join(package_view.summary_lines(result)))
    if result.model is not None:
        print()
        print(result.model.code, end="")
    return 0


def _write_outputs(folder: Path, result: InspectResult, data: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{Path(result.filename).stem}.{result.mode}"
    if result.archive is not None:  # a converted .py (an archive given is already on disk): copied from the job file
        files.copy(result.archive, folder / f"{stem}.pt")
    (folder / f"{stem}.code.py").write_text(result.code)
    (folder / f"{stem}.graph.dot").write_text(to_dot(fold_constants(result.graph)))
    (folder / f"{stem}.inlined.dot").write_text(to_dot(fold_constants(result.inlined)))
    (folder / f"{stem}.json").write_text(json.dumps(data, indent=1))


def render(args: Any) -> int:
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


def report(args: Any) -> int:
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
