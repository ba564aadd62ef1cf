"""Example inputs when the file gives none: one guess from the model itself, used by every page and command.

The guess follows forward()'s first argument to the layer that consumes it (an nn.Embedding wants int64 token
ids in range, an RNN a (seq, batch, features) tensor, a Linear its in_features), asks the model for its own
recurrent state (init_hidden(batch_size) and similar), leaves parameters with defaults at their defaults, and
uses the dtype of the model's parameters. Guesses and typed inputs alike are InputSpecs: a shape and dtype, or
a Python expression evaluated here in the worker (`torch.randint(0, 100, (35, 4))`, `model.init_hidden(4)`).
"""
from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any

import torch
from torch import nn

from tsviz.load.expressions import evaluate
from tsviz.model.types import InputSpec, Param

TORCH_DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "bool": torch.bool,
}
BATCH, SEQ = 2, 8
_STATE_METHOD = re.compile(r"^(init|initial|begin|zero|get_initial|get_init|reset)_?(hidden|state|states)$"
                           r"|^initHidden$", re.IGNORECASE)
_STATE_PARAM = re.compile(r"^(hidden|hiddens|hx|h0|h|state|states|hc|memory|mems|h_c|carry)$", re.IGNORECASE)


def guess_inputs(target: Any, params: list[Param]) -> list[tuple[InputSpec, ...]]:
    """Guesses at forward()'s (or the function's) required inputs, best first: one InputSpec per required
    parameter, in order. More than one guess when the first layer leaves a size open (an image's height and
    width, a Linear's leading dimensions): the caller keeps the first one the model runs on."""
    required = [p for p in params if p.default is None and not p.name.startswith("*")]
    if not required:
        return [()]
    model = target if isinstance(target, nn.Module) else None
    layer = first_layer(model, required[0].name) if model is not None else None
    dtype = _parameter_dtype(model)
    firsts = _from_layer(layer, model, dtype) if layer is not None else [InputSpec((BATCH, SEQ), dtype)]
    state = _state_method(model)
    guesses = []
    for first in firsts:
        specs = [first]
        for param in required[1:]:
            if state and _STATE_PARAM.match(param.name):
                specs.append(InputSpec((), expr=f"model.{state}({_batch_of(first, layer)})"))
            elif isinstance(layer, nn.EmbeddingBag) and "offset" in param.name:
                specs.append(InputSpec((), expr=f"torch.tensor([0, {SEQ}])"))
            else:
                specs.append(InputSpec((BATCH, SEQ), dtype))
        guesses.append(tuple(specs))
    return guesses


def first_layer(model: nn.Module, param: str) -> nn.Module | None:
    """The layer forward()'s argument `param` goes into first: followed through the source of forward()
    (`self.encoder(input)` -> the Embedding), else the first layer the model registered."""
    followed = _followed(model, param, depth=0)
    if followed is not None:
        return followed
    return next((m for m in model.modules() if _is_known(m)), None)


def _followed(module: nn.Module, param: str, depth: int) -> nn.Module | None:
    if _is_known(module):
        return module
    if depth > 6:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(type(module).forward)))
    except (OSError, TypeError, SyntaxError):
        return None
    # in the order Python runs them: by line, and on a line inner calls (which end first) before outer ones
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.end_lineno or n.lineno, n.end_col_offset or 0))
    for call in calls:
        path = _self_path(call.func)
        uses = [i for i, arg in enumerate(call.args) if any(isinstance(n, ast.Name) and n.id == param
                                                            for n in ast.walk(arg))]
        if path is None or not uses:
            continue
        try:
            child = module.get_submodule(path)
        except AttributeError:
            continue
        inner = _forward_param_names(child)
        if uses[0] < len(inner):
            found = _followed(child, inner[uses[0]], depth + 1)
            if found is not None:
                return found
    return None


def _self_path(func: ast.expr) -> str | None:
    """`self.transformer.wte` -> "transformer.wte"; None for anything not rooted at self."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    return ".".join(reversed(parts)) if isinstance(func, ast.Name) and func.id == "self" and parts else None


def _forward_param_names(module: nn.Module) -> list[str]:
    try:
        return [p for p in inspect.signature(module.forward).parameters if p != "self"]
    except (TypeError, ValueError):
        return []


_KNOWN = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Embedding, nn.EmbeddingBag, nn.RNNBase, nn.RNNCellBase)


def _is_known(module: nn.Module) -> bool:
    return isinstance(module, _KNOWN)


IMAGE_SIDES = (32, 28, 64, 224, 96, 16)  # CIFAR, MNIST, then common crops
SIGNAL_LENGTHS = (32, 128, 1000)


def _from_layer(layer: nn.Module, model: nn.Module, dtype: str) -> list[InputSpec]:
    if isinstance(layer, nn.Embedding):
        recurrent = next((m for m in model.modules() if isinstance(m, nn.RNNBase)), None)
        shape = (SEQ, BATCH) if recurrent is not None and not recurrent.batch_first else (BATCH, SEQ)
        return [InputSpec((), expr=f"torch.randint(0, {layer.num_embeddings}, {shape})")]
    if isinstance(layer, nn.EmbeddingBag):
        return [InputSpec((), expr=f"torch.randint(0, {layer.num_embeddings}, ({2 * SEQ},))")]
    if isinstance(layer, nn.Linear):
        return [InputSpec((BATCH, layer.in_features), dtype), InputSpec((BATCH, SEQ, layer.in_features), dtype)]
    if isinstance(layer, nn.Conv1d):
        return [InputSpec((1, layer.in_channels, n), dtype) for n in SIGNAL_LENGTHS]
    if isinstance(layer, nn.Conv2d):
        return [InputSpec((1, layer.in_channels, n, n), dtype) for n in IMAGE_SIDES]
    if isinstance(layer, nn.Conv3d):
        return [InputSpec((1, layer.in_channels, 8, 16, 16), dtype), InputSpec((1, layer.in_channels, 16, 64, 64),
                                                                                 dtype)]
    if isinstance(layer, nn.RNNBase):
        return [InputSpec((BATCH, SEQ, layer.input_size) if layer.batch_first else (SEQ, BATCH, layer.input_size),
                          dtype)]
    assert isinstance(layer, nn.RNNCellBase)
    return [InputSpec((BATCH, layer.input_size), dtype)]


def _batch_of(first: InputSpec, layer: nn.Module | None) -> int:
    """The batch size the first input was given, for the model's state method: BATCH in every guess but an
    image's (batch 1), whose shape starts with it."""
    if first.expr or (isinstance(layer, nn.RNNBase) and not layer.batch_first):
        return BATCH
    return first.shape[0]


def _state_method(model: nn.Module | None) -> str:
    """The model's own method that makes its recurrent state from a batch size (`init_hidden(bsz)`), or ""."""
    if model is None:
        return ""
    for name in dir(type(model)):
        if not _STATE_METHOD.match(name) or name in dir(nn.Module):
            continue
        try:
            params = [p for p in inspect.signature(getattr(model, name)).parameters.values() if p.default is p.empty]
        except (TypeError, ValueError):
            continue
        if len(params) == 1:
            return name
    return ""


def _parameter_dtype(model: nn.Module | None) -> str:
    for p in model.parameters() if model is not None else ():
        if p.is_floating_point():
            return next((name for name, dtype in TORCH_DTYPES.items() if dtype == p.dtype), "float32")
    return "float32"


def value_from_spec(spec: InputSpec, generator: torch.Generator, names: dict[str, Any], file: str) -> Any:
    """The input an InputSpec describes: a random tensor of its shape and dtype, or its expression's value
    (`names` are what the expression can use: the file's globals, torch, and `model`), seeded from `generator`."""
    if spec.expr:
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (), generator=generator)))
        return evaluate(spec.expr, names, "the input", file)
    return tensor_from_spec(spec, generator)


def tensor_from_spec(spec: InputSpec, generator: torch.Generator) -> torch.Tensor:
    return random_tensor(spec.shape, TORCH_DTYPES[spec.dtype], generator)


def random_tensor(shape: tuple[int, ...], dtype: torch.dtype, generator: torch.Generator) -> torch.Tensor:
    """Normal floats, fair booleans, or small integers (valid ids for any embedding) of `shape` and `dtype`."""
    if dtype.is_floating_point:
        return torch.randn(shape, generator=generator).to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=generator) > 0.5
    return torch.randint(0, 8, shape, generator=generator, dtype=dtype)
