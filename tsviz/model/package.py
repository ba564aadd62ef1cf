"""What a torch.package archive holds, as plain data: its interned modules, its extern modules, its pickles (what
each one is), and the picked pickle's model inspected like an archive (TorchScript) or a .py (an eager nn.Module)."""
from __future__ import annotations

from dataclasses import dataclass

from tsviz.model.types import InspectResult

DRAWN = ("ScriptModule", "nn.Module")  # what a pickle may hold for its graph to be drawn


@dataclass(frozen=True, slots=True)
class PackedPickle:
    """One pickle of the package, loaded with PackageImporter.load_pickle in the worker."""

    resource: str  # its path in the package: "model/model.pkl" (load_pickle("model", "model.pkl"))
    holds: str  # "ScriptModule", "nn.Module", or the type's name of anything else ("dict", "Tensor")
    type: str  # the class it unpickles to, by its module in the package: "accent.Accent", "builtins.dict"
    error: str = ""  # what loading it raised, as one line; "" when it loaded

    @property
    def drawn(self) -> bool:
        return self.holds in DRAWN


@dataclass(frozen=True, slots=True)
class PackageResult:
    """A torch.package archive listed, and one of its pickled models inspected."""

    filename: str
    modules: tuple[str, ...]  # the interned modules' source files, in the package's order: "accent.py"
    externs: tuple[str, ...]  # the modules it leaves to the loading interpreter (.data/extern_modules): "torch"
    pickles: tuple[PackedPickle, ...]  # every .pkl outside .data/, in the package's order
    other_files: tuple[str, ...]  # the rest of its own files (text and binary resources), .data/ left out
    picked: str  # the resource inspected ("" when no pickle holds a model)
    model: InspectResult | None  # that pickle inspected: an archive's view for a ScriptModule, a .py's otherwise
    source_file: str = ""  # the interned module that defines the picked model's class ("accent.py"), if any
    notes: tuple[str, ...] = ()

    @property
    def models(self) -> tuple[PackedPickle, ...]:
        return tuple(p for p in self.pickles if p.drawn)
