"""A state dict or a checkpoint -> WeightsResult: torch.load(weights_only=True) in the worker, never an unsafe load;
a file weights_only refuses is named by the classes its pickle refers to, read by disassembly only."""
from __future__ import annotations

import io
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

from tsviz.load.sniff import RUNS_CODE, SAFE_PREFIXES, file_globals, require_kind
from tsviz.load.weights import GIVE_WEIGHTS, is_state_dict, pick_weights, value_kind
from tsviz.model.errors import ArchiveError, InputError
from tsviz.model.filekinds import WEIGHT_KINDS, Sniffed
from tsviz.model.stages import stage
from tsviz.model.types import InspectRequest
from tsviz.model.weights import (
    CheckpointEntry,
    WeightsResult,
    WeightTensor,
    WeightTotal,
)

_MAX_SUMMARY = 120


def list_weights(request: InspectRequest) -> WeightsResult:
    """What a torch.save file holds: its tensors by module, totals, and the checkpoint's other entries."""
    data: bytes | Path = Path(request.local_path) if request.local_path and not request.content else request.content
    sniffed = require_kind(data, request.filename, WEIGHT_KINDS)
    stage("load", f"loading {request.filename} with torch.load(weights_only=True)")
    try:
        loaded = torch.load(data if isinstance(data, Path) else io.BytesIO(data), map_location="cpu",
                            weights_only=True)
    except Exception as e:
        if "weights_only" not in str(e) and "Unsupported global" not in str(e):
            raise InputError(f"torch.load could not read this {sniffed.label}: {str(e).splitlines()[0]}",
                             file=request.filename, hint="save it again with torch.save", detail=str(e)) from e
        raise _refused(request.filename, data, sniffed.prefix) from e
    return describe(request.filename, "zip" if sniffed.kind == "torch_save" else "legacy pickle", loaded)


def _refused(filename: str, data: bytes | Path, prefix: str) -> InputError:
    """weights_only refused: name the classes the pickle refers to (never unpickled) and what to do."""
    classes = [c for c in file_globals(data, prefix) if not c.startswith(SAFE_PREFIXES)]
    named = ", ".join(classes[:6]) + (f" and {len(classes) - 6} more" if len(classes) > 6 else "")
    return InputError(f"this torch.save file pickles classes of its own ({named or 'unknown classes'}), which "
                      "torch.load(weights_only=True) refuses; tsviz never unpickles them", file=filename,
                      hint=f"`{classes[0] if classes else 'its class'}`: if it is a whole pickled model, open the .py "
                           f"that defines it with this file as its weights ({GIVE_WEIGHTS}); if it is a checkpoint, "
                           "save its state_dict() alone")


def not_a_program(filename: str, data: bytes | Path, sniffed: Sniffed) -> ArchiveError:
    """What a torch.save file is, for a job that wanted a program: a whole pickled model (named by its class), a
    pickle that would run code, or saved tensors; read from its pickle's class references, never unpickled."""
    classes = file_globals(data, sniffed.prefix)
    runs = [c for c in classes if c in RUNS_CODE or c.split(".")[0] in RUNS_CODE]
    if runs:
        return ArchiveError(f"this {sniffed.label} is a pickle that calls {runs[0]} when it is unpickled (that is how "
                            "a malicious checkpoint runs code); tsviz read it without unpickling", file=filename,
                            hint="do not torch.load this file outside weights_only=True")
    own = [c for c in classes if not c.startswith(SAFE_PREFIXES)]
    if own:
        return ArchiveError(f"this {sniffed.label} is a whole pickled model (it pickles {own[0]}), not TorchScript",
                            file=filename, hint=f"`{own[0]}`: open the .py that defines it with this file as its "
                                                f"weights ({GIVE_WEIGHTS})")
    return ArchiveError(f"this {sniffed.label} holds saved tensors (a state dict or a checkpoint), not a program",
                        file=filename, hint=f"`tsviz archive {filename}` and the Archive page list its tensors; to "
                                            "see the model, open the .py that defines it with this file as its "
                                            f"weights ({GIVE_WEIGHTS})")


def describe(filename: str, file_format: str, loaded: Any) -> WeightsResult:
    """The loaded object as plain data: the state dict in it picked, its tensors listed, the rest summarised."""
    weights, entry, notes = pick_weights(loaded)
    tensors = tuple(_tensors(weights)) if weights is not None else ()
    names = [t.name for t in tensors]
    prefix = "module." if names and all(n.startswith("module.") for n in names) else ""
    if prefix:
        tensors = tuple(WeightTensor(t.name, _module_of(t.name[len(prefix):]), t.shape, t.dtype, t.numel, t.bytes)
                        for t in tensors)
        notes = (*notes, "Every name starts with 'module.': saved from nn.DataParallel or DistributedDataParallel; "
                         "loading into a plain model needs the prefix removed.")
    entries = tuple(_entry(str(k), v) for k, v in loaded.items() if str(k) != entry) \
        if isinstance(loaded, dict) and weights is not loaded else ()  # a plain state dict has no other entries
    holds = ("a state dict" if entry == "" and weights is not None and isinstance(loaded, dict) else
             "a checkpoint" if isinstance(loaded, dict) else value_kind(loaded))
    return WeightsResult(filename=filename, format=file_format, holds=holds, weights_entry=entry, prefix=prefix,
                         tensors=tensors, by_dtype=_by_dtype(tensors), by_module=_by_module(tensors),
                         entries=entries, notes=notes)


def _tensors(weights: dict) -> list[WeightTensor]:
    rows = []
    for name, tensor in weights.items():
        rows.append(WeightTensor(str(name), _module_of(str(name)), tuple(tensor.shape),
                                 str(tensor.dtype).removeprefix("torch."), tensor.numel(),
                                 tensor.numel() * tensor.element_size()))
    return rows


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _by_dtype(tensors: tuple[WeightTensor, ...]) -> tuple[WeightTotal, ...]:
    totals = _totals(tensors, lambda t: t.dtype)
    return tuple(sorted(totals, key=lambda t: (-t.bytes, t.name)))


def _by_module(tensors: tuple[WeightTensor, ...]) -> tuple[WeightTotal, ...]:
    return tuple(_totals(tensors, lambda t: t.module.split(".", 1)[0] or "(top)"))


def _totals(tensors: tuple[WeightTensor, ...], key: Any) -> list[WeightTotal]:
    groups: OrderedDict[str, list[WeightTensor]] = OrderedDict()
    for tensor in tensors:
        groups.setdefault(key(tensor), []).append(tensor)
    return [WeightTotal(name, len(ts), sum(t.numel for t in ts), sum(t.bytes for t in ts))
            for name, ts in groups.items()]


def _entry(key: str, value: Any) -> CheckpointEntry:
    if is_state_dict(value):
        size = sum(v.numel() * v.element_size() for v in value.values())
        return CheckpointEntry(key, "state dict", f"{len(value)} tensors, {size:,} bytes")
    if isinstance(value, dict) and "state" in value and "param_groups" in value:
        return CheckpointEntry(key, "optimizer state", _optimizer_summary(value))
    if isinstance(value, torch.Tensor):
        return CheckpointEntry(key, "tensor", f"{tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}"
                               + (f" = {value.item():g}" if value.numel() == 1 and not value.is_complex() else ""))
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:8]) + (", ..." if len(value) > 8 else "")
        return CheckpointEntry(key, "dict", _short(f"dict of {len(value)} key{'s' if len(value) != 1 else ''}: {keys}"))
    if isinstance(value, (list, tuple)):
        return CheckpointEntry(key, value_kind(value), f"{len(value)} items")
    return CheckpointEntry(key, value_kind(value), _short(repr(value)))


def _optimizer_summary(state: dict) -> str:
    groups = state.get("param_groups") or []
    first = groups[0] if groups and isinstance(groups[0], dict) else {}
    settings = ", ".join(f"{k}={first[k]}" for k in ("lr", "momentum", "betas", "weight_decay") if k in first)
    per = state.get("state") or {}
    kinds = sorted({str(k) for s in per.values() if isinstance(s, dict) for k in s})
    return _short(f"{len(per)} parameter states ({', '.join(kinds) or 'none kept'}), {len(groups)} param group"
                  f"{'s' if len(groups) != 1 else ''}" + (f" ({settings})" if settings else ""))


def _short(text: str) -> str:
    return text if len(text) <= _MAX_SUMMARY else text[:_MAX_SUMMARY - 1] + "…"
