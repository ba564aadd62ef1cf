"""What makes a trace unsafe, found by reading the traced and scripted graphs side by side. No torch here.

Each finding is pinned to a line of the user's source. The scripted graph is the reference: it
keeps control flow and computes sizes at run time, so what it has at a line and the trace does
not is what the trace froze.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from tsviz.model.types import ConversionWarning, Hazard, IRGraph, Node


@dataclass(frozen=True)
class HazardKind:
    title: str
    note: str  # the teaching note: why this goes wrong, in a few sentences


KINDS: dict[str, HazardKind] = {
    "tracer_warning": HazardKind(
        "TracerWarning",
        "The tracer runs forward() once and records tensor operations. Whenever the code turns a tensor "
        "into a plain Python value (a bool for an `if`, an int from `len()` or `.item()`, a list from "
        "iterating), that value leaves the graph: the trace keeps the result it saw on the example input "
        "and warns on the line where it happened. The warning is the only signal you get; the trace "
        "still runs without error.",
    ),
    "lost_control_flow": HazardKind(
        "Control flow lost",
        "A trace has no `if` and no loop. An `if` that looks at tensor values is decided once, on the "
        "example input, and only the branch taken is recorded. A loop whose length depends on the input "
        "is unrolled: its body is copied once per iteration the example needed. Scripting compiles the "
        "Python source instead, so the scripted graph keeps prim::If and prim::Loop nodes that decide at "
        "run time. Script the part with the control flow (hybrid mode, or a helper function decorated "
        "with @torch.jit.script_if_tracing) and trace the rest.",
    ),
    "frozen_constant": HazardKind(
        "Value frozen into a constant",
        "`len(x)`, `.item()`, `int(...)` and `float(...)` return plain Python numbers, so the tracer "
        "cannot record where they came from: the number computed on the example input is written into "
        "the graph as a constant. Reading the size as `x.shape[0]` or `x.size(0)` keeps it a size query "
        "(aten::size) that follows the input; keeping a value as a tensor keeps it in the graph.",
    ),
    "device_constant": HazardKind(
        "Device baked in",
        "Tensors created inside forward() with `device=x.device` are placed right in eager mode, but the "
        "tracer records the example input's device as a constant. A model traced on the CPU keeps "
        "creating those tensors on the CPU when it later runs on a GPU. Trace on the device you will run "
        "on (one trace per device), or script that code: the script reads the device from the input.",
    ),
    "training_mode": HazardKind(
        "Training mode frozen",
        "Dropout and batch norm behave differently in training and in evaluation. A trace records the "
        "mode the model was in: traced in training mode, dropout stays on and batch norm keeps using "
        "batch statistics in every later call; traced in eval mode, calling .train() on the traced "
        "module changes nothing. Call model.eval() before tracing an inference model. A scripted module "
        "reads `self.training` at run time and follows .train() / .eval().",
    ),
    "inplace_input": HazardKind(
        "In-place change of an input",
        "An in-place op (`add_`, `x[...] = ...`, `copy_`) on an input changes the caller's tensor. While "
        "tracing, the example input itself is changed, so what the tracer records (and any check run on "
        "the same tensors afterwards) sees modified values, and every call of the traced module changes "
        "its argument again. Work on a copy (`x = x.clone()`) or use the out-of-place op.",
    ),
}

_CONTROL = ("prim::If", "prim::Loop")
# Script ops that turn a tensor or a size into a Python number; a trace has no counterpart for them.
_NUMBER_OPS = {
    "aten::len": "len()",
    "aten::item": ".item()",
    "aten::Int": "int()",
    "aten::Float": "float()",
    "aten::ScalarImplicit": "a Python number",
    "aten::IntImplicit": "a Python int",
    "aten::FloatImplicit": "a Python float",
    "aten::numel": ".numel()",
}
# What a trace records when a size stays live (x.shape[0], x.size(0)).
_TRACE_SIZE_OPS = {"aten::size", "aten::numel", "prim::NumToTensor", "aten::len", "aten::Int", "aten::item"}
_MODE_OPS = {"aten::dropout": "dropout", "aten::feature_dropout": "dropout", "aten::alpha_dropout": "dropout",
             "aten::feature_alpha_dropout": "dropout", "aten::batch_norm": "batch norm"}
_VIEW_OPS = {"aten::select", "aten::slice", "aten::view", "aten::reshape", "aten::narrow", "aten::expand",
             "aten::unsqueeze", "aten::squeeze", "aten::transpose", "aten::permute", "aten::t", "aten::detach",
             "aten::as_strided", "aten::index", "aten::flatten", "aten::diagonal"}
_WARNING_FIXES = (
    (r"Using len to get tensor shape", "use x.shape[0] (or x.size(0)) instead of len(x): the tracer records size "
                                       "queries but not Python ints"),
    (r"to a Python boolean", "script the part with this condition (hybrid mode or a @torch.jit.script_if_tracing "
                             "helper), or make it tensor-only with torch.where"),
    (r"to a Python (number|integer|float|index)", "keep the value a tensor (no .item(), int() or float() on it), "
                                                  "or script this part"),
    (r"Iterating over a tensor", "loop over range(x.shape[0]) inside a scripted part: a trace unrolls the loop "
                                 "for the example's length"),
    (r"torch\.tensor results are registered as constants", "build the tensor from other tensors (torch.stack, "
                                                            "x.new_tensor) or pass it in as an input"),
    (r"Converting a tensor to a NumPy array", "stay in torch: NumPy values are constants to the tracer"),
)
_FALLBACK_FIX = "keep every value that depends on the input a tensor, and script the parts that cannot be"


def find_hazards(trace: IRGraph | None, script: IRGraph | None, trace_warnings: tuple[ConversionWarning, ...],
                 source: str, *, returned_training: bool = False) -> tuple[Hazard, ...]:
    """Every hazard found, one per (kind, line), sorted by line. `script` None: checks that need it are skipped."""
    lines = source.splitlines()
    found: list[Hazard] = list(_tracer_warnings(trace_warnings))
    if trace is not None:
        if script is not None:
            found += _lost_control_flow(trace, script)
            found += _frozen_constants(trace, script)
        found += _device_constants(trace, script)
        found += _training_mode(trace, returned_training)
        found += _inplace_inputs(trace)
    unique: dict[tuple[str, int], Hazard] = {}
    for hazard in found:
        unique.setdefault((hazard.kind, hazard.line), hazard)
    order = list(KINDS)
    return tuple(
        _with_code(h, lines) for h in sorted(unique.values(), key=lambda h: (h.line or 10**9, order.index(h.kind)))
    )


def nodes_at_line(graph: IRGraph, line: int) -> tuple[str, ...]:
    """Ids of the nodes made by that line of the user's source."""
    return tuple(n.id for n in graph.nodes if _user_line(n) == line) if line else ()


def _with_code(hazard: Hazard, lines: list[str]) -> Hazard:
    if 0 < hazard.line <= len(lines):
        return replace(hazard, code=lines[hazard.line - 1].strip())
    return hazard


SEVERITIES = ("wrong-output", "may-differ", "note")
SEVERITY_TITLES = {"wrong-output": "Wrong output", "may-differ": "May differ", "note": "Note"}


def ranked(hazards: tuple[Hazard, ...], trace_differs: bool) -> tuple[Hazard, ...]:
    """Hazards with their severity settled, worst first: when the trace was seen differing from eager, every
    counted hazard is a candidate cause, so "may-differ" becomes "wrong-output"."""
    settled = [replace(h, severity="wrong-output") if trace_differs and h.severity == "may-differ" else h
               for h in hazards]
    return tuple(sorted(settled, key=lambda h: SEVERITIES.index(h.severity)))


def counted(hazards: tuple[Hazard, ...]) -> tuple[Hazard, ...]:
    """The hazards that count: notes are left out."""
    return tuple(h for h in hazards if h.severity != "note")


@dataclass(frozen=True)
class NoteGroup:
    title: str  # "Batch norm frozen in eval mode"
    lines: tuple[int, ...]
    message: str
    fix: str

    @property
    def detail(self) -> str:
        """The message after its title, as a sentence."""
        rest = self.message.split(": ", 1)[-1]
        return rest[:1].upper() + rest[1:]

    def summary(self) -> str:
        places = f"{len(self.lines)} place{'s' if len(self.lines) != 1 else ''}"
        shown = ", ".join(str(n) for n in self.lines[:8]) + (", ..." if len(self.lines) > 8 else "")
        return f"{self.title}: {places} (line{'s' if len(self.lines) != 1 else ''} {shown})"


def grouped_notes(hazards: tuple[Hazard, ...]) -> list[NoteGroup]:
    """Notes grouped by what they say: "Batch norm frozen in eval mode: 20 places"."""
    groups: dict[str, list[Hazard]] = {}
    for h in hazards:
        if h.severity == "note":
            groups.setdefault(h.message, []).append(h)
    return [NoteGroup(message.split(":", 1)[0], tuple(sorted({h.line for h in group})), message, group[0].fix)
            for message, group in groups.items()]


def _user_line(node: Node) -> int:
    return node.source.line if node.source is not None and node.source.user else 0


def _tracer_warnings(warnings: tuple[ConversionWarning, ...]) -> list[Hazard]:
    hazards = []
    for warning in warnings:
        if warning.category != "TracerWarning":
            continue
        first_sentence = re.split(r"(?<=\.)\s", warning.message.strip(), maxsplit=1)[0]
        fix = next((text for pattern, text in _WARNING_FIXES if re.search(pattern, warning.message)), _FALLBACK_FIX)
        hazards.append(Hazard("tracer_warning", warning.line, first_sentence, fix))
    return hazards


def _lost_control_flow(trace: IRGraph, script: IRGraph) -> list[Hazard]:
    traced_control = {_user_line(n) for n in trace.nodes if n.kind in _CONTROL}
    by_id = {n.id: n for n in script.nodes}
    hazards = []
    for node in script.nodes:
        line = _user_line(node)
        if node.kind not in _CONTROL or not line or line in traced_control:
            continue
        if not _depends_on_input(node, by_id):
            continue  # decided by attributes or constants: the same for every input, so a trace is right
        if node.kind == "prim::If":
            hazards.append(Hazard(
                "lost_control_flow", line,
                f"This `if` depends on the input's values, but the trace decided it once on the example input"
                f"{_branch_kept(node, script, trace)} and has no prim::If.",
                "script the part with this `if` (hybrid mode, or a @torch.jit.script_if_tracing helper), "
                "or make it tensor-only with torch.where",
            ))
        else:
            copies = _unrolled_copies(node, script, trace)
            hazards.append(Hazard(
                "lost_control_flow", line,
                "This loop's trip count comes from the input, but the trace unrolled it"
                + (f" into {copies} copies of its body (the example's length)" if copies else "")
                + " and has no prim::Loop.",
                "script the loop (hybrid mode, or a @torch.jit.script_if_tracing helper), or vectorise it",
            ))
    return hazards


def _depends_on_input(node: Node, by_id: dict[str, Node]) -> bool:
    """True when a graph input (not `self`) reaches the node's inputs."""
    seen: set[str] = set()
    stack = [p.source for p in node.inputs]
    while stack:
        current = stack.pop()
        if not current or current in seen or current not in by_id:
            continue
        seen.add(current)
        producer = by_id[current]
        if producer.kind == "input":
            return True
        stack += [p.source for p in producer.inputs]
    return False


def _block_lines(graph: IRGraph, owner: str) -> list[set[int]]:
    """The user lines inside each block of an If / Loop node, nested blocks included."""
    result = []
    for block in (b for b in graph.blocks if b.owner == owner):
        inside = {block.id}
        for nested in graph.blocks:  # blocks are numbered outer first, so one pass finds every level
            if nested.parent in inside:
                inside.add(nested.id)
        result.append({_user_line(n) for n in graph.nodes if n.block in inside} - {0})
    return result


def _branch_kept(node: Node, script: IRGraph, trace: IRGraph) -> str:
    """" (it kept the then branch, line 21)" when the trace shows which branch it recorded, else ""."""
    blocks = [b.id for b in script.blocks if b.owner == node.id]
    if len(blocks) != 2:
        return ""
    lines = _block_lines(script, node.id)
    kinds = [{n.kind for n in script.nodes if n.block == b} - {"prim::Constant"} for b in blocks]
    traced_lines = {_user_line(n) for n in trace.nodes} - {0}
    traced_kinds = {n.kind for n in trace.nodes}
    only = [(lines[i] - lines[1 - i], kinds[i] - kinds[1 - i]) for i in (0, 1)]
    seen = [bool(own_lines & traced_lines or own_kinds & traced_kinds) for own_lines, own_kinds in only]
    # a branch was taken if the trace has what only it does, or if the other branch's own ops are all missing
    taken = [seen[i] or (not seen[1 - i] and any(only[1 - i])) for i in (0, 1)]
    if taken.count(True) != 1:
        return ""
    kept = taken.index(True)
    shown = sorted(lines[kept] & traced_lines)
    return f" (it kept the {('then', 'else')[kept]} branch" + (f", line {shown[0]})" if shown else ")")


def _unrolled_copies(node: Node, script: IRGraph, trace: IRGraph) -> int:
    """How many times the trace repeats the loop body: the most repeated (op, line) pair of the body."""
    body = _block_lines(script, node.id)
    lines = body[0] if body else set()
    in_script = Counter((n.kind, _user_line(n)) for n in script.nodes if _user_line(n) in lines and n.block)
    in_trace = Counter((n.kind, _user_line(n)) for n in trace.nodes if _user_line(n) in lines)
    ratios = [in_trace[key] // count for key, count in in_script.items() if in_trace[key]]
    return max(ratios, default=0)


def _frozen_constants(trace: IRGraph, script: IRGraph) -> list[Hazard]:
    traced_size_lines = {_user_line(n) for n in trace.nodes if n.kind in _TRACE_SIZE_OPS}
    script_by_id = {n.id: n for n in script.nodes}
    branch_blocks = {b.id for b in script.blocks if script_by_id.get(b.owner, Node("", "")).kind == "prim::If"}
    hazards = []
    for node in script.nodes:
        line = _user_line(node)
        what = _NUMBER_OPS.get(node.kind)
        if not what or not line or line in traced_size_lines or node.block in branch_blocks:
            continue
        if not _depends_on_input(node, script_by_id):
            continue
        used = _constant_used_instead(node, script, trace)
        hazards.append(Hazard(
            "frozen_constant", line,
            f"The script computes {what} here at run time; the trace holds the example's value as a constant"
            + (f" ({used})" if used else "") + ".",
            "use x.shape[0] / x.size(0) instead of len(x)" if node.kind == "aten::len"
            else "keep the value a tensor (no .item(), int() or float() on it), or script this part",
        ))
    return hazards


def _constant_used_instead(node: Node, script: IRGraph, trace: IRGraph) -> str:
    """Where the trace uses a number instead: a numeric constant on a line that uses the script's value."""
    consumers = {e.dst for e in script.edges if e.src == node.id}
    use_lines = {_user_line(n) for n in script.nodes if n.id in consumers} - {0}
    for const in trace.nodes:
        if const.kind != "prim::Constant" or not const.outputs:
            continue
        value = dict(const.attrs).get("value", "")
        wrapped_number = re.fullmatch(r"\w+\(\)", const.outputs[0].type)  # "Long()": a Python number the tracer saw
        if _user_line(const) in use_lines and wrapped_number:
            return f"{value.strip('[]')} at line {_user_line(const)}"
    return ""


def _device_constants(trace: IRGraph, script: IRGraph | None) -> list[Hazard]:
    def device_lines(graph: IRGraph) -> dict[int, str]:
        users = _consumer_lines(graph)
        found: dict[int, str] = {}
        for node in graph.nodes:
            if node.kind == "prim::Constant" and node.outputs and node.outputs[0].type == "Device":
                for line in {_user_line(node)} | users.get(node.id, set()):
                    if line:
                        found.setdefault(line, dict(node.attrs).get("value", "?"))
        return found

    in_script = device_lines(script) if script is not None else {}
    return [
        Hazard("device_constant", line,
               f"The trace stores the device {device!r} as a constant here: given an input on another device, it "
               f"still creates this tensor on {device!r}.",
               "trace on the device you will run on (one trace per device), or script this part: the script reads "
               "the device from the input")
        for line, device in sorted(device_lines(trace).items()) if line not in in_script
    ]


def _consumer_lines(graph: IRGraph) -> dict[str, set[int]]:
    lines = {n.id: _user_line(n) for n in graph.nodes}
    users: dict[str, set[int]] = {}
    for edge in graph.edges:
        users.setdefault(edge.src, set()).add(lines.get(edge.dst, 0))
    return users


def _training_mode(trace: IRGraph, returned_training: bool) -> list[Hazard]:
    hazards = []
    for node in trace.nodes:
        what = _MODE_OPS.get(node.kind)
        if not what or not _user_line(node):
            continue
        if returned_training:
            message = (f"The entry returns the model in training mode; tsviz called .eval() before converting. Traced "
                       f"as returned, this {what} would stay in training behaviour in every call.")
            fix = "call .eval() on the model before tracing it (and return it that way from model())"
            severity = "may-differ"
        else:
            message = (f"{what.capitalize()} frozen in eval mode: right for inference, but .train() on the traced "
                       "module will not turn it back on (the scripted module follows .train()).")
            fix = "nothing for inference; for training, trace a separate copy in training mode or script the module"
            severity = "note"
        hazards.append(Hazard("training_mode", _user_line(node), message, fix, severity=severity))
    return hazards


def _inplace_inputs(trace: IRGraph) -> list[Hazard]:
    by_id = {n.id: n for n in trace.nodes}
    hazards = []
    for node in trace.nodes:
        op = node.kind
        if not (op.startswith("aten::") and op.endswith("_") and not op.endswith("__")) or not node.inputs:
            continue
        name = _input_behind_views(node.inputs[0].source, by_id)
        if name and _user_line(node):
            hazards.append(Hazard(
                "inplace_input", _user_line(node),
                f"{op} changes the input `{name}` in place: the caller's tensor is modified by every call.",
                f"work on a copy ({name} = {name}.clone()) or use the out-of-place op "
                f"({op.removeprefix('aten::')[:-1]})",
            ))
    return hazards


def _input_behind_views(node_id: str, by_id: dict[str, Node]) -> str:
    """The graph input's name when `node_id` is that input or a view of it."""
    while node_id in by_id:
        node = by_id[node_id]
        if node.kind == "input":
            return dict(node.attrs).get("name", "input")
        if node.kind not in _VIEW_OPS or not node.inputs:
            return ""
        node_id = node.inputs[0].source
    return ""
