"""Python expressions a user types (constructor arguments, inputs), evaluated in the worker only.

They run where the uploaded file's own code already runs, never in the server, with the file's globals plus
torch, nn, math and SimpleNamespace in scope (and `model` for inputs).
"""
from __future__ import annotations

import math
from types import ModuleType, SimpleNamespace
from typing import Any

import torch
from torch import nn

from tsviz.model.errors import InputError


def namespace(module: ModuleType, **more: Any) -> dict[str, Any]:
    """What a typed expression (constructor argument or input) can name: the file's globals, plus torch, nn, math
    and SimpleNamespace. Evaluated only in the worker, where the file's own code already runs."""
    return {"torch": torch, "nn": nn, "math": math, "SimpleNamespace": SimpleNamespace, **vars(module), **more}


def evaluate(text: str, names: dict[str, Any], what: str, display_name: str) -> Any:
    """A Python expression the user typed, evaluated; errors say which field and what went wrong."""
    try:
        return eval(compile(text, f"<{what}>", "eval"), names)  # noqa: S307 (in the worker, like the file itself)
    except SyntaxError as e:
        raise InputError(f"{what} = {text!r} is not a Python expression: {e.msg}", file=display_name,
                         hint="write a value or an expression, e.g. 32, 'LSTM', (3, 3) or Config(width=64)") from e
    except Exception as e:
        hint = "expressions can use the file's names, torch, nn, math and SimpleNamespace"
        if isinstance(e, NameError) and text.strip().isidentifier():
            hint = f"to pass the text {text.strip()!r}, quote it: '{text.strip()}'"
        raise InputError(f"{what} = {text!r} raised {type(e).__name__}: {e}", file=display_name, hint=hint) from e
