"""Plain-data results that cross from the worker into the UI and the command line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tsviz.model.jobfiles import JobFile
from tsviz.model.weights import WeightsLoad

Mode = Literal["trace", "script", "hybrid"]
MODES: tuple[str, ...] = ("trace", "script", "hybrid")
GraphView = Literal["graph", "inlined"]
MAX_INLINED_NODES = 6000  # beyond this an inlined graph is counted, not extracted: no layout shows it, submodules do
# Graph ids, checked whenever a graph is built, so that one rebuilt from a forged answer cannot smuggle anything
# into DOT or the page: nodes "n12", blocks "b3"; "" where a reference is empty (top level, unknown producer).
_NODE_ID = re.compile(r"(n[0-9]{1,9})?")
_BLOCK_ID = re.compile(r"(b[0-9]{1,9})?")


def _check_ids(obj: object, pattern: re.Pattern[str], *fields: str) -> None:
    for name in fields:
        value = getattr(obj, name)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"{type(obj).__name__}.{name}: {str(value)[:40]!r} is not a valid id")


@dataclass(frozen=True, slots=True)
class SourceLoc:
    """Where a node came from: a file (as the user named it) and a 1-based line."""

    file: str
    line: int
    user: bool = True  # False for lines inside torch or other libraries
    saved_from: str = ""  # .pt archives: where the archive's debug info says the line was first written


@dataclass(frozen=True, slots=True)
class Port:
    """One input of a node: the value it reads and, if known, the schema's argument name."""

    value: str  # the value's debug name, e.g. "x.1"
    source: str  # id of the node that produces it
    arg: str = ""  # schema argument name ("weight"), empty when unknown

    def __post_init__(self) -> None:
        _check_ids(self, _NODE_ID, "source")


@dataclass(frozen=True, slots=True)
class Value:
    """One output of a node."""

    name: str  # debug name without the leading '%'
    type: str  # short type: "Float(2, 4)", "Tensor", "int[]"


@dataclass(frozen=True, slots=True)
class Node:
    """One IR node, or a graph input/output (kind "input" / "output")."""

    id: str  # "n0", "n1", ... in output order
    kind: str  # "aten::linear", "prim::If", "input", "output"
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Value, ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()  # node attributes: name -> printed value
    consts: tuple[tuple[str, str], ...] = ()  # folded inputs: argument -> printed value
    block: str = ""  # id of the innermost block holding this node, "" for the top level
    scope: str = ""  # module path from tracing ("fc1"), or the called submodule
    source: SourceLoc | None = None
    traced: bool = False  # a submodule call whose target was traced (hybrid mode)

    def __post_init__(self) -> None:
        _check_ids(self, _NODE_ID, "id")
        _check_ids(self, _BLOCK_ID, "block")


@dataclass(frozen=True, slots=True)
class Edge:
    """A value flowing from one node to another."""

    src: str
    dst: str
    value: str
    type: str = ""
    kind: Literal["data", "block_param", "block_return"] = "data"

    def __post_init__(self) -> None:
        _check_ids(self, _NODE_ID, "src", "dst")


@dataclass(frozen=True, slots=True)
class Block:
    """A nested region: one branch of a prim::If or the body of a prim::Loop."""

    id: str  # "b0", "b1", ...
    owner: str  # id of the prim::If / prim::Loop node
    label: str  # "then", "else", "loop body"
    parent: str = ""  # enclosing block id, "" for the top level

    def __post_init__(self) -> None:
        _check_ids(self, _BLOCK_ID, "id", "parent")
        _check_ids(self, _NODE_ID, "owner")


@dataclass(frozen=True, slots=True)
class IRGraph:
    """A TorchScript graph as plain data."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    blocks: tuple[Block, ...] = ()

    def op_counts(self) -> dict[str, int]:
        """Node kind -> count, sorted by kind, graph inputs and outputs left out."""
        counts: dict[str, int] = {}
        for node in self.nodes:
            if node.kind not in ("input", "output"):
                counts[node.kind] = counts.get(node.kind, 0) + 1
        return dict(sorted(counts.items()))


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter of a constructor or of forward()."""

    name: str
    annotation: str = ""  # as written, "" when absent
    default: str | None = None  # repr of the default, None when it has none
    prefill: str = ""  # constructor: an expression tsviz uses when the user types none ("GPTConfig()")
    reads: tuple[str, ...] = ()  # constructor: the attributes __init__ reads from this parameter (config.n_embd)


@dataclass(frozen=True, slots=True)
class Entry:
    """Something in a .py file that can be converted."""

    name: str  # "model()" for the factory, a class name, or a function name
    kind: Literal["factory", "class", "function"]
    doc: str = ""
    init_params: tuple[Param, ...] = ()  # constructor parameters (classes only)
    forward_params: tuple[Param, ...] = ()  # inputs of forward() / the function
    has_example_inputs: bool = False
    is_part: bool = False  # a class another class of the file builds (a block of the model, not the model)


@dataclass(frozen=True, slots=True)
class InputSpec:
    """An input for files without example_inputs(): a random tensor of a shape and dtype, or a Python
    expression evaluated in the worker (`torch.randint(0, 100, (35, 4))`, `model.init_hidden(4)`)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    expr: str = ""  # when set, the input is this expression's value and shape/dtype are unused


@dataclass(frozen=True, slots=True)
class ConversionWarning:
    """A warning raised while converting, pinned to the user's line where possible."""

    category: str  # "TracerWarning"
    message: str
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class TracedPart:
    """A submodule hybrid mode traced because it does not compile as script, and why."""

    name: str  # dotted path; "" is the model itself
    type: str  # class name
    reason: str  # the compile error, explained
    line: int = 0  # the line that does not compile
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Submodule:
    """A named submodule of the model, for the hybrid picker."""

    name: str  # dotted path, "encoder.layers.0"
    type: str  # class name
    has_control_flow: bool = False


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A user error as data: what happened, where, and what to do."""

    type: str  # the TsvizError subclass name
    message: str
    file: str = ""
    line: int = 0
    hint: str = ""
    detail: str = ""  # tool output, e.g. TorchScript's own message with the source excerpt


EMPTY_GRAPH = IRGraph(nodes=(), edges=())


@dataclass(frozen=True, slots=True)
class InspectRequest:
    """What to inspect: a file's bytes and how to convert it."""

    filename: str  # the name the user knows the file by ("my_model.py")
    content: bytes
    mode: str = "script"
    entry: str = ""  # "" picks the file's default entry
    init_args: tuple[tuple[str, str], ...] = ()  # constructor arg -> a Python expression (evaluated in the worker)
    input_specs: tuple[InputSpec, ...] = ()  # used when the file gives no example inputs
    trace_submodules: tuple[str, ...] | None = None  # hybrid; None picks the default
    # A .pt the server holds as a job file (the archive a .py's conversion saved): handed to the worker read-only,
    # never as bytes in the job; `content` stays empty (tsviz/model/jobfiles.py).
    job_file: JobFile | None = None
    # `tsviz FILE`: the file the server was started on, read by the worker where it lies (mounted read-only into
    # its sandbox), never sent as bytes; `content` stays empty. Its size and modification time name the version.
    local_path: str = ""
    local_stamp: str = ""
    # The project around a .py: for a local file the folder the worker finds it in (set by the client, where the
    # sandbox mounts it); for an upload, a zip of the project's files (several .py, or a .zip), `filename` being
    # the model file's path inside it and `content` its bytes. Empty: the file stands alone.
    project_root: str = ""
    project: bytes = b""
    # Weights for a .py's model (a state dict, a checkpoint, a whole pickled model, safetensors), loaded into it once
    # built (tsviz/load/weights.py): an upload's bytes, or a local file's path (mounted read-only into the sandbox,
    # like local_path) with its size and modification time. Empty: the model keeps the weights it is built with.
    weights: bytes = b""
    weights_name: str = ""  # the name the user knows the weights file by ("resnet18.pth")
    weights_path: str = ""
    weights_stamp: str = ""
    weights_file: JobFile | None = None  # an upload the server holds (client.files.hold): handed over as a file


@dataclass(frozen=True, slots=True)
class ModuleView:
    """One submodule's own forward graph (its submodule calls as boxes) and its .code."""

    path: str  # "layer1.0", relative to the model
    type: str  # the class name, "BasicBlock"
    graph: IRGraph
    code: str
    same_as: str = ""  # the path of an earlier view of the same compiled class: its graph and code are used


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """A tensor stored in an archive: a parameter, a buffer or a constant of the code."""

    name: str  # "layer1.0.conv1.weight", or "CONSTANTS.c0"
    kind: Literal["parameter", "buffer", "constant"]
    shape: tuple[int, ...]
    dtype: str  # "float32"
    bytes: int


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    """One module of an archive's tree, read without running it."""

    path: str  # "" for the model itself
    type: str  # "BasicBlock"
    code_file: str  # the archive's code file holding its class: "__torch__/m/___torch_mangle_7.py"
    methods: tuple[str, ...]  # schemas: "forward(Tensor x) -> Tensor"
    tensors: tuple[TensorInfo, ...]  # its own parameters and buffers (not its submodules')


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    """What a TorchScript archive holds, from its zip listing and the loaded module; forward is never called."""

    format_version: int  # the file's `version` record
    version_note: str  # what that version means for the installed torch
    files: tuple[tuple[str, str, int, int], ...]  # (name, what it is, size, compressed size)
    modules: tuple[ModuleInfo, ...]
    constants: tuple[TensorInfo, ...]
    extra_files: tuple[tuple[str, int, str], ...]  # (name, size, the start of its text)
    training: bool  # saved in training mode (dropout and batch norm would train)

    def tensors(self) -> list[TensorInfo]:
        return [t for m in self.modules for t in m.tensors] + list(self.constants)

    def biggest(self, count: int = 10) -> list[TensorInfo]:
        return sorted(self.tensors(), key=lambda t: (-t.bytes, t.name))[:count]

    def facts(self) -> tuple[tuple[str, str], ...]:
        """The archive in a few lines, for the overview and `inspect --json`."""
        def files(kind: str) -> list[tuple[str, str, int, int]]:
            return [f for f in self.files if f[1] == kind]
        return (
            ("archive name", self.files[0][0].split("/", 1)[0] if self.files else ""),
            ("file format version", str(self.format_version)),
            ("files in the archive", str(len(self.files))),
            ("code files", str(len(files("code")))),
            ("tensor data files", str(len(files("tensor data")))),
            ("tensor data size", f"{sum(size for _, _, size, _ in files('tensor data')) / 1e6:.2f} MB"),
            ("extra files", ", ".join(name for name, _, _ in self.extra_files) or "none"),
            ("debug info (source ranges)", "yes" if files("source ranges (debug info)") else "no"),
        )


@dataclass(frozen=True, slots=True)
class InspectResult:
    """Everything the graph page and `tsviz inspect` show."""

    filename: str
    kind: Literal["py", "pt"]
    mode: str  # the mode used; "archive" for a .pt file
    entry: str
    entries: tuple[Entry, ...]
    doc: str  # the lesson: the module's docstring
    source: str  # the user's source (for .pt: the archive's code)
    code: str = ""  # the converted module's .code
    graph: IRGraph = EMPTY_GRAPH  # module-level graph (submodule calls as boxes)
    inlined: IRGraph = EMPTY_GRAPH  # every op
    error: ErrorInfo | None = None  # set when conversion failed after the file was read
    warnings: tuple[ConversionWarning, ...] = ()
    quiet_notes: tuple[str, ...] = ()  # expected noise we do not show as a problem
    notes: tuple[str, ...] = ()  # what tsviz assumed to get this far (stand-ins, guessed inputs), in words
    submodules: tuple[Submodule, ...] = ()
    trace_submodules: tuple[str, ...] = ()  # what hybrid mode traced
    traced_parts: tuple[TracedPart, ...] = ()  # hybrid: parts traced because they do not compile, and why
    default_trace_submodules: tuple[str, ...] = ()
    input_shapes: tuple[str, ...] = ()  # the inputs used, printed
    needs_inputs: bool = False  # the entry has no example inputs: the UI offers shape fields
    suggested_inputs: tuple[InputSpec, ...] = ()
    archive: JobFile | None = None  # the converted module saved with torch.jit.save: a job file the server holds
    source_files: tuple[tuple[str, str], ...] = ()  # .pt: code files in the archive
    views: tuple[ModuleView, ...] = ()  # every submodule's own forward graph, to open from the module graph
    archive_size: int = 0  # bytes of the converted .pt (of the file given, for an archive)
    inlined_skipped: int = 0  # the inlined graph's node count when it was too large to extract (else 0)
    skipped_op_counts: tuple[tuple[str, int], ...] = ()  # and its op counts, counted without extracting it
    archive_report: ArchiveReport | None = None  # .pt uploads: files, module tree, tensors, methods
    entry_reason: str = ""  # why the default entry was chosen ("" when the request named it)
    project_files: tuple[str, ...] = ()  # the project's files the import ran, relative to its root (model first)
    # What the user's code printed to stdout during the job (import, build, conversion), set by the worker
    # (tsviz/worker/run.py `call`), never on the command line's stdout: its last 64 KB, said as cut.
    stdout: str = ""
    weights: WeightsLoad | None = None  # the request's weights file loaded into the model: what fit, what did not

    @property
    def archive_facts(self) -> tuple[tuple[str, str], ...]:
        """.pt uploads: the archive report's facts (empty for a .py)."""
        return self.archive_report.facts() if self.archive_report is not None else ()

    def inlined_op_counts(self) -> dict[str, int]:
        """Op kind -> count over the whole inlined graph, extracted or not."""
        return dict(self.skipped_op_counts) if self.inlined_skipped else self.inlined.op_counts()

    def view(self, path: str) -> ModuleView | None:
        """The submodule at `path` ("layer1.0"); "" is the whole model."""
        if not path:
            return ModuleView("", self.entry, self.graph, self.code)
        view = next((v for v in self.views if v.path == path), None)
        if view is not None and view.same_as:
            first = next(v for v in self.views if v.path == view.same_as)
            return ModuleView(path, view.type, first.graph, first.code)
        return view


# ---- trace vs script ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DiffRequest:
    """Compare eager, trace, script (and hybrid) on the model an InspectRequest describes."""

    model: InspectRequest  # its mode is ignored: every mode is converted
    hybrid: bool = False  # also convert and compare the hybrid module
    seed: int = 0  # seeds the generated random inputs


@dataclass(frozen=True, slots=True)
class Outcome:
    """One converted module on one input, measured against the eager model."""

    max_abs: float | None = None  # largest |converted - eager| over every output element
    max_rel: float | None = None  # largest |converted - eager| / |eager| (inf where eager is 0 and they differ)
    mismatch: str = ""  # structure, shape, dtype or NaN difference: the numbers above do not apply
    error: str = ""  # the converted module raised on this input

    def matches(self, atol: float, rtol: float) -> bool:
        """Every element within `atol` absolutely, or every element within `rtol` relatively."""
        if self.error or self.mismatch or self.max_abs is None:
            return False
        return self.max_abs <= atol or (self.max_rel is not None and self.max_rel <= rtol)


@dataclass(frozen=True, slots=True)
class Case:
    """One input tuple: where it came from, its shapes, and each converted module's outcome on it."""

    index: int  # 1-based, as the page and the verdict number it
    label: str  # "example_inputs()", "check_inputs() #1", "x dim 0: 2 → 5", "x negated", "random draw 1"
    origin: Literal["example", "check", "generated"]
    shapes: tuple[str, ...]  # "2x8 float32" per input
    eager_error: str = ""  # the eager model itself raised (only kept for the file's own inputs)
    outcomes: tuple[tuple[str, Outcome], ...] = ()  # mode -> outcome

    def outcome(self, mode: str) -> Outcome | None:
        return dict(self.outcomes).get(mode)


@dataclass(frozen=True, slots=True)
class Hazard:
    """Something that makes a trace unsafe, pinned to a line of the user's source."""

    kind: str  # a key of tsviz.graph.hazards.KINDS
    line: int  # 0 when no line is known
    message: str  # what happened, in one sentence
    fix: str  # what to do about it
    code: str = ""  # the source line itself
    # "wrong-output": the trace was seen differing from eager; "may-differ": the inputs did not expose it;
    # "note": true but harmless for inference (not counted as a hazard)
    severity: str = "may-differ"


@dataclass(frozen=True, slots=True)
class Conversion:
    """One mode's converted module as data, or why it could not be converted."""

    mode: str
    error: ErrorInfo | None = None
    code: str = ""
    graph: IRGraph = EMPTY_GRAPH  # the inlined graph: every op
    warnings: tuple[ConversionWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Everything the trace-vs-script page and `tsviz diff` show."""

    filename: str
    entry: str
    source: str
    seed: int
    conversions: tuple[Conversion, ...]  # trace, script, then hybrid when asked for
    cases: tuple[Case, ...]
    hazards: tuple[Hazard, ...]
    notes: tuple[str, ...] = ()  # what was assumed or not checked, in words
    timings: tuple[tuple[str, float], ...] = ()  # step -> seconds

    def conversion(self, mode: str) -> Conversion | None:
        return next((c for c in self.conversions if c.mode == mode), None)


# ---- benchmarks ------------------------------------------------------------------------------------

VARIANTS: tuple[str, ...] = ("eager", "trace", "script", "hybrid", "frozen", "optimized")


@dataclass(frozen=True, slots=True)
class BenchJob:
    """Time one variant of a model on one device, over a sweep of batch sizes (one worker job)."""

    model: InspectRequest
    variant: str  # one of VARIANTS
    device: str = "cpu"  # "cpu" or "cuda"
    batch_sizes: tuple[int, ...] = (1, 8)
    seq_lens: tuple[int, ...] = ()  # sizes for dimension 1 of every input, when the model has a sequence
    threads: int = 1  # torch threads on the CPU
    min_run_time: float = 0.5  # seconds of timed calls per measurement (blocked_autorange)
    warmup: int = 5  # untimed calls first: TorchScript's profiling executor optimises after the first ones


@dataclass(frozen=True, slots=True)
class BenchRow:
    """One measurement: a variant on a device at one batch size (and sequence length)."""

    variant: str
    device: str
    batch_size: int
    seq_len: int = 0  # 0 when the sweep does not change it
    median_s: float = 0.0
    iqr_s: float = 0.0
    runs: int = 0  # measurements taken (each the mean of number_per_run calls)
    number_per_run: int = 0
    matches_eager: bool = False
    max_abs_diff: float = 0.0
    noisy: bool = False  # IQR above 10 % of the median
    error: str = ""
    device_name: str = ""  # "CPU, 2 threads" or the GPU's name
    note: str = ""


@dataclass(frozen=True, slots=True)
class BenchResult:
    rows: tuple[BenchRow, ...]
    torch_version: str = ""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the worker's machine offers for benchmarks."""

    cpu_count: int
    cuda_devices: tuple[str, ...] = ()  # GPU names, empty without CUDA
    torch_version: str = ""


# ---- pass explorer ------------------------------------------------------------------------------

PASSES: dict[str, str] = {  # pass name -> what it does, for a person
    "inline": "inline: every submodule call and function call replaced by its body (torch._C._jit_pass_inline)",
    "constant_propagation": "constant propagation: ops whose inputs are all constants computed now "
                            "(torch._C._jit_pass_constant_propagation)",
    "dce": "dead-code elimination: nodes whose results nothing uses removed (torch._C._jit_pass_dce)",
    "freeze": "torch.jit.freeze: parameters and attributes become constants, then folded "
              "(conv + batch norm, conv + add/mul, dropout removed)",
    "optimize_for_inference": "torch.jit.optimize_for_inference: freeze, then CPU inference rewrites "
                              "(MKLDNN layouts, op fusion)",
    "profiled_run": "the graph the profiling executor actually ran, after a few calls with the example "
                    "inputs (torch.jit.last_executed_optimized_graph)",
}
DEFAULT_PASSES: tuple[str, ...] = tuple(PASSES)


@dataclass(frozen=True, slots=True)
class PassRequest:
    """Run a pipeline of TorchScript passes on the model an InspectRequest describes (in its mode)."""

    model: InspectRequest
    passes: tuple[str, ...] = DEFAULT_PASSES
    runs: int = 3  # calls before the profiling executor's graph is read


@dataclass(frozen=True, slots=True)
class PassStep:
    """The forward graph after one pass (the first step: as converted), with what the pass changed."""

    name: str  # "start" or a key of PASSES
    summary: str  # "freeze: 239 prim::GetAttr removed, 20 batch norms folded into their convs; 724 -> 75 nodes"
    op_counts: tuple[tuple[str, int], ...] = ()  # every node kind, nested blocks included
    graph: IRGraph = EMPTY_GRAPH  # empty when too large to extract (see `nodes`)
    code: str = ""
    nodes: int = 0
    seconds: float = 0.0
    error: ErrorInfo | None = None  # the pass failed: the pipeline stops here

    def counts(self) -> dict[str, int]:
        return dict(self.op_counts)


@dataclass(frozen=True, slots=True)
class PassResult:
    filename: str
    mode: str
    steps: tuple[PassStep, ...]
    notes: tuple[str, ...] = ()


# ---- torch.export migration check ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Blocker:
    """Why torch.export refused the model, in the user's terms."""

    kind: str  # "data-dependent control flow", "dynamic shapes", "unsupported Python", "not a module", "other"
    line: int  # in the user's file; 0 when torch said nowhere
    message: str
    fix: str
    attempt: str  # the rung that found it: "non-strict", "strict", "dynamic batch", "draft_export", "ts2ep"
    detail: str = ""  # torch's own message, shortened
    op: str = ""  # the op it is about, where torch names one ("prim::Loop" for TS2EPConverter)
    saved_from: str = ""  # archives: where the archive's debug info says `line` was first written


@dataclass(frozen=True, slots=True)
class ExportAttempt:
    """One rung of the migration ladder: what was run, whether it worked, how long it took, and whether the
    program it made computes what the model (or the archive) computes."""

    name: str  # "script", "trace", "load", "ts2ep", "non-strict", "strict", "dynamic batch", "draft_export", "aoti"
    ok: bool
    seconds: float
    note: str = ""  # what was run: "torch.export.export(model, inputs, strict=False)"
    skipped: str = ""  # why the rung did not run (then `ok` is False and `seconds` 0)
    outputs: str = ""  # the numerical check: "matches eager on 4 inputs (largest difference 2.4e-07)"
    outputs_ok: bool | None = None  # None: not checked

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "pass" if self.ok else "fail"


@dataclass(frozen=True, slots=True)
class MigrateRequest:
    """The migration ladder for one model: every rung that applies, AOTInductor only when asked (a compile)."""

    model: InspectRequest
    aoti: bool = False
    apply_fixes: bool = False  # rerun the dynamic-batch export with torch's own suggested fixes
    # a .pt2 the user already has (torch.export.save of this model, saved beside it): loaded and checked against
    # the model like the ladder's own programs, its own rung ("given .pt2"); empty: none given
    pt2: bytes = b""
    pt2_name: str = ""


@dataclass(frozen=True, slots=True)
class ExportResult:
    filename: str
    source: str
    attempts: tuple[ExportAttempt, ...]
    blockers: tuple[Blocker, ...]
    graph: IRGraph = EMPTY_GRAPH  # the exported program's graph (ATen ops), when an export succeeded
    code: str = ""  # and its Python code
    torchscript: IRGraph = EMPTY_GRAPH  # the same model scripted (traced when scripting fails), inlined; empty
    torchscript_mode: str = ""          # when too large to draw (see torchscript_op_counts)
    torchscript_op_counts: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = ()
    kind: str = "py"  # "pt": an archive, converted with TS2EPConverter
    converted: IRGraph = EMPTY_GRAPH  # archives: the program TS2EPConverter made from the archive
    program: JobFile | None = None  # the program (torch.export.save, a .pt2), when one was made: a job file
    program_size: int = 0
    program_from: str = ""  # the rung that made it
    suggested_fixes: str = ""  # torch's own "Suggested fixes" for a dynamic batch it had to specialise
    inputs: tuple[str, ...] = ()  # the sample inputs every rung ran on: "4x2x8 float32"

    @property
    def exported(self) -> bool:
        """A static export (or, for an archive, the conversion) worked; the rest of the ladder is advice on top."""
        return any(a.ok for a in self.attempts if a.name in ("non-strict", "strict", "ts2ep"))

    def rung(self, name: str) -> ExportAttempt | None:
        return next((a for a in self.attempts if a.name == name), None)

    def op_counts(self) -> dict[str, dict[str, int]]:
        """ATen op -> count in the exported graph and in the TorchScript graph, side by side."""
        return {name: {k: n for k, n in counts.items() if k.startswith("aten::")}
                for name, counts in (("torch.export", self.graph.op_counts()),
                                     ("torchscript", dict(self.torchscript_op_counts)))}
