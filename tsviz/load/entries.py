"""A .py file -> its entry points (factory, nn.Module classes, functions), built targets and example inputs."""
from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

import torch
from torch import nn

from tsviz.load import calls, standins
from tsviz.load.expressions import evaluate, namespace
from tsviz.load.guess import guess_inputs, value_from_spec
from tsviz.load.importer import LoadedSource, user_line
from tsviz.model.errors import EntryError, InputError
from tsviz.model.types import Entry, InputSpec, Param, Submodule

FACTORY = "model"
CONVENTION_NAMES = ("model", "example_inputs", "check_inputs", "TRACE_SUBMODULES")


def find_entries(source: LoadedSource) -> tuple[Entry, ...]:
    """The factory (if any), then nn.Module classes, then functions, in the order of the file."""
    module = source.module
    entries: list[Entry] = []
    parts = _classes_built_by_others(source.tree)
    if callable(getattr(module, FACTORY, None)):
        entries.append(Entry(name=f"{FACTORY}()", kind="factory", doc=_doc(module.model)))
    for name, obj in vars(module).items():
        if name.startswith("_") or name in CONVENTION_NAMES or getattr(obj, "__module__", None) != module.__name__:
            continue
        if isinstance(obj, type) and issubclass(obj, nn.Module):
            entries.append(Entry(name=name, kind="class", doc=_doc(obj), init_params=init_params(obj, module),
                                 forward_params=_params(obj.forward), is_part=name in parts))
        elif inspect.isfunction(obj):
            entries.append(Entry(name=name, kind="function", doc=_doc(obj), forward_params=_params(obj)))
    if not entries:
        raise EntryError(
            "found nothing to convert: no model() factory, no nn.Module subclass and no function",
            file=source.display_name, hint="define a model() function returning your nn.Module, or the class itself",
        )
    return tuple(entries)


def default_entry(entries: tuple[Entry, ...]) -> Entry:
    """The factory if there is one, else the first whole model (a class no other class builds) that needs no
    constructor arguments typed, else the first such block, else the first whole model, else the first entry."""
    def buildable(entry: Entry) -> bool:
        return all(p.default is not None or p.prefill or p.name.startswith("*") for p in entry.init_params)

    classes = [e for e in entries if e.kind == "class"]
    choices = ([e for e in entries if e.kind == "factory"] + [e for e in classes if not e.is_part and buildable(e)]
               + [e for e in classes if buildable(e)] + [e for e in classes if not e.is_part])
    return choices[0] if choices else entries[0]


def _classes_built_by_others(tree: ast.Module) -> set[str]:
    """Names of the file's classes that another class of the file calls (builds) in its body."""
    built: set[str] = set()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id != cls.name:
                built.add(node.func.id)
    return built


def build_target(source: LoadedSource, entry: Entry, init_args: dict[str, str]) -> Any:
    """The nn.Module (as the entry returns it: the caller puts it in eval mode) or function to convert."""
    module = source.module
    try:
        if entry.kind == "factory":
            target = module.model()
        elif entry.kind == "class":
            target = getattr(module, entry.name)(**_init_kwargs(entry, init_args, source))
        else:
            return getattr(module, entry.name)
    except (InputError, EntryError):
        raise
    except standins.MissingPackage as e:
        raise EntryError(f"building {entry.name} failed: {e}", file=source.display_name, line=e.line,
                         hint=f"install {e.package}, or change the model so it does not need it") from e
    except Exception as e:
        raise EntryError(
            f"building {entry.name} raised {type(e).__name__}: {e}", file=source.display_name,
            line=user_line(e, source.path), hint="check the constructor arguments",
        ) from e
    if not isinstance(target, nn.Module) and not callable(target):
        raise EntryError(f"{entry.name} returned {type(target).__name__}, not an nn.Module or a function",
                         file=source.display_name)
    return target


def _init_kwargs(entry: Entry, init_args: dict[str, str], source: LoadedSource) -> dict[str, Any]:
    """Constructor arguments: what the user typed, else tsviz's prefill; parameters with defaults keep them."""
    kwargs: dict[str, Any] = {}
    missing = []
    names = namespace(source.module)
    for param in entry.init_params:
        text = init_args.get(param.name, "").strip() or param.prefill
        if text:
            kwargs[param.name] = evaluate(text, names, f"constructor argument {param.name}", source.display_name)
        elif param.default is None and not param.name.startswith("*"):
            missing.append(param)
    if missing:
        reads = "; ".join(f"{p.name} is read as {', '.join(f'{p.name}.{a}' for a in p.reads)}"
                          for p in missing if p.reads)
        raise InputError(
            f"{entry.name} needs constructor argument(s) {', '.join(p.name for p in missing)}"
            + (f" ({reads})" if reads else ""), file=source.display_name,
            hint="fill them in the sidebar (or --init NAME=EXPR on the command line): any Python expression, "
                 "e.g. 32, 'LSTM' or SimpleNamespace(width=64)",
        )
    return kwargs


def example_inputs(source: LoadedSource, entry: Entry, target: Any, specs: tuple[InputSpec, ...],
                   seed: int = 0) -> tuple | None:
    """Inputs to trace with: the user's inputs if given, else the file's example_inputs() when it fits."""
    if specs:
        generator = torch.Generator().manual_seed(seed)
        names = namespace(source.module, model=target)
        return tuple(value_from_spec(spec, generator, names, source.display_name) for spec in specs)
    provider = getattr(source.module, "example_inputs", None)
    if not callable(provider):
        return None
    try:
        inputs = provider()
    except Exception as e:
        raise InputError(f"example_inputs() raised {type(e).__name__}: {e}", file=source.display_name,
                         line=user_line(e, source.path)) from e
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    if entry.kind != "factory" and len(inputs) != required_input_count(entry, target):
        return None  # example_inputs() was written for another entry of this file
    return inputs


def check_inputs(source: LoadedSource) -> list[tuple] | None:
    """The file's optional check_inputs(): more input tuples to check a trace against."""
    provider = getattr(source.module, "check_inputs", None)
    if not callable(provider):
        return None
    return [item if isinstance(item, tuple) else (item,) for item in provider()]


def resized(x: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    """`x` grown or cut along `dim` to `size`, repeating its own values (so only the shape changes)."""
    if x.shape[dim] == 0:
        return x.new_zeros(*[size if d == dim else s for d, s in enumerate(x.shape)])
    repeats = [1] * x.dim()
    repeats[dim] = -(-size // x.shape[dim])
    return x.repeat(*repeats).narrow(dim, 0, size).clone()


def suggest_inputs(source: LoadedSource, entry: Entry, target: Any, run: bool = True) -> tuple[InputSpec, ...]:
    """Inputs to offer when neither the request nor the file's example_inputs() gives any: what the file's own
    code passes to the model (file_call_inputs), then the guesses at forward()'s inputs (tsviz.load.guess); with
    `run`, the first of them that the model runs on, else the first; the user edits it."""
    found = file_call_inputs(source, entry, target, record=run)
    guesses = ([found.specs] if found is not None else []) + guess_inputs(target, list(forward_params(entry, target)))
    if not run or len(guesses) == 1 or not isinstance(target, nn.Module):
        return guesses[0]
    for specs in guesses:
        try:
            with torch.no_grad():
                target(*example_inputs(source, entry, target, specs))
            return specs
        except Exception:  # the model's own error on a wrong guess: try the next one
            continue
    return guesses[0]


def file_call_inputs(source: LoadedSource, entry: Entry, target: Any, record: bool = True) -> calls.FileInputs | None:
    """What the file's own code (test(), main(), its __main__ block, a docstring example) passes to the entry, and
    where (tsviz.load.calls); `record` lets it run that code up to the call when the sizes are computed there."""
    names = namespace(source.module, model=target)
    return calls.file_inputs(source, entry, target, forward_params(entry, target), names, record)


def required_input_count(entry: Entry, target: Any) -> int:
    return sum(1 for p in forward_params(entry, target) if p.default is None and not p.name.startswith("*"))


def input_names(entry: Entry, target: Any) -> list[str]:
    """The names of forward()'s (or the function's) positional inputs, in order."""
    return [p.name for p in forward_params(entry, target) if not p.name.startswith("*")]


def forward_params(entry: Entry, target: Any) -> tuple[Param, ...]:
    if entry.kind == "factory":
        return _params(target.forward if isinstance(target, nn.Module) else target)
    return entry.forward_params


def list_submodules(model: Any) -> tuple[Submodule, ...]:
    """Every named submodule with its class and whether its own forward() has control flow."""
    if not isinstance(model, nn.Module):
        return ()
    return tuple(
        Submodule(name=name, type=type(sub).__name__, has_control_flow=has_control_flow(type(sub)))
        for name, sub in model.named_modules() if name
    )


def default_trace_submodules(source: LoadedSource, model: Any) -> tuple[str, ...]:
    """The file's TRACE_SUBMODULES, else direct children with no control flow anywhere inside them."""
    declared = getattr(source.module, "TRACE_SUBMODULES", None)
    if declared is not None:
        return tuple(str(name) for name in declared)
    if not isinstance(model, nn.Module):
        return ()
    picks = []
    for name, child in model.named_children():
        if _is_torch_builtin(type(child)) and not isinstance(child, (nn.Sequential, nn.ModuleList)):
            continue  # tracing a lone nn.Linear changes nothing
        if not any(has_control_flow(type(m)) for m in child.modules()):
            picks.append(name)
    return tuple(picks)


@lru_cache(maxsize=256)
def has_control_flow(cls: type) -> bool:
    """True when the class's own forward() has if/for/while (torch's built-in modules count as tensor-only)."""
    if _is_torch_builtin(cls):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls.forward)))
    except (OSError, TypeError, SyntaxError):
        return False
    return any(isinstance(n, (ast.If, ast.For, ast.While, ast.IfExp)) for n in ast.walk(tree))


def _is_torch_builtin(cls: type) -> bool:
    return cls.__module__.startswith("torch.")


def _params(fn: Callable) -> tuple[Param, ...]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return ()
    params = []
    for p in signature.parameters.values():
        if p.name == "self":
            continue
        name = {p.VAR_POSITIONAL: f"*{p.name}", p.VAR_KEYWORD: f"**{p.name}"}.get(p.kind, p.name)
        annotation = "" if p.annotation is p.empty else (
            p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", str(p.annotation)))
        default = None if p.default is p.empty else repr(p.default)
        params.append(Param(name=name, annotation=str(annotation), default=default))
    return tuple(params)


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__) if getattr(obj, "__doc__", None) else ""


def init_params(cls: type, module: ModuleType) -> tuple[Param, ...]:
    """The constructor's parameters, each required one with what can be known about it: the attributes __init__
    reads from it, and an expression to prefill (a config dataclass of the file, or its argparse parser's
    defaults) when one fits."""
    params = _params(cls.__init__)
    reads = _attributes_read(cls)
    return tuple(
        p if p.default is not None or p.name.startswith("*") else dataclasses.replace(
            p, reads=reads.get(p.name, ()), prefill=_prefill(p, reads.get(p.name, ()), module))
        for p in params)


def _attributes_read(cls: type) -> dict[str, tuple[str, ...]]:
    """{parameter: attributes read from it} in __init__: `config.n_embd` -> {"config": ("n_embd", ...)}."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    except (OSError, TypeError, SyntaxError):
        return {}
    found: dict[str, dict[str, None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id != "self":
            found.setdefault(node.value.id, {})[node.attr] = None
    return {name: tuple(attrs) for name, attrs in found.items()}


def _prefill(param: Param, reads: tuple[str, ...], module: ModuleType) -> str:
    """`Config()` for a dataclass of the file that has every field read (all fields defaulted), or
    `parser.parse_args([])` for the file's argparse parser whose options cover them; "" when nothing fits."""
    for name, obj in vars(module).items():
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)) or obj.__module__ != module.__name__:
            continue
        fields = dataclasses.fields(obj)
        defaulted = all(f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
                        for f in fields)
        named = param.annotation == name or (reads and set(reads) <= {f.name for f in fields})
        if defaulted and named:
            return f"{name}()"
    for name, obj in vars(module).items():
        if isinstance(obj, argparse.ArgumentParser) and reads:
            actions = [a for a in obj._actions if a.dest != "help"]
            if not any(a.required for a in actions) and set(reads) <= {a.dest for a in actions}:
                return f"{name}.parse_args([])"
    return ""
