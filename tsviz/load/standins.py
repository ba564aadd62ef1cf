"""Stand-ins for packages a model file imports but this machine does not have (torchvision, matplotlib, ...).

Training scripts import their data and plotting packages next to the model class. While the file is imported,
a stand-in answers everything (attribute access, calls, subclassing, `from x import y`), so the file's
top-level code runs; a decorator from one returns what it decorates. While the model is built, a call is still
allowed and remembered (weight init through a missing package, whose result nobody uses), and noted. Any other
use, and any use afterwards (in forward), raises MissingPackage naming the package and the user's line. Lives in
the worker: stand-ins stay in sys.modules for the life of the job's process.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import inspect
import sys
import types
from typing import Any

VERSION = "99.0.0"  # what a stand-in package says its version is: newer than any, so version checks pass
_packages: set[str] = set()  # standing in: a package (`torchvision`) or a module (`torch.utils.tensorboard`)
_state: dict[str, Any] = {"phase": "", "user_path": "", "root": ""}
_calls: list[tuple[str, int, str]] = []  # stand-ins called while the model was built: (path, line, file)


class MissingPackage(Exception):
    """The model's code used a package that is not installed (a stand-in was called)."""

    def __init__(self, path: str):
        package = path.split(".", 1)[0]
        file, line = _user_frame()
        where = f"line {line} uses {path}" if line else f"the model uses {path}"
        super().__init__(f"{package} is not installed here, and {where}")
        self.package, self.line, self.file = package, line, file


def _user_frame() -> tuple[str, int]:
    """The innermost frame of the user's file, else of their project: (its name for messages, line)."""
    frame = sys._getframe(1)
    inside = _state["root"].rstrip("/") + "/" if _state["root"] else "\0"
    found = ("", 0)
    while frame is not None:
        name = frame.f_code.co_filename
        if name == _state["user_path"]:
            return "", frame.f_lineno
        if not found[1] and name.startswith(inside):
            found = (name[len(inside):], frame.f_lineno)
        frame = frame.f_back
    return found


def _use(path: str) -> None:
    if _state["phase"] != "importing":
        raise MissingPackage(path)


def _call(path: str) -> None:
    """A call: harmless while importing; while building, allowed and remembered (weight init through a missing
    package, `trunc_normal_(m.weight, std=.02)`, whose result nobody uses); else the model really uses it."""
    if _state["phase"] == "building":
        file, line = _user_frame()
        _calls.append((path, line, file))
        return
    _use(path)


class StandIn:
    """Any value reached through a missing package: `transforms.Normalize(...)`, `plt.plot`, `datasets.MNIST`."""

    __slots__ = ("_path",)

    def __init__(self, path: str):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn(f"{self._path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and (inspect.isfunction(args[0]) or inspect.isclass(args[0])):
            return args[0]  # a decorator (`@register_model`, `@some_package.jit`): the thing it decorates
        _call(self._path)
        return StandIn(f"{self._path}(...)")

    def __mro_entries__(self, bases: tuple) -> tuple[type, ...]:
        return (_base_class(self._path),)  # `class MyDataset(datasets.MNIST)`

    def __setattr__(self, name: str, value: Any) -> None:
        _use(self._path)

    def __getitem__(self, key: Any) -> StandIn:
        _use(self._path)
        return StandIn(f"{self._path}[...]")

    def __iter__(self):
        _use(self._path)
        return iter(())

    def __repr__(self) -> str:
        return f"<stand-in for {self._path}: not installed>"


def _operator(name: str):
    def method(self: StandIn, *args: Any) -> StandIn:
        _use(self._path)
        return StandIn(self._path)

    method.__name__ = name
    return method


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "matmul", "or", "ror",
              "and", "neg", "lt", "gt", "le", "ge", "enter", "exit"):
    setattr(StandIn, f"__{_name}__", _operator(f"__{_name}__"))


def _base_class(path: str) -> type:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _use(path)

    return type(path.rsplit(".", 1)[-1], (), {"__init__": __init__, "__doc__": f"stand-in for {path}"})


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn(f"{self.__name__}.{name}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds every module of a standing-in package (`import matplotlib.pyplot as plt` included)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if not any(fullname == p or fullname.startswith(p + ".") for p in _packages):
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandInModule(spec.name)
        module.__path__ = []
        module.__version__ = VERSION  # `float(torchvision.__version__[:3]) < 0.7` takes the current code path
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


_FINDER = _Finder()


def stand_in_for(package: str) -> None:
    """From now on `import package` (and its submodules) gives stand-ins; `package` may be dotted (a module of a
    real package that cannot be imported here)."""
    _packages.add(package)
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]  # a half-imported real module, if any
    parent, _, child = package.rpartition(".")
    if parent in sys.modules and hasattr(sys.modules[parent], child):
        with contextlib.suppress(AttributeError, TypeError):
            delattr(sys.modules[parent], child)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def standing_in() -> tuple[str, ...]:
    return tuple(sorted(_packages))


@contextlib.contextmanager
def importing(user_path: str, root: str = ""):
    """While the user's file runs its top-level code, stand-ins answer calls instead of raising."""
    _state.update(user_path=user_path, root=root)
    with _phase("importing"):
        yield


@contextlib.contextmanager
def building():
    """While the model is built, calling a stand-in is allowed (and remembered: calls_while_building); any other
    use raises."""
    _calls.clear()
    with _phase("building"):
        yield


def calls_while_building() -> tuple[tuple[str, int, str], ...]:
    """The stand-ins called while the model was last built: (what, line, file of the project or "")."""
    return tuple(dict.fromkeys(_calls))


def kept(target: Any) -> MissingPackage | None:
    """A stand-in's result that the built model keeps (returned by the factory, or stored on a module as
    `self.backbone = torchvision.models.resnet18()`): the model really uses the missing package, so say where."""
    found = [target] if isinstance(target, StandIn) else [
        value for module in (target.modules() if hasattr(target, "modules") else ())
        for value in vars(module).values() if isinstance(value, StandIn)]
    if not found:
        return None
    path = object.__getattribute__(found[0], "_path").removesuffix("(...)")
    error = MissingPackage(path)
    for what, line, file in calls_while_building():
        if what == path:
            error.line, error.file = line, file
            error.args = (f"{error.package} is not installed here, and "
                          f"{f'{file} ' if file else ''}line {line} uses {path}",)
            break
    return error


def explain(error: BaseException) -> MissingPackage | None:
    """A library's complaint about a stand-in (`StandIn is not a Module subclass`, a stand-in's result used as a
    number) as what it is: the missing package and the line that called it; None for any other error."""
    if "StandIn" not in str(error) and "stand-in for" not in str(error):
        return None
    called = calls_while_building()
    found = MissingPackage(called[-1][0].split("(")[0] if called else "a package")
    if called:
        found.line, found.file = called[-1][1], called[-1][2]
        where = f"{found.file + ' ' if found.file else ''}line {found.line}" if found.line else "the model"
        found.args = (f"{found.package} is not installed here, and {where} uses {called[-1][0].split('(')[0]} "
                      "for real (what it returned is built into the model)",)
    return found


@contextlib.contextmanager
def _phase(name: str):
    before, _state["phase"] = _state["phase"], name
    try:
        yield
    finally:
        _state["phase"] = before
