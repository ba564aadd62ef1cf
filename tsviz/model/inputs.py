"""Inputs written as text ("2x16 float32", or an expression such as "torch.randint(0, 100, (35, 4))")
<-> InputSpec. No torch here: an expression is only checked for syntax; the worker evaluates it."""
from __future__ import annotations

import ast
import re

from tsviz.model.errors import InputError
from tsviz.model.types import InputSpec

DTYPES: tuple[str, ...] = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "bool")
_SPEC = re.compile(r"^\s*(\d+(?:\s*[x×,]\s*\d+)*)?\s*(?:[: ]\s*([a-z0-9]+))?\s*$")


VALUE_TYPES: tuple[str, ...] = ("int", "float", "bool", "str", "none")  # inputs that are not tensors
_TYPED = re.compile(r"^\s*(int|float|bool|str)\s*:\s*(.*?)\s*$", re.IGNORECASE | re.DOTALL)


def parse_input_spec(text: str) -> InputSpec:
    """Parse "2x3x32x32", "2, 16 int64" or "2x16:float16" into an InputSpec; a value of a type ("int:16000",
    "float:0.5", "bool:true", "str:greedy", "none") into one of that type; anything else that is a Python
    expression ("model.init_hidden(4)", "[1, 2]") becomes one the worker evaluates."""
    if text.strip().lower() == "none":
        return InputSpec((), "none", "None")
    if typed := _TYPED.match(text):
        return _typed_value(typed.group(1).lower(), typed.group(2), text)
    match = _SPEC.match(text.strip().lower())
    if not match or not match.group(1):
        if _is_expression(text):
            return InputSpec((), expr=text.strip())
        raise InputError(
            f"cannot read the input {text!r}",
            hint="write dimensions separated by 'x' or ',' and an optional dtype, e.g. '2x16 float32', "
                 "or a Python expression, e.g. torch.randint(0, 100, (35, 4))",
        )
    shape = tuple(int(d) for d in re.split(r"\s*[x×,]\s*", match.group(1)))
    dtype = match.group(2) or "float32"
    if dtype not in DTYPES:
        raise InputError(f"unknown dtype {dtype!r} in {text!r}", hint=f"use one of {', '.join(DTYPES)}")
    if any(d > 1_000_000 for d in shape) or len(shape) > 8:
        raise InputError(f"the input shape {text!r} is too large for an example input")
    return InputSpec(shape=shape, dtype=dtype)


def format_input_spec(spec: InputSpec) -> str:
    """The text form that parse_input_spec reads back."""
    if spec.dtype == "none":
        return "none"
    if spec.expr and spec.dtype in VALUE_TYPES:
        return f"{spec.dtype}:{ast.literal_eval(spec.expr) if spec.dtype == 'str' else spec.expr}"
    return spec.expr or f"{'x'.join(str(d) for d in spec.shape)} {spec.dtype}"


def _typed_value(kind: str, value: str, text: str) -> InputSpec:
    """`int:16000` -> the expression 16000, typed int: a value forward() takes as it is, never a tensor."""
    if kind == "str":
        return InputSpec((), kind, repr(value))
    if kind == "bool" and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return InputSpec((), kind, str(value.lower() in ("true", "1", "yes")))
    try:
        number = int(value) if kind == "int" else float(value) if kind == "float" else None
    except ValueError:
        number = None
    if number is None:
        raise InputError(f"{value!r} is not {'an' if kind == 'int' else 'a'} {kind} in the input {text!r}",
                         hint="write int:16000, float:0.5, bool:true, str:greedy or none")
    return InputSpec((), kind, repr(number))


def _is_expression(text: str) -> bool:
    if not text.strip() or len(text) > 2000:
        return False
    try:
        ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def parse_sizes(text: str) -> tuple[int, ...]:
    """ "1,8,32" -> (1, 8, 32)."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a list of whole numbers", hint="write sizes like 1,8,32") from None
    if any(v < 1 for v in values):
        raise InputError("sizes must be at least 1", hint="write sizes like 1,8,32")
    return values
