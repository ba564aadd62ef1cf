"""The inputs a job runs the model on: the user's, the file's example_inputs(), what its own code passes to the
model (tsviz.load.calls), else the guess from its layers (tsviz.load.guess)."""
from __future__ import annotations

import re
import weakref
from dataclasses import replace
from typing import Any

import torch
from torch import nn

from tsviz.load import calls
from tsviz.load.entries import FACTORY, forward_params
from tsviz.load.expressions import namespace
from tsviz.load.guess import TORCH_DTYPES, guess_inputs, parameter_dtype, value_from_spec
from tsviz.load.importer import (
    LoadedSource,
    user_line,
)
from tsviz.model.errors import InputError
from tsviz.model.types import Entry, InputSpec


def example_inputs(source: LoadedSource, entry: Entry, target: Any, specs: tuple[InputSpec, ...],
                   seed: int = 0) -> tuple | None:
    """Inputs to trace with: the user's inputs if given, else the file's example_inputs() when it fits."""
    if specs:
        generator = torch.Generator().manual_seed(seed)
        names = namespace(source.module, model=target)
        return tuple(value_from_spec(spec, generator, names, source.display_name) for spec in specs)
    provider = getattr(source.module, "example_inputs", None)
    if not callable(provider):
        return None
    try:
        inputs = provider()
    except Exception as e:
        raise InputError(f"example_inputs() raised {type(e).__name__}: {e}", file=source.display_name,
                         line=user_line(e, source.path)) from e
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    if entry.name != f"{FACTORY}()" and len(inputs) != required_input_count(entry, target):
        return None  # example_inputs() was written for another entry of this file
    return inputs


def check_inputs(source: LoadedSource) -> list[tuple] | None:
    """The file's optional check_inputs(): more input tuples to check a trace against."""
    provider = getattr(source.module, "check_inputs", None)
    if not callable(provider):
        return None
    return [item if isinstance(item, tuple) else (item,) for item in provider()]


def resized(x: torch.Tensor, dim: int, size: int) -> torch.Tensor:
    """`x` grown or cut along `dim` to `size`, repeating its own values (so only the shape changes)."""
    if x.shape[dim] == 0:
        return x.new_zeros(*[size if d == dim else s for d, s in enumerate(x.shape)])
    repeats = [1] * x.dim()
    repeats[dim] = -(-size // x.shape[dim])
    return x.repeat(*repeats).narrow(dim, 0, size).clone()


def suggest_inputs(source: LoadedSource, entry: Entry, target: Any, run: bool = True) -> tuple[InputSpec, ...]:
    """Inputs to offer when neither the request nor the file's example_inputs() gives any: what the file's own
    code passes to the model (file_call_inputs), then the guesses at forward()'s inputs (tsviz.load.guess); with
    `run`, the first of them that the model runs on, else the first; the user edits it."""
    found = file_call_inputs(source, entry, target, record=run)
    guesses = ([found.specs] if found is not None else []) + guess_inputs(target, list(forward_params(entry, target)))
    if not run or not isinstance(target, nn.Module):
        return guesses[0]
    past_the_inputs = None  # the first guess the model took until a line that needs what is not here (a GPU)
    converted = False  # to the dtype of the file's own inputs
    for at, specs in enumerate(guesses):
        for _ in range(MAX_REPAIRS + 2):
            try:
                with torch.no_grad():
                    target(*example_inputs(source, entry, target, specs))
                return specs
            except Exception as e:  # the model's own error on a wrong guess: mend its width, else the next guess
                if at == 0 and found is not None and not converted:
                    if converted := _to_the_files_dtype(target, specs):
                        continue  # the file runs its model in its inputs' dtype (`Net().double()`): so does tsviz
                if converted and at == 0:
                    target.float()  # that was not it: the guesses are for the model as it was built
                if past_the_inputs is None and any(words in str(e) for words in _NOT_THE_INPUTS):
                    past_the_inputs = specs
                mended = None if at == 0 and found is not None else _mended(specs, e)  # the file's call stays
                if mended is None:
                    break
                specs = mended
    return past_the_inputs or guesses[0]


def _to_the_files_dtype(model: nn.Module, specs: tuple[InputSpec, ...]) -> bool:
    """Convert a float32 model to the one float dtype of the file's own inputs (float64 for `Net().double()` and
    `torch.rand(100, 2, dtype=torch.float64)`): the file's call runs only on a model of that dtype. True if done."""
    floats = {s.dtype for s in specs if not s.expr and s.dtype in ("float64", "float16", "bfloat16")}
    if len(floats) != 1 or parameter_dtype(model) != "float32" or not any(True for _ in model.parameters()):
        return False
    dtype = floats.pop()
    model.to(TORCH_DTYPES[dtype])
    _CONVERTED[model] = dtype
    return True


def converted_note(model: Any) -> str:
    """What _to_the_files_dtype did to this model, in words ("" if nothing)."""
    dtype = _CONVERTED.get(model) if isinstance(model, nn.Module) else None
    if dtype is None or parameter_dtype(model) != dtype:
        return ""
    return (f"Those inputs are {dtype}, so tsviz runs the model in {dtype} too (`model.to(torch.{dtype})`), as "
            "the file's own call needs.")


_CONVERTED: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()


_NOT_THE_INPUTS = ("not compiled with CUDA", "Found no NVIDIA driver", "No CUDA GPUs are available")


MAX_REPAIRS = 3
_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")


def _mended(specs: tuple[InputSpec, ...], error: Exception) -> tuple[InputSpec, ...] | None:
    """The guess with one float input's last size changed to what a matrix product of the model asked for, or None.

    "mat1 and mat2 shapes cannot be multiplied (2x8 and 1433x16)": the input 8 wide becomes 1433 wide (a layer
    that multiplies by its own weight, which the guess cannot read). When no input is 8 wide, the product's input
    was made from several (`torch.cat((self.label_emb(labels), noise), -1)`): the first float input wide enough
    gives up the difference."""
    found = _MATMUL.search(str(error))
    if not found:
        return None
    have, want = int(found[2]), int(found[3])
    sized = [i for i, s in enumerate(specs) if not s.expr and s.shape and s.dtype.startswith(("float", "bfloat"))]
    at = next((i for i in sized if specs[i].shape[-1] == have), None)
    width = want
    if at is None:
        at = next((i for i in sized if specs[i].shape[-1] - (have - want) > 0), None)
        width = specs[at].shape[-1] - (have - want) if at is not None else 0
    if at is None:
        return None
    spec = specs[at]
    return (*specs[:at], replace(spec, shape=(*spec.shape[:-1], width)), *specs[at + 1:])


def file_call_inputs(source: LoadedSource, entry: Entry, target: Any, record: bool = True) -> calls.FileInputs | None:
    """What the file's own code (test(), main(), its __main__ block, a docstring example) passes to the entry, and
    where (tsviz.load.calls); `record` lets it run that code up to the call when the sizes are computed there."""
    names = namespace(source.module, model=target)
    return calls.file_inputs(source, entry, target, forward_params(entry, target), names, record)


def required_input_count(entry: Entry, target: Any) -> int:
    return sum(1 for p in forward_params(entry, target) if p.default is None and not p.name.startswith("*"))


def input_names(entry: Entry, target: Any) -> list[str]:
    """The names of forward()'s (or the function's) positional inputs, in order."""
    return [p.name for p in forward_params(entry, target) if not p.name.startswith("*")]
