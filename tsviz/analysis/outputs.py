"""Run a model safely and compare its outputs with another's: nested outputs, shapes, NaN, errors as text.

Shared by the trace-vs-script comparison, the benchmarks' check against eager, and the trace check
on the file's check_inputs().
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import torch

from tsviz.model.types import Outcome

_ERROR_LINE = re.compile(r"^\s*(\w+(Error|Exception)): (.+)$", re.M)


def call_safely(fn: Callable, values: tuple) -> tuple[Any, str]:
    """fn(*copies of values) without autograd; the error as one readable line instead of raising."""
    try:
        with torch.no_grad():
            return fn(*copies(values)), ""
    except Exception as e:  # any failure of the model is a finding, shown on its row
        return None, error_text(e)


def copies(values: tuple) -> tuple:
    """Fresh tensors for each call, so a model that changes its input in place cannot touch the next run."""
    return tuple(v.clone() if isinstance(v, torch.Tensor) else v for v in values)


def error_text(error: Exception) -> str:
    """The line of an exception that says what went wrong (TorchScript wraps it in a long traceback)."""
    text = str(error).strip()
    found = _ERROR_LINE.findall(text)
    if found:
        name, _, message = found[-1]
        return f"{name}: {message.strip()}"[:300]
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:300]


def compare_outputs(eager: Any, got: Any) -> Outcome:
    """Largest absolute and relative differences over every element of every output, nested or not."""
    expected, actual = list(_leaves(eager, "output")), list(_leaves(got, "output"))
    if [p for p, _ in expected] != [p for p, _ in actual]:
        return Outcome(
            mismatch=f"the output has another structure: {_structure(actual)} instead of {_structure(expected)}"
        )
    max_abs = max_rel = 0.0
    for (path, want), (_, have) in zip(expected, actual):
        if isinstance(want, torch.Tensor) != isinstance(have, torch.Tensor):
            return Outcome(mismatch=f"{path} is {type(have).__name__}, eager gives {type(want).__name__}")
        if not isinstance(want, torch.Tensor):
            if want == have or (
                isinstance(want, float) and isinstance(have, float) and math.isnan(want) and math.isnan(have)
            ):
                continue
            if isinstance(want, (int, float)) and isinstance(have, (int, float)) and not isinstance(want, bool):
                want, have = torch.tensor(float(want)), torch.tensor(float(have))
            else:
                return Outcome(mismatch=f"{path} is {have!r}, eager gives {want!r}")
        if want.shape != have.shape:
            return Outcome(mismatch=f"{path} has shape {_shape(have)}, eager gives {_shape(want)}")
        abs_diff, rel_diff, nan_problem = _differences(want, have)
        if nan_problem:
            return Outcome(mismatch=f"{path} has NaN where eager has a number, or the other way round")
        max_abs, max_rel = max(max_abs, abs_diff), max(max_rel, rel_diff)
    return Outcome(max_abs=max_abs, max_rel=max_rel)


def _differences(want: torch.Tensor, have: torch.Tensor) -> tuple[float, float, bool]:
    if want.numel() == 0:
        return 0.0, 0.0, False
    if want.is_complex() or have.is_complex():
        want, have = torch.view_as_real(want.to(torch.complex128)), torch.view_as_real(have.to(torch.complex128))
    a, b = want.detach().cpu().double(), have.detach().cpu().double()
    nan_a, nan_b = torch.isnan(a), torch.isnan(b)
    if bool((nan_a != nan_b).any()):
        return math.inf, math.inf, True
    same = (a == b) | nan_a  # equal infinities and NaN in the same places count as equal
    diff = torch.where(same, torch.zeros_like(a), (a - b).abs())
    rel = torch.where(diff == 0, torch.zeros_like(a), diff / a.abs())  # x/0 = inf where eager is 0
    return float(diff.max()), float(rel.max()), False


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key in value:
            yield from _leaves(value[key], f"{path}[{key!r}]")
    else:
        yield path, value


def _structure(leaves: list[tuple[str, Any]]) -> str:
    names = ", ".join(p for p, _ in leaves[:4]) + (", …" if len(leaves) > 4 else "")
    return f"{len(leaves)} value{'s' if len(leaves) != 1 else ''} ({names})"


def _shape(x: torch.Tensor) -> str:
    return "x".join(str(d) for d in x.shape) or "scalar"
