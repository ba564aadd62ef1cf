"""Dataclass <-> JSON-able dict, driven by type hints, so results cross processes as plain JSON."""
from __future__ import annotations

import base64
import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_data(obj: Any, bytes_as: Callable[[bytes], str] = lambda b: base64.b64encode(b).decode("ascii")) -> Any:
    """A JSON-able copy of a result: dataclasses become dicts, tuples lists, bytes base64 (or `bytes_as`)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name), bytes_as) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_data(item, bytes_as) for item in obj]
    if isinstance(obj, dict):
        return {str(key): to_data(value, bytes_as) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return bytes_as(obj)
    return obj


def from_data(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass from `to_data` output, checking the shape as it goes."""
    return _build(cls, data, cls.__name__)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(tp: Any, data: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object")
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _build(hints[f.name], data[f.name], f"{path}.{f.name}")
        return tp(**kwargs)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _build(inner[0], data, path)
    if origin is typing.Literal:
        if data not in args:
            raise ValueError(f"{path}: {data!r} is not one of {args}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item, f"{path}[{i}]") for i, item in enumerate(data))
        if len(args) != len(data):
            raise ValueError(f"{path}: expected {len(args)} items")
        return tuple(_build(a, item, f"{path}[{i}]") for i, (a, item) in enumerate(zip(args, data)))
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected an object")
        return {str(k): _build(args[1], v, f"{path}[{k}]") for k, v in data.items()}
    if tp is bytes:
        if not isinstance(data, str):
            raise ValueError(f"{path}: expected base64 text")
        return base64.b64decode(data)
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, float, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise ValueError(f"{path}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    if tp is typing.Any:
        return data
    raise TypeError(f"{path}: cannot rebuild type {tp!r}")
