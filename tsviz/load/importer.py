"""Import a user's .py as it is: a training script with the model class inside.

Packages the model does not need get stand-ins (tsviz.load.standins); a file that parses its command line
at import is run with no arguments; a file that trains at import is refused before it runs, naming the line.
Errors name the file and the line.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import errno
import importlib.metadata
import importlib.util
import io
import re
import socket
import sys
import tomllib
import traceback
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tsviz.load import standins
from tsviz.model.errors import SourceError
from tsviz.model.project import Project, find_project

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
    project: Project | None = None  # the project around it (its folder, import root, module name)
    project_files: tuple[str, ...] = ()  # the project's files the import ran, relative to its root, model first
    unset_options: tuple[str, ...] = ()  # required command-line options its parser had, left unset (None)


def offline(error: BaseException) -> bool:
    """Whether an error is the sandbox's missing network (a download of weights, say)."""
    for e in (error, getattr(error, "reason", None), error.__cause__, error.__context__):
        if isinstance(e, socket.gaierror) or (isinstance(e, OSError) and e.errno in _NO_NETWORK):
            return True
    return isinstance(error, urllib.error.URLError)


def user_line(error: BaseException, user_path: str) -> int:
    """The innermost line of the user's file in an exception's traceback, 0 if none."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == user_path]
    return (lines[-1] or 0) if lines else 0


def project_frame(error: BaseException, root: str) -> tuple[str, int]:
    """The innermost frame of a project's files in an exception's traceback: (path inside root, line), or ("", 0)."""
    inside = root.rstrip("/") + "/"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(inside)]
    return (frames[-1].filename[len(inside):], frames[-1].lineno or 0) if frames else ("", 0)


def load_source(path: Path, display_name: str, project: Project | None = None) -> LoadedSource:
    """Import the user's file as a module (as the module it is inside its project, when there is one); errors name
    the file and the line."""
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
    project = project or find_project(path, path.parent)
    where = _Where(path, display_name, project)
    missing: list[tuple[str, str]] = []  # (module stood in for, why)
    relaxed: list[str] = []  # required command-line options left unset
    chosen: dict[str, tuple[object, int]] = {}  # required options given a value the file compares them with
    imported: list[str] = []  # submodules the file uses without importing them
    _on_path(project)
    with _no_required_arguments(relaxed, chosen, tree):
        while True:
            try:
                module = _run(where, top_level, tree)
                break
            except _Unimported as e:  # `import packaging` then `packaging.version`, imported by no one here
                if e.module in imported or len(imported) >= _MAX_STAND_INS:
                    raise e.source_error from e
                importlib.import_module(e.module)
                imported.append(e.module)
                _forget_project_modules(project)
            except ImportError as e:
                standin = _stand_in_target(e, where)
                if not standin or standin in [m for m, _ in missing] or len(missing) >= _MAX_STAND_INS:
                    raise _import_error(e, where) from e
                missing.append(standin)
                standins.stand_in_for(standin[0])
                _forget_project_modules(project)
    files = _project_files(project, str(path))
    unset = tuple(dict.fromkeys(relaxed))
    notes = (*_notes(missing, top_level, project, unset), *(
        f"The file's command line requires {option}; tsviz set it to {value!r}, the first value line {line} compares "
        "it with, so the file's own setup for it runs." for option, (value, line) in chosen.items()), *(
        f"The project uses {name} as an attribute of {name.rpartition('.')[0]} without importing it (that works "
        "only where another package has imported it first); tsviz imported it." for name in imported))
    return LoadedSource(module, str(path), display_name, tree, notes, project, files, unset)


@contextlib.contextmanager
def _no_required_arguments(relaxed: list[str], chosen: dict[str, tuple[object, int]], tree: ast.Module):
    """While the file imports, a parser reading the (empty) command line does not exit on a required option or
    positional: it gets its first choice, else the first value the file compares it with (`--dataset` in
    `if opt.dataset == 'cifar10':`, whose branch sets the image channels the model reads), else stays unset
    (None): a training script's `--dataroot` is not what its model reads."""
    original = argparse.ArgumentParser.parse_known_args

    def parse_known_args(self, args=None, namespace=None):
        if args is None:
            for action in self._actions:
                if action.required and action.nargs in (None, "?"):
                    name = action.option_strings[-1] if action.option_strings else action.dest
                    action.required = False
                    if not action.option_strings:
                        action.nargs = "?"
                    value, line = (action.choices[0], 0) if action.choices else _compared_with(tree, action.dest)
                    if line or action.choices:
                        action.default = value
                        chosen[name] = (value, line)
                    else:
                        relaxed.append(name)
        return original(self, args, namespace)

    argparse.ArgumentParser.parse_known_args = parse_known_args
    try:
        yield
    finally:
        argparse.ArgumentParser.parse_known_args = original


def _compared_with(tree: ast.Module, dest: str) -> tuple[object, int]:
    """The first constant the file's top level compares `<options>.<dest>` with (`opt.dataset == 'lsun'`,
    `opt.dataset in ['imagenet', 'folder']`), and its line; (None, 0) when there is none."""
    for node in ast.walk(ast.Module(body=[s for s in tree.body if not _is_definition(s)], type_ignores=[])):
        if not isinstance(node, ast.Compare) or len(node.comparators) != 1:
            continue
        sides = (node.left, node.comparators[0])
        if not any(isinstance(side, ast.Attribute) and side.attr == dest for side in sides):
            continue
        other = next(side for side in (*sides[1:], sides[0]) if not (isinstance(side, ast.Attribute)
                                                                     and side.attr == dest))
        values = other.elts if isinstance(other, (ast.List, ast.Tuple, ast.Set)) else [other]
        if values and isinstance(values[0], ast.Constant) and values[0].value is not None:
            return values[0].value, node.lineno
    return None, 0


@dataclass(frozen=True)
class _Where:
    path: Path
    display_name: str
    project: Project


def _on_path(project: Project) -> None:
    """The project's import root (and its root) first on sys.path, as when a user runs the file from the repository,
    for the rest of the job: the model's constructor may import more of the project. A package of the same name
    from another project, imported earlier in this process (tests, --in-process), is forgotten first."""
    top = project.module.split(".", 1)[0]
    inside = project.root.rstrip("/") + "/"
    stale = "." in project.module and top not in sys.stdlib_module_names and top not in ("torch", "tsviz")
    for name, module in list(sys.modules.items()) if stale else ():
        if (name == top or name.startswith(top + ".")) and not _from(module, inside):
            del sys.modules[name]
    if project.importable:
        sys.path[:0] = [p for p in dict.fromkeys((project.import_root, project.root)) if p not in sys.path]


def _from(module: ModuleType, inside: str) -> bool:
    file = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", []) or []), "")
    return str(file).startswith(inside)


def _run(where: _Where, top_level: TopLevel, tree: ast.Module) -> ModuleType:
    path, display_name, project = where.path, where.display_name, where.project
    name = _module_name(project)
    parent = name.rpartition(".")[0]
    argv, sys.argv = sys.argv, [display_name]  # a top-level parse_args() sees no arguments: every default
    stderr = io.StringIO()
    try:
        with standins.importing(str(path), project.root), contextlib.redirect_stderr(stderr):
            if parent:
                importlib.import_module(parent)  # the package's __init__ runs, as `python -m` would run it
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # TorchScript resolves globals through sys.modules
            try:
                if top_level.training:  # a training script: only what the model needs, never the training
                    exec(compile(top_level.needed(tree), str(path), "exec"), module.__dict__)  # noqa: S102
                else:
                    spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            if parent:
                setattr(sys.modules[parent], name.rpartition(".")[2], module)
    except ImportError:
        raise
    except SystemExit as e:
        raise _exit_error(e, where, top_level, stderr.getvalue()) from e
    except standins.MissingPackage as e:
        raise SourceError(f"importing the file failed: {e}", file=e.file or display_name, line=e.line,
                          hint=f"install {pip_name(e.package)}, or move that use under {_MAIN_GUARD}") from e
    except Exception as e:  # the user's top-level code raised
        if broken := _raising_module(e, project):
            raise _BrokenPackage(e, broken) from e
        file, line = _blame(e, where)
        error = SourceError(
            f"running the file raised {type(e).__name__}: {e}", file=file, line=line,
            hint="the worker has no network: a model file cannot download anything; ship weights in a .pt"
            if offline(e) else "the file is imported as a module: fix the top-level code",
        )
        if submodule := _unimported_submodule(e):
            raise _Unimported(submodule, error) from e
        raise error from e
    finally:
        sys.argv = argv
    return module


def _module_name(project: Project) -> str:
    """The project's name for the file, or for a loose file a free one (never shadowing a module already
    imported, `test.py` or `types.py` say)."""
    name = project.module
    if "." in name:
        return name
    name = re.sub(r"\W", "_", name) or "user_model"
    name = f"m_{name}" if name[0].isdigit() else name
    return f"tsviz_user_{name}" if name in sys.modules or name in sys.stdlib_module_names else name


def _blame(error: BaseException, where: _Where) -> tuple[str, int]:
    """The file (as the user names it) and line an error comes from: the model file's innermost line, else the
    innermost line of another file of the project."""
    line = user_line(error, str(where.path))
    if line:
        return where.display_name, line
    other, line = project_frame(error, where.project.root)
    return (other, line) if other else (where.display_name, 0)


def _stand_in_target(e: ImportError, where: _Where) -> tuple[str, str] | None:
    """What to stand in for after an ImportError, and why; None when it is the user's to fix.

    - a package not installed here (`import torchvision`): the package;
    - a module of the project that is not there (`from .missing import x`, a file not uploaded): that module;
    - an installed package that raises ImportError for an optional dependency it lacks
      (`from torch.utils.tensorboard import SummaryWriter` without tensorboard): the submodule that raised.
    """
    name = getattr(e, "name", None) or ""
    top = name.split(".", 1)[0]
    if isinstance(e, ModuleNotFoundError) and top:
        if not _installed(top):
            return top, "not installed"
        if name != top and _in_project(top, where.project):
            return name, "not in the project"
    if isinstance(e, _BrokenPackage):
        return e.module, f"raised {e} when imported here"
    if isinstance(e, ModuleNotFoundError) and not name:
        return None
    raising = _raising_module(e, where.project)
    if raising:
        return raising, f"raised ImportError: {e}"
    return None


def _in_project(package: str, project: Project) -> bool:
    module = sys.modules.get(package)
    return module is not None and _from(module, project.root.rstrip("/") + "/")


def _raising_module(e: BaseException, project: Project) -> str:
    """The installed module whose own code raised `e` while the project imported it (not the project's, not
    torch itself, not ours): `torch.utils.tensorboard` without tensorboard, a torchvision built for another torch."""
    inside = project.root.rstrip("/") + "/"
    frames = traceback.extract_tb(e.__traceback__)
    last_user = max((i for i, f in enumerate(frames) if f.filename.startswith(inside)), default=-1)
    rest = frames[last_user + 1:]
    if last_user < 0 or not rest or not rest[0].filename.startswith("<frozen importlib"):
        return ""  # not raised by an import statement of the project
    name = _installed_module(next((f.filename for f in rest if not f.filename.startswith("<")), ""), inside)
    return name if name not in ("torch", "tsviz") and not name.startswith("tsviz.") else ""


def _installed_module(file: str, inside: str) -> str:
    """The module name of an installed package's file; "" for the project's own (its root is `inside`)."""
    if file.startswith(inside):
        return ""
    for folder in sorted((p for p in sys.path if p and not p.startswith(inside)), key=len, reverse=True):
        if file.startswith(folder.rstrip("/") + "/"):
            parts = Path(file[len(folder.rstrip("/")) + 1:]).with_suffix("").parts
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return ""


class _Unimported(Exception):
    """The project read an installed package's submodule as an attribute (`packaging.version`) that nothing here
    imported: tsviz imports it and runs the file again."""

    def __init__(self, module: str, source_error: SourceError):
        super().__init__(module)
        self.module, self.source_error = module, source_error


def _unimported_submodule(e: BaseException) -> str:
    package, name = getattr(e, "obj", None), getattr(e, "name", None)
    if not isinstance(e, AttributeError) or not isinstance(package, ModuleType) or not name:
        return ""
    full = f"{package.__name__}.{name}"
    if full.split(".", 1)[0] in ("tsviz", "torch") or full in sys.modules or not _installed(full):
        return ""
    return full


class _BrokenPackage(ImportError):
    """An installed package raised something other than ImportError while being imported (it is stood in)."""

    def __init__(self, error: BaseException, module: str):
        super().__init__(f"{type(error).__name__}: {error}")
        self.module = module


def _forget_project_modules(project: Project) -> None:
    """Drop the project's half-imported modules before the next try (their imports may now find stand-ins)."""
    inside = project.root.rstrip("/") + "/"
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(inside):
            del sys.modules[name]


def _project_files(project: Project, path: str) -> tuple[str, ...]:
    inside = project.root.rstrip("/") + "/"
    found = {str(getattr(m, "__file__", "") or "") for m in list(sys.modules.values())}
    files = sorted(f[len(inside):] for f in found if f.startswith(inside) and f != path)
    return (project.relative, *files)


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def _import_error(e: ImportError, where: _Where) -> SourceError:
    file, line = _blame(e, where)
    name = getattr(e, "name", None) or ""
    if "relative import" in str(e) or "no known parent package" in str(e):
        hint = ("the file is part of a package: open it from its project (tsviz FILE, or upload the project's "
                ".py files or a .zip of it) so its sibling modules import")
    elif isinstance(e, importlib.metadata.PackageNotFoundError):
        asker = next((m for f in reversed(traceback.extract_tb(e.__traceback__))
                      if (m := _installed_module(f.filename, where.project.root.rstrip("/") + "/"))
                      and not m.startswith(("importlib", "tsviz"))), "") or "the file"
        hint = (f"{asker} asks for the installed version of {name} (importlib.metadata), and {name} is not installed "
                f"here: pip install {pip_name(name)}")
    elif name and _installed(name.split(".", 1)[0]):
        hint = f"{name} is there but cannot be imported as written: check the import at that line"
    else:
        hint = "check the import, or remove it if the model does not need it (tsviz has torch and its own packages)"
    return SourceError(f"importing the file failed: {e}", file=file, line=line, hint=hint)


def _exit_error(e: SystemExit, where: _Where, top_level: TopLevel, stderr: str) -> SourceError:
    said = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "")
    if top_level.parses_args:
        line = top_level.parses_args
        return SourceError(
            f"the file parses command-line arguments when it is imported (line {line}), and that stopped: "
            f"{said or f'exit code {e.code!r}'}", file=where.display_name, line=line,
            hint="tsviz passes no arguments, so every option must have a default: give the required options "
                 f"defaults, or move the parsing under {_MAIN_GUARD} and pass the values to the model",
        )
    file, line = _blame(e, where)
    return SourceError(
        f"the file called sys.exit({e.code!r}) while being imported" + (f": {said}" if said else ""),
        file=file, line=line, hint=f"the file is imported as a module: put script code under {_MAIN_GUARD}",
    )


def _notes(missing: list[tuple[str, str]], top_level: TopLevel, project: Project,
           relaxed: tuple[str, ...]) -> tuple[str, ...]:
    notes = []
    absent = [name for name, why in missing if why == "not installed"]
    if absent:
        it, verb = ("it", "is") if len(absent) == 1 else ("them", "are")
        notes.append(f"{_and(absent)} {verb} not installed here; tsviz stood in for {it} while importing the file. "
                     f"Where the model really uses {it}, its error names the line.")
    for name, why in missing:
        if why == "not in the project":
            notes.append(f"{name} is imported but is not among the project's files; tsviz stood in for it. Add it "
                         "(upload the project's folder as a .zip) if the model needs it.")
        elif why != "not installed":
            notes.append(f"{name} {why}; tsviz stood in for it, as for a package not installed.")
    if top_level.training:
        line, what = top_level.training
        ran = f"its definitions and the top-level lines they read{top_level.kept_text()}" if top_level.kept else \
            "only its definitions (none of its top-level code is needed by them)"
        notes.append(f"The file trains when it is run (line {line} {what}); tsviz ran {ran}, and stopped before "
                     f"line {line}. Nothing of the training ran.")
    if top_level.parses_args:
        unset = f" The required {_and(list(relaxed))} {'was' if len(relaxed) == 1 else 'were'} left unset (None)." \
            if relaxed else ""
        notes.append(f"Line {top_level.parses_args} parses command-line arguments when the file is imported; tsviz "
                     f"passed none, so every option has its default.{unset}")
    return tuple(notes)


def _and(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


# Import names whose pip package is named otherwise
PIP_NAMES = {"yaml": "pyyaml", "cv2": "opencv-python", "PIL": "pillow", "sklearn": "scikit-learn",
             "skimage": "scikit-image", "bs4": "beautifulsoup4", "attr": "attrs", "google": "protobuf",
             "Crypto": "pycryptodome", "dateutil": "python-dateutil", "jwt": "pyjwt", "serial": "pyserial",
             "lightning": "lightning", "pl": "pytorch-lightning", "pytorch_lightning": "pytorch-lightning",
             "hydra": "hydra-core", "omegaconf": "omegaconf", "tensorboardX": "tensorboardX",
             "torch_geometric": "torch-geometric", "mmcv": "mmcv", "timm": "timm", "einops": "einops"}


def pip_name(package: str) -> str:
    """The name to `pip install` for an import name (`yaml` -> pyyaml)."""
    return PIP_NAMES.get(package, package)


def missing_requirements(root: str) -> tuple[str, ...]:
    """The project's declared requirements (requirements.txt, pyproject.toml) that are not installed here."""
    names: list[str] = []
    folder = Path(root)
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        names += [ln for ln in requirements.read_text(errors="replace").splitlines()]
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            names += tomllib.loads(pyproject.read_text(errors="replace")).get("project", {}).get("dependencies", [])
        except (tomllib.TOMLDecodeError, AttributeError):
            pass
    missing = []
    for text in names:
        name = re.split(r"[\s<>=!~;\[@]", text.split("#", 1)[0].strip(), maxsplit=1)[0]
        if not name or name.startswith("-"):
            continue
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return tuple(dict.fromkeys(missing))


@dataclass(frozen=True)
class TopLevel:
    """What the file's top-level code does besides defining things (read from the syntax tree, nothing run)."""

    parses_args: int = 0  # the line of a top-level parse_args() call
    training: tuple[int, str] | None = None  # the line of top-level code that trains, and what it calls
    kept: tuple[int, ...] = ()  # a training script: the top-level statements (by line) the definitions need

    @staticmethod
    def read(tree: ast.Module) -> TopLevel:
        functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        trainers = _functions_that_train(functions)
        parses, training = 0, None
        for statement in _top_level_statements(tree.body):
            for call in (n for n in ast.walk(statement) if isinstance(n, ast.Call)):
                name = _called_name(call)
                if name in ("parse_args", "parse_known_args") and not parses and (
                        training is None or call.lineno < training[0]):
                    parses = call.lineno
                trains = _trains(call, trainers)
                if trains and training is None:
                    training = (statement.lineno, trains)
        kept = _needed_statements(tree.body, training[0]) if training else ()
        parses = parses if not training or any(_spans(tree.body, line, parses) for line in kept) else 0
        return TopLevel(parses, training, kept)

    def needed(self, tree: ast.Module) -> ast.Module:
        """The file as it runs for tsviz when it trains at import: every definition and import, and of the other
        top-level statements only those the definitions read (`opt = parser.parse_args()`, `img_shape = ...`)."""
        body = [s for s in tree.body if _is_definition(s) or s.lineno in self.kept]
        return ast.Module(body=body, type_ignores=[])

    def kept_text(self) -> str:
        return f" (lines {', '.join(map(str, self.kept))})" if self.kept else ""


def _spans(body: list[ast.stmt], start: int, line: int) -> bool:
    return any(s.lineno == start and s.lineno <= line <= (s.end_lineno or s.lineno) for s in body)


def _is_definition(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return True
    if isinstance(statement, ast.Try):  # try: import x / except ImportError: ...
        return all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign)) for s in statement.body)
    return isinstance(statement, ast.If) and "__name__" in ast.unparse(statement.test)  # never runs on import


def _needed_statements(body: list[ast.stmt], stop: int) -> tuple[int, ...]:
    """Lines of the top-level statements before `stop` that define or change a name the file's definitions read,
    grown to what those statements read in turn; `sys.path` changes too (the imports may need them)."""
    needed = _names_the_classes_need(body)
    candidates = [s for s in body if not _is_definition(s) and s.lineno < stop]
    classes = {s.name for s in body if isinstance(s, ast.ClassDef)}
    for call in (n for s in candidates for n in ast.walk(s) if isinstance(n, ast.Call)):
        if isinstance(call.func, ast.Name) and call.func.id in classes:  # `model = Net(vocab_size)`: its values
            needed |= set().union(*(_read_names(a) for a in (*call.args, *call.keywords)))
    kept: set[int] = {s.lineno for s in candidates if "sys" in _changed_names(s) and "path" in ast.unparse(s)}
    grown = True
    while grown:
        grown = False
        for statement in candidates:
            if statement.lineno not in kept and _changed_names(statement) & needed:
                kept.add(statement.lineno)
                needed |= _read_names(statement)
                grown = True
    return tuple(sorted(kept))


def _names_the_classes_need(body: list[ast.stmt]) -> set[str]:
    """The globals the file's classes read, and those of the file's functions they read, transitively (not what
    a train() or evaluate() function reads: data loaders are not the model's)."""
    functions = {s.name: s for s in body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    needed = set().union(*(_free_names(s) for s in body if isinstance(s, ast.ClassDef)))
    todo = [name for name in needed if name in functions]
    while todo:
        function = functions.pop(todo.pop(), None)
        for name in (_free_names(function) - needed) if function else ():
            needed.add(name)
            todo.append(name)
    return needed


def _changed_names(statement: ast.stmt) -> set[str]:
    """Top-level names a statement binds (`x = ...`, `for x in`) or changes by a method call (`parser.add_argument`)."""
    names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        root = statement.value.func
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.func if isinstance(root, ast.Call) else root.value
        if isinstance(root, ast.Name):
            names.add(root.id)
    return names


def _read_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _free_names(definition: ast.stmt) -> set[str]:
    """Names a definition reads that it does not bind itself (roughly: its globals)."""
    bound = {n.id for n in ast.walk(definition) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for n in ast.walk(definition) if isinstance(n, ast.arguments)
              for a in (*n.posonlyargs, *n.args, *n.kwonlyargs, *(x for x in (n.vararg, n.kwarg) if x))}
    return _read_names(definition) - bound


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
