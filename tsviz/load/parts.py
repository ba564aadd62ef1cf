"""A built model's submodules, and which of them hybrid traces by default: the file's TRACE_SUBMODULES, else
the children with no control flow inside."""
from __future__ import annotations

import ast
import inspect
import textwrap
from functools import lru_cache
from typing import Any

from torch import nn

from tsviz.load.importer import (
    LoadedSource,
)
from tsviz.model.types import Submodule


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
