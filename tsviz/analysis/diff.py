"""Eager vs trace vs script (vs hybrid): run them on many inputs, compare outputs, find the trace's hazards.

Runs inside the worker (or the CLI). The inputs are the file's example_inputs(), its check_inputs(),
and inputs generated here to exercise the model: other sizes along each dimension the eager model
accepts, the example negated and scaled (branches on sign or magnitude), and random draws. All generated values
come from one seed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import torch

from tsviz.analysis.convert import convert, describe
from tsviz.analysis.inspect_model import module_code
from tsviz.analysis.ir import extract_graph
from tsviz.analysis.outputs import call_safely, compare_outputs, copies
from tsviz.analysis.state import Fresh, drift
from tsviz.graph.hazards import find_hazards, ranked
from tsviz.graph.verdict import verdict
from tsviz.load.inputs import check_inputs, input_names, resized
from tsviz.load.modelfile import ModelFile, source_model
from tsviz.model.errors import TsvizError
from tsviz.model.stages import stage
from tsviz.model.types import Case, Conversion, DiffRequest, DiffResult, Hazard, Outcome

MAX_DIM_CASES = 6
RANDOM_DRAWS = 2
SIZE_STEP = 3  # a generated size is the example's size plus this: never 1, never the same


@dataclass(frozen=True)
class _Input:
    label: str
    origin: str
    values: tuple
    eager: Any = None
    eager_error: str = ""


def diff_file(request: DiffRequest) -> DiffResult:
    """Convert the model every way, run every module on every input, and read the graphs for hazards."""
    with source_model(request.model, "trace vs script") as model_file:
        return _diff(model_file, request)


def _diff(model_file: ModelFile, request: DiffRequest) -> DiffResult:
    clock = _Clock()
    torch.manual_seed(request.seed)  # the file's random weights and inputs repeat from run to run too
    (target, inputs, returned_training), guessed = model_file.build_with_inputs(request.seed)
    notes = list(guessed)

    modes = ("trace", "script", "hybrid") if request.hybrid else ("trace", "script")
    modules: dict[str, Any] = {}
    conversions: list[Conversion] = []
    origin = model_file.origin
    picks = model_file.hybrid_options(target)
    for mode in modes:
        stage("convert", f"converting {request.model.filename} with {mode}")
        try:
            converted = convert(target, mode, copies(inputs), origin, **picks)
        except TsvizError as e:
            conversions.append(Conversion(mode, error=e.info()))
            continue
        modules[mode] = converted.module
        graph = extract_graph(converted.module.inlined_graph, user_path=origin.path, display_name=origin.name,
                              traced=converted.traced)
        conversions.append(Conversion(mode, code=module_code(converted.module), graph=graph,
                                      warnings=tuple(converted.warnings)))
    clock.lap("convert")

    check = check_inputs(model_file.source) or []
    names = input_names(model_file.entry, target)
    stage("run", f"running forward() of {request.model.filename} eager and converted on many inputs")
    reference, compared = target, modules
    fresh = Fresh(target)
    kept = drift(fresh, inputs)  # a model that keeps state: every module called from one state on every input
    if kept:
        reference, compared = fresh, {mode: Fresh(module) for mode, module in modules.items()}
        notes.append(f"{kept[0].upper()}{kept[1:]}: every case calls each module once from that state, so a "
                     "changed output between calls is the model's state, not the conversion's.")
        notes += [f"The {mode}d module keeps no state: its call 2 equals its call 1 (the {mode} recorded the "
                  "state's value, not its update); script it, or pass the state as an input and return it."
                  for mode, module in compared.items() if mode == "trace" and not drift(module, inputs)]
    generated = comparison_inputs(reference, inputs, check, names, request.seed)
    cases = [_run_case(i, item, compared) for i, item in enumerate(generated, 1)]
    clock.lap("run")

    trace, script = (next((c for c in conversions if c.mode == m), None) for m in ("trace", "script"))
    hazards: tuple[Hazard, ...] = ()
    if trace is not None and trace.error is None:
        if script is not None and script.error is not None:
            notes.append("Script mode failed, so the checks that compare with the scripted graph (lost control "
                         "flow, frozen values) were skipped; only the tracer's own warnings are listed.")
        hazards = find_hazards(trace.graph, script.graph if script and script.error is None else None,
                               trace.warnings, request.model.content.decode("utf-8", errors="replace"),
                               returned_training=returned_training)
    clock.lap("hazards")
    result = DiffResult(
        filename=request.model.filename, entry=model_file.entry.name,
        source=request.model.content.decode("utf-8", errors="replace"), seed=request.seed,
        conversions=tuple(conversions), cases=tuple(cases), hazards=hazards, notes=tuple(notes),
        timings=clock.laps(),
    )
    return replace(result, hazards=ranked(hazards, trace_differs=bool(verdict(result, "trace").differs_on)))


# ---- inputs --------------------------------------------------------------------------------------


def comparison_inputs(target: Any, example: tuple, check: list[tuple], names: list[str],
                      seed: int) -> Iterator[_Input]:
    """The file's inputs (kept even when eager fails on them), then generated ones the eager model accepts."""
    yield _with_eager(target, _Input("example inputs", "example", example))
    for i, values in enumerate(check, 1):
        yield _with_eager(target, _Input(f"check_inputs() #{i}", "check", values))
    generator = torch.Generator().manual_seed(seed)
    for item in _generated(example, names, generator):
        run = _with_eager(target, item)
        if not run.eager_error:
            yield run


def _generated(example: tuple, names: list[str], generator: torch.Generator) -> Iterator[_Input]:
    tensors = [(i, x) for i, x in enumerate(example) if isinstance(x, torch.Tensor)]
    done: set[tuple[int, tuple[int, ...]]] = set()
    for i, x in tensors:
        for dim, size in enumerate(x.shape):
            # inputs that share this size along the same dimension (a mask beside its tensor) change together
            together = tuple(j for j, y in tensors if y.dim() > dim and y.shape[dim] == size)
            if len(done) == MAX_DIM_CASES or (dim, together) in done:
                continue
            done.add((dim, together))
            new = size + SIZE_STEP
            values = tuple(resized(v, dim, new) if j in together else v for j, v in enumerate(example))
            who = ", ".join(names[j] if j < len(names) else f"input {j + 1}" for j in together)
            yield _Input(f"{who} dim {dim}: {size} → {new}", "generated", values)
    if any(x.is_floating_point() for _, x in tensors):
        for label, factor in (("example negated", -1.0), ("example × 0.01", 0.01), ("example × 100", 100.0)):
            yield _Input(label, "generated", tuple(
                v * factor if isinstance(v, torch.Tensor) and v.is_floating_point() else v for v in example))
    for draw in range(1, RANDOM_DRAWS + 1):
        yield _Input(f"random draw {draw}", "generated",
                     tuple(_random_like(v, generator) if isinstance(v, torch.Tensor) else v for v in example))


def _random_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    if x.is_floating_point():
        return torch.randn(x.shape, generator=generator).to(x.dtype)
    if x.dtype == torch.bool:
        return torch.rand(x.shape, generator=generator) > 0.5
    if x.is_complex() or x.numel() == 0:
        return x.clone()
    low, high = int(x.min()), int(x.max())
    return torch.randint(low, high + 1, x.shape, generator=generator, dtype=x.dtype)


# ---- running and comparing ----------------------------------------------------------------------


def _with_eager(target: Any, item: _Input) -> _Input:
    output, error = call_safely(target, item.values)
    return _Input(item.label, item.origin, item.values, output, error)


def _run_case(index: int, item: _Input, modules: dict[str, Any]) -> Case:
    outcomes = []
    if not item.eager_error:
        for mode, module in modules.items():
            output, error = call_safely(module, item.values)
            outcomes.append((mode, Outcome(error=error) if error else compare_outputs(item.eager, output)))
    return Case(index=index, label=item.label, origin=item.origin,  # type: ignore[arg-type]
                shapes=tuple(describe(v) for v in item.values), eager_error=item.eager_error, outcomes=tuple(outcomes))


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.steps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps.append((name, round(now - self.last, 4)))
        self.last = now

    def laps(self) -> tuple[tuple[str, float], ...]:
        return (*self.steps, ("total", round(self.last - self.start, 4)))
