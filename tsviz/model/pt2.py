"""What a .pt2 (torch.export.save) holds, as plain data: its FX graph, its code, its signature with parameters,
buffers, constants and user inputs apart, the ranges of its dynamic dims, and a run on sample inputs."""
from __future__ import annotations

from dataclasses import dataclass

from tsviz.model.types import IRGraph


@dataclass(frozen=True, slots=True)
class ProgramInput:
    """One input of the program's graph, in the graph's order (lifted state first, then the user's inputs)."""

    name: str  # the placeholder's name in the graph: "p_fc_weight", "b_scale", "x"
    kind: str  # "parameter", "buffer", "constant", "user input", "custom object", "token"
    target: str  # the state it is ("fc.weight"); "" for a user input
    shape: tuple[str, ...]  # each dim as text: "4", or a dynamic dim's symbol "s77"; () for a scalar or a non-tensor
    dtype: str  # "float32"; a non-tensor input's type name ("int")
    note: str = ""  # "not persistent" (a buffer left out of the state dict), or the value of a constant input


@dataclass(frozen=True, slots=True)
class ProgramOutput:
    """One output of the program's graph: what the user gets back, or state it writes (a buffer it mutates)."""

    name: str  # the graph value returned: "add"
    kind: str  # "user output", "buffer mutation", "user input mutation", "loss output", "gradient to parameter"...
    target: str  # the buffer or input it writes ("running_mean"); "" for a user output
    shape: tuple[str, ...]
    dtype: str


@dataclass(frozen=True, slots=True)
class DimRange:
    """A dynamic dim's symbol and the values the program accepts for it (ep.range_constraints)."""

    symbol: str  # "s77"
    lower: int
    upper: int | None  # None: no upper bound
    used_by: tuple[str, ...]  # the user inputs' dims it sizes: "x dim 0"
    sample: int  # the value the sample run gave it


@dataclass(frozen=True, slots=True)
class SampleRun:
    """ep.module() called once on inputs made from the placeholders' shapes and dtypes."""

    inputs: tuple[str, ...]  # "x: 3x4 float32"
    outputs: tuple[str, ...]  # "3x3 float32", in the order the program returns them
    seconds: float
    error: str = ""  # what the call raised, as one line; "" when it ran

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True, slots=True)
class Pt2Result:
    """A .pt2 loaded with torch.export.load in the worker."""

    filename: str
    graph: IRGraph  # the program's graph: ATen calls, parameters as attribute reads, torch.cond / while_loop regions
    code: str  # ep.graph_module.code: the Python the graph reads as
    inputs: tuple[ProgramInput, ...]
    outputs: tuple[ProgramOutput, ...]
    ranges: tuple[DimRange, ...]  # one a dynamic dim, in the order of range_constraints
    run: SampleRun
    op_counts: tuple[tuple[str, int], ...]  # ("aten::linear", 2), most first, then by name
    notes: tuple[str, ...] = ()  # what a reader should know: the inputs were made up, a run failed and why

    def inputs_of(self, kind: str) -> tuple[ProgramInput, ...]:
        return tuple(i for i in self.inputs if i.kind == kind)
