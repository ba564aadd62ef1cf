"""The pass explorer: run TorchScript's own passes on a converted model, one at a time, and keep the forward
graph, its .code and its op counts after each. Runs inside the worker (or the CLI).

Graph passes (inline, constant propagation, dead-code elimination) rewrite the module's forward graph in place,
so a later freeze or optimize_for_inference works on what they left, as it would in a deployment script.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import Any

import torch

from tsviz.analysis import archive
from tsviz.analysis.convert import Origin, convert
from tsviz.analysis.inspect_model import count_kinds, module_code
from tsviz.analysis.ir import extract_graph
from tsviz.analysis.outputs import error_text
from tsviz.graph.diff import pass_summary
from tsviz.load.modelfile import open_model_file, private_copy
from tsviz.model.errors import InputError
from tsviz.model.jobs import is_archive
from tsviz.model.stages import stage
from tsviz.model.types import EMPTY_GRAPH, MAX_INLINED_NODES, PASSES, ErrorInfo, PassRequest, PassResult, PassStep


def explore_passes(request: PassRequest) -> PassResult:
    """Convert (or load) the model, then apply `request.passes` in order; a failing pass ends the pipeline."""
    unknown = [p for p in request.passes if p not in PASSES]
    if unknown:
        raise InputError(f"unknown pass {unknown[0]!r}", hint=f"choose from {', '.join(PASSES)}")
    with private_copy(request.model) as path:
        origin = Origin(path=str(path), name=request.model.filename)
        module, inputs, notes = _start(request, path, origin)
        if "profiled_run" in request.passes and not torch._C._jit_can_fuse_on_cpu():
            notes += ("The profiled run is on the CPU, where this torch build cannot fuse (TorchScript's CPU fuser "
                      f"needs LLVM, which it {'has' if torch._C._llvm_enabled() else 'lacks'}, and CPU fusion is "
                      "off by default): it shows the executor's specialisations and unrolled loops, but no "
                      "fusion groups.",)
        with torch.no_grad():
            mode = "archive" if is_archive(request.model) else request.model.mode
            return PassResult(request.model.filename, mode, tuple(_pipeline(module, inputs, request, origin)), notes)


def _start(request: PassRequest, path: Any, origin: Origin) -> tuple[Any, tuple | None, tuple[str, ...]]:
    """The converted module (or the loaded archive) and the inputs for the profiled run."""
    if is_archive(request.model):
        archive.check_torchscript(archive.archive_data(request.model), request.model.filename)
        stage("load", f"loading the archive {request.model.filename}")
        module = archive.load_archive(str(path), request.model.filename)
        return module.eval(), None, ()
    model_file = open_model_file(request.model, path)
    (target, inputs, _), notes = model_file.build_with_inputs()
    stage("convert", f"converting {request.model.filename} with {request.model.mode}")
    converted = convert(target, request.model.mode, inputs, origin, **model_file.hybrid_options(target))
    return converted.module, inputs, notes


def _pipeline(module: Any, inputs: tuple | None, request: PassRequest, origin: Origin) -> list[PassStep]:
    steps = [_step("start", module.graph, module_code(module), None, 0.0, origin)]
    for name in request.passes:
        stage("run" if name == "profiled_run" else "convert", f"running the pass {name} on {origin.name}")
        skip = _not_applicable(name, module, inputs)
        if skip:  # the graph stays as it was; the passes after it still run
            steps.append(replace(steps[-1], name=name, summary=f"{name}: skipped ({skip})", seconds=0.0))
            continue
        start = time.perf_counter()
        try:
            module, graph = _apply(name, module, inputs, request.runs)
        except Exception as e:  # torch's own refusal; what it left is unknown, so the pipeline stops here
            steps.append(PassStep(name, f"{name}: failed ({error_text(e)})",
                                  error=ErrorInfo("ConversionError", f"{name} failed: {error_text(e)}", origin.name,
                                                  detail=str(e))))
            break
        seconds = time.perf_counter() - start
        code = module_code(module) if graph is module.graph else str(graph)
        steps.append(_step(name, graph, code, steps[-1], seconds, origin))
    return steps


def _not_applicable(name: str, module: Any, inputs: tuple | None) -> str:
    if name in ("freeze", "optimize_for_inference") and not isinstance(module, torch.jit.ScriptModule):
        return "it works on modules, and this entry point is a function"
    if name == "profiled_run" and inputs is None:
        return "no example inputs: a .pt archive carries none; open the model's .py file to run it"
    return ""


def _apply(name: str, module: Any, inputs: tuple | None, runs: int) -> tuple[Any, Any]:
    """(module, graph) after one pass."""
    if name == "inline":
        torch._C._jit_pass_inline(module.graph)
    elif name == "constant_propagation":
        torch._C._jit_pass_constant_propagation(module.graph)
    elif name == "dce":
        torch._C._jit_pass_dce(module.graph)
    elif name == "freeze":
        module = torch.jit.freeze(module.eval())
    elif name == "optimize_for_inference":
        module = torch.jit.optimize_for_inference(module.eval())
    elif name == "profiled_run":
        for _ in range(max(2, runs)):  # the first call profiles, the next runs the optimized graph
            module(*inputs)
        return module, torch.jit.last_executed_optimized_graph()
    return module, module.graph


def _step(name: str, graph: Any, code: str, before: PassStep | None, seconds: float, origin: Origin) -> PassStep:
    kinds: Counter[str] = Counter()
    count_kinds(graph, kinds)
    counts = dict(sorted(kinds.items()))
    nodes = sum(counts.values())
    summary = (f"as converted: {nodes} nodes" if before is None else pass_summary(name, before.counts(), counts))
    extracted = extract_graph(graph, user_path=origin.path, display_name=origin.name) if nodes <= MAX_INLINED_NODES \
        else EMPTY_GRAPH  # only counted: no layout could show it
    return PassStep(name, summary, tuple(counts.items()), extracted, code, nodes, seconds)
