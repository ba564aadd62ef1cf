"""A .py file -> its entry points (factory, nn.Module classes, functions), built targets and example inputs."""
from __future__ import annotations

import ast
import errno
import importlib.util
import inspect
import re
import socket
import sys
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from tsviz.model.errors import EntryError, InputError, SourceError
from tsviz.model.types import Entry, InputSpec, Param, Submodule

FACTORY = "model"
CONVENTION_NAMES = ("model", "example_inputs", "check_inputs", "TRACE_SUBMODULES")
_TORCH_DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "bool": torch.bool,
}


@dataclass(frozen=True)
class LoadedSource:
    """An imported user file and where it lives on disk."""

    module: ModuleType
    path: str  # the real path on disk (what TorchScript's source ranges name)
    display_name: str  # the name the user knows the file by


_NO_NETWORK = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED}


def load_source(path: Path, display_name: str) -> LoadedSource:
    """Import the user's file as a module; errors name the file and the line."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        compile(text, str(path), "exec")
    except SyntaxError as e:
        raise SourceError(
            f"syntax error: {e.msg}", file=display_name, line=e.lineno or 0,
            hint="fix the line and upload the file again", detail=(e.text or "").rstrip(),
        ) from e
    name = re.sub(r"\W", "_", path.stem) or "user_model"
    if name[0].isdigit():
        name = f"m_{name}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # TorchScript resolves globals through sys.modules
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        raise SourceError(
            f"importing the file failed: {e}", file=display_name, line=user_line(e, str(path)),
            hint="tsviz runs plain torch (no torchvision or other extras); remove that import",
        ) from e
    except SystemExit as e:
        raise SourceError(
            f"the file called sys.exit({e.code!r}) while being imported", file=display_name,
            line=user_line(e, str(path)),
            hint="the file is imported as a module: put script code under if __name__ == '__main__':",
        ) from e
    except Exception as e:  # the user's top-level code raised
        offline = isinstance(e, socket.gaierror) or (isinstance(e, OSError) and e.errno in _NO_NETWORK)
        raise SourceError(
            f"running the file raised {type(e).__name__}: {e}", file=display_name, line=user_line(e, str(path)),
            hint="the worker has no network: a model file cannot download anything; ship weights in a .pt"
            if offline else "the file is imported as a module: fix the top-level code",
        ) from e
    return LoadedSource(module=module, path=str(path), display_name=display_name)


def user_line(error: BaseException, user_path: str) -> int:
    """The innermost line of the user's file in an exception's traceback, 0 if none."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == user_path]
    return (lines[-1] or 0) if lines else 0


def find_entries(source: LoadedSource) -> tuple[Entry, ...]:
    """The factory (if any), then nn.Module classes, then functions, in the order of the file."""
    module = source.module
    entries: list[Entry] = []
    if callable(getattr(module, FACTORY, None)):
        entries.append(Entry(name=f"{FACTORY}()", kind="factory", doc=_doc(module.model)))
    for name, obj in vars(module).items():
        if name.startswith("_") or name in CONVENTION_NAMES or getattr(obj, "__module__", None) != module.__name__:
            continue
        if isinstance(obj, type) and issubclass(obj, nn.Module):
            entries.append(Entry(name=name, kind="class", doc=_doc(obj), init_params=_params(obj.__init__),
                                 forward_params=_params(obj.forward)))
        elif inspect.isfunction(obj):
            entries.append(Entry(name=name, kind="function", doc=_doc(obj), forward_params=_params(obj)))
    if not entries:
        raise EntryError(
            "found nothing to convert: no model() factory, no nn.Module subclass and no function",
            file=source.display_name, hint="define a model() function returning your nn.Module, or the class itself",
        )
    return tuple(entries)


def default_entry(entries: tuple[Entry, ...]) -> Entry:
    """The factory if there is one, else the first class that needs no constructor arguments, else the first."""
    for entry in entries:
        if entry.kind == "factory":
            return entry
    for entry in entries:
        if entry.kind == "class" and all(p.default is not None for p in entry.init_params):
            return entry
    return entries[0]


def build_target(source: LoadedSource, entry: Entry, init_args: dict[str, str]) -> Any:
    """The nn.Module (as the entry returns it: the caller puts it in eval mode) or function to convert."""
    module = source.module
    try:
        if entry.kind == "factory":
            target = module.model()
        elif entry.kind == "class":
            target = getattr(module, entry.name)(**_init_kwargs(entry, init_args, source.display_name))
        else:
            return getattr(module, entry.name)
    except (InputError, EntryError):
        raise
    except Exception as e:
        raise EntryError(
            f"building {entry.name} raised {type(e).__name__}: {e}", file=source.display_name,
            line=user_line(e, source.path), hint="check the constructor arguments",
        ) from e
    if not isinstance(target, nn.Module) and not callable(target):
        raise EntryError(f"{entry.name} returned {type(target).__name__}, not an nn.Module or a function",
                         file=source.display_name)
    return target


def _init_kwargs(entry: Entry, init_args: dict[str, str], display_name: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    missing = []
    for param in entry.init_params:
        text = init_args.get(param.name, "").strip()
        if text:
            try:
                kwargs[param.name] = ast.literal_eval(text)
            except (ValueError, SyntaxError) as e:
                raise InputError(f"constructor argument {param.name}={text!r} is not a Python literal",
                                 file=display_name, hint="write a number, string, tuple or list, e.g. 32") from e
        elif param.default is None and not param.name.startswith("*"):
            missing.append(param.name)
    if missing:
        raise InputError(
            f"{entry.name} needs constructor argument(s) {', '.join(missing)}", file=display_name,
            hint="fill them in the sidebar (or --init NAME=VALUE on the command line)",
        )
    return kwargs


def example_inputs(source: LoadedSource, entry: Entry, target: Any, specs: tuple[InputSpec, ...]) -> tuple | None:
    """Inputs to trace with: the user's shapes if given, else the file's example_inputs() when it fits."""
    if specs:
        generator = torch.Generator().manual_seed(0)
        return tuple(tensor_from_spec(spec, generator) for spec in specs)
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


def tensor_from_spec(spec: InputSpec, generator: torch.Generator) -> torch.Tensor:
    dtype = _TORCH_DTYPES[spec.dtype]
    if dtype.is_floating_point:
        return torch.randn(spec.shape, generator=generator).to(dtype)
    if dtype == torch.bool:
        return torch.rand(spec.shape, generator=generator) > 0.5
    return torch.randint(0, 8, spec.shape, generator=generator, dtype=dtype)


def resized(x: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    """`x` grown or cut along `dim` to `size`, repeating its own values (so only the shape changes)."""
    if x.shape[dim] == 0:
        return x.new_zeros(*[size if d == dim else s for d, s in enumerate(x.shape)])
    repeats = [1] * x.dim()
    repeats[dim] = -(-size // x.shape[dim])
    return x.repeat(*repeats).narrow(dim, 0, size).clone()


def suggest_inputs(target: Any, count: int) -> tuple[InputSpec, ...]:
    """A guess at input shapes from the first layer (Linear, Conv, Embedding, RNN); the user edits it."""
    first = InputSpec((2, 8))
    if isinstance(target, nn.Module):
        for layer in target.modules():
            guess = _guess_from_layer(layer)
            if guess is not None:
                first = guess
                break
    return (first,) + tuple(InputSpec((2, 8)) for _ in range(max(count, 1) - 1))


def _guess_from_layer(layer: nn.Module) -> InputSpec | None:
    if isinstance(layer, nn.Linear):
        return InputSpec((2, layer.in_features))
    if isinstance(layer, nn.Conv1d):
        return InputSpec((1, layer.in_channels, 32))
    if isinstance(layer, nn.Conv2d):
        return InputSpec((1, layer.in_channels, 32, 32))
    if isinstance(layer, nn.Conv3d):
        return InputSpec((1, layer.in_channels, 8, 16, 16))
    if isinstance(layer, nn.Embedding):
        return InputSpec((2, 8), "int64")
    if isinstance(layer, (nn.LSTM, nn.GRU, nn.RNN)):
        return InputSpec((2, 8, layer.input_size) if layer.batch_first else (8, 2, layer.input_size))
    return None


def required_input_count(entry: Entry, target: Any) -> int:
    return sum(1 for p in _forward_params(entry, target) if p.default is None and not p.name.startswith("*"))


def input_names(entry: Entry, target: Any) -> list[str]:
    """The names of forward()'s (or the function's) positional inputs, in order."""
    return [p.name for p in _forward_params(entry, target) if not p.name.startswith("*")]


def _forward_params(entry: Entry, target: Any) -> tuple[Param, ...]:
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
