"""Import a user's .py as it is: a training script with the model class inside.

Packages the model does not need get stand-ins (tsviz.load.standins); a file that parses its command line
at import is run with no arguments; a file that trains at import is refused before it runs, naming the line.
Errors name the file and the line.
"""
from __future__ import annotations

import ast
import contextlib
import errno
import importlib.util
import io
import re
import socket
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tsviz.load import standins
from tsviz.model.errors import SourceError

_NO_NETWORK = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED}
_MAX_STAND_INS = 24
_MAIN_GUARD = "if __name__ == '__main__':"


@dataclass(frozen=True)
class LoadedSource:
    """An imported user file and where it lives on disk."""

    module: ModuleType
    path: str  # the real path on disk (what TorchScript's source ranges name)
    display_name: str  # the name the user knows the file by
    tree: ast.Module  # its syntax tree, parsed once
    notes: tuple[str, ...] = ()  # what tsviz did to import it (stand-ins, arguments), in words


def user_line(error: BaseException, user_path: str) -> int:
    """The innermost line of the user's file in an exception's traceback, 0 if none."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == user_path]
    return (lines[-1] or 0) if lines else 0


def load_source(path: Path, display_name: str) -> LoadedSource:
    """Import the user's file as a module; errors name the file and the line."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text, str(path))
        compile(tree, str(path), "exec")
    except (SyntaxError, ValueError, RecursionError) as e:
        line = getattr(e, "lineno", 0) or 0
        raise SourceError(
            f"syntax error: {getattr(e, 'msg', e)}", file=display_name, line=line,
            hint="fix the line and upload the file again", detail=(getattr(e, "text", "") or "").rstrip(),
        ) from e
    top_level = TopLevel.read(tree)
    if top_level.training:
        line, what = top_level.training
        raise SourceError(
            f"the file trains a model when it is imported: line {line} {what} outside {_MAIN_GUARD}",
            file=display_name, line=line,
            hint="tsviz imports the file to find the model and does not run training: put the training code (and "
                 f"any argument parsing) under {_MAIN_GUARD} at the end of the file; the model class stays where it is",
        )
    name = re.sub(r"\W", "_", path.stem) or "user_model"
    name = f"m_{name}" if name[0].isdigit() else name
    missing: list[str] = []
    while True:
        try:
            module = _run(path, name, display_name, top_level)
            break
        except ModuleNotFoundError as e:
            package = (e.name or "").split(".", 1)[0]
            if not package or package in missing or len(missing) >= _MAX_STAND_INS or _installed(package):
                raise _import_error(e, path, display_name) from e
            missing.append(package)
            standins.stand_in_for(package)
    return LoadedSource(module, str(path), display_name, tree, _notes(missing, top_level))


def _run(path: Path, name: str, display_name: str, top_level: TopLevel) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # TorchScript resolves globals through sys.modules
    argv, sys.argv = sys.argv, [display_name]  # a top-level parse_args() sees no arguments: every default
    stderr = io.StringIO()
    try:
        with standins.importing(str(path)), contextlib.redirect_stderr(stderr):
            spec.loader.exec_module(module)
    except ModuleNotFoundError:
        raise
    except ImportError as e:
        raise _import_error(e, path, display_name) from e
    except SystemExit as e:
        raise _exit_error(e, path, display_name, top_level, stderr.getvalue()) from e
    except standins.MissingPackage as e:
        raise SourceError(f"importing the file failed: {e}", file=display_name, line=e.line,
                          hint=f"install {e.package}, or move that use under {_MAIN_GUARD}") from e
    except Exception as e:  # the user's top-level code raised
        offline = isinstance(e, socket.gaierror) or (isinstance(e, OSError) and e.errno in _NO_NETWORK)
        raise SourceError(
            f"running the file raised {type(e).__name__}: {e}", file=display_name, line=user_line(e, str(path)),
            hint="the worker has no network: a model file cannot download anything; ship weights in a .pt"
            if offline else "the file is imported as a module: fix the top-level code",
        ) from e
    finally:
        sys.argv = argv
    return module


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def _import_error(e: ImportError, path: Path, display_name: str) -> SourceError:
    return SourceError(
        f"importing the file failed: {e}", file=display_name, line=user_line(e, str(path)),
        hint="check the import, or remove it if the model does not need it (tsviz has torch and its own packages)",
    )


def _exit_error(e: SystemExit, path: Path, display_name: str, top_level: TopLevel, stderr: str) -> SourceError:
    said = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "")
    if top_level.parses_args:
        line = top_level.parses_args
        return SourceError(
            f"the file parses command-line arguments when it is imported (line {line}), and that stopped: "
            f"{said or f'exit code {e.code!r}'}", file=display_name, line=line,
            hint="tsviz passes no arguments, so every option must have a default: give the required options "
                 f"defaults, or move the parsing under {_MAIN_GUARD} and pass the values to the model",
        )
    return SourceError(
        f"the file called sys.exit({e.code!r}) while being imported" + (f": {said}" if said else ""),
        file=display_name, line=user_line(e, str(path)),
        hint=f"the file is imported as a module: put script code under {_MAIN_GUARD}",
    )


def _notes(missing: list[str], top_level: TopLevel) -> tuple[str, ...]:
    notes = []
    if missing:
        names = " and ".join(missing) if len(missing) < 3 else ", ".join(missing[:-1]) + " and " + missing[-1]
        it, verb = ("it", "is") if len(missing) == 1 else ("them", "are")
        notes.append(f"{names} {verb} not installed here; tsviz stood in for {it} while importing the file. The "
                     f"model does not use {it}: if it did, its error would name the line.")
    if top_level.parses_args:
        notes.append(f"Line {top_level.parses_args} parses command-line arguments when the file is imported; tsviz "
                     "passed none, so every option has its default.")
    return tuple(notes)


@dataclass(frozen=True)
class TopLevel:
    """What the file's top-level code does besides defining things (read from the syntax tree, nothing run)."""

    parses_args: int = 0  # the line of a top-level parse_args() call
    training: tuple[int, str] | None = None  # the line of top-level code that trains, and what it calls

    @staticmethod
    def read(tree: ast.Module) -> TopLevel:
        functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        trainers = _functions_that_train(functions)
        parses, training = 0, None
        for statement in _top_level_statements(tree.body):
            for call in (n for n in ast.walk(statement) if isinstance(n, ast.Call)):
                name = _called_name(call)
                if name in ("parse_args", "parse_known_args") and not parses:
                    parses = call.lineno
                trains = _trains(call, trainers)
                if trains and training is None:
                    training = (statement.lineno, trains)
        return TopLevel(parses, training)


def _top_level_statements(body: list[ast.stmt]):
    """Statements that run at import: not definitions, not under `if __name__ == "__main__":`."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        if isinstance(statement, ast.If) and "__name__" in ast.unparse(statement.test):
            yield from _top_level_statements(statement.orelse)
            continue
        yield statement


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _functions_that_train(functions: dict[str, ast.AST]) -> set[str]:
    """Functions of the file that run a backward pass, themselves or through another function of the file."""
    calls = {name: {_called_name(n) for n in ast.walk(body) if isinstance(n, ast.Call)}
             for name, body in functions.items()}
    trainers = {name for name, called in calls.items() if "backward" in called}
    while grown := {name for name, called in calls.items() if called & trainers} - trainers:
        trainers |= grown
    return trainers


def _trains(call: ast.Call, trainers: set[str]) -> str:
    """'calls loss.backward()' when the call is a backward pass, or calls a function of the file that makes one."""
    name = _called_name(call)
    if name == "backward":
        return f"calls {ast.unparse(call.func)}()"
    if isinstance(call.func, ast.Name) and name in trainers:
        return f"calls {name}(), which trains the model,"
    return ""
