"""torch.export for the migration ladder (tsviz/analysis/migrate.py): one export attempt, a failure in the user's
terms (a Blocker with the line of their source, the kind of problem and the fix the export documentation
recommends), the dynamic batch, the model's TorchScript graph, and an exported program as an IRGraph, its
torch.cond / while_loop subgraphs nested as regions the way TorchScript's prim::If / prim::Loop blocks are.
Runs inside the worker.
"""
from __future__ import annotations

import re
import time
import traceback
from typing import Any

import torch
import torch._dynamo  # noqa: F401  (1.4 s to import: the fork server does it once, not every export job)

from tsviz.analysis.convert import convert
from tsviz.analysis.ir import extract_graph
from tsviz.analysis.outputs import error_text
from tsviz.load.modelfile import ModelFile
from tsviz.model.errors import TsvizError
from tsviz.model.stages import stage
from tsviz.model.types import (
    EMPTY_GRAPH,
    Block,
    Blocker,
    Edge,
    ExportAttempt,
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
    # an op TS2EPConverter refuses has its own fix (OP_FIXES below); this is for one without a rule of its own
    "unsupported op": (
        "TS2EPConverter has no rule for this TorchScript op. If you still have the source, export it with "
        "torch.export instead; otherwise rewrite the line with plain tensor operations and save the archive again."),
    "other": "Read torch's message below; draft_export() lists every problem export finds in one run.",
}
# TS2EPConverter's refusals by op: what the op is doing that a program cannot, and the fix that fits that op alone
OP_FIXES = {
    "prim::If": (
        "a branch on a tensor's value (`if x.sum() > 0:`), which one exported graph cannot keep as Python",
        "Write the branch as torch.cond(pred, true_fn, false_fn, (x,)), both branches returning tensors of the same "
        "shapes (torch.where for an elementwise choice), or make the condition tensor-free: test a Python int or bool "
        "argument, or a shape, which the program fixes for the sample."),
    "prim::Loop": (
        "a loop whose trip count is known only at run time",
        "Unroll it: export from the source, where a loop over a fixed count or a size becomes plain code, or trace the "
        "model again (the trace unrolls the loop for the sample's size) and convert the traced archive; a loop that "
        "runs until a tensor says stop becomes torch._higher_order_ops.while_loop(cond_fn, body_fn, carried_inputs)."),
    "prim::SetAttr": (
        "forward writes a module attribute (`self.state = ...`: state kept from one call to the next), and an "
        "exported program is a function of its inputs",
        "Pass the state as an input and return its new value: forward(self, x, state) -> (out, new_state), the "
        "caller keeping it between calls (reset_states() becomes a zeros tensor the caller makes)."),
    "prim::RaiseException": (
        "a raise under a condition on a tensor's values (`if ...: raise ValueError(...)`)",
        "State the condition as torch._check(cond, lambda: 'message') (torch._check_is_size for a size): export "
        "keeps it as a runtime assertion instead of a branch."),
    "aten::warn": (
        "warnings.warn in forward, which an exported program cannot call",
        "Turn the check that warns into torch._check(cond, lambda: 'message'), or warn in the code that calls the "
        "model instead of inside forward."),
}
OTHER_OP_FIX = FIXES["unsupported op"]


def attempt_export(name: str, call: str, target: Any, inputs: tuple, options: dict, user_path: str,
                   size_lines: list[int]) -> tuple[ExportAttempt, list[Blocker], Any]:
    start = time.perf_counter()
    try:
        program = torch.export.export(target, tuple(inputs), **options)
    except Exception as e:  # every refusal is a finding, whatever torch raised
        blocker = blocker_of(e, name, user_path, size_lines)
        return (ExportAttempt(name, False, time.perf_counter() - start, call, outputs=blocked(blocker)),
                [blocker], None)
    return ExportAttempt(name, True, time.perf_counter() - start, call), [], program


def blocked(*blockers: Blocker) -> str:
    """What stopped a rung, in a few words: "blocked: data-dependent control flow at line 20"."""
    return "blocked: " + "; ".join(f"{b.kind}" + (f" at line {b.line}" if b.line else "") for b in blockers)


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
    elif "Guard failed:" in text:  # a program made for fixed sizes (TS2EPConverter's) checks them when run
        kind = "dynamic shapes"
        guard = re.search(r"Guard failed: ([^\n]+)", text)
        message = (f"the program was made for the sample's sizes and checks them ({guard.group(1).strip()}): "
                   "export from the source with a Dim for the batch, or convert a sample of the batch you need")
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


def size_lines(graph: IRGraph) -> list[int]:
    """Lines of the user's source that read a size (len, .size()), then those with a counted loop (`for t in
    range(x.shape[0])`, whose size read has no line of its own): where a dynamic size gets specialised."""

    def lines(kinds: tuple[str, ...]) -> list[int]:
        return [n.source.line for n in graph.nodes if n.kind in kinds and n.source is not None and n.source.user]

    return lines(("aten::size", "aten::len")) + lines(("prim::Loop",))


def unique(blockers: list[Blocker]) -> list[Blocker]:
    """One blocker per kind and line (non-strict and strict often find the same one)."""
    seen, kept = set(), []
    for b in blockers:
        if (b.kind, b.line) not in seen:
            seen.add((b.kind, b.line))
            kept.append(b)
    return kept


def batch_of_two(inputs: tuple) -> tuple[tuple, str]:
    """Torch specialises sizes 0 and 1, so a dynamic batch needs an example batch of at least 2."""
    tensors = [x for x in inputs if isinstance(x, torch.Tensor) and x.dim() > 0]
    if not tensors or all(x.shape[0] >= 2 for x in tensors):
        return inputs, ""
    batched = tuple(torch.cat([x, x]) if isinstance(x, torch.Tensor) and x.dim() > 0 and x.shape[0] < 2 else x
                    for x in inputs)
    return batched, ("The dynamic-batch check repeated the examples to a batch of 2: torch treats sizes 0 and 1 "
                     "as fixed.")


def dynamic_batch(inputs: tuple) -> tuple | None:
    """dynamic_shapes making dim 0 of every tensor input one shared `batch` dimension."""
    batch = torch.export.Dim("batch")
    shapes = tuple({0: batch} if isinstance(x, torch.Tensor) and x.dim() > 0 else None for x in inputs)
    return shapes if any(s is not None for s in shapes) else None


def torchscript_graph(model_file: ModelFile, target: Any,
                      inputs: tuple) -> tuple[IRGraph, str, Any, list[tuple[str, float]]]:
    """The model's inlined TorchScript graph, its mode and module: scripted, or traced when scripting fails ("" and
    None when both fail); and (mode, seconds) of each try."""
    origin = model_file.origin
    tries = []
    for mode in ("script", "trace"):
        stage("convert", f"converting {origin.name} with {mode}")
        start = time.perf_counter()
        try:
            module = convert(target, mode, inputs, origin).module
        except TsvizError:
            tries.append((mode, time.perf_counter() - start))
            continue
        tries.append((mode, time.perf_counter() - start))
        graph = module.inlined_graph if hasattr(module, "inlined_graph") else module.graph
        return extract_graph(graph, user_path=origin.path, display_name=origin.name), mode, module, tries
    return EMPTY_GRAPH, "", None, tries


def fx_graph(program: Any, user_path: str, display_name: str) -> IRGraph:
    """An exported program's graph as an IRGraph: ATen calls as `aten::op` nodes, parameters and buffers as
    attribute reads (so they fold into the nodes that use them, as TorchScript's do), and the subgraphs of
    torch.cond / while_loop as blocks of their node ("true_graph_0", "false_graph_0"), drawn as nested regions."""
    signature = program.graph_signature
    lifted = {**signature.inputs_to_parameters, **signature.inputs_to_buffers,
              **getattr(signature, "inputs_to_lifted_tensor_constants", {})}
    builder = _FxBuilder(lifted, user_path, display_name)
    builder.add(program.graph_module, "")
    return IRGraph(tuple(builder.nodes), tuple(e for e in builder.edges if e.src), tuple(builder.blocks))


class _FxBuilder:
    def __init__(self, lifted: dict[str, str], user_path: str, display_name: str) -> None:
        self.lifted, self.user_path, self.display_name = lifted, user_path, display_name
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.blocks: list[Block] = []

    def add(self, module: Any, block: str, bound: list[str] | None = None, owner: str = "") -> None:
        """The nodes of `module`'s graph into `block`; a subgraph's placeholders are `bound` to the outer node ids
        its `owner` (the cond / while_loop node) passes in, and its outputs flow back to the owner."""
        ids: dict[str, str] = {}
        placeholders = iter(bound) if bound is not None else None
        for fx in module.graph.nodes:
            out = (Value(fx.name, _type_of(fx.meta.get("val"))),)
            if fx.op == "placeholder":
                if placeholders is not None:  # a subgraph's input: the outer value it is called with
                    ids[fx.name] = next(placeholders, "")
                elif fx.name in self.lifted:
                    ids[fx.name] = self._node(Node(self._id(), "prim::GetAttr", outputs=out, block=block,
                                                   attrs=(("name", self.lifted[fx.name]),)))
                else:
                    ids[fx.name] = self._node(Node(self._id(), "input", outputs=out, block=block,
                                                   attrs=(("name", fx.name),)))
                continue
            if fx.op == "get_attr":
                continue  # a subgraph, drawn inside the node that calls it
            if fx.op == "output" and placeholders is not None:
                for ref in _refs(fx.args[0]):
                    self.edges.append(Edge(ids.get(ref.name, ""), owner, ref.name, "", "block_return"))
                continue
            node_id = self._id()
            ids[fx.name] = node_id
            subgraphs = [a for a in fx.args if isinstance(a, torch.fx.Node) and a.op == "get_attr"]
            args = fx.args[0] if fx.op == "output" else [a for a in fx.args if a not in subgraphs]
            names = [a.name for a in getattr(getattr(fx.target, "_schema", None), "arguments", ())]
            ports, consts = [], []
            for i, arg in enumerate(args):
                label = names[i] if i < len(names) and not subgraphs else ""
                refs = _refs(arg)
                for ref in refs:
                    ports.append(Port(ref.name, ids.get(ref.name, ""), label))
                    self.edges.append(Edge(ids.get(ref.name, ""), node_id, ref.name, _type_of(ref.meta.get("val"))))
                if not refs:
                    consts.append((label or f"#{i}", repr(arg)[:48]))
            kind = "output" if fx.op == "output" else _kind(fx)
            self._node(Node(node_id, kind, inputs=tuple(ports), outputs=() if fx.op == "output" else out,
                            consts=tuple(consts), block=block, scope=_scope(fx),
                            source=_source(fx, self.user_path, self.display_name)))
            # cond(pred, true_fn, false_fn, operands), while_loop(cond_fn, body_fn, carried, additional)
            operands = [ids.get(ref.name, "") for arg in args if isinstance(arg, (list, tuple)) for ref in _refs(arg)]
            for attr in subgraphs:
                inner = f"b{len(self.blocks)}"
                self.blocks.append(Block(inner, node_id, attr.target, block))
                self.add(getattr(module, attr.target), inner, operands, node_id)

    def _id(self) -> str:
        return f"n{len(self.nodes)}"

    def _node(self, node: Node) -> str:
        self.nodes.append(node)
        return node.id


def _refs(arg: Any) -> list[Any]:
    """The fx nodes an argument reads, through nested tuples and lists."""
    if isinstance(arg, torch.fx.Node):
        return [arg]
    if isinstance(arg, (list, tuple)):
        return [ref for item in arg for ref in _refs(item)]
    return []


def _scope(fx: Any) -> str:
    """The module path the node was recorded in ("up", "layers.0.attn"), from export's nn_module_stack."""
    stack = fx.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = re.sub(r"^L\['self'\]\.?", "", str(list(stack.values())[-1][0]))
    return path if re.fullmatch(r"[\w.]*", path) else ""  # not a module path (a subgraph's own frame)


def _kind(fx: Any) -> str:
    """aten.conv2d.default -> aten::conv2d; operator.getitem -> prim::getitem; torch.cond -> higher_order::cond."""
    if isinstance(fx.target, torch._ops.HigherOrderOperator):
        return f"higher_order::{fx.target.__name__}"
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
