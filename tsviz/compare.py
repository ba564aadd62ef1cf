"""Eager vs trace vs script (vs hybrid): run them on many inputs, compare outputs, find the trace's hazards.

Runs inside the worker (or the CLI). The inputs are the file's example_inputs(), its check_inputs(),
and inputs generated here to exercise the model: other sizes along each dimension the eager model
accepts, the example negated and scaled (branches on sign or magnitude), and random draws. All generated values come from one seed.
"""
from __future__ import annotations

import math
import re
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch
from torch import nn

from tsviz import sources
from tsviz.convert import convert
from tsviz.errors import TsvizError
from tsviz.hazards import find_hazards
from tsviz.ir import extract_graph
from tsviz.pipeline import ModelFile, describe, module_code, open_model_file, write_private_copy
from tsviz.types import Case, Conversion, DiffRequest, DiffResult, Hazard, InputSpec, Outcome

MAX_DIM_CASES = 6
RANDOM_DRAWS = 2
SIZE_STEP = 3  # a generated size is the example's size plus this: never 1, never the same
_ERROR_LINE = re.compile(r"^\s*(\w+(Error|Exception)): (.+)$", re.M)


@dataclass(frozen=True)
class _Input:
    label: str
    origin: str
    values: tuple
    eager: Any = None
    eager_error: str = ""


def diff_file(request: DiffRequest) -> DiffResult:
    """Convert the model every way, run every module on every input, and read the graphs for hazards."""
    with tempfile.TemporaryDirectory(prefix="tsviz-") as tmp:
        path = write_private_copy(request.model, tmp)
        if path.suffix.lower() != ".py":
            raise TsvizError("trace vs script needs the model's Python source; a .pt archive is already compiled",
                             file=request.model.filename, hint="upload the .py file the archive was made from")
        return _diff(open_model_file(request.model, path), request)


def _diff(model_file: ModelFile, request: DiffRequest) -> DiffResult:
    clock = _Clock()
    torch.manual_seed(request.seed)  # the file's random weights and inputs repeat from run to run too
    target, inputs, returned_training = model_file.build()
    notes: list[str] = []
    if inputs is None:
        specs = sources.suggest_inputs(target, sources.required_input_count(model_file.entry, target))
        inputs = tuple(sources.tensor_from_spec(s, torch.Generator().manual_seed(request.seed)) for s in specs)
        notes.append("The file gives no example inputs, so trace and hybrid used guessed shapes: "
                     f"{', '.join(_spec_text(s) for s in specs)}. Set them in the sidebar or with --input.")

    modes = ("trace", "script", "hybrid") if request.hybrid else ("trace", "script")
    modules: dict[str, Any] = {}
    conversions: list[Conversion] = []
    origin = model_file.origin
    picks = request.model.trace_submodules
    if picks is None and isinstance(target, nn.Module):
        picks = sources.default_trace_submodules(model_file.source, target)
    for mode in modes:
        try:
            converted = convert(target, mode, _copies(inputs), origin, trace_submodules=picks or ())
        except TsvizError as e:
            conversions.append(Conversion(mode, error=e.info()))
            continue
        modules[mode] = converted.module
        graph = extract_graph(converted.module.inlined_graph, user_path=origin.path, display_name=origin.name,
                              traced=converted.traced)
        conversions.append(Conversion(mode, code=module_code(converted.module), graph=graph,
                                      warnings=tuple(converted.warnings)))
    clock.lap("convert")

    check = sources.check_inputs(model_file.source) or []
    names = sources.input_names(model_file.entry, target)
    cases = [_run_case(i, item, modules) for i, item in enumerate(_inputs(target, inputs, check, names, request.seed), 1)]
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
    return DiffResult(
        filename=request.model.filename, entry=model_file.entry.name,
        source=request.model.content.decode("utf-8", errors="replace"), seed=request.seed,
        conversions=tuple(conversions), cases=tuple(cases), hazards=hazards, notes=tuple(notes),
        timings=clock.laps(),
    )


# ---- inputs --------------------------------------------------------------------------------------

def _inputs(target: Any, example: tuple, check: list[tuple], names: list[str], seed: int) -> Iterator[_Input]:
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
            values = tuple(sources.resized(v, dim, new) if j in together else v for j, v in enumerate(example))
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


def _spec_text(spec: InputSpec) -> str:
    return "x".join(str(d) for d in spec.shape) + f" {spec.dtype}"


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


def call_safely(fn: Callable, values: tuple) -> tuple[Any, str]:
    """fn(*copies of values) without autograd; the error as one readable line instead of raising."""
    try:
        with torch.no_grad():
            return fn(*_copies(values)), ""
    except Exception as e:  # any failure of the model is a finding, shown on its row
        return None, error_text(e)


def _copies(values: tuple) -> tuple:
    """Fresh tensors for each call, so a model that changes its input in place cannot touch the next run."""
    return tuple(v.clone() if isinstance(v, torch.Tensor) else v for v in values)


def error_text(error: Exception) -> str:
    """The line of an exception that says what went wrong (TorchScript wraps it in a long traceback)."""
    text = str(error).strip()
    found = _ERROR_LINE.findall(text)
    if found:
        name, _, message = found[-1]
        return f"{name}: {message.strip()}"[:300]
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:300]


def compare_outputs(eager: Any, got: Any) -> Outcome:
    """Largest absolute and relative differences over every element of every output, nested or not."""
    expected, actual = list(_leaves(eager, "output")), list(_leaves(got, "output"))
    if [p for p, _ in expected] != [p for p, _ in actual]:
        return Outcome(mismatch=f"the output has another structure: {_structure(actual)} instead of {_structure(expected)}")
    max_abs = max_rel = 0.0
    for (path, want), (_, have) in zip(expected, actual):
        if isinstance(want, torch.Tensor) != isinstance(have, torch.Tensor):
            return Outcome(mismatch=f"{path} is {type(have).__name__}, eager gives {type(want).__name__}")
        if not isinstance(want, torch.Tensor):
            if want == have or (isinstance(want, float) and isinstance(have, float) and math.isnan(want) and math.isnan(have)):
                continue
            if isinstance(want, (int, float)) and isinstance(have, (int, float)) and not isinstance(want, bool):
                want, have = torch.tensor(float(want)), torch.tensor(float(have))
            else:
                return Outcome(mismatch=f"{path} is {have!r}, eager gives {want!r}")
        if want.shape != have.shape:
            return Outcome(mismatch=f"{path} has shape {_shape(have)}, eager gives {_shape(want)}")
        abs_diff, rel_diff, nan_problem = _differences(want, have)
        if nan_problem:
            return Outcome(mismatch=f"{path} has NaN where eager has a number, or the other way round")
        max_abs, max_rel = max(max_abs, abs_diff), max(max_rel, rel_diff)
    return Outcome(max_abs=max_abs, max_rel=max_rel)


def _differences(want: torch.Tensor, have: torch.Tensor) -> tuple[float, float, bool]:
    if want.numel() == 0:
        return 0.0, 0.0, False
    if want.is_complex() or have.is_complex():
        want, have = torch.view_as_real(want.to(torch.complex128)), torch.view_as_real(have.to(torch.complex128))
    a, b = want.detach().cpu().double(), have.detach().cpu().double()
    nan_a, nan_b = torch.isnan(a), torch.isnan(b)
    if bool((nan_a != nan_b).any()):
        return math.inf, math.inf, True
    same = (a == b) | nan_a  # equal infinities and NaN in the same places count as equal
    diff = torch.where(same, torch.zeros_like(a), (a - b).abs())
    rel = torch.where(diff == 0, torch.zeros_like(a), diff / a.abs())  # x/0 = inf where eager is 0
    return float(diff.max()), float(rel.max()), False


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key in value:
            yield from _leaves(value[key], f"{path}[{key!r}]")
    else:
        yield path, value


def _structure(leaves: list[tuple[str, Any]]) -> str:
    return f"{len(leaves)} value{'s' if len(leaves) != 1 else ''} ({', '.join(p for p, _ in leaves[:4])}{', …' if len(leaves) > 4 else ''})"


def _shape(x: torch.Tensor) -> str:
    return "x".join(str(d) for d in x.shape) or "scalar"


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
