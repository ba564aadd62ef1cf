"""What a state dict or a training checkpoint holds, as plain data: its tensors by module, totals, other entries."""
from __future__ import annotations

from dataclasses import dataclass

# The entries a checkpoint keeps its model's weights under, in the order one is picked when several are there
WEIGHTS_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "module", "weights", "params")
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
