"""An entry of a .py built into the model: its constructor values evaluated, and what stopped it said with
its file, line and fix (a missing package, a download, a stand-in's result used for real)."""
from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from tsviz.load import standins
from tsviz.load.entries import FACTORY
from tsviz.load.expressions import evaluate, namespace
from tsviz.load.guess import remember_constructor
from tsviz.load.importer import (
    LoadedSource,
    missing_requirements,
    offline,
    pip_name,
    project_frame,
    user_line,
)
from tsviz.model.errors import EntryError, InputError
from tsviz.model.types import Entry


def build_target(source: LoadedSource, entry: Entry, init_args: dict[str, str]) -> Any:
    """The nn.Module (as the entry returns it: the caller puts it in eval mode) or function to convert."""
    module = source.module
    try:
        with standins.building():
            if entry.name == f"{FACTORY}()":
                target = module.model()
            elif entry.kind in ("class", "factory"):
                kwargs = _init_kwargs(entry, init_args, source)
                target = getattr(module, entry.name)(**kwargs)
                remember_constructor(target, kwargs)
            else:
                return getattr(module, entry.name)
    except (InputError, EntryError) as e:
        if (missing := standins.explain(e)) is None:
            raise
        raise _missing_package(entry, missing, source) from e
    except standins.MissingPackage as e:
        raise _missing_package(entry, e, source) from e
    except ModuleNotFoundError as e:
        raise _missing_at_build(e, entry, source) from e
    except Exception as e:
        if (missing := standins.explain(e)) is not None:
            raise _missing_package(entry, missing, source) from e
        file, line = _blame(e, source)
        called = standins.calls_while_building()
        hint = "check the constructor arguments"
        if offline(e):
            hint = ("building the model downloads something (pretrained weights?), and the worker has no network: "
                    "build it without them (pretrained=False), or open a saved TorchScript .pt instead")
        elif isinstance(e, NameError) and source.unset_options:
            hint = (f"{e.name} is set by the file's top-level code from its command line, and tsviz passed none (the "
                    f"required {', '.join(source.unset_options)} left unset): give that option a default in the "
                    "parser, or set the global before the classes")
        elif called:
            hint = (f"the model called {_called_text(called)}, which is not installed here: if the error comes from "
                    f"its result, install {pip_name(called[0][0].split('.', 1)[0])}; else check the constructor "
                    "arguments")
        raise EntryError(f"building {entry.name} raised {type(e).__name__}: {e}", file=file, line=line,
                         hint=hint) from e
    if (missing := standins.kept(target)) is not None:
        raise _missing_package(entry, missing, source)
    if not isinstance(target, nn.Module) and not callable(target):
        raise EntryError(f"{entry.name} returned {type(target).__name__}, not an nn.Module or a function",
                         file=source.display_name)
    return target


def _missing_package(entry: Entry, e: standins.MissingPackage, source: LoadedSource) -> EntryError:
    return EntryError(f"building {entry.name} failed: {e}", file=e.file or source.display_name, line=e.line,
                      hint=f"pip install {pip_name(e.package)}: the model really uses it")


def build_notes(source: LoadedSource) -> tuple[str, ...]:
    """What the last build did through stand-ins (weight init through a package not installed here), in words."""
    called = standins.calls_while_building()
    if not called:
        return ()
    return (f"Building the model called {_called_text(called)}, which is not installed here; tsviz let the call "
            "pass without doing anything, as nothing uses its result (weight initialisation, say). The weights it "
            "would have set keep PyTorch's defaults.",)


def _called_text(called: tuple[tuple[str, int, str], ...]) -> str:
    shown = [f"{what.split('(')[0]} ({f'{file} ' if file else ''}line {line})" if line else what.split("(")[0]
             for what, line, file in called[:3]]
    return ", ".join(dict.fromkeys(shown)) + (f" and {len(called) - 3} more" if len(called) > 3 else "")


def _blame(error: BaseException, source: LoadedSource) -> tuple[str, int]:
    """The file and line of an error: the model file's innermost line, else another file of its project."""
    line = user_line(error, source.path)
    if line or source.project is None:
        return source.display_name, line
    other, line = project_frame(error, source.project.root)
    return (other, line) if other else (source.display_name, 0)


def _missing_at_build(e: ModuleNotFoundError, entry: Entry, source: LoadedSource) -> EntryError:
    """A package imported while the model is built (`import yaml` in __init__), which is not installed here."""
    package = (e.name or "").split(".", 1)[0]
    file, line = _blame(e, source)
    missing = missing_requirements(source.project.root) if source.project else ()
    also = f"; of the project's requirements, these are missing here: {', '.join(missing)}" if missing else ""
    return EntryError(f"building {entry.name} imports {package}, which is not installed here", file=file, line=line,
                      hint=f"pip install {pip_name(package)}{also}")


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
    if any(p.name.startswith("**") for p in entry.init_params):  # `def resnet18(pretrained=False, **kwargs)`
        known = {p.name for p in entry.init_params}
        kwargs.update({name: evaluate(text, names, f"constructor argument {name}", source.display_name)
                       for name, text in init_args.items() if name not in known and text.strip()})
    if missing:
        reads = "; ".join(f"{p.name} is read as {', '.join(f'{p.name}.{a}' for a in p.reads)}"
                          for p in missing if p.reads)
        raise InputError(
            f"{entry.name} needs constructor argument(s) {', '.join(p.name for p in missing)}"
            + (f" ({reads})" if reads else ""), file=source.display_name, line=_init_line(entry, source),
            hint="fill them in the sidebar (or --init NAME=EXPR on the command line): any Python expression, "
                 "e.g. 32, 'LSTM' or SimpleNamespace(width=64)",
        )
    return kwargs


def _init_line(entry: Entry, source: LoadedSource) -> int:
    """The line of the entry's `def __init__` (or its factory's def) in the file, 0 if elsewhere."""
    obj = getattr(source.module, entry.name, None)
    fn = getattr(obj, "__init__", None) if isinstance(obj, type) else obj
    try:
        return inspect.getsourcelines(fn)[1] if inspect.getsourcefile(fn) == source.path else 0
    except (OSError, TypeError):
        return 0
