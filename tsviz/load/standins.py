"""Stand-ins for packages a model file imports but this machine does not have (torchvision, matplotlib, ...).

Training scripts import their data and plotting packages next to the model class. While the file is imported,
a stand-in answers everything (attribute access, calls, subclassing, `from x import y`), so the file's
top-level code runs. Afterwards, any real use of one (a call, arithmetic, building a subclass) raises
MissingPackage naming the package and the user's line. Lives in the worker: stand-ins stay in sys.modules for
the life of the job's process.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

_packages: set[str] = set()  # top-level package names standing in
_state = {"importing": False, "user_path": ""}


class MissingPackage(Exception):
    """The model's code used a package that is not installed (a stand-in was called)."""

    def __init__(self, path: str):
        package = path.split(".", 1)[0]
        line = _user_line()
        where = f"line {line} uses {path}" if line else f"the model uses {path}"
        super().__init__(f"{package} is not installed here, and {where}")
        self.package, self.line = package, line


def _user_line() -> int:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == _state["user_path"]:
            return frame.f_lineno
        frame = frame.f_back
    return 0


def _use(path: str) -> None:
    if not _state["importing"]:
        raise MissingPackage(path)


class StandIn:
    """Any value reached through a missing package: `transforms.Normalize(...)`, `plt.plot`, `datasets.MNIST`."""

    __slots__ = ("_path",)

    def __init__(self, path: str):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> StandIn:
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn(f"{self._path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> StandIn:
        _use(self._path)
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
        if fullname.split(".", 1)[0] not in _packages:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


_FINDER = _Finder()


def stand_in_for(package: str) -> None:
    """From now on `import package` (and its submodules) gives stand-ins."""
    _packages.add(package)
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]  # a half-imported real module, if any
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def standing_in() -> tuple[str, ...]:
    return tuple(sorted(_packages))


class importing:
    """While the user's file runs its top-level code, stand-ins answer calls instead of raising."""

    def __init__(self, user_path: str):
        _state["user_path"] = user_path

    def __enter__(self) -> None:
        _state["importing"] = True

    def __exit__(self, *exc: Any) -> None:
        _state["importing"] = False
