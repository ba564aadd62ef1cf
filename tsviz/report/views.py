"""Views of results that both front ends show: the command line's `--json` objects and the pages' tables.

Each is a function next to its data: rows are lists of dicts (a page wraps them in a DataFrame; the command
line prints or dumps them), so the two front ends cannot drift apart.
"""
from __future__ import annotations

import math

from tsviz.graph.diff import op_count_rows
from tsviz.graph.hazards import counted, grouped_notes
from tsviz.graph.verdict import Verdict, verdict
from tsviz.model.deploy import DeployResult
from tsviz.model.jsonio import to_data
from tsviz.model.types import (
    ArchiveReport,
    DiffResult,
    ExportResult,
    InspectResult,
    IRGraph,
    ModuleInfo,
    Outcome,
    PassResult,
    TensorInfo,
)

# ---- inspect ---------------------------------------------------------------------------------------------

def graph_data(graph: IRGraph, op_counts: dict[str, int]) -> dict:
    return {**to_data(graph), "op_counts": op_counts}


def inspect_data(result: InspectResult) -> dict:
    """The JSON object of `inspect --json`."""
    op_counts = result.inlined_op_counts()
    return {
        "file": result.filename,
        "mode": result.mode,
        "entry": result.entry,
        "entry_reason": result.entry_reason,  # why the default entry is the whole network ("" when asked for)
        "entries": [e.name for e in result.entries],
        "project_files": list(result.project_files),  # the project's files the import ran, the model file first
        "inputs": list(result.input_shapes),
        "code": result.code,
        "graph": graph_data(result.graph, op_counts),
        "inlined_graph": graph_data(result.inlined, op_counts),
        "warnings": [to_data(w) for w in result.warnings],
        "notes": list(result.notes) + list(result.quiet_notes),
        "traced_submodules": list(result.trace_submodules),
        "traced_because": [to_data(part) for part in result.traced_parts],
        "archive_facts": dict(result.archive_facts),
        "stdout": result.stdout,  # what the model's own code printed: here, never on the stdout before this object
        "weights": to_data(result.weights) if result.weights is not None else None,  # --weights: what fit, what not
    }


# ---- trace vs script -------------------------------------------------------------------------------------

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
        "hazards": [{"kind": h.kind, "severity": h.severity, "line": h.line, "message": h.message, "fix": h.fix,
                     "code": h.code} for h in counted(result.hazards)],
        "hazard_notes": [{"title": g.title, "count": len(g.lines), "lines": list(g.lines), "message": g.message}
                         for g in grouped_notes(result.hazards)],
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


# ---- passes ----------------------------------------------------------------------------------------------

def pass_rows(result: PassResult) -> list[dict]:
    """One row per step of the pipeline (step 0 is the graph before any pass)."""
    return [{"step": i, "pass": s.name, "nodes": s.nodes, "what changed": s.summary.split(": ", 1)[-1],
             "ms": round(s.seconds * 1000, 1)} for i, s in enumerate(result.steps)]


def passes_data(result: PassResult) -> dict:
    """The JSON object of `passes --json`."""
    steps = [{"pass": s.name, "summary": s.summary, "nodes": s.nodes, "seconds": round(s.seconds, 4),
              "op_counts": s.counts(), "error": s.error.message if s.error else None} for s in result.steps]
    return {"file": result.filename, "mode": result.mode, "steps": steps, "notes": list(result.notes)}


# ---- archive ---------------------------------------------------------------------------------------------

def module_rows(report: ArchiveReport) -> list[dict]:
    """One row per module of an archive: type, tensors, their size, method names."""
    return [{"module": m.path or "(the model)", "type": m.type, "tensors": len(m.tensors),
             "KB": round(module_bytes(m) / 1024, 1), "methods": ", ".join(s.split("(")[0] for s in m.methods)}
            for m in report.modules]


def module_bytes(module: ModuleInfo) -> int:
    return sum(t.bytes for t in module.tensors)


TENSOR_COLUMNS = ["tensor", "kind", "shape", "dtype", "KB"]


def tensor_rows(tensors: list[TensorInfo] | tuple[TensorInfo, ...]) -> list[dict]:
    return [{"tensor": t.name, "kind": t.kind, "shape": " × ".join(map(str, t.shape)) or "scalar",
             "dtype": t.dtype, "KB": round(t.bytes / 1024, 1)} for t in tensors]


def archive_data(filename: str, report: ArchiveReport) -> dict:
    """The JSON object of `archive --json`."""
    return {"file": filename, **to_data(report), "biggest": [to_data(t) for t in report.biggest()]}


def size_text(size: int) -> str:
    """A byte count for a person: bytes under 1 KB, KB under 100 KB, MB above."""
    if size < 1000:
        return f"{size} B"
    return f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{size / 1e3:.1f} KB"


# ---- export ----------------------------------------------------------------------------------------------

EXPORT_OP_COLUMNS = ["op", "TorchScript", "torch.export"]


def export_op_rows(result: ExportResult) -> list[dict]:
    """ATen ops in TorchScript's graph and in the exported one; ops whose counts differ first."""
    counts = result.op_counts()
    ops = sorted(set(counts["torch.export"]) | set(counts["torchscript"]))
    rows = [{"op": op, "TorchScript": counts["torchscript"].get(op, 0),
             "torch.export": counts["torch.export"].get(op, 0)} for op in ops]
    rows.sort(key=lambda r: (r["TorchScript"] == r["torch.export"], r["op"]))
    return rows


LADDER_COLUMNS = ["rung", "result", "seconds", "outputs", "what ran"]


def ladder_rows(result: ExportResult) -> list[dict]:
    """The migration checklist: one row per rung, in the order they ran."""
    marks = {"pass": "✔ pass", "fail": "✘ fail", "skipped": "– skipped"}
    return [{"rung": a.name, "result": marks[a.status], "seconds": round(a.seconds, 2),
             "outputs": a.outputs or a.skipped, "what ran": a.note} for a in result.attempts]


def export_data(result: ExportResult) -> dict:
    """The JSON object of `migrate --json`: the page's checklist, blockers and findings, as data."""
    return {
        "file": result.filename,
        "kind": result.kind,
        "exported": result.exported,
        "inputs": list(result.inputs),
        "rungs": [{**to_data(a), "status": a.status} for a in result.attempts],
        "blockers": [{"line": b.line, "kind": b.kind, "message": b.message, "fix": b.fix, "attempt": b.attempt,
                      "op": b.op, "first_written_at": b.saved_from} for b in result.blockers],
        "suggested_fixes": result.suggested_fixes,
        "program": {"from": result.program_from, "bytes": result.program_size} if result.program_from else None,
        "op_counts": result.op_counts(),
        "torchscript_mode": result.torchscript_mode,
        "notes": list(result.notes),
    }


# ---- deploy ----------------------------------------------------------------------------------------------

RUNG_TITLES = {"python": "Python (TorchScript)", "eager": "Python (eager)", "libtorch": "LibTorch (C++)",
               "onnxruntime": "ONNX Runtime"}


def deploy_data(result: DeployResult) -> dict:
    """The JSON object of `deploy --json` (the issue's contract; the page and the tests read it)."""
    return {
        "file": result.filename,
        "inputs": list(result.inputs),
        "mode": result.mode,
        "runs": [{"name": r.name, "ok": r.ok, "max_abs_diff": r.max_abs_diff, "median_ms": r.median_ms,
                  "p90_ms": r.p90_ms, "iqr_ms": r.iqr_ms,
                  "threads": [{"n": t.n, "per_second": t.per_second} for t in r.threads],
                  "reason": r.reason, "line": r.line, "how": r.how} for r in result.runs],
        "cpp_source": result.cpp_source,
        "cmake": result.cmake,
        "build_commands": result.build_commands,
        "build": result.build_note,
        "archive_name": result.archive_name,
        "notes": list(result.notes),
    }


def deploy_rows(result: DeployResult) -> list[dict]:
    """One row per rung: the page's table and the command line's lines."""
    rows = []
    for r in result.runs:
        most = max(r.threads, key=lambda t: t.n) if r.threads else None
        rows.append({"rung": RUNG_TITLES.get(r.name, r.name), "ok": r.ok, "max abs diff": r.max_abs_diff,
                     "median ms": r.median_ms, "p90 ms": r.p90_ms,
                     "throughput": f"{most.per_second:,.0f}/s at {most.n} thread{'s' if most.n != 1 else ''}"
                     if most else "",
                     "reason": (f"line {r.line}: " if r.line else "") + (r.reason or "")})
    return rows


def thread_rows(result: DeployResult) -> list[dict]:
    """Throughput against threads, one row per (rung, n): the page's chart."""
    return [{"rung": RUNG_TITLES.get(r.name, r.name), "threads": t.n, "calls per second": t.per_second}
            for r in result.runs for t in r.threads]


def take_home_texts(result: DeployResult) -> dict[str, str]:
    """The take-home project's text files: the runner, its CMake file and a README of the seed's four steps."""
    readme = f"""# {result.archive_name} in C++, on LibTorch

The four steps: convert (done: {"the archive as it was given" if result.mode == "archive" else
f"torch.jit.{result.mode} of {result.filename}"}), serialize (done: {result.archive_name}, beside this file),
load in C++ and execute in C++ (this program: torch::jit::load, then forward under InferenceMode).

Build it with any C++17 compiler and CMake against the torch you have installed (its wheel ships LibTorch), then
run it on inputs saved from Python as a tuple (here: {", ".join(result.inputs) or "your inputs"}):

```
{result.build_commands}
```

It prints one JSON object: the median, quartiles and p90 of one call in ms, and calls per second with 1, 2 and 4
threads calling the module at once. outputs.pt holds the outputs: torch.load("outputs.pt") in Python.
tsviz checked them against Python's when it ran this archive: {_checked_line(result)}.
"""
    return {"runner.cpp": result.cpp_source, "CMakeLists.txt": result.cmake, "README.md": readme}


def _checked_line(result: DeployResult) -> str:
    cpp = next((r for r in result.runs if r.name == "libtorch"), None)
    if cpp is None or cpp.max_abs_diff is None:
        return f"the C++ rung did not run ({cpp.reason if cpp else 'not asked'})"
    return f"{'equal' if cpp.ok else 'DIFFERENT'}, largest difference {cpp.max_abs_diff:.1e}"
