"""trace / script / hybrid -> a compiled TorchScript module, with warnings captured as data."""
from __future__ import annotations

import ast
import copy
import inspect
import os
import re
import traceback
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tsviz.analysis.outputs import call_safely, compare_outputs
from tsviz.analysis.script_advice import Failure, advise
from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL
from tsviz.load.follow import unpacked_names
from tsviz.load.importer import project_frame, user_line
from tsviz.load.modelfile import Origin
from tsviz.model.errors import EntryError, InputError, ScriptError, TraceError
from tsviz.model.types import ConversionWarning, Outcome, TracedPart

_QUIET_CATEGORIES = (DeprecationWarning, FutureWarning, PendingDeprecationWarning)
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')


@dataclass
class Converted:
    """A compiled module plus what happened on the way."""

    module: Any  # torch.jit.ScriptModule or ScriptFunction
    warnings: list[ConversionWarning] = field(default_factory=list)
    quiet_notes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the conversion changed to succeed, for the user
    traced: tuple[str, ...] = ()  # submodules traced in hybrid mode
    traced_parts: tuple[TracedPart, ...] = ()  # those traced because they do not compile (auto-hybrid)


def convert(target: Any, mode: str, inputs: tuple | None, origin: Origin, *, trace_submodules: tuple[str, ...] = (),
            auto_hybrid: bool = False, check_inputs: list[tuple] | None = None) -> Converted:
    """Convert `target` (nn.Module or function) in `mode`; errors name the user's line. With `auto_hybrid`
    (the picks are tsviz's default, not the user's), hybrid mode that fails to script falls back to tracing
    exactly the parts that do not compile."""
    with capture_warnings(origin) as result:
        if mode == "script":
            result.module = script(target, origin)
        elif mode == "trace":
            result.module = trace(target, require_inputs(inputs, mode, origin), origin, check_inputs, result)
        elif mode == "hybrid":
            inputs = require_inputs(inputs, mode, origin)
            try:
                result.module, result.traced = hybrid(target, inputs, trace_submodules, origin, result.notes)
            except (ScriptError, TraceError):
                if not auto_hybrid:
                    raise
            if result.module is None:  # outside the except: the failed attempt's frames (and its copy) are gone
                result.module, result.traced_parts = script_bottom_up(target, inputs, origin, result)
                result.traced = tuple(part.name for part in result.traced_parts)
        else:
            raise InputError(f"unknown mode {mode!r}", hint="use trace, script or hybrid")
    return result


def require_inputs(inputs: tuple | None, mode: str, origin: Origin) -> tuple:
    if inputs is None:
        raise InputError(
            f"{mode} mode runs the model, so it needs example inputs, and the file gives none for this entry",
            file=origin.name,
            hint="give input shapes (e.g. 2x16 float32) in the sidebar or with --input, add an example_inputs() "
                 "function to the file, or use script mode, which needs no inputs",
        )
    return inputs


def script(target: Any, origin: Origin) -> Any:
    try:
        return try_script(target)
    except UndefinedDefault as e:
        raise e.error(origin) from e
    except Exception as e:  # TorchScript reports compile errors as several exception types
        raise script_error(e, origin, target) from e


def try_script(target: Any) -> Any:
    """torch.jit.script. A failed compile leaves its half-made class types in torch's store, so the next
    attempt at the same class (hybrid after script, auto-hybrid's bottom-up pass) would only report "Can't
    redefine method"; a fresh store after each failure lets every attempt report its real error. A module that
    compiles but cannot be saved (UndefinedDefault) fails here too, so hybrid traces it."""
    try:
        scripted = torch.jit.script(target)
    except Exception:
        torch.jit._recursive.concrete_type_store = torch.jit._recursive.ConcreteTypeStore()
        raise
    _check_defaults(scripted, target)
    return scripted


class UndefinedDefault(RuntimeError):
    """A forward() argument that defaults to None with no type (`targets=None`): TorchScript takes it for a Tensor
    whose default is an undefined tensor, compiles it, and then cannot save or print the module ("strides() called
    on an undefined Tensor")."""

    def __init__(self, function: Any, owner: str, argument: str):
        super().__init__(f"{owner} takes `{argument}=None` with no type, so TorchScript takes it for a Tensor whose "
                         "default is undefined: the module compiles but cannot be saved or printed")
        self.function, self.argument = function, argument

    def error(self, origin: Origin) -> ScriptError:
        try:
            line = inspect.getsourcelines(self.function)[1] if inspect.getsourcefile(self.function) == origin.path \
                else 0
        except (OSError, TypeError):
            line = 0
        return ScriptError(str(self), file=origin.name, line=line,
                           hint=f"annotate it: `{self.argument}: Optional[torch.Tensor] = None` (from typing import "
                                "Optional); hybrid mode traces it instead")


def _check_defaults(scripted: Any, target: Any) -> None:
    """Raise UndefinedDefault for the first compiled forward() with a None default of type Tensor."""
    for path, sub in scripted.named_modules() if hasattr(scripted, "named_modules") else ():
        if not hasattr(sub, "_c") or not sub._c._has_method("forward"):
            continue
        schema = getattr(sub.forward, "schema", None)  # a traced part's forward may be a plain function
        for arg in schema.arguments if schema is not None else ():
            if arg.has_default_value() and arg.default_value is None and str(arg.type) == "Tensor":
                python = target.get_submodule(path) if isinstance(target, nn.Module) else target
                owner = f"{type(python).__name__}.forward()" + (f" (submodule {path})" if path else "")
                raise UndefinedDefault(type(python).forward, owner, arg.name)


def script_error(error: Exception, origin: Origin, model: Any = None) -> ScriptError:
    """TorchScript's own message, with the user's file named, its line picked out, and (for the common
    failures of real code) what it means and the fix for that line; torch's full text is the detail."""
    reason, line, fix, detail = explain_script_error(error, origin, model)
    return ScriptError(f"TorchScript cannot compile {'this line' if line else 'this'}: {reason}", file=origin.name,
                       line=line, hint=fix, detail=detail)


def explain_script_error(error: Exception, origin: Origin, model: Any = None) -> tuple[str, int, str, str]:
    """(what cannot compile, in words; the user's line or 0; the fix; torch's full text with the file named)."""
    text = str(error).replace(origin.path, origin.name)
    line = next((int(number) for path, number in _FILE_LINE.findall(str(error)) if path == origin.path), 0)
    source, elsewhere = _read(origin.path), ""
    inside = origin.root.rstrip("/") + "/" if origin.root else ""
    other = next(((path, int(number)) for path, number in _FILE_LINE.findall(str(error))
                  if inside and path.startswith(inside) and path != origin.path), None) if not line else None
    if other is not None:  # the cause is in another file of the project (a layer of the package's own)
        source, line, elsewhere = _read(other[0]), other[1], other[0][len(inside):]
        text = text.replace(other[0], elsewhere)
    called = _call_into_library(str(error), source) if not line and other is None else None
    if called is not None:
        line = called[0]
    advice = advise(Failure(text, source, line))
    if called is not None:
        reason = advice.message if advice is not None else next(
            (ln.strip().rstrip(":") for ln in text.splitlines() if ln.strip()), type(error).__name__)
        return (f"it calls {called[1]}, whose own code TorchScript cannot compile ({called[2]}: {reason})", line,
                "keep that call out of the compiled code: move it into a method of the module marked "
                "@torch.jit.unused, which TorchScript leaves as a stub that raises if the compiled model calls it",
                text.strip())
    if advice is None:  # torch's own words: its complaint, not a schema it lists (`forward(...) -> (Tensor)`)
        said = [ln.strip() for ln in text.splitlines() if ln.strip()]
        headline = next((ln for ln in said if ln.startswith("Expected a value of type")), None) or next(
            (ln for ln in said if not _SCHEMA_LINE.match(ln)), type(error).__name__)
        reason, fix = headline.rstrip(":"), ("rewrite that line in the TorchScript subset, mark the method "
                                             "@torch.jit.ignore, or let hybrid mode trace the module that holds it")
    else:
        line = advice.line or line  # where the cause is, when torch points elsewhere (a lambda made earlier)
        reason, fix = advice.message + _instance_types(model, source, line), advice.fix
    if elsewhere:  # the line is not in the model file: name the file and its line in the words themselves
        return f"{elsewhere} line {line}: {reason}", 0, fix, text.strip()
    return reason, line, fix, text.strip()


def _call_into_library(error: str, source: str) -> tuple[int, str, str] | None:
    """(the user's line, the function, where in it) when TorchScript's error points only into an installed
    library (torch/nn/parallel/data_parallel.py line 285) at a function that the user's file calls by name
    (`nn.parallel.data_parallel(self.main, input, ...)`)."""
    found = _FILE_LINE.findall(error)
    if not found:
        return None
    path, number = found[-1][0], int(found[-1][1])
    try:
        tree, user = ast.parse(_read(path)), ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    holders = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
               and n.lineno <= number <= (n.end_lineno or n.lineno)]
    if not holders:
        return None
    name = min(holders, key=lambda n: (n.end_lineno or n.lineno) - n.lineno).name
    calls = sorted((n for n in ast.walk(user) if isinstance(n, ast.Call) and name in (
        getattr(n.func, "attr", None), getattr(n.func, "id", None))), key=lambda n: n.lineno)
    if not calls:
        return None
    return calls[0].lineno, ast.unparse(calls[0].func), f"{os.path.basename(path)} line {number}"


def _type_name(value: Any) -> str:
    return "None" if value is None else f"{'an' if type(value).__name__[0] in 'aeiou' else 'a'} {type(value).__name__}"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _instance_types(model: Any, source: str, line: int) -> str:
    """' (self.upsample is an int in deconv1 and None in deconv2 ...)' when the attribute on the failing line has
    different types in different instances of its class: each instance is compiled with its own types."""
    if not isinstance(model, nn.Module) or not line:
        return ""
    failure = Failure("", source, line)
    holder = failure.class_name()
    for attr in failure.self_attributes():
        seen = {name or "the model": _type_name(getattr(m, attr, None)) for name, m in model.named_modules()
                if type(m).__name__ == holder and attr in vars(m)}
        if len(set(seen.values())) > 1:
            where = " and ".join(f"{kind} in {name}" for name, kind in list(seen.items())[:4])
            return (f" (self.{attr} is {where}: TorchScript compiles each instance with its own attribute types, "
                    "so one instance can fail where another compiles)")
    return ""


def trace(target: Any, inputs: tuple, origin: Origin, check_inputs: list[tuple] | None, result: Converted) -> Any:
    traced = trace_tensors(target, inputs, origin, result)
    if check_inputs:
        _check_trace(target, traced, check_inputs, origin, result)
    return traced


def _check_trace(target: Any, traced: Any, check_inputs: list[tuple], origin: Origin, result: Converted) -> None:
    """Run the trace and the model on the file's check_inputs(); a divergence is one finding, not an error."""
    for number, inputs in enumerate(check_inputs, 1):
        eager, error = call_safely(target, inputs)
        if error:
            continue  # the model itself fails on this input: nothing to hold the trace to
        got, error = call_safely(traced, inputs)
        outcome = Outcome(error=error) if error else compare_outputs(eager, got)
        if outcome.matches(DEFAULT_ATOL, DEFAULT_RTOL):
            continue
        what = outcome.error or outcome.mismatch or (
            f"outputs differ from the eager model (greatest absolute difference {outcome.max_abs:.3g})")
        result.warnings.append(ConversionWarning(
            "TraceCheck", f"the trace does not reproduce the model on check_inputs() #{number}: {what}",
            origin.name, 0))
        return


def trace_error(error: Exception, origin: Origin, module: Any = None, root: Any = None,
                inputs: tuple | None = None) -> TraceError:
    """torch.jit.trace's failure with the user's line; where the cause is a lambda or closure stored on `module`
    that reaches a layer outside it (a part of `root`, or of no module at all), that cause, its line and its fix."""
    line = user_line(error, origin.path)
    message = str(error).replace(origin.path, origin.name).strip().splitlines()
    first = message[0] if message else ""
    if "requires grad as a constant" in first:
        reached = outside_reach(module, origin, root)
        if reached is not None:
            return TraceError(f"tracing failed: {reached.cause}", file=origin.name, line=reached.line,
                              hint=reached.fix, detail=first)
        message = message[:1]  # the rest is the tensor, printed in full
    file, called_from, kind = origin.name, "", type(error).__name__
    other, at = project_frame(error, origin.root) if origin.root else ("", 0)
    if other and Path(origin.root, other) != Path(origin.path):  # deeper, in another file of the project
        file, line, called_from = other, at, f" (called from {origin.name} line {line})" if line else ""
    hint = next((hint for key, hint in _TRACE_HINTS if key in first), "")
    if first.startswith(_INTERPRETER):  # a part compiled on the way failed as it ran: its own error, its line
        kind, first, file, line = _interpreter_failure(message, origin, kind, file, line)
        called_from, hint = "", hint or _INTERPRETER_HINT
    return TraceError(f"tracing failed: {kind}: {first}{called_from}", file=file, line=line,
                      hint=hint or _inputs_hint(root or module, inputs), detail="\n".join(message))


_SCHEMA_LINE = re.compile(r"^[\w.]+\(.*\)\s*->\s*.*$")  # `forward(__torch__.X self, Tensor x) -> (Tensor):`
_INTERPRETER = "The following operation failed in the TorchScript interpreter"
_INTERPRETER_HINT = ("the line fails inside a part compiled on the way, run on the inputs that part received: a size "
                     "or value its trace froze (a TracerWarning names it) is the usual cause; give inputs of the "
                     "real size, or make that part script (hybrid mode's picks)")
_FRAME = re.compile(r"^(.+?)\((\d+)\): [\w<>]+$")
_SCRIPT_FRAME = re.compile(r'^\s*File "(.+?)", line (\d+), in [\w<>]+$')
_RAISED = re.compile(r"^(\w+(?:Error|Exception)): (.+)$")


def _interpreter_failure(message: list[str], origin: Origin, kind: str, file: str,
                         line: int) -> tuple[str, str, str, int]:
    """TorchScript's "operation failed in the interpreter": the error it ends with, and the innermost line of the
    user's project in its traceback (listed innermost first), else what was known."""
    raised = next((m for m in map(_RAISED.match, reversed(message)) if m), None)
    root = origin.root.rstrip("/") + "/" if origin.root else "\0"
    # compiled source: `File "PATH", line N, in NAME`, outermost first; traced: `PATH(N): NAME`, innermost first
    frames = [*reversed([m for m in map(_SCRIPT_FRAME.match, message) if m]),
              *filter(None, map(_FRAME.match, message))]
    for found in frames:
        path = found[1]
        if path == origin.name or path.startswith(root):
            file, line = path.removeprefix(root), int(found[2])
            break
    return (raised[1], raised[2], file, line) if raised else (kind, message[0], file, line)


def _inputs_hint(model: Any, inputs: tuple | None) -> str:
    """What to do when the model does not run on its inputs: the inputs it was given, by forward()'s names, and
    where to give the real ones."""
    if not inputs:
        return "check the example inputs' shapes and dtypes against what forward() expects"
    try:
        names = [p for p in inspect.signature(model.forward if isinstance(model, nn.Module) else model).parameters]
    except (TypeError, ValueError):
        names = []
    given = ", ".join(f"{names[i] if i < len(names) else f'input {i}'} {describe(x)}" for i, x in enumerate(inputs))
    for name in names:
        if unpacked := unpacked_names(model, name):
            return (f"the model did not run on the inputs it was given ({given}): forward() unpacks `{name}` into "
                    f"{len(unpacked)} values ({', '.join(unpacked)}), so give it one tuple of them, e.g. --input "
                    f"'(torch.randint(0, 10, (2, 8)), torch.full((2,), 8), ...)' or the same in the sidebar")
    return (f"the model did not run on the inputs it was given ({given}): type the shapes forward() expects with "
            "--input, one per argument in its order, or in the sidebar's input fields")


def describe(value: Any) -> str:
    """A value as the page lists inputs: `2x3x32x32 float32`, else its type's name."""
    if isinstance(value, torch.Tensor):
        return f"{'x'.join(map(str, value.shape)) or 'scalar'} {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, (bool, int, float)) or isinstance(value, str) and len(value) <= 40:
        return f"{type(value).__name__} {value!r}"  # a value forward() takes as it is: `int 16000`
    if isinstance(value, (tuple, list)) and len(value) <= 16:  # a batch tuple: what it holds
        inner = ", ".join(describe(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
    return type(value).__name__


_TRACE_HINTS = (  # what a trace error's first line says -> what to do about it
    ("must be bool, not Tensor", "the model runs on these inputs, but under tracing a size read from a tensor's "
                                 ".shape is a Tensor, so a test made of it (`n_ctx > 1`) is a Tensor where torch "
                                 "wants a bool: wrap that test in bool(...) on this line (the trace keeps the value "
                                 "it had), or let hybrid mode script the module that holds it"),
    ("'Tensor' object has no attribute 'astype'", "the model runs on these inputs, but under tracing a size read "
                                                  "from a tensor's .shape is a Tensor, and NumPy (`np.log(L)`) hands "
                                                  "it back as one: make the size a Python number first (`int(L)`, "
                                                  "which the trace keeps as it was) or use math (`math.log`), or let "
                                                  "hybrid mode script the module that holds it"),
    ("Only tensors", "a trace records tensors only: return a tensor (or a tuple, list or dict of them), "
                     "or use script mode, which can return other types"),
    ("didn't return any values", "forward() must return its result: a trace keeps only what flows to the output"),
    ("not compiled with CUDA", "this line asks for CUDA (a GPU), which this machine does not have: make it follow "
                               "its input's device (`torch.arange(0, n, device=x.device)`, `.to(x.device)` for "
                               "`.cuda()`, a torch.Tensor for `torch.cuda.LongTensor`), or open the model where "
                               "there is a GPU"),
    ("requires grad as a constant", "a function the module calls reaches a layer that is not its own (a lambda or "
                                    "a closure, or a layer kept in a global): trace the module that owns that layer, "
                                    "or register the layer as a submodule"),
)


@dataclass(frozen=True)
class Reach:
    """A lambda or nested function kept on a module that calls a layer outside that module."""

    cause: str  # in words, with where the function is defined
    line: int  # the line that defines the function
    fix: str


def outside_reach(module: Any, origin: Origin, root: Any = None) -> Reach | None:
    """The first function of the user's file stored on `module` or one of its submodules (an attribute, or an item
    of a list attribute) whose closure holds a layer or tensor that `module` does not own. A trace of `module`
    alone would have to copy that layer's weights in as constants, which torch refuses."""
    if not isinstance(module, nn.Module):
        return None
    owned = {id(m) for m in module.modules()} | {id(t) for t in (*module.parameters(), *module.buffers())}
    for path, sub in module.named_modules():
        for attr, value in vars(sub).items():
            for function in value if isinstance(value, (list, tuple)) else (value,):
                if not isinstance(function, types.FunctionType) or function.__code__.co_filename != origin.path:
                    continue
                for captured in _closure_values(function):
                    if isinstance(captured, (nn.Module, torch.Tensor)) and not _owns(owned, captured):
                        return _reach(function, f"self.{attr}" + (f" of {path}" if path else ""), captured, root)
    return None


def _owns(owned: set[int], captured: nn.Module | torch.Tensor) -> bool:
    """`captured` is one of the traced module's own (a module of the copy hybrid traces counts by its weights,
    which it shares with the model the lambda was made in)."""
    if id(captured) in owned:
        return True
    weights = [*captured.parameters(), *captured.buffers()] if isinstance(captured, nn.Module) else []
    return bool(weights) and all(id(t) in owned for t in weights)


def _closure_values(function: types.FunctionType) -> list[Any]:
    values = []
    for cell in function.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # a cell not filled yet
            continue
    return values


def _reach(function: types.FunctionType, holder: str, captured: Any, root: Any) -> Reach:
    line = function.__code__.co_firstlineno
    what = "a lambda" if function.__name__ == "<lambda>" else (
        f"{function.__name__}(), a function defined inside {function.__qualname__.split('.<locals>')[0]}()")
    paths = {id(m): name for name, m in root.named_modules()} if isinstance(root, nn.Module) else {}
    if id(captured) not in paths:
        return Reach(f"{holder} is {what} (line {line}) that calls a {type(captured).__name__} which is not a "
                     "submodule of the model, so a trace would have to copy its weights in as constants",
                     line, f"register it as a submodule in __init__ (self.layer = nn.{type(captured).__name__}(...)) "
                           "and call it through self")
    called = next((n for n in function.__code__.co_names if isinstance(getattr(captured, n, None), nn.Module)), "")
    owner = ".".join(n for n in (paths[id(captured)], called) if n)
    layer = f"the model's {owner}" if owner else f"the model itself ({type(captured).__name__})"
    return Reach(f"{holder} is {what} (line {line}) that calls {layer}, a layer outside the module being traced, so "
                 "that module cannot be traced alone",
                 line, "trace the module that owns that layer (hybrid mode goes one level up by itself), or pass "
                       "the layer itself to the submodule, which then owns it")


def hybrid(model: Any, inputs: tuple, names: tuple[str, ...], origin: Origin,
           notes: list[str] | None = None) -> tuple[Any, tuple[str, ...]]:
    """Trace the picked submodules with the inputs they really receive, then script the whole. A pick that cannot
    be traced alone (a lambda of it reaches a layer of its parent) is traced as its nearest parent that can, one
    level up at a time, with a note in `notes`."""
    if not isinstance(model, nn.Module):
        raise EntryError("hybrid mode needs an nn.Module; this entry is a function", file=origin.name,
                         hint="use trace or script mode for functions")
    names = _outermost(names, model, origin)
    parents = tuple(dict.fromkeys(p for n in names for p in _parents(n) if p not in names))
    recorded = record_submodule_inputs(model, inputs, (*names, *parents), origin, require_all=False)
    missing = [n for n in names if n not in recorded]
    if missing:
        raise InputError(f"submodule(s) {', '.join(missing)} never ran on the example inputs, so they cannot be traced",
                         file=origin.name, hint="pick submodules that forward() calls")
    hybrid_model = shared_copy(model)
    traced: list[str] = []
    for name in names:
        if any(name.startswith(t + ".") for t in traced):
            continue  # a parent traced in another pick's place holds it
        try:
            _swap_in_trace(hybrid_model, name, recorded[name], origin, model)
            traced.append(name)
            continue
        except TraceError as e:
            error = e
        parent = next((p for p in _parents(name) if p in recorded and _traces(hybrid_model, p, recorded, origin,
                                                                               model)), None)
        if parent is None:
            raise error
        traced = [t for t in traced if not t.startswith(parent + ".")] + [parent]
        if notes is not None:
            why = error.message.removeprefix(f"tracing submodule {name!r} failed: ")
            notes.append(f"{name} cannot be traced alone ({why}), so tsviz traced {parent}, which holds it, in its "
                         "place.")
    recorded.clear()
    return script(hybrid_model, origin), tuple(traced)


def _parents(name: str) -> list[str]:
    """"blocks.0.attn" -> ["blocks.0", "blocks"]: nearest first (the model itself is not a part to trace)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def _traces(model: nn.Module, name: str, recorded: dict[str, tuple], origin: Origin, root: nn.Module) -> bool:
    try:
        _swap_in_trace(model, name, recorded[name], origin, root)
        return True
    except TraceError:
        return False


def shared_copy(model: nn.Module) -> nn.Module:
    """A copy of the module tree to swap traces into, holding the very same parameters, buffers and tensors as
    `model` (a deep copy of a 124M-parameter GPT would be another 500 MB; trace and script never write to them)."""
    memo: dict[int, Any] = {}
    for module in model.modules():
        for value in vars(module).values():
            if isinstance(value, torch.Tensor):
                memo[id(value)] = value
        for tensors in (module._parameters, module._buffers):
            memo.update((id(t), t) for t in tensors.values() if t is not None)
    return copy.deepcopy(model, memo)


def _swap_in_trace(model: nn.Module, name: str, inputs: tuple, origin: Origin, root: nn.Module) -> None:
    """Replace submodule `name` of `model` with its trace on `inputs` (the inputs it received in eager)."""
    submodule = model.get_submodule(name)
    try:
        with torch.no_grad():  # no autograd graph of the trace's run is kept
            traced = torch.jit.trace(submodule, inputs, check_trace=False)
    except Exception as e:
        error = trace_error(e, origin, submodule, root)
        error.message = f"tracing submodule {name!r} " + error.message.removeprefix("tracing ")
        raise error from e
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, attr, traced)


def _torch_layer(module: nn.Module) -> bool:
    """One of torch's own layers (they compile), not a container of the user's modules."""
    return type(module).__module__.startswith("torch.") and not isinstance(
        module, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


def script_bottom_up(model: Any, inputs: tuple, origin: Origin,
                     result: Converted) -> tuple[Any, tuple[TracedPart, ...]]:
    """Auto-hybrid: script every submodule from the leaves up; trace the smallest ones that do not compile
    (with the inputs they received in one eager run), and script the rest around them. A part that does not
    compile and cannot be traced alone either (it never ran, or it calls a layer outside itself through a
    lambda) is left for its parent, which is traced in its place: one level up, as far as the model itself,
    which is traced only when it comes to that. Runs after hybrid() failed, so `model` is an nn.Module."""
    recorded = record_submodule_inputs(model, inputs, tuple(n for n, m in model.named_modules()
                                                            if n and not _torch_layer(m)), origin, require_all=False)
    work = shared_copy(model)
    failed: dict[tuple, tuple[str, int, str, str]] = {}  # by class and attribute types: what TorchScript compiles once
    parts: dict[str, TracedPart] = {}
    alone: dict[str, TracedPart] = {}  # parts that do not compile and cannot be traced alone, with why

    def visit(name: str, module: nn.Module) -> None:
        if _torch_layer(module):
            return  # torch's own layers compile
        for child_name, child in list(module.named_children()):
            visit(f"{name}.{child_name}" if name else child_name, child)
        kind = (type(module), tuple((k, type(v)) for k, v in vars(module).items() if not k.startswith("_")))
        if kind not in failed:
            try:
                try_script(module)
                return
            except Exception as e:
                failed[kind] = explain_script_error(e, origin, model)
        part = _held(name, type(module).__name__, alone) or TracedPart(name, type(module).__name__, *failed[kind][:3])
        for inner in [n for n in (*parts, *alone) if n.startswith(name + ".") or not name]:
            parts.pop(inner, None)  # the trace of `name` holds them
            alone.pop(inner, None)
        if not name:
            parts[name] = part
            return
        why = "it never ran on the example inputs" if name not in recorded else ""
        if not why:
            try:
                _swap_in_trace(work, name, recorded.pop(name), origin, model)
            except TraceError as e:
                why = e.message.removeprefix(f"tracing submodule {name!r} failed: ")
        if why:
            alone[name] = replace(part, reason=f"{part.reason}; and {name} cannot be traced alone: {why}")
        else:
            parts[name] = part

    visit("", work)
    recorded.clear()  # the recorded inputs are not needed past this point
    if "" in parts:  # the model's own forward() does not compile: the whole is a trace
        try:
            return trace_tensors(work, inputs, origin, result), tuple(parts.values())
        except TraceError as e:
            cause = parts[""]
            e.message += f" (it was traced because it does not compile: {cause.reason})"
            raise
    return script(work, origin), tuple(parts.values())


def _held(name: str, type_name: str, alone: dict[str, TracedPart]) -> TracedPart | None:
    """The part traced in place of a submodule of `name` that could not be traced alone: `name`, with that
    submodule's cause, its line and its fix (the reason this part does not compile is the submodule)."""
    inner = next((p for n, p in alone.items() if n.startswith(name + ".") or not name), None)
    if inner is None:
        return None
    return TracedPart(name, type_name, f"{inner.name} ({inner.type}) does not compile: {inner.reason}", inner.line,
                      inner.fix)


def trace_tensors(module: Any, inputs: tuple, origin: Origin, result: Converted) -> Any:
    """torch.jit.trace, without autograd (no graph of the run is kept, so a large model's activations are freed
    as it goes); for a model whose forward() returns None among its outputs (`return logits, loss` with loss None),
    the trace of the same model keeping the tensors, and a note saying what was left out."""
    try:
        with torch.no_grad():
            return torch.jit.trace(module, inputs, check_trace=False)
    except Exception as e:
        error = e
    with torch.no_grad():
        eager, failed = call_safely(module, inputs)
    nones = [i for i, v in enumerate(eager) if v is None] if isinstance(eager, (tuple, list)) and not failed else []
    if not nones or "Only tensors" not in str(error) or not isinstance(module, nn.Module):
        raise trace_error(error, origin, module, module, inputs) from error
    cls = type(module)

    def forward(self: nn.Module, *args: Any) -> Any:
        return tuple(v for v in cls.forward(self, *args) if v is not None)

    shown = copy.copy(module)
    shown.__class__ = type(cls.__name__, (cls,), {"forward": forward, "__module__": cls.__module__})
    try:
        with torch.no_grad():
            traced = torch.jit.trace(shown, inputs, check_trace=False)
    except Exception as e:
        raise trace_error(e, origin, module, module, inputs) from e
    result.notes.append(
        f"forward() returns None as output {', '.join(str(i) for i in nones)} of {len(eager)} on these inputs; a "
        "trace records tensors only, so the traced module returns the other outputs alone.")
    return traced


def _outermost(names: tuple[str, ...], model: nn.Module, origin: Origin) -> tuple[str, ...]:
    """Validate names and drop any nested inside another picked one (the outer trace covers it)."""
    known = {name for name, _ in model.named_modules() if name}
    for name in names:
        if name not in known:
            raise InputError(f"the model has no submodule {name!r}", file=origin.name,
                             hint=f"pick from: {', '.join(sorted(known)[:12])}")
    names = tuple(n for n in names if not any(n.startswith(other + ".") for other in names))
    return tuple(inner for name in names for inner in _runnable(model, name))


def _runnable(model: nn.Module, name: str) -> tuple[str, ...]:
    """`name`, or for a ModuleList or ModuleDict (a container that never runs: forward() indexes it) the modules
    inside it, which are what tracing it means."""
    module = model.get_submodule(name)
    if not isinstance(module, (nn.ModuleList, nn.ModuleDict)):
        return (name,)
    return tuple(inner for child in module._modules for inner in _runnable(model, f"{name}.{child}"))


def record_submodule_inputs(model: nn.Module, inputs: tuple, names: tuple[str, ...], origin: Origin,
                            require_all: bool = True) -> dict[str, tuple]:
    """One eager run of the whole model, without autograd, with forward pre-hooks recording each picked
    submodule's first inputs (copied: a later in-place op of the model must not change what was recorded)."""
    recorded: dict[str, tuple] = {}

    def hook_for(name: str):
        def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
            if name not in recorded:
                args = _as_positional(module, args, kwargs)
                recorded[name] = tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args)

        return hook

    handles = [model.get_submodule(name).register_forward_pre_hook(hook_for(name), with_kwargs=True)
               for name in names]
    try:
        with torch.no_grad():
            model(*inputs)  # the output is dropped at once
    except Exception as e:
        raise trace_error(e, origin, model, model, inputs) from e
    finally:
        for handle in handles:
            handle.remove()
    missing = [n for n in names if n not in recorded]
    if missing and require_all:
        raise InputError(f"submodule(s) {', '.join(missing)} never ran on the example inputs, so they cannot be traced",
                         file=origin.name, hint="pick submodules that forward() calls")
    return recorded


def _as_positional(module: nn.Module, args: tuple, kwargs: dict) -> tuple:
    """A call's arguments in forward()'s order (`self.block1(x, scale_shift=ss)` -> (x, ss)), so a trace of the
    submodule takes them all (torch.jit.trace takes positional inputs); the positional ones alone when a keyword
    cannot be placed (a skipped argument between, *args, **kwargs)."""
    if not kwargs:
        return args
    try:
        signature = inspect.signature(module.forward)
        given = signature.bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return args
    placed, left = [], set(given)
    for parameter in signature.parameters.values():
        if not left:
            break
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD) or \
                parameter.name not in given:
            return args
        placed.append(given[parameter.name])
        left.discard(parameter.name)
    return args if left else tuple(placed)


@contextmanager
def capture_warnings(origin: Origin) -> Iterator[Converted]:
    """Collect warnings as data, each pinned to the innermost line of the user's file on the stack."""
    result = Converted(module=None)
    seen: set[tuple] = set()
    quiet = 0

    def record(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001 (showwarning's signature)
        nonlocal quiet
        if issubclass(category, _QUIET_CATEGORIES):
            quiet += 1
            return
        for frame in reversed(traceback.extract_stack()):
            if frame.filename == origin.path:
                filename, lineno = frame.filename, frame.lineno
                break
        shown = origin.name if filename == origin.path else filename.split("site-packages/", 1)[-1]
        key = (category.__name__, str(message), shown, lineno)
        if key not in seen:
            seen.add(key)
            result.warnings.append(ConversionWarning(category.__name__, str(message), shown, int(lineno or 0)))

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record
        yield result
    if quiet:
        result.quiet_notes.append(
            f"{quiet} deprecation warning(s) hidden: TorchScript is deprecated in current PyTorch "
            "(torch.compile / torch.export are its successors), but it still works and is what this tool explores."
        )
