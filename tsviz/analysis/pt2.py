"""A .pt2 (torch.export.save) -> Pt2Result: torch.export.load in the worker, then its graph as an IRGraph (the same
adapter as the Migrate page's, tsviz.analysis.export.fx_graph), its code, its signature, the ranges of its dynamic
dims, and one run of ep.module() on inputs made from the placeholders' shapes."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from tsviz.analysis.export import fx_graph
from tsviz.analysis.outputs import error_text
from tsviz.load.modelfile import private_copy
from tsviz.load.sniff import require_kind
from tsviz.model.errors import ArchiveError
from tsviz.model.pt2 import DimRange, ProgramInput, ProgramOutput, Pt2Result, SampleRun
from tsviz.model.stages import stage
from tsviz.model.types import InspectRequest

SAMPLE_DIM = 3  # a dynamic dim's sample size when its range allows it: not 2, the size most examples export with
_KINDS = {"PARAMETER": "parameter", "BUFFER": "buffer", "CONSTANT_TENSOR": "constant", "USER_INPUT": "user input",
          "CUSTOM_OBJ": "custom object", "TOKEN": "token"}


def view_pt2(request: InspectRequest) -> Pt2Result:
    """Load the exported program and describe it; the sample run's failure is a finding, not an error."""
    with private_copy(request) as path:
        require_kind(path, request.filename, ("pt2",))
        program = load_program(path, request.filename)
    stage("convert", f"reading the graph of {request.filename}")
    graph = fx_graph(program, "", request.filename)
    placeholders = {n.name: n.meta.get("val") for n in program.graph.nodes if n.op == "placeholder"}
    inputs = tuple(_input(spec, placeholders) for spec in program.graph_signature.input_specs)
    outputs = tuple(_output(spec, program) for spec in program.graph_signature.output_specs)
    samples = _sample_sizes(program)
    ranges = tuple(_range(symbol, bound, inputs, samples) for symbol, bound in program.range_constraints.items())
    stage("run", f"running {request.filename} on sample inputs")
    run, notes = _sample_run(program, inputs, placeholders, samples)
    counts = Counter(n.kind for n in graph.nodes if n.kind not in ("input", "output", "prim::GetAttr"))
    return Pt2Result(filename=request.filename, graph=graph, code=program.graph_module.code.strip() + "\n",
                     inputs=inputs, outputs=outputs, ranges=ranges, run=run,
                     op_counts=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), notes=notes)


def load_program(path: Path, filename: str) -> Any:
    stage("load", f"loading {filename} with torch.export.load")
    try:
        return torch.export.load(str(path))
    except Exception as e:
        raise ArchiveError(f"torch.export.load could not read this .pt2: {error_text(e)}", file=filename,
                           hint=f"it may come from another torch version (this worker has {torch.__version__}): save "
                                "it again with torch.export.save there, or open the .py or .pt it came from",
                           detail=str(e)[:2000]) from e


def _input(spec: Any, placeholders: dict[str, Any]) -> ProgramInput:
    name = getattr(spec.arg, "name", "")
    kind = _KINDS.get(spec.kind.name, spec.kind.name.lower().replace("_", " "))
    value = placeholders.get(name)
    note = "not persistent (left out of the state dict)" if spec.kind.name == "BUFFER" and spec.persistent is False \
        else ""
    if name == "" and hasattr(spec.arg, "value"):  # a constant the export fixed (an int, a None)
        name, note = spec.arg.name if hasattr(spec.arg, "name") else "", f"fixed to {spec.arg.value!r}"
    return ProgramInput(name, kind, spec.target or "", _shape(value), _dtype(value), note)


def _output(spec: Any, program: Any) -> ProgramOutput:
    name = getattr(spec.arg, "name", "")
    node = next((n for n in program.graph.nodes if n.name == name), None)
    value = node.meta.get("val") if node is not None else None
    return ProgramOutput(name, spec.kind.name.lower().replace("_", " "), spec.target or "", _shape(value),
                         _dtype(value))


def _shape(value: Any) -> tuple[str, ...]:
    return tuple(str(d) for d in value.shape) if isinstance(value, torch.Tensor) else ()


def _dtype(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return str(value.dtype).removeprefix("torch.")
    return "" if value is None else type(value).__name__.lower().removeprefix("sym")


def _sample_sizes(program: Any) -> dict[str, int]:
    """A value for each dynamic dim's symbol: SAMPLE_DIM where its range allows, else the nearest bound."""
    sizes = {}
    for symbol, bound in program.range_constraints.items():
        lower, upper = _bounds(bound)
        sizes[str(symbol)] = max(lower, min(SAMPLE_DIM, upper if upper is not None else SAMPLE_DIM))
    return sizes


def _bounds(bound: Any) -> tuple[int, int | None]:
    lower = int(bound.lower) if bound.lower.is_finite else 0
    return lower, int(bound.upper) if bound.upper.is_finite else None


def _range(symbol: Any, bound: Any, inputs: tuple[ProgramInput, ...], samples: dict[str, int]) -> DimRange:
    lower, upper = _bounds(bound)
    used = tuple(f"{i.name} dim {d}" for i in inputs if i.kind == "user input" for d, size in enumerate(i.shape)
                 if size == str(symbol))
    return DimRange(str(symbol), lower, upper, used, samples.get(str(symbol), lower))


def _size(dim: Any, samples: dict[str, int]) -> int:
    """A dim of a placeholder's shape: a number, a symbol, or an expression of symbols (2*s0)."""
    if isinstance(dim, int):
        return dim
    expr = dim.node.expr
    return int(expr.subs({s: samples.get(str(s), SAMPLE_DIM) for s in expr.free_symbols}))


def _sample_value(value: Any, samples: dict[str, int], generator: torch.Generator) -> Any:
    if isinstance(value, torch.Tensor):
        shape = tuple(_size(d, samples) for d in value.shape)
        if value.dtype == torch.bool:
            return torch.randint(0, 2, shape, generator=generator).bool()
        if not value.dtype.is_floating_point and not value.dtype.is_complex:
            return torch.randint(0, 2, shape, generator=generator).to(value.dtype)  # indices valid for any table
        return torch.randn(shape, generator=generator).to(value.dtype)
    if isinstance(value, torch.SymInt):
        return _size(value, samples)
    return value


def _sample_run(program: Any, inputs: tuple[ProgramInput, ...], placeholders: dict[str, Any],
                samples: dict[str, int]) -> tuple[SampleRun, tuple[str, ...]]:
    generator = torch.Generator().manual_seed(0)
    users = [i for i in inputs if i.kind == "user input"]
    values = [_sample_value(placeholders.get(i.name), samples, generator) for i in users]
    shown = tuple(f"{i.name}: {_described(v)}" for i, v in zip(users, values, strict=True))
    notes = ["The sample inputs are random values of the shapes and dtypes the program's placeholders record"
             + (f"; each dynamic dim is {SAMPLE_DIM} where its range allows" if samples else "") + "."]
    start = time.perf_counter()
    try:
        with torch.no_grad():
            result = program.module()(*values)
    except Exception as e:  # the program refusing the inputs is a finding for the page, with torch's words
        notes.append("ep.module() refused the sample inputs: give it inputs of the sizes it was exported for.")
        return SampleRun(shown, (), time.perf_counter() - start, error=error_text(e)), tuple(notes)
    seconds = time.perf_counter() - start
    leaves = torch.utils._pytree.tree_leaves(result)
    return SampleRun(shown, tuple(_described(v) for v in leaves), seconds), tuple(notes)


def _described(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"{'x'.join(map(str, value.shape)) or 'scalar'} {str(value.dtype).removeprefix('torch.')}"
    return f"{type(value).__name__} {value!r}"[:80]
