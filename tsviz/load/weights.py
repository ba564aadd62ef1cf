"""Weights into a built model, in the worker: a state dict, a checkpoint, safetensors or a whole pickled model read
with torch.load(weights_only=True) (a pickled model's own classes allowed by name, from the .py that defines
them, never an unrestricted unpickler), the entry holding the weights picked, a prefix such as DataParallel's
`module.` taken off, and load_state_dict(strict=False) with what did not fit listed: missing, unexpected, and
shapes that differ, each with the constructor value that would make it fit."""
from __future__ import annotations

import importlib
import io
import pickle
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from tsviz.load.sniff import RUNS_CODE, SAFE_PREFIXES, file_globals, require_kind
from tsviz.model.errors import InputError
from tsviz.model.filekinds import Sniffed
from tsviz.model.stages import stage
from tsviz.model.weights import EMA_KEYS, WEIGHTS_FILE_KINDS, WEIGHTS_KEYS, Mismatch, WeightKey, WeightsLoad

GIVE_WEIGHTS = "--weights FILE / the Weights uploader"  # where a user gives a .py its weights, for messages
_PREFIXES = ("module.", "_orig_mod.", "model.")  # DataParallel, torch.compile, Lightning's LightningModule


def load_weights(model: nn.Module, data: bytes | Path, filename: str, *, code: ModuleType | None = None,
                 model_name: str = "", constructor: dict[str, str] | None = None, root: str = "") -> WeightsLoad:
    """Load the weights file (its bytes, or where it lies) into `model`; what does not fit is left out and listed.
    `code` is the .py's module (a whole pickled model's classes come from it, or from the modules of its project
    folder `root` it imported), `constructor` its constructor values as text (for the hint on a shape that
    differs)."""
    sniffed = _weights_kind(data, filename, model_name)
    stage("load", f"loading the weights {filename} into the model (torch.load(weights_only=True))")
    loaded, holds = _read(data, filename, sniffed, _Code(code, model_name, root))
    weights, entry, notes = pick_weights(_as_state_dicts(loaded))
    if weights is None:
        raise InputError(f"this file holds no weights for the model: {notes[0] if notes else 'no dict of tensors'}",
                         file=filename, hint="save them with torch.save(model.state_dict(), 'weights.pth')")
    holds = holds or ("a checkpoint" if entry else "a state dict")
    own = model.state_dict()
    weights, prefix = _fit_prefix(dict(weights), own)
    fitting, mismatched, unexpected = {}, [], []
    for name, tensor in weights.items():
        if not isinstance(tensor, torch.Tensor):
            continue
        if name not in own:
            unexpected.append(WeightKey(name, _module_of(name), tuple(tensor.shape)))
        elif tuple(tensor.shape) != tuple(own[name].shape):
            mismatched.append(_mismatch(name, tuple(tensor.shape), tuple(own[name].shape), model,
                                        constructor or {}))
        else:
            fitting[name] = tensor
    missing = [WeightKey(name, _module_of(name), tuple(t.shape)) for name, t in own.items() if name not in weights]
    try:
        model.load_state_dict(fitting, strict=False)
    except Exception as e:  # a module's own _load_from_state_dict refusing what fits by name and shape
        raise InputError(f"loading {filename} into the model raised {type(e).__name__}: {str(e).splitlines()[0]}",
                         file=filename, hint="check that the weights were saved from this model", detail=str(e)) from e
    return WeightsLoad(filename=filename, holds=holds, entry=entry, prefix=prefix, loaded=len(fitting),
                       model_tensors=len(own), missing=tuple(missing), unexpected=tuple(unexpected),
                       mismatched=tuple(mismatched), notes=notes)


def pick_weights(loaded: Any) -> tuple[Any, str, tuple[str, ...]]:
    """(the state dict, the entry it is under or "", notes): the file itself, a known key, else the largest."""
    if isinstance(loaded, torch.Tensor):
        return {"": loaded}, "", ()
    if not isinstance(loaded, dict):
        return None, "", (f"The file holds {value_kind(loaded)}, not a dict of tensors.",)
    if loaded and all(isinstance(v, torch.Tensor) for v in loaded.values()):
        return loaded, "", ()
    candidates = [str(k) for k, v in loaded.items() if is_state_dict(v)]
    if not candidates:
        return None, "", ("No entry of this checkpoint is a dict of tensors.",)
    known = [k for k in WEIGHTS_KEYS if k in candidates] + [k for k in EMA_KEYS if k in candidates]
    entry = known[0] if known else max(candidates, key=lambda k: len(loaded[k]))
    why = (f"'{entry}' is where checkpoints keep the model's weights" if known and entry in WEIGHTS_KEYS else
           f"'{entry}' is the largest dict of tensors")
    others = [k for k in candidates if k != entry]
    notes = (f"The tensors shown are entry '{entry}': {why}.",)
    if others:
        ema = [k for k in others if k in EMA_KEYS or "ema" in k.lower()]
        notes += (f"Other state dicts in the file: {', '.join(others)}"
                  + (f" ({', '.join(ema)}: an exponential moving average copy)" if ema else "") + ".",)
    return loaded[entry], entry, notes


def is_state_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, torch.Tensor) for v in value.values())


def value_kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) or "a scalar"


def _weights_kind(data: bytes | Path, filename: str, model_name: str) -> Sniffed:
    from tsviz.model.filekinds import sniff

    if sniff(data).kind == "torchscript":
        raise InputError("this weights file is a TorchScript archive: a compiled model with weights of its own, not "
                         f"weights for {model_name or 'the .py'}", file=filename,
                         hint="open the archive by itself (as the model file), or give a state dict, a checkpoint "
                              "or a whole pickled model as the weights")
    return require_kind(data, filename, WEIGHTS_FILE_KINDS)


class _Code:
    """Where a whole pickled model's classes may come from: the .py's module, and the modules of its project
    that it imported (`from models.blocks import Block`); nothing else."""

    def __init__(self, module: ModuleType | None, name: str, root: str) -> None:
        self.module, self.name, self.root = module, name, root.rstrip("/")

    def find(self, module: str, qualname: str) -> Any:
        """The class `module.qualname` names, when the .py or its project defines it (a class the .py merely
        imports from elsewhere, `from io import FileIO`, is not one)."""
        if self.module is None:
            return None
        for holder in (self.module, sys.modules.get(module)):
            found = _attribute(holder, qualname) if holder is not None else None
            if isinstance(found, type) and self._defines(found):
                return found
        return None

    def _defines(self, cls: type) -> bool:
        if self.module is not None and cls.__module__ == self.module.__name__:
            return True
        where = str(getattr(sys.modules.get(cls.__module__), "__file__", "") or "")
        return bool(self.root) and where.startswith(self.root + "/")


def _read(data: bytes | Path, filename: str, sniffed: Sniffed, code: _Code) -> tuple[Any, str]:
    """(what the file holds, "" or what it is when that is not a dict: "a whole pickled model (net.Net)")."""
    if sniffed.kind == "safetensors":
        return _read_safetensors(data, filename), "safetensors weights"
    source = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        return torch.load(source, map_location="cpu", weights_only=True), ""
    except Exception as e:
        if "weights_only" not in str(e) and "Unsupported global" not in str(e):
            raise InputError(f"torch.load could not read this {sniffed.label}: {str(e).splitlines()[0]}",
                             file=filename, hint="save it again with torch.save", detail=str(e)) from e
    model_name = code.name
    allowed, named = _pickled_classes(data, filename, sniffed, code)
    stage("load", f"unpickling {filename} with {named} from {model_name} allowed")
    if not isinstance(data, Path):
        source = io.BytesIO(data)
    try:
        if sniffed.kind == "pickle":  # the legacy format pickles each class's source, which weights_only reads not
            loaded = _legacy_load(source, allowed)
        else:
            with torch.serialization.safe_globals(allowed):
                loaded = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as e:
        raise InputError(f"torch.load could not unpickle this whole model with {model_name}'s classes: "
                         f"{str(e).splitlines()[0]}", file=filename,
                         hint=f"check that {model_name} is the file the model was saved from, or save its "
                              "state_dict() instead", detail=str(e)) from e
    return loaded, (f"a whole pickled model ({named})" if isinstance(loaded, nn.Module) else "")


def _legacy_load(source: Any, allowed: list[Any]) -> Any:
    """A whole model in torch.save's legacy format (before PyTorch 1.6), which weights_only's unpickler cannot
    read (each class's source rides in a persistent id): torch's legacy loader with an unpickler that finds only
    what weights_only allows and the classes allowed here; anything else stops the load."""
    named = {f"{c.__module__}.{c.__qualname__}": c for c in allowed if isinstance(c, type)}
    named.update({name: c for c, name in (a for a in allowed if isinstance(a, tuple))})
    safe = {**_weights_only_globals(), **named}

    class Restricted(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)  # protocol 2's names
            if f"{module}.{name}" in safe:
                return safe[f"{module}.{name}"]
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed (only the model's classes, torch.nn's "
                                         "and what weights_only allows)")

    restricted = ModuleType("tsviz_restricted_pickle")
    restricted.Unpickler = Restricted  # type: ignore[attr-defined]
    restricted.load = lambda f, **kw: Restricted(f, **kw).load()  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SourceChangeWarning: the class's source as saved differs from the .py's
        return torch.load(source, map_location="cpu", weights_only=False, pickle_module=restricted)


def _weights_only_globals() -> dict[str, Any]:
    from torch import _weights_only_unpickler

    return dict(_weights_only_unpickler._get_allowed_globals())


def _read_safetensors(data: bytes | Path, filename: str) -> dict:
    try:
        from safetensors.torch import load, load_file
    except ImportError as e:
        raise InputError("this weights file is safetensors, and the safetensors package is not installed where tsviz "
                         "runs", file=filename, hint="pip install safetensors, or save the weights with "
                                                     "torch.save(model.state_dict(), 'weights.pth')") from e
    try:
        return load_file(str(data)) if isinstance(data, Path) else load(data)
    except Exception as e:
        raise InputError(f"safetensors could not read this file: {str(e).splitlines()[0]}", file=filename,
                         hint="save it again with safetensors.torch.save_file", detail=str(e)) from e


def _pickled_classes(data: bytes | Path, filename: str, sniffed: Sniffed, code: _Code) -> tuple[list[Any], str]:
    """The classes a whole pickled model needs, allowed by name for weights_only's unpickler: those the .py
    defines (under the module name the pickle asks for: `net.Net` from the model's module, whatever it is called
    here) and torch.nn's modules. A call that runs code, or a class from elsewhere, is refused, never unpickled."""
    names = file_globals(data, sniffed.prefix)
    runs = [c for c in names if c in RUNS_CODE or c.split(".")[0] in RUNS_CODE]
    if runs:
        raise InputError(f"this {sniffed.label} is a pickle that calls {runs[0]} when it is unpickled (that is how "
                         "a malicious checkpoint runs code); tsviz never unpickles it", file=filename,
                         hint="do not torch.load this file outside weights_only=True; ask for its state_dict()")
    own = [c for c in names if not c.startswith(SAFE_PREFIXES)]
    if code.module is None:
        raise InputError(f"this {sniffed.label} is a whole pickled model: `{own[0] if own else 'its class'}`",
                         file=filename, hint=f"open the .py that defines it with this file as its weights "
                                             f"({GIVE_WEIGHTS})")
    allowed: list[Any] = []
    for name in names:
        if name.startswith("torch."):
            found = _torch_class(name)
            if found is not None:
                allowed.append(found)
        elif name in own:
            module, _, qualname = name.rpartition(".")
            found = code.find(module, qualname)
            if not isinstance(found, type):
                raise InputError(f"this whole pickled model needs `{name}`, which {code.name} does not define; tsviz "
                                 "unpickles only the classes of the model's .py (and its project) and torch.nn's",
                                 file=filename, hint=f"open the .py that defines {qualname} (module {module}) with "
                                                     f"this file as its weights ({GIVE_WEIGHTS})")
            allowed.append((found, name))
    return allowed, ", ".join(f"`{c}`" for c in own[:3]) or "torch.nn's classes"


def _torch_class(name: str) -> type | None:
    """A torch.nn class a pickled model refers to ("torch.nn.modules.linear.Linear"); None for anything else
    (weights_only decides on torch's own tensors and storages)."""
    module, _, attribute = name.rpartition(".")
    if not module.startswith(("torch.nn.", "torch.ao.nn.")):
        return None
    try:
        found = getattr(importlib.import_module(module), attribute, None)
    except Exception:
        return None
    return found if isinstance(found, type) else None


def _attribute(module: ModuleType, qualname: str) -> Any:
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


def _as_state_dicts(loaded: Any) -> Any:
    """A whole model as its state dict; a checkpoint holding whole models (`{"model": Net, "epoch": 3}`) with
    their state dicts in their place."""
    if isinstance(loaded, nn.Module):
        return loaded.state_dict()
    if isinstance(loaded, dict) and any(isinstance(v, nn.Module) for v in loaded.values()):
        return {k: v.state_dict() if isinstance(v, nn.Module) else v for k, v in loaded.items()}
    return loaded


def _fit_prefix(weights: dict[str, Any], own: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The names with the prefix every one of them carries and the model's do not (DataParallel's `module.`)."""
    names = [str(k) for k in weights]
    for prefix in _PREFIXES:
        if names and all(n.startswith(prefix) for n in names) and not all(n.startswith(prefix) for n in own):
            stripped = {str(k)[len(prefix):]: v for k, v in weights.items()}
            if len(set(stripped) & set(own)) > len(set(names) & set(own)):
                return stripped, prefix
    return weights, ""


def _mismatch(name: str, file_shape: tuple[int, ...], model_shape: tuple[int, ...], model: nn.Module,
              constructor: dict[str, str]) -> Mismatch:
    """A shape that differs, with the constructor value that would give the file's shape: the argument (typed,
    prefilled or defaulted) or the model's own attribute whose value is the model's size there."""
    said = f"{name} is {shape_text(file_shape)} in the file, {shape_text(model_shape)} in the model"
    values = {**_kept_sizes(model), **{k: v.strip() for k, v in constructor.items()}}
    guesses = []
    if len(file_shape) == len(model_shape):
        for had, wants in zip(model_shape, file_shape):
            if had != wants:
                guesses += [f"{arg}={wants}" for arg, text in values.items() if text == str(had)]
    guesses = list(dict.fromkeys(guesses))
    hint = (f"{said}: {' or '.join(guesses[:3])}?" if guesses else
            f"{said}: the model was built with other sizes; check its constructor arguments (the sidebar's "
            "constructor fields, --init NAME=EXPR)")
    return Mismatch(name, _module_of(name), file_shape, model_shape, hint)


def _kept_sizes(model: nn.Module) -> dict[str, str]:
    """Whole numbers the model keeps (`self.num_classes`) and those of a config object it keeps
    (`self.config.vocab_size`, a dataclass or namespace), as text by the name a user would change."""
    sizes: dict[str, str] = {}
    for name, value in vars(model).items():
        if name.startswith("_"):
            continue
        if _whole(value):
            sizes[name] = str(value)
        elif not isinstance(value, (nn.Module, torch.Tensor, dict, list, tuple, str)) and hasattr(value, "__dict__"):
            sizes.update({f"{name}.{field}": str(v) for field, v in vars(value).items()
                          if _whole(v) and not field.startswith("_")})
    return sizes


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""
