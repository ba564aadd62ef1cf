"""A .pt2's view as rows, text and JSON: the Graph & code page's tables and `tsviz inspect FILE.pt2 [--json]`."""
from __future__ import annotations

from tsviz.model.jsonio import to_data
from tsviz.model.pt2 import DimRange, ProgramInput, Pt2Result
from tsviz.report.views import graph_data

INPUT_COLUMNS = ["name", "kind", "state", "shape", "dtype", "note"]
OUTPUT_COLUMNS = ["name", "kind", "writes", "shape", "dtype"]
RANGE_COLUMNS = ["dim", "min", "max", "sizes", "sample run"]
STATE_KINDS = ("parameter", "buffer", "constant", "custom object", "token")  # lifted into the graph's inputs


def program_data(result: Pt2Result) -> dict:
    """The JSON object of `tsviz inspect FILE.pt2 --json`."""
    data = to_data(result)
    return {"file": result.filename, "kind": "pt2", "code": result.code,
            "graph": graph_data(result.graph, dict(result.op_counts)),
            "signature": {"user_inputs": data_of(result, ("user input",)),
                          "parameters": data_of(result, ("parameter",)),
                          "buffers": data_of(result, ("buffer",)), "constants": data_of(result, ("constant",)),
                          "outputs": data["outputs"]},
            "range_constraints": data["ranges"], "sample_run": {**data["run"], "ok": result.run.ok},
            "notes": list(result.notes)}


def data_of(result: Pt2Result, kinds: tuple[str, ...]) -> list[dict]:
    return [to_data(i) for i in result.inputs if i.kind in kinds]


def shape_text(shape: tuple[str, ...]) -> str:
    return "×".join(shape) if shape else "scalar"


def input_rows(inputs: tuple[ProgramInput, ...]) -> list[dict]:
    return [{"name": i.name, "kind": i.kind, "state": i.target, "shape": shape_text(i.shape) if i.dtype else "",
             "dtype": i.dtype, "note": i.note} for i in inputs]


def output_rows(result: Pt2Result) -> list[dict]:
    return [{"name": o.name, "kind": o.kind, "writes": o.target, "shape": shape_text(o.shape) if o.dtype else "",
             "dtype": o.dtype} for o in result.outputs]


def range_text(r: DimRange) -> str:
    return f"{r.symbol} in [{r.lower}, {'∞' if r.upper is None else r.upper}]"


def range_rows(result: Pt2Result) -> list[dict]:
    return [{"dim": r.symbol, "min": r.lower, "max": "no limit" if r.upper is None else r.upper,
             "sizes": ", ".join(r.used_by), "sample run": r.sample} for r in result.ranges]


def summary_lines(result: Pt2Result) -> list[str]:
    """`tsviz inspect FILE.pt2` without --json: what it is, its signature, its dims, its run, then its code."""
    state = [i for i in result.inputs if i.kind in STATE_KINDS]
    counts = ", ".join(f"{len(result.inputs_of(k))} {k}s" for k in STATE_KINDS[:3])
    lines = [f"{result.filename}: torch.export program, {len(result.graph.nodes)} graph nodes, "
             f"{len(state)} lifted state inputs ({counts})"]
    for i in result.inputs_of("user input"):
        lines.append(f"input {i.name}: {shape_text(i.shape) if i.dtype else ''} {i.dtype}".rstrip())
    for o in result.outputs:
        lines.append(f"output {o.name} ({o.kind}{', writes ' + o.target if o.target else ''}): "
                     f"{shape_text(o.shape) if o.dtype else ''} {o.dtype}".rstrip())
    for r in result.ranges:
        lines.append(f"dynamic dim {range_text(r)}: {', '.join(r.used_by) or 'no user input'}")
    run = result.run
    lines.append(f"sample run on {', '.join(run.inputs) or 'no inputs'}: "
                 + (f"{', '.join(run.outputs)} in {run.seconds * 1e3:.1f} ms" if run.ok else f"failed: {run.error}"))
    lines += [f"note: {note}" for note in result.notes]
    return lines
