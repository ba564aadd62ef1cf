"""The migration ladder off TorchScript: every rung that applies to a model, each with its verdict, its time, its
blockers (line and fix) and whether what it made computes what the model computes. Runs inside the worker.

For a .py: script (trace when script fails), torch.export non-strict and strict, the batch dimension dynamic
(with torch's own suggested fixes, and a rerun that applies them), draft_export's report, and AOTInductor.
For a .pt archive, whose source may be gone: load, TS2EPConverter (the converter torch ships for exactly this),
the batch dimension dynamic on what it made, and AOTInductor. The exported program is offered as a .pt2.
"""
from __future__ import annotations

import ast
import re
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tsviz.analysis import archive
from tsviz.analysis.convert import describe
from tsviz.analysis.diff import comparison_inputs
from tsviz.analysis.export import (
    FIXES,
    OP_FIXES,
    OTHER_OP_FIX,
    attempt_export,
    batch_of_two,
    blocked,
    blocker_of,
    dynamic_batch,
    fx_graph,
    size_lines,
    torchscript_graph,
    unique,
)
from tsviz.analysis.ir import extract_graph
from tsviz.analysis.outputs import call_safely, compare_outputs, error_text
from tsviz.analysis.state import Fresh, as_fresh, drift
from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL
from tsviz.load.guess import BATCH, IMAGE_SIDES, SEQ, SIGNAL_LENGTHS, random_tensor, tensor_from_spec
from tsviz.load.modelfile import ModelFile, private_copy, source_model
from tsviz.model import jobfiles
from tsviz.model.errors import InputError
from tsviz.model.jobfiles import JobFile
from tsviz.model.jobs import is_archive
from tsviz.model.stages import stage
from tsviz.model.types import (
    EMPTY_GRAPH,
    MAX_INLINED_NODES,
    Blocker,
    ExportAttempt,
    ExportResult,
    IRGraph,
    MigrateRequest,
)

_UNSUPPORTED = re.compile(r"^\s*\d+\. (\S+) \[(.*)\]\s*$")
_WRITTEN_AT = re.compile(r"# (.+?):(\d+):\d+\s*$")
_OP_NAMED = re.compile(r"\b(prim|aten)(?:::|\.)(\w+)")
_SUGGESTED = re.compile(r"Suggested fixes:\n((?:  .+\n?)+)")
_DRAFT_KINDS = {"DATA_DEPENDENT_ERROR": "data-dependent control flow", "CONSTRAINT_VIOLATION_ERROR": "dynamic shapes"}


def migrate(request: MigrateRequest) -> ExportResult:
    if is_archive(request.model):
        with private_copy(request.model) as path:
            return _archive_ladder(request, path)
    with source_model(request.model, "the migration ladder") as model_file:
        return _source_ladder(request, model_file)


# ---- a .py -------------------------------------------------------------------------------------------


def _source_ladder(request: MigrateRequest, model_file: ModelFile) -> ExportResult:
    torch.manual_seed(0)
    name = request.model.filename
    (target, inputs, _), guessed = model_file.build_with_inputs()
    origin = model_file.origin
    notes, rungs, blockers = list(guessed), [], []
    graph, mode, module, seconds = torchscript_graph(model_file, target, inputs)
    for tried, took in seconds:
        ok = tried == mode
        rungs.append(_checked(ExportAttempt(tried, ok, took, f"torch.jit.{tried}(model)"), target,
                              module if ok else None, inputs, "eager"))
    lines = size_lines(graph)
    program, program_from = None, ""
    for rung, strict in (("non-strict", False), ("strict", True)):
        stage("convert", f"exporting {name} with torch.export ({rung})")
        attempt, found, exported = attempt_export(rung, f"torch.export.export(model, inputs, strict={strict})",
                                                  target, inputs, dict(strict=strict), origin.path, lines)
        rungs.append(_checked(attempt, target, exported.module() if exported else None, inputs, "eager"))
        blockers += found
        if exported is not None and program is None:
            program, program_from = exported, rung
    fixes = ""
    if isinstance(target, nn.Module):
        if program is not None:
            rung, found, fixes, note = _dynamic_rung(request, target, inputs, origin.path, lines, "eager")
            rungs.append(rung)
            blockers += found
            notes += [note] if note else []
        rung, found = _draft_rung(name, target, inputs, origin.path, origin.name)
        rungs.append(rung)
        blockers += found
    rungs += _given_rung(request, target, inputs, "eager")
    rungs.append(_aoti_rung(request, program, target, inputs, "eager"))
    return _result(request, rungs, blockers, notes, program, program_from, fixes, inputs,
                   source=request.model.content.decode("utf-8", errors="replace"), torchscript=graph, mode=mode,
                   graph=fx_graph(program, origin.path, origin.name) if program is not None else EMPTY_GRAPH)


def _dynamic_rung(request: MigrateRequest, target: Any, inputs: tuple, user_path: str, lines: list[int],
                  reference: str) -> tuple[ExportAttempt, list[Blocker], str, str]:
    """The batch dimension dynamic; where torch specialises it, its own suggested fixes, applied when asked."""
    stage("convert", f"exporting {request.model.filename} with a dynamic batch dimension")
    batched, note = batch_of_two(inputs)
    shapes = dynamic_batch(batched)
    if shapes is None:
        return ExportAttempt("dynamic batch", False, 0.0, skipped="no input has a batch dimension"), [], "", note
    call = "torch.export.export(model, inputs, dynamic_shapes=({0: Dim('batch')}, ...))"
    attempt, found, exported = attempt_export("dynamic batch", call, target, batched, dict(dynamic_shapes=shapes),
                                              user_path, lines)
    fixes = suggested_fixes(found)
    if fixes and request.apply_fixes:
        from torch.export.dynamic_shapes import refine_dynamic_shapes_from_suggested_fixes

        refined = refine_dynamic_shapes_from_suggested_fixes(f"Suggested fixes:\n{fixes}", shapes)
        attempt, found, exported = attempt_export(
            "dynamic batch", f"{call}, then torch's suggested fixes: {' · '.join(fixes.split(chr(10)))}", target,
            batched, dict(dynamic_shapes=refined), user_path, lines)
        note = "The dynamic-batch export ran again with torch's own suggested fixes applied."
    return _checked(attempt, target, exported.module() if exported else None, batched, reference), found, fixes, note


def suggested_fixes(blockers: list[Blocker]) -> str:
    """torch's own "Suggested fixes" lines ("batch = 8") from a constraint violation, or ""."""
    for blocker in blockers:
        found = _SUGGESTED.search(blocker.detail + "\n")
        if found:
            return "\n".join(line.strip() for line in found.group(1).splitlines() if line.strip())
    return ""


def _draft_rung(name: str, target: Any, inputs: tuple, user_path: str,
                display_name: str) -> tuple[ExportAttempt, list[Blocker]]:
    """draft_export always returns a program; its report lists every guard and data-dependent error it met."""
    stage("convert", f"running torch.export.draft_export on {name}")
    start = time.perf_counter()
    call = "torch.export.draft_export(model, inputs)"
    try:
        report = torch.export.draft_export(target, tuple(inputs))._report
    except Exception as e:  # draft_export can still fail outright (unsupported Python, a bug eager has too)
        blocker = blocker_of(e, "draft_export", user_path)
        return ExportAttempt("draft_export", False, time.perf_counter() - start, call, outputs=blocked(blocker)), [
            blocker]
    seconds = time.perf_counter() - start
    blockers = [_draft_blocker(failure, report, user_path, display_name) for failure in report.failures]
    return ExportAttempt("draft_export", report.successful(), seconds, call,
                         outputs="no issues found" if report.successful() else
                         f"{len(blockers)} issue{'s' if len(blockers) != 1 else ''} in its report: "
                         + blocked(*blockers).removeprefix("blocked: ")), blockers


def _draft_blocker(failure: Any, report: Any, user_path: str, display_name: str) -> Blocker:
    data = failure.data if isinstance(failure.data, dict) else {}
    files = getattr(report, "str_to_filename", {}) or {}
    lines = Path(user_path).read_text(errors="replace").splitlines()
    frames = [f for f in data.get("user_stack", ()) if isinstance(f, dict) and (
        files.get(f.get("filename")) == user_path  # the report names files by number; where that fails, the
        or 0 < f.get("line", 0) <= len(lines) and lines[f["line"] - 1].strip() == str(f.get("loc", "")).strip())]
    frame = frames[-1] if frames else {}
    kind = _DRAFT_KINDS.get(failure.failure_type.name, "other")
    where = f"`{frame['loc']}` " if frame.get("loc") else ""
    expr = f" ({data['expr']}; draft_export assumed {data.get('result', '?')})" if data.get("expr") else ""
    message = f"{where}needs a value export cannot know ahead of time{expr}" if kind != "other" else \
        f"{failure.failure_type.name.lower().replace('_', ' ')}{expr}"
    return Blocker(kind, int(frame.get("line", 0)), message, FIXES[kind], "draft_export",
                   detail=str(failure)[:1500], saved_from="")


# ---- a .pt archive -----------------------------------------------------------------------------------


def _archive_ladder(request: MigrateRequest, path: Path) -> ExportResult:
    from torch._export.converter import TS2EPConverter

    name = request.model.filename
    zipped = archive.check_torchscript(archive.archive_data(request.model), name)
    code_files = archive.code_files(zipped)
    source, starts = archive.code_listing(code_files)
    stage("load", f"loading the archive {name} (torch.jit.load runs its code)")
    start = time.perf_counter()
    module = archive.load_archive(str(path), name)
    fresh = Fresh(module)  # before any call: a module that keeps state is compared from the state it was saved with
    rungs = [ExportAttempt("load", True, time.perf_counter() - start, "torch.jit.load(path)")]
    stage("convert", f"reading the graph of {name}")
    graph = extract_graph(module.inlined_graph, user_path=str(path), display_name=name, stored_code=starts)
    inputs, notes = archive_inputs(module, request)
    stage("convert", f"converting {name} with TS2EPConverter")
    start = time.perf_counter()
    call = "TS2EPConverter(archive, inputs).convert()"
    program, blockers = None, []
    try:
        converter = TS2EPConverter(module, inputs)
        explained = converter.explain(print_output=False)
        blockers = unsupported_nodes(explained, graph)
        if not blockers:
            program = converter.convert()
    except Exception as e:  # the converter's own failures are findings too: by the op they name, where they name one
        blockers = [op_blocker(e, graph) or blocker_of(e, "ts2ep", str(path))]
    rungs.append(_checked(ExportAttempt("ts2ep", program is not None, time.perf_counter() - start, call,
                                        outputs=blocked(*blockers) if blockers else ""),
                          fresh, program.module() if program is not None else None, inputs, "the archive"))
    fixes = ""
    if program is not None:
        rung, found, fixes, note = _dynamic_rung(request, program.module(), inputs, str(path), [], "the archive")
        rungs.append(rung)
        blockers += found
        notes += [note] if note else []
    rungs.append(ExportAttempt("draft_export", False, 0.0, skipped="it needs the model's Python source"))
    rungs += _given_rung(request, fresh, inputs, "the archive")
    rungs.append(_aoti_rung(request, program, fresh, inputs, "the archive"))
    converted = fx_graph(program, str(path), name) if program is not None else EMPTY_GRAPH
    return _result(request, rungs, blockers, notes, program, "ts2ep" if program is not None else "", fixes, inputs,
                   source=source, torchscript=graph, mode="archive", converted=converted, graph=converted)


def unsupported_nodes(explained: str, graph: IRGraph) -> list[Blocker]:
    """TS2EPConverter.explain()'s list as blockers: the op, its line in the code stored in the archive, and the
    line it was first written at (from the archive's debug info, where it kept some)."""
    blockers = []
    for line in explained.splitlines():
        found = _UNSUPPORTED.match(line)
        if not found:
            continue
        op, text = found.groups()
        written = _WRITTEN_AT.search(text)
        saved_from = f"{Path(written.group(1)).name} line {written.group(2)}" if written else ""
        nodes = [n for n in graph.nodes if n.kind == op and n.source is not None]
        same = [n for n in nodes if n.source.saved_from == saved_from] or nodes
        stored = same[0].source.line if same else 0
        inner = _inner_cause(graph, same[0]) if same and op == "prim::If" else ""
        reads = state_read(graph, same[0]) if same and op == "prim::If" and not inner else ""
        blockers.append(_op_blocker(inner or ("prim::SetAttr" if reads else op), stored, text, saved_from,
                                    inside=op if inner else "", reads=reads))
    return blockers


def _op_blocker(op: str, line: int, text: str, saved_from: str, inside: str = "", reads: str = "") -> Blocker:
    """The blocker for an op TS2EPConverter refuses: what the op does and the fix for that op, never another's; a
    prim::If that tests state forward writes (`reads`) is that state's blocker."""
    what, fix = OP_FIXES.get(op, ("", OTHER_OP_FIX))
    where = f" (inside the {inside} that guards it)" if inside else ""
    message = f"TS2EPConverter cannot convert {op}{where}" + (f": {what}" if what else "")
    if reads:
        message = f"TS2EPConverter cannot convert the prim::If that tests self.{reads}, state that forward writes: " \
            f"{what}"
    return Blocker("unsupported op", line, message, fix, "ts2ep", detail=text[:1500], op=op, saved_from=saved_from)


def state_read(graph: IRGraph, branch: Any) -> str:
    """The attribute a prim::If's condition reads (a few ops up: `bool(self._last_sr)`) that forward also writes
    with prim::SetAttr: the branch tests state kept between calls. "" when it tests anything else."""
    written = {dict(n.attrs).get("name") for n in graph.nodes if n.kind == "prim::SetAttr"}
    nodes = {n.id: n for n in graph.nodes}
    frontier, seen = [p.source for p in branch.inputs[:1] if p.source], set()
    for _ in range(4):
        found = []
        for node in (nodes[i] for i in frontier if i in nodes and i not in seen):
            seen.add(node.id)
            name = dict(node.attrs).get("name")
            if node.kind == "prim::GetAttr" and name in written:
                return str(name)
            found += [p.source for p in node.inputs if p.source]
        frontier = found
    return ""


def _inner_cause(graph: IRGraph, branch: Any) -> str:
    """The op inside a refused prim::If's blocks that is the reason to fix: state written (prim::SetAttr), else a
    raise (prim::RaiseException); "" when it is the branch itself."""
    blocks = {b.id for b in graph.blocks if b.owner == branch.id}
    for block in graph.blocks:  # nested blocks follow their parents
        if block.parent in blocks:
            blocks.add(block.id)
    kinds = {n.kind for n in graph.nodes if n.block in blocks}
    return next((op for op in ("prim::SetAttr", "prim::RaiseException") if op in kinds), "")


def op_blocker(error: BaseException, graph: IRGraph) -> Blocker | None:
    """A converter failure that names an op it has a fix for ("prim.RaiseException.default", "aten.warn.default",
    "failed for node prim::If"), on the line of that op in the archive's code; None for any other failure."""
    text = str(error)
    for namespace, name in _OP_NAMED.findall(text):
        op = f"{namespace}::{name}"
        if op in OP_FIXES:
            nodes = [n for n in graph.nodes if n.kind == op and n.source is not None]
            line, saved_from = (nodes[0].source.line, nodes[0].source.saved_from) if nodes else (0, "")
            inner = _inner_cause(graph, nodes[0]) if nodes and op == "prim::If" else ""
            return _op_blocker(inner or op, line, "\n".join(text.strip().splitlines()[:12]), saved_from,
                               inside=op if inner else "")
    return None


def archive_inputs(module: Any, request: MigrateRequest) -> tuple[tuple, list[str]]:
    """Sample inputs for an archive: the request's, else the sizes a traced archive recorded, else the first
    that its forward accepts among sizes read from its first parameter, then sizes its code names; arguments that
    are not tensors get values of their schema type. A module that keeps state is probed from its fresh state and
    left in it."""
    generator = torch.Generator().manual_seed(0)
    specs = request.model.input_specs
    if specs:
        values = []
        for spec in specs:
            if not spec.expr:
                values.append(tensor_from_spec(spec, generator))
                continue
            try:
                values.append(ast.literal_eval(spec.expr))
            except (ValueError, SyntaxError):
                raise InputError(f"an archive's inputs are shapes and dtypes or typed values, not expressions: "
                                 f"{spec.expr!r} is neither", file=request.model.filename,
                                 hint="e.g. 2x16, 1x3x32x32 float32, int:16000, none, [1, 2]") from None
        return tuple(values), []
    recorded = _recorded_inputs(module, generator)
    if recorded:
        return recorded, [f"Inputs: {', '.join(describe(x) for x in recorded)}, the sizes the traced archive "
                          "recorded."]
    guesses = typed_guesses(module)  # once: each candidate below gets the same values of the schema's types
    typed = "".join(f"; {why}" for _, why in guesses.values())
    fresh = Fresh(module)
    try:
        for candidate, where in _candidates(module, guesses, generator):
            _, error = call_safely(fresh.new(), candidate)
            if not error:
                return candidate, [f"Inputs: {', '.join(describe(x) for x in candidate)}, {where}"
                                   + (f" and forward's schema ({typed.removeprefix('; ')})" if typed else "")
                                   + "; give others in the sidebar (or --input)."]
    finally:
        fresh.new()  # reset_states() once more, where it has one: the probes leave no state behind
    arguments = ", ".join(f"{a.name}: {a.type}" for a in _required_arguments(module))
    raise InputError(f"could not find inputs this archive's forward({arguments}) accepts", file=request.model.filename,
                     hint="give them, one --input per argument in order (e.g. --input 1x512 --input int:16000), "
                     "or in the input fields in the sidebar")


def _recorded_inputs(module: Any, generator: torch.Generator) -> tuple:
    values = []
    for value in list(module.graph.inputs())[1:]:
        kind = value.type()
        if not isinstance(kind, torch._C.TensorType):
            return ()
        sizes, dtype = kind.sizes(), kind.dtype()
        if sizes is None or dtype is None:
            return ()
        values.append(random_tensor(tuple(sizes), dtype, generator))
    return tuple(values)


MAX_CODE_SIZES = 6  # sizes read from the archive's code, tried after those read from its first parameter


def _candidates(module: Any, guesses: dict[str, tuple[Any, str]],
                generator: torch.Generator) -> list[tuple[tuple, str]]:
    """Sizes read from the first weight, as the guess for a .py reads them from its first layer (Linear: its
    in_features; Conv: its channels and the usual image or signal sizes; ids below its rows), then the sizes the
    archive's forward code names (`num_samples = 512`), each given to every tensor argument of forward's schema (a
    cell's input and its state alike); the other arguments get their typed guesses."""
    weight = next((p for p in module.parameters() if p.dim() >= 2), None)
    named = _code_sizes(module, {v for v, _ in guesses.values() if isinstance(v, int)})
    from_weight = "guessed from the archive's first parameter"
    from_code = "a size the archive's code names ({})"
    if weight is None:
        firsts = [(torch.randn(BATCH, 16, generator=generator), from_weight)]
        firsts += [(torch.randn(BATCH, n, generator=generator), from_code.format(n)) for n in named]
    elif weight.dim() == 4:  # a batch of 2: the dynamic-batch rung needs one (torch fixes sizes 0 and 1)
        firsts = [(torch.randn(BATCH, weight.shape[1], n, n, generator=generator), from_weight) for n in IMAGE_SIDES]
        firsts += [(torch.randn(BATCH, weight.shape[1], n, n, generator=generator), from_code.format(n))
                   for n in named]
    elif weight.dim() == 3:
        firsts = [(torch.randn(BATCH, weight.shape[1], n, generator=generator), from_weight)
                  for n in SIGNAL_LENGTHS]
        firsts += [(torch.randn(BATCH, n, generator=generator), from_code.format(n)) for n in named]
        firsts += [(torch.randn(BATCH, weight.shape[1], n, generator=generator), from_code.format(n))
                   for n in named]
    else:
        firsts = [(torch.randn(BATCH, weight.shape[1], generator=generator), from_weight),
                  (torch.randn(SEQ, BATCH, weight.shape[1], generator=generator), from_weight),
                  (torch.randint(0, weight.shape[0], (BATCH, SEQ), generator=generator), from_weight)]
        firsts += [(torch.randn(BATCH, n, generator=generator), from_code.format(n)) for n in named]
    arguments = _required_arguments(module)
    return [(tuple(_value(guesses[a.name][0], first) if a.name in guesses else first.clone() for a in arguments)
             or (first,), where) for first, where in firsts]


def _code_sizes(module: Any, taken: set[int]) -> list[int]:
    """Whole numbers that forward's code names, in order, that could be a size (2 to 65536), but not the values
    already given to its int arguments (the 16000 it compares `sr` with)."""
    code = getattr(module, "code", "") or ""
    sizes = []
    for text in re.findall(r"(?<![\w.])(\d+)(?![\w.])", code):
        n = int(text)
        if 2 <= n <= 65536 and n not in taken and n not in sizes:
            sizes.append(n)
    return sizes[:MAX_CODE_SIZES]


def _required_arguments(module: Any) -> list[Any]:
    schema = module.forward.schema if hasattr(module, "forward") else module.schema
    return [a for a in schema.arguments if a.name != "self" and not a.has_default_value()]


_TENSOR = object()  # where a typed guess holds a tensor: each candidate's own tensor goes there


def typed_guesses(module: Any) -> dict[str, tuple[Any, str]]:
    """For each required non-tensor argument of forward: a value of its schema type and where it came from."""
    code = getattr(module, "code", "") or ""
    return {a.name: _typed_guess(code, a.name, a.type) for a in _required_arguments(module)
            if not isinstance(a.type, torch._C.TensorType)}


def _typed_guess(code: str, name: str, kind: Any) -> tuple[Any, str]:
    """A value of forward's schema type for a non-tensor argument, and where it came from: a number the
    archive's code compares the argument with (`sr == 16000`), else a plain one of that type; lists, tuples and
    Optional by their element types (a tensor inside one is the candidate's tensor)."""
    text = str(kind)
    if isinstance(kind, (torch._C.IntType, torch._C.FloatType)):
        word, number = rf"\b{re.escape(name)}\d*\b", r"(-?\d+(?:\.\d+)?)"  # `torch.eq(sr0, 16000)`: sr renamed
        found = re.search(rf"torch\.(?:eq|ne|lt|le|gt|ge)\({word}, {number}\)|torch\.(?:eq|ne|lt|le|gt|ge)\("
                          rf"{number}, {word}\)|{word}\s*[!=<>]=?\s*{number}", code)
        is_int = isinstance(kind, torch._C.IntType)
        if found:
            number = next(g for g in found.groups() if g)
            value = int(float(number)) if is_int else float(number)
            return value, f"{name}={value!r}, the value the archive's code compares it with"
        value = 1 if is_int else 1.0
        return value, f"{name}={value!r}, a plain {text}"
    value = _plain(kind)
    if value is _UNKNOWN:
        return _TENSOR, f"{name}: a tensor stands in for its {text}"
    shown = _value(value, torch.zeros(0)) if _holds_tensor(value) else value
    return value, f"{name}={_shown(shown)}, a plain {text}" if not isinstance(kind, torch._C.OptionalType) \
        else f"{name}=None (it is {text})"


_UNKNOWN = object()


def _plain(kind: Any) -> Any:
    """A plain value of a TorchScript type: 1, 1.0, False, "", [element], (elements...), None; _TENSOR for a
    tensor; _UNKNOWN where there is none to make."""
    if isinstance(kind, torch._C.TensorType):
        return _TENSOR
    if isinstance(kind, torch._C.OptionalType):
        return None
    if isinstance(kind, torch._C.IntType):
        return 1
    if isinstance(kind, torch._C.FloatType):
        return 1.0
    if isinstance(kind, torch._C.BoolType):
        return False
    if isinstance(kind, torch._C.StringType):
        return ""
    if isinstance(kind, torch._C.ListType):
        element = _plain(kind.getElementType())
        return _UNKNOWN if element is _UNKNOWN else [element]
    if isinstance(kind, torch._C.TupleType):
        elements = [_plain(e) for e in kind.elements()]
        return _UNKNOWN if any(e is _UNKNOWN for e in elements) else tuple(elements)
    return _UNKNOWN


def _holds_tensor(value: Any) -> bool:
    return value is _TENSOR or isinstance(value, (list, tuple)) and any(_holds_tensor(v) for v in value)


def _value(guess: Any, tensor: torch.Tensor) -> Any:
    """The guess with the candidate's tensor (a copy each time) where it holds one."""
    if guess is _TENSOR:
        return tensor.clone()
    if isinstance(guess, list):
        return [_value(v, tensor) for v in guess]
    if isinstance(guess, tuple):
        return tuple(_value(v, tensor) for v in guess)
    return guess


def _shown(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "a tensor"
    if isinstance(value, list):
        return f"[{', '.join(_shown(v) for v in value)}]"
    if isinstance(value, tuple):
        return f"({', '.join(_shown(v) for v in value)}{',' if len(value) == 1 else ''})"
    return repr(value)


# ---- shared rungs ------------------------------------------------------------------------------------


def _given_rung(request: MigrateRequest, reference: Any, inputs: tuple, what: str) -> list[ExportAttempt]:
    """The .pt2 the user gave beside the model (tsviz migrate FILE --pt2 FILE.pt2): loaded with torch.export.load
    and checked against the model on the same inputs as the ladder's own programs; none given, no rung."""
    if not request.pt2:
        return []
    name = request.pt2_name or "the given .pt2"
    call = f"torch.export.load({name!r}).module()"
    stage("load", f"loading {name} with torch.export.load")
    start = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="tsviz-given-")
    try:
        path = Path(folder) / "given.pt2"
        path.write_bytes(request.pt2)
        try:
            program = torch.export.load(str(path))
        except Exception as e:  # a .pt2 from another torch, or not one: this rung's verdict, in the user's terms
            return [ExportAttempt("given .pt2", False, time.perf_counter() - start, call,
                                  outputs=f"{name}: torch.export.load could not read it ({error_text(e)}); save it "
                                  f"again with torch.export.save on torch {torch.__version__}")]
        attempt = ExportAttempt("given .pt2", True, time.perf_counter() - start, call)
        return [_checked(attempt, reference, program.module(), inputs, what)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _aoti_rung(request: MigrateRequest, program: Any, reference: Any, inputs: tuple, what: str) -> ExportAttempt:
    """AOTInductor: compile the program to a package, load it and run it. Only when asked: it compiles C++."""
    call = "torch._inductor.aoti_compile_and_package(program)"
    compiler = shutil.which("g++") or shutil.which("c++")
    why = ("not asked: it compiles C++ (a minute or more); tick AOTInductor or pass --aoti" if not request.aoti
           else "no exported program to compile" if program is None
           else "no C++ compiler on this machine (apt-get install g++)" if compiler is None else "")
    if why:
        return ExportAttempt("aoti", False, 0.0, call, skipped=why)
    stage("benchmark", f"compiling {request.model.filename} with AOTInductor")
    start = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="tsviz-aoti-")
    try:
        package = torch._inductor.aoti_compile_and_package(program, package_path=f"{folder}/model.pt2")
        runner = torch._inductor.aoti_load_package(package)
        seconds = time.perf_counter() - start
        checked = _checked(ExportAttempt("aoti", True, seconds, call), reference, runner, inputs, what)
        if "DIFFERS" in checked.outputs:  # seen on the samples: a package run on other sizes computes nonsense
            checked = replace(checked, outputs=checked.outputs + " · an AOTInductor package checks no input sizes "
                              "unless compiled with AOTI_RUNTIME_CHECK_INPUTS=1: other sizes give wrong numbers, "
                              "not an error")
        return checked
    except Exception as e:  # a compile or load failure is this rung's verdict
        return ExportAttempt("aoti", False, time.perf_counter() - start, call, outputs=error_text(e))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _checked(attempt: ExportAttempt, reference: Any, candidate: Any, example: tuple, what: str) -> ExportAttempt:
    """The rung with its numerical check: `candidate` against `reference` on the example and generated inputs
    (other sizes, scaled values, random draws: the machinery of Trace vs script)."""
    if candidate is None:
        return attempt
    fresh = as_fresh(reference)
    kept = drift(fresh, example)  # a model that keeps state: both sides start each call from the same state
    if kept:
        reference, candidate = fresh, Fresh(candidate)
    else:
        reference = fresh.module
    matched, differ, refused, largest, problem = 0, 0, 0, 0.0, ""
    for item in comparison_inputs(reference, example, [], [], 0):
        if item.eager_error:
            continue
        got, error = call_safely(candidate, item.values)
        if error:
            refused += 1
            problem = problem or f"{item.label}: {error}"
            continue
        outcome = compare_outputs(item.eager, got)
        if outcome.matches(DEFAULT_ATOL, DEFAULT_RTOL):
            matched += 1
            largest = max(largest, outcome.max_abs or 0.0)
        else:
            differ += 1
            problem = f"{item.label}: " + (outcome.error or outcome.mismatch or f"largest difference "
                                           f"{outcome.max_abs:.2g}")
    text = f"matches {what} on {matched} input{'s' if matched != 1 else ''} (largest difference {largest:.1e})"
    if differ:
        text += f"; DIFFERS on {differ}"
    if refused:
        text += f"; refuses {refused} (other shapes: a static program takes only the example's)"
    if problem and (differ or refused):
        text += f" · e.g. {problem}"
    if kept:
        text = f"{text} · {kept}"
    return ExportAttempt(attempt.name, attempt.ok, attempt.seconds, attempt.note, outputs=text[:600],
                         outputs_ok=matched > 0 and not differ)


def _result(request: MigrateRequest, rungs: list[ExportAttempt], blockers: list[Blocker], notes: list[str],
            program: Any, program_from: str, fixes: str, inputs: tuple, *, source: str, torchscript: IRGraph,
            mode: str, graph: IRGraph, converted: IRGraph = EMPTY_GRAPH) -> ExportResult:
    saved = _saved(program) if program is not None else None
    return ExportResult(
        filename=request.model.filename, source=source, attempts=tuple(rungs), blockers=tuple(unique(blockers)),
        graph=graph, code=program.graph_module.code.strip() + "\n" if program is not None else "",
        torchscript=torchscript if len(torchscript.nodes) <= MAX_INLINED_NODES else EMPTY_GRAPH,
        torchscript_mode=mode, torchscript_op_counts=tuple(torchscript.op_counts().items()), notes=tuple(notes),
        kind="pt" if is_archive(request.model) else "py", converted=converted,
        program=saved, program_size=saved.size if saved is not None else 0, program_from=program_from,
        suggested_fixes=fixes, inputs=tuple(describe(x) for x in inputs))


def _saved(program: Any) -> JobFile:
    """The program as torch.export.save writes it, straight to a job file (tsviz/model/jobfiles.py): the answer
    carries its name, size and digest, the server the bytes."""
    return jobfiles.write("program.pt2", lambda path: torch.export.save(program, path))

