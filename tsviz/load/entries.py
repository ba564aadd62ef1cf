"""A .py file -> its entry points (the convention factory, nn.Module classes, factory functions, functions) and
the one the user means: the top of its build tree; constructor parameters with what can be prefilled."""
from __future__ import annotations

import argparse
import ast
import builtins
import dataclasses
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from types import ModuleType
from typing import Any

from torch import nn

from tsviz.load.importer import (
    LoadedSource,
)
from tsviz.model.errors import EntryError
from tsviz.model.types import Entry, Param

FACTORY = "model"
CONVENTION_NAMES = ("model", "example_inputs", "check_inputs", "TRACE_SUBMODULES")


def find_entries(source: LoadedSource) -> tuple[Entry, ...]:
    """The convention factory (if any), then nn.Module classes, factory functions (nothing to type: every argument
    has a default, and they return an nn.Module) and other functions, in the order of the file."""
    module = source.module
    entries: list[Entry] = []
    definitions = {n.name: n for n in source.tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    if callable(getattr(module, FACTORY, None)):
        entries.append(Entry(name=f"{FACTORY}()", kind="factory", doc=_doc(module.model)))
    root = source.project.root if source.project else ""
    built_here = {name for name, _ in _built_by_the_file(source.tree)}  # a training script builds an imported model
    for name, obj in vars(module).items():
        if name.startswith("_") or name in CONVENTION_NAMES:
            continue
        ours = getattr(obj, "__module__", None) == module.__name__
        if not ours and not (name in built_here and isinstance(obj, type) and _of_project(obj, module, root)):
            continue
        if isinstance(obj, type) and issubclass(obj, nn.Module):
            entries.append(Entry(name=name, kind="class", doc=_doc(obj), init_params=init_params(obj, module, root),
                                 forward_params=_params(obj.forward)))
        elif inspect.isfunction(obj):
            params = _params(obj)
            if name in definitions and _is_factory(definitions[name], module, definitions, params):
                entries.append(Entry(name=name, kind="factory", doc=_doc(obj), init_params=params))
            else:
                entries.append(Entry(name=name, kind="function", doc=_doc(obj), forward_params=params))
    if not entries:
        raise EntryError(
            "found nothing to convert: no model() factory, no nn.Module subclass and no function",
            file=source.display_name, hint="define a model() function returning your nn.Module, or the class itself",
        )
    entries = [_prefilled_from_the_file(e, source) for e in entries]
    builders = {e.name for e in entries if e.kind != "function"}
    mentioned = {name: _mentions(node) - {name} for name, node in definitions.items() if name in builders}
    built = set().union(*mentioned.values()) if mentioned else set()
    return tuple(dataclasses.replace(e, is_part=e.name in built) if e.kind != "function" else e for e in entries)


def _is_factory(node: ast.FunctionDef, module: ModuleType, definitions: dict[str, ast.AST],
                params: tuple[Param, ...]) -> bool:
    """A function a user means as the model: nothing to fill in, and it returns an nn.Module of the file (or of a
    package): `def ResNet18(): return ResNet(BasicBlock, [2, 2, 2, 2])`, `model = GPT(cfg); return model`."""
    if any(p.default is None and not p.name.startswith("*") for p in params):
        return False
    assigned = {t.id: n.value for n in ast.walk(node) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    for ret in (n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None):
        value = assigned.get(ret.value.id, ret.value) if isinstance(ret.value, ast.Name) else ret.value
        if isinstance(value, ast.Call) and _builds_module(value.func, module, definitions):
            return True
    return node.returns is not None and _builds_module(node.returns, module, definitions)


def _builds_module(func: ast.expr, module: ModuleType, definitions: dict[str, ast.AST]) -> bool:
    """Whether a called name is an nn.Module class, or another factory of the file."""
    try:
        obj = eval(compile(ast.Expression(func), "<factory>", "eval"), vars(module))  # noqa: S307 (a name)
    except Exception:
        return False
    if isinstance(obj, type) and issubclass(obj, nn.Module):
        return True
    name = getattr(obj, "__name__", "")
    return (inspect.isfunction(obj) and isinstance(definitions.get(name), ast.FunctionDef)
            and _returns_call(definitions[name], module, definitions))


def _returns_call(node: ast.FunctionDef, module: ModuleType, definitions: dict[str, ast.AST]) -> bool:
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
               and n.value.func.id != node.name and isinstance(vars(module).get(n.value.func.id), type)
               and issubclass(vars(module)[n.value.func.id], nn.Module) for n in ast.walk(node))


def _mentions(node: ast.AST) -> set[str]:
    """The names a class or function uses in its body (a base class is what it is, not what it builds)."""
    body = node.body if isinstance(node, ast.ClassDef) else [node]
    return {n.id for part in body for n in ast.walk(part) if isinstance(n, ast.Name)}


def default_entry(entries: tuple[Entry, ...], source: LoadedSource) -> tuple[Entry, str]:
    """The top of the file's build tree, and why: the model() factory; else what the file's own code builds
    (`__main__`, test(), main(), a training script's top level); else a factory that no other entry builds;
    else the class no other builds with the largest tree under it. A top that needs constructor values is still
    the choice (building it says what it needs): the default is never silently a part of the model."""
    by_name = {e.name: e for e in entries}
    if f"{FACTORY}()" in by_name:
        return by_name[f"{FACTORY}()"], "the file's model() factory"
    tops = [e for e in entries if e.kind != "function" and not e.is_part]
    for name, where in _built_by_the_file(source.tree):
        if name in by_name and by_name[name] in tops:
            return by_name[name], f"{where} builds it"
    factories = [e for e in tops if e.kind == "factory"]
    if factories:
        others = f" (the file has {len(factories) - 1} more: {', '.join(e.name for e in factories[1:])})" \
            if len(factories) > 1 else ""
        return factories[0], f"a factory of the whole network, nothing to fill in{others}"
    classes = [e for e in tops if e.kind == "class"]
    if classes:
        sizes = _tree_sizes(source.tree)
        top = max(classes, key=lambda e: sizes.get(e.name, 0))  # the first of the largest
        tied = sum(sizes.get(e.name, 0) == sizes.get(top.name, 0) for e in classes) > 1
        return top, ("the whole network: no other class of the file builds it" if len(classes) == 1 else
                     f"the {'first' if tied else 'largest'} of the file's {len(classes)} networks that no other "
                     "class builds")
    parts = [e for e in entries if e.kind == "class"]
    if parts:
        return parts[0], "the file's first nn.Module"
    return entries[0], "the file has no nn.Module: its first function"


def _prefilled_from_the_file(entry: Entry, source: LoadedSource) -> Entry:
    """The entry with its required constructor values taken from the file's own call, where tsviz has nothing
    better: `model = BigramLanguageModel(vocab_size)` at the top of a training script prefills `vocab_size`, when
    every name the value reads is a global of the imported file."""
    if entry.kind == "function" or not any(p.default is None and not p.prefill for p in entry.init_params):
        return entry
    call = next((c for name, _, c in _built_by_the_file(source.tree, with_calls=True) if name == entry.name), None)
    if call is None:
        return entry
    positional = [p for p in entry.init_params if not p.name.startswith("*")]
    given = {**{p.name: a for p, a in zip(positional, call.args, strict=False) if not isinstance(a, ast.Starred)},
             **{k.arg: k.value for k in call.keywords if k.arg}}
    known = set(vars(source.module)) | set(dir(builtins))
    params = tuple(
        dataclasses.replace(p, prefill=ast.unparse(given[p.name]))
        if p.default is None and not p.prefill and p.name in given and _read_names(given[p.name]) <= known else p
        for p in entry.init_params)
    return dataclasses.replace(entry, init_params=params)


def _read_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _built_by_the_file(tree: ast.Module, with_calls: bool = False) -> list:
    """Names the file's own code calls, in order, with where: under `if __name__ == "__main__":`, in test() /
    main() / demo(), and in top-level statements (a training script's `generator = Generator()`)."""
    found: list[tuple[str, str]] = []
    for statement in tree.body:
        if isinstance(statement, ast.If) and "__name__" in ast.unparse(statement.test):
            where, nodes = "the file's `if __name__ == \"__main__\":`", statement.body
        elif isinstance(statement, ast.FunctionDef) and re.fullmatch(r"(test|main|demo|run|example)\w*",
                                                                      statement.name):
            where, nodes = f"its {statement.name}()", statement.body
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                        ast.ImportFrom)):
            where, nodes = "its top-level code", [statement]
        else:
            continue
        calls = sorted((n for node in nodes for n in ast.walk(node) if isinstance(n, ast.Call)
                        and isinstance(n.func, ast.Name)), key=lambda n: (n.lineno, n.col_offset))
        found += [(call.func.id, f"{where} (line {call.lineno})", call)[:3 if with_calls else 2] for call in calls]
    return found


def _tree_sizes(tree: ast.Module) -> dict[str, int]:
    """For each class of the file, how many of the file's classes it builds, directly or through others."""
    classes = {n.name: _mentions(n) - {n.name} for n in tree.body if isinstance(n, ast.ClassDef)}
    sizes = {}
    for name in classes:
        seen, todo = set(), [name]
        while todo:
            for other in classes.get(todo.pop(), ()):
                if other in classes and other not in seen:
                    seen.add(other)
                    todo.append(other)
        sizes[name] = len(seen)
    return sizes


def forward_params(entry: Entry, target: Any) -> tuple[Param, ...]:
    if entry.kind == "factory":
        return _params(target.forward if isinstance(target, nn.Module) else target)
    return entry.forward_params


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


def init_params(cls: type, module: ModuleType, root: str = "") -> tuple[Param, ...]:
    """The constructor's parameters, each required one with what can be known about it: the attributes __init__
    reads from it, and an expression to prefill (a config dataclass of the file, or its argparse parser's
    defaults) when one fits."""
    params = _params(cls.__init__)
    reads = _attributes_read(cls)
    return tuple(
        p if p.default is not None or p.name.startswith("*") else dataclasses.replace(
            p, reads=reads.get(p.name, ()), prefill=_prefill(p, reads.get(p.name, ()), module, root))
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


def _of_project(obj: type, module: ModuleType, root: str) -> bool:
    """A class of the file, or of another file of its project (`from segnet.config import SegConfig`)."""
    if obj.__module__ == module.__name__:
        return True
    file = str(getattr(sys.modules.get(obj.__module__), "__file__", "") or "")
    return bool(root) and file.startswith(root.rstrip("/") + "/")


def _prefill(param: Param, reads: tuple[str, ...], module: ModuleType, root: str) -> str:
    """`Config()` for a dataclass of the file that has every field read (all fields defaulted), or
    `parser.parse_args([])` for the file's argparse parser whose options cover them; "" when nothing fits."""
    for name, obj in vars(module).items():
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)) or not _of_project(obj, module, root):
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
