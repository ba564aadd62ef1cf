"""What a state dict or a training checkpoint holds, as plain data: its tensors by module, totals, other entries."""
from __future__ import annotations

from dataclasses import dataclass

# The entries a checkpoint keeps its model's weights under, in the order one is picked when several are there
WEIGHTS_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "module", "weights", "params")
# The kinds of file (tsviz.model.filekinds) a .py takes as its weights (--weights FILE, the Weights uploader)
WEIGHTS_FILE_KINDS = ("torch_save", "pickle", "safetensors")
EMA_KEYS = ("ema", "model_ema", "ema_state_dict", "state_dict_ema", "ema_model", "averaged_model")


@dataclass(frozen=True, slots=True)
class WeightTensor:
    """One tensor of the state dict, named as in the file."""

    name: str  # "module.layer1.0.conv1.weight", as saved
    module: str  # "layer1.0.conv1": the module it belongs to, DataParallel's "module." left off ("" at the top)
    shape: tuple[int, ...]
    dtype: str  # "float32"
    numel: int
    bytes: int


@dataclass(frozen=True, slots=True)
class WeightTotal:
    """Tensors counted together: by dtype, or by top-level module."""

    name: str  # "float32", or "layer1" ("(top)" for tensors of the model itself)
    tensors: int
    numel: int
    bytes: int


@dataclass(frozen=True, slots=True)
class CheckpointEntry:
    """One top-level entry of a checkpoint other than the weights shown: epoch, loss, a config, an optimizer."""

    key: str  # "epoch", "optimizer_state_dict"
    kind: str  # "int", "float", "str", "dict", "list", "tensor", "state dict", "optimizer state", "None"
    summary: str  # "12", "dict of 8 keys: lr, batch_size, ...", "Adam-like: 62 parameter states, 1 group (lr=0.001)"


@dataclass(frozen=True, slots=True)
class WeightsResult:
    """A torch.save file loaded with weights_only=True in the worker: what it holds, without any model."""

    filename: str
    format: str  # "zip" (torch.save since 1.6) or "legacy pickle"
    holds: str  # "a state dict", "a checkpoint", "a tensor", "a list": what the top-level object is
    weights_entry: str  # the checkpoint entry the tensors below come from; "" when the file is the state dict itself
    prefix: str  # "module." when every name carries DataParallel's prefix, else ""
    tensors: tuple[WeightTensor, ...]  # in the file's order
    by_dtype: tuple[WeightTotal, ...]  # largest first, then by name
    by_module: tuple[WeightTotal, ...]  # top-level modules in the file's order
    entries: tuple[CheckpointEntry, ...]  # every other top-level entry, in the file's order
    notes: tuple[str, ...] = ()  # what a reader should know: other state dicts (EMA copies), what was picked and why

    @property
    def total_bytes(self) -> int:
        return sum(t.bytes for t in self.tensors)

    @property
    def total_numel(self) -> int:
        return sum(t.numel for t in self.tensors)


@dataclass(frozen=True, slots=True)
class WeightKey:
    """A tensor name missing from the file or not in the model, with the module it belongs to."""

    name: str  # "fc.weight", as the model names it (the file's prefix left off)
    module: str  # "fc" ("" at the top)
    shape: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A tensor of the file whose shape is not the model's: not loaded (the model keeps its own value)."""

    name: str  # "fc.weight"
    module: str  # "fc"
    file_shape: tuple[int, ...]
    model_shape: tuple[int, ...]
    hint: str  # "fc.weight is 10×512 in the file, 1000×512 in the model: num_classes=10?"


@dataclass(frozen=True, slots=True)
class WeightsLoad:
    """A weights file loaded into the model a .py built (in the worker, before any job uses it)."""

    filename: str  # the weights file, as the user named it
    holds: str  # "a state dict", "a checkpoint", "a whole pickled model (net.Net)"
    entry: str  # the checkpoint entry used; "" when the file is the state dict itself
    prefix: str  # the prefix taken off every name to fit the model ("module." from DataParallel), else ""
    loaded: int  # tensors copied into the model
    model_tensors: int  # tensors of the model's state dict
    missing: tuple[WeightKey, ...] = ()  # the model's tensors the file does not have: they keep their initial values
    unexpected: tuple[WeightKey, ...] = ()  # the file's tensors the model has no place for: left out
    mismatched: tuple[Mismatch, ...] = ()  # same name, other shape: left out, with the constructor value to change
    notes: tuple[str, ...] = ()  # how the entry was picked, other state dicts in the file

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self) -> str:
        """One line: "Weights: 12 of 14 tensors loaded from ck.tar (entry 'model_state_dict', prefix 'module.' removed);
        2 missing"."""
        where = [f"entry '{self.entry}'"] if self.entry else []
        if self.prefix:
            where.append(f"prefix '{self.prefix}' removed")
        problems = [f"{len(keys)} {what}" for keys, what in ((self.missing, "missing"),
                                                             (self.unexpected, "unexpected"),
                                                             (self.mismatched, "of another shape")) if keys]
        return (f"Weights: {self.loaded} of {self.model_tensors} tensors loaded from {self.filename}, {self.holds}"
                + (f" ({', '.join(where)})" if where else "") + (f"; {', '.join(problems)}" if problems else "") + ".")


def by_module(keys: tuple[WeightKey, ...] | tuple[Mismatch, ...]) -> dict[str, list[str]]:
    """Names grouped by the module they belong to, in first-seen order ("" for the model itself)."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key.module, []).append(key.name)
    return groups
