"""The torch.export migration check: TorchScript is deprecated in favour of torch.export; would this model export?

Tries torch.export.export non-strict (Python runs as Python) and strict (TorchDynamo reads the bytecode), then,
when a static export works, once more with the batch dimension dynamic. Each failure becomes a Blocker with the
line of the user's source, the kind of problem and the fix the export documentation recommends. Where an export
works, its graph (ATen ops) is kept next to the TorchScript graph of the same model. Runs inside the worker.
"""
from __future__ import annotations

import re
import time
import traceback
from typing import Any

import torch
import torch._dynamo  # noqa: F401  (1.4 s to import: the fork server does it once, not every export job)

from tsviz.analysis.convert import convert
from tsviz.analysis.inspect_model import MAX_INLINED_NODES
from tsviz.analysis.ir import extract_graph
from tsviz.analysis.modelfile import ModelFile, source_model
from tsviz.analysis.outputs import error_text
from tsviz.model.errors import TsvizError
from tsviz.model.stages import stage
from tsviz.model.types import (
    EMPTY_GRAPH,
    Blocker,
    Edge,
    ExportAttempt,
    ExportResult,
    InspectRequest,
    IRGraph,
    Node,
    Port,
    SourceLoc,
    Value,
)

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_SPECIALIZED = re.compile(r"You marked (\w+) as dynamic but your code specialized it to be a constant \((\d+)\)")
_DTYPES = {torch.float32: "Float", torch.float64: "Double", torch.float16: "Half", torch.bfloat16: "BFloat16",
           torch.int64: "Long", torch.int32: "Int", torch.bool: "Bool", torch.uint8: "Byte", torch.int8: "Char"}

FIXES = {
    "data-dependent control flow": (
        "Export records one graph for every input, so a branch on a tensor's values must be part of the graph: "
        "write it as torch.cond(pred, true_fn, false_fn, (x,)), or torch.where for an elementwise choice; a loop "
        "whose count depends on values needs a fixed count or torch._higher_order_ops.while_loop."),
    "dynamic shapes": (
        "Keep sizes symbolic: use x.shape[0] in tensor operations rather than turning it into a Python int or "
        "len(x) that decides how much code runs. Declare the dynamic dimensions with torch.export.Dim "
        "(dynamic_shapes={'x': {0: Dim('batch')}}); where a size really is fixed, mark it Dim.STATIC, or let "
        "export decide with Dim.AUTO."),
    "unsupported Python": (
        "Strict export (TorchDynamo) could not follow this line. Rewrite it with torch operations, or export with "
        "strict=False, which runs your Python as Python and records only the tensor operations."),
    "not a module": "torch.export.export takes an nn.Module: wrap the function in a module whose forward calls it.",
    "other": "Read torch's message below; draft_export() lists every problem export finds in one run.",
}


def export_check(request: InspectRequest) -> ExportResult:
    with source_model(request, "the export check") as model_file:
        return _check(model_file, request)


def _check(model_file: ModelFile, request: InspectRequest) -> ExportResult:
    torch.manual_seed(0)
    (target, inputs, _), guessed = model_file.build_with_inputs()
    notes = list(guessed)
    origin = model_file.origin
    torchscript, ts_mode = _torchscript_graph(model_file, target, inputs)
    size_lines = _size_lines(torchscript)
    attempts, blockers, program = [], [], None
    for name, strict in (("non-strict", False), ("strict", True)):
        stage("convert", f"exporting {request.filename} with torch.export ({name})")
        attempt, found, exported = _attempt(name, f"torch.export.export(model, inputs, strict={strict})", target,
                                            inputs, dict(strict=strict), origin.path, size_lines)
        attempts.append(attempt)
        blockers += found
        program = program or exported
    if program is not None and isinstance(target, torch.nn.Module):
        stage("convert", f"exporting {request.filename} with a dynamic batch dimension")
        batched, note = _batch_of_two(inputs)
        notes += [note] if note else []
        shapes = _dynamic_batch(batched)
        if shapes is not None:
            attempt, found, _ = _attempt("dynamic batch", "torch.export.export(model, inputs, dynamic_shapes=({0: "
                                         "Dim('batch')}, ...))", target, batched, dict(dynamic_shapes=shapes),
                                         origin.path, size_lines)
            attempts.append(attempt)
            blockers += found
    return ExportResult(
        filename=request.filename, source=request.content.decode("utf-8", errors="replace"),
        attempts=tuple(attempts), blockers=tuple(_unique(blockers)),
        graph=fx_graph(program, origin.path, origin.name) if program is not None else EMPTY_GRAPH,
        code=program.graph_module.code.strip() + "\n" if program is not None else "",
        torchscript=torchscript if len(torchscript.nodes) <= MAX_INLINED_NODES else EMPTY_GRAPH,  # else counted
        torchscript_mode=ts_mode, torchscript_op_counts=tuple(torchscript.op_counts().items()), notes=tuple(notes))


def _attempt(name: str, call: str, target: Any, inputs: tuple, options: dict, user_path: str,
             size_lines: list[int]) -> tuple[ExportAttempt, list[Blocker], Any]:
    start = time.perf_counter()
    try:
        program = torch.export.export(target, tuple(inputs), **options)
    except Exception as e:  # every refusal is a finding, whatever torch raised
        return (ExportAttempt(name, False, time.perf_counter() - start, call),
                [blocker_of(e, name, user_path, size_lines)], None)
    return ExportAttempt(name, True, time.perf_counter() - start, call), [], program


def blocker_of(error: BaseException, attempt: str, user_path: str, size_lines: list[int] = ()) -> Blocker:
    """An export failure in the user's terms: kind, line, message, fix."""
    text = str(error)
    lines = [int(line) for path, line in _FRAME.findall(text) if path == user_path]
    lines = lines or [f.lineno for f in getattr(error, "real_stack", None) or () if f.filename == user_path]  # dynamo
    lines = lines or [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == user_path]
    line = lines[-1] if lines else 0
    name = type(error).__name__
    detail = "\n".join(text.strip().splitlines()[:12])[:1500]
    if name == "GuardOnDataDependentSymNode" or "data-dependent branching" in text.lower() \
            or "data-dependent" in text.lower():
        kind = "data-dependent control flow"
        message = "this line decides what runs from a tensor's values, which export cannot know ahead of time"
    elif "Constraints violated" in text:
        kind = "dynamic shapes"
        specialized = _SPECIALIZED.search(text)
        size = f" to {specialized.group(2)}" if specialized else ""
        line = line or (size_lines[0] if size_lines else 0)
        message = (f"dim 0 of the inputs (the batch, in most models), marked dynamic, was specialised{size}: the "
                   "code turns that size into a Python number" + (" (this line reads it)" if line else ""))
    elif "to be an instance of `torch.nn.Module`" in text:
        kind, message = "not a module", "the entry point is a function, and torch.export exports modules"
    elif name == "TorchRuntimeError":  # dynamo ran the op on fake tensors and it failed: a bug eager has too
        kind, message = "other", _explanation(text)
    elif type(error).__module__.startswith("torch._dynamo"):
        kind, message = "unsupported Python", _explanation(text)
    else:
        kind, message = "other", error_text(error) if isinstance(error, Exception) else text[:300]
    return Blocker(kind, line, message, FIXES[kind], attempt, detail)


def _explanation(text: str) -> str:
    """Dynamo's headline, and its explanation line when it gives one."""
    lines = [line.strip() for line in text.strip().splitlines()]
    explained = next((line.removeprefix("Explanation:").strip() for line in lines
                      if line.startswith("Explanation:")), "")
    return f"{lines[0]}: {explained}"[:400] if explained else lines[0][:300]


def _size_lines(graph: IRGraph) -> list[int]:
    """Lines of the user's source that read a size (len, .size()), then those with a counted loop (`for t in
    range(x.shape[0])`, whose size read has no line of its own): where a dynamic size gets specialised."""

    def lines(kinds: tuple[str, ...]) -> list[int]:
        return [n.source.line for n in graph.nodes if n.kind in kinds and n.source is not None and n.source.user]

    return lines(("aten::size", "aten::len")) + lines(("prim::Loop",))


def _unique(blockers: list[Blocker]) -> list[Blocker]:
    """One blocker per kind and line (non-strict and strict often find the same one)."""
    seen, kept = set(), []
    for b in blockers:
        if (b.kind, b.line) not in seen:
            seen.add((b.kind, b.line))
            kept.append(b)
    return kept


def _batch_of_two(inputs: tuple) -> tuple[tuple, str]:
    """Torch specialises sizes 0 and 1, so a dynamic batch needs an example batch of at least 2."""
    tensors = [x for x in inputs if isinstance(x, torch.Tensor) and x.dim() > 0]
    if not tensors or all(x.shape[0] >= 2 for x in tensors):
        return inputs, ""
    batched = tuple(torch.cat([x, x]) if isinstance(x, torch.Tensor) and x.dim() > 0 and x.shape[0] < 2 else x
                    for x in inputs)
    return batched, ("The dynamic-batch check repeated the examples to a batch of 2: torch treats sizes 0 and 1 "
                     "as fixed.")


def _dynamic_batch(inputs: tuple) -> tuple | None:
    """dynamic_shapes making dim 0 of every tensor input one shared `batch` dimension."""
    batch = torch.export.Dim("batch")
    shapes = tuple({0: batch} if isinstance(x, torch.Tensor) and x.dim() > 0 else None for x in inputs)
    return shapes if any(s is not None for s in shapes) else None


def _torchscript_graph(model_file: ModelFile, target: Any, inputs: tuple) -> tuple[IRGraph, str]:
    """The model's inlined TorchScript graph: scripted, or traced when scripting fails ("" when both fail)."""
    origin = model_file.origin
    for mode in ("script", "trace"):
        stage("convert", f"converting {origin.name} with {mode}")
        try:
            module = convert(target, mode, inputs, origin).module
        except TsvizError:
            continue
        graph = module.inlined_graph if hasattr(module, "inlined_graph") else module.graph
        return extract_graph(graph, user_path=origin.path, display_name=origin.name), mode
    return EMPTY_GRAPH, ""


def fx_graph(program: Any, user_path: str, display_name: str) -> IRGraph:
    """An exported program's graph as an IRGraph: ATen calls as `aten::op` nodes, parameters and buffers as
    attribute reads (so they fold into the nodes that use them, as TorchScript's do)."""
    signature = program.graph_signature
    lifted = {**signature.inputs_to_parameters, **signature.inputs_to_buffers,
              **getattr(signature, "inputs_to_lifted_tensor_constants", {})}
    ids: dict[str, str] = {}
    nodes: list[Node] = []
    edges: list[Edge] = []
    for fx in program.graph.nodes:
        node_id = f"n{len(nodes)}"
        ids[fx.name] = node_id
        out = (Value(fx.name, _type_of(fx.meta.get("val"))),)
        if fx.op == "placeholder":
            if fx.name in lifted:
                nodes.append(Node(node_id, "prim::GetAttr", outputs=out, attrs=(("name", lifted[fx.name]),)))
            else:
                nodes.append(Node(node_id, "input", outputs=out, attrs=(("name", fx.name),)))
            continue
        args = fx.args[0] if fx.op == "output" else fx.args
        names = [a.name for a in getattr(getattr(fx.target, "_schema", None), "arguments", ())]
        ports, consts = [], []
        for i, arg in enumerate(args):
            label = names[i] if i < len(names) else ""
            node_refs = [a for a in (arg if isinstance(arg, (list, tuple)) else [arg]) if isinstance(a, torch.fx.Node)]
            if node_refs:
                for ref in node_refs:
                    ports.append(Port(ref.name, ids.get(ref.name, ""), label))
                    edges.append(Edge(ids.get(ref.name, ""), node_id, ref.name, _type_of(ref.meta.get("val"))))
            else:
                consts.append((label or f"#{i}", repr(arg)[:48]))
        kind = "output" if fx.op == "output" else _kind(fx)
        nodes.append(Node(node_id, kind, inputs=tuple(ports), outputs=() if fx.op == "output" else out,
                          consts=tuple(consts), source=_source(fx, user_path, display_name)))
    return IRGraph(tuple(nodes), tuple(e for e in edges if e.src))


def _kind(fx: Any) -> str:
    """aten.conv2d.default -> aten::conv2d; operator.getitem -> prim::getitem."""
    text = str(fx.target)
    if text.startswith("aten."):
        return "aten::" + text.split(".")[1]
    return "prim::" + getattr(fx.target, "__name__", text)


def _type_of(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"{_DTYPES.get(value.dtype, str(value.dtype))}({', '.join(str(s) for s in value.shape)})"
    return type(value).__name__ if value is not None else ""


def _source(fx: Any, user_path: str, display_name: str) -> SourceLoc | None:
    lines = [int(line) for path, line in _FRAME.findall(fx.meta.get("stack_trace") or "") if path == user_path]
    return SourceLoc(display_name, lines[-1], True) if lines else None
