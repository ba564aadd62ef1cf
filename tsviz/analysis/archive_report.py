"""A loaded TorchScript archive -> ArchiveReport: its files, version, module tree, tensors, constants, extra files
and methods. Reads the zip and the loaded module only: forward is never called. Runs inside the worker."""
from __future__ import annotations

import zipfile
from typing import Any

import torch

from tsviz.model.types import ArchiveReport, ModuleInfo, TensorInfo

EXTRA_PREVIEW = 400  # characters of each extra file shown


def archive_report(module: Any, zipped: zipfile.ZipFile) -> ArchiveReport:
    names = zipped.namelist()
    version = _format_version(zipped, names)
    return ArchiveReport(
        format_version=version,
        version_note=version_note(version, torch.__version__.split("+")[0], torch._C._get_max_operator_version()),
        files=tuple((info.filename, _file_kind(info.filename), info.file_size, info.compress_size)
                    for info in zipped.infolist()),
        modules=tuple(_module_info(path, sub) for path, sub in module.named_modules()),
        constants=_constants(module),
        extra_files=tuple(_extra(zipped, name) for name in names if "/extra/" in name),
        training=bool(getattr(module, "training", False)),  # a frozen module has no such attribute
    )


def version_note(version: int, installed: str, newest: int) -> str:
    """What an archive's file format version means for the installed torch."""
    if version > newest:
        return (f"Written by a newer PyTorch than this one: torch {installed} reads file format versions up to "
                f"{newest}. Load it with the PyTorch it was saved with, or a newer one.")
    if version <= 3:
        return (f"Version {version}: the base TorchScript format. The archive calls no operator whose meaning "
                f"changed later, so any PyTorch since 1.x (torch {installed} here) loads it and runs it the same way.")
    return (f"Version {version}: the archive calls an operator whose meaning changed in that version (integer "
            f"aten::div became true division in version 4, for example), so it needs a PyTorch that knows "
            f"version {version}; torch {installed} reads versions up to {newest}.")


def _format_version(zipped: zipfile.ZipFile, names: list[str]) -> int:
    record = next((n for n in names if n.endswith("/version") or n == "version"), None)
    try:
        return int(zipped.read(record).decode().strip()) if record else 0
    except ValueError:
        return 0


def _file_kind(name: str) -> str:
    inner = name.split("/", 1)[-1]
    if inner.startswith("code/"):
        return "source ranges (debug info)" if inner.endswith(".debug_pkl") else "code"
    if inner.startswith("data/"):
        return "tensor data"
    if inner.startswith("extra/"):
        return "extra file"
    return {"data.pkl": "module attributes (pickle)", "constants.pkl": "code constants (pickle)",
            "version": "file format version", "byteorder": "byte order", ".data/version": "file format version",
            ".data/serialization_id": "serialization id", "bytecode.pkl": "mobile bytecode"}.get(inner, "other")


def _tensor(name: str, kind: str, tensor: torch.Tensor) -> TensorInfo:
    return TensorInfo(name, kind, tuple(tensor.shape), str(tensor.dtype).removeprefix("torch."),
                      tensor.numel() * tensor.element_size())


def _module_info(path: str, sub: Any) -> ModuleInfo:
    prefix = f"{path}." if path else ""
    tensors = [_tensor(prefix + n, "parameter", t) for n, t in sub.named_parameters(recurse=False)]
    tensors += [_tensor(prefix + n, "buffer", t) for n, t in sub.named_buffers(recurse=False)]
    qualified = sub._c._type().qualified_name()
    methods = tuple(f"{name}{_signature(sub._c._get_method(name).schema)}" for name in sub._c._method_names())
    return ModuleInfo(path, getattr(sub, "original_name", type(sub).__name__),
                      qualified.rsplit(".", 1)[0].replace(".", "/") + ".py", methods, tuple(tensors))


def _signature(schema: Any) -> str:
    """'(Tensor x) -> Tensor' from a method schema, without `self`."""
    args = ", ".join(f"{a.type} {a.name}" for a in schema.arguments if a.name != "self")
    returns = ", ".join(str(r.type) for r in schema.returns)
    return f"({args}) -> {returns or 'None'}"


def _constants(module: Any) -> tuple[TensorInfo, ...]:
    """Tensors the code uses as CONSTANTS.cN (frozen modules keep their weights there)."""
    found: dict[str, TensorInfo] = {}
    for _, sub in module.named_modules():
        try:
            mapping = sub.code_with_constants[1].const_mapping
        except (RuntimeError, AttributeError):
            continue  # a module without forward
        for name, value in mapping.items():
            if isinstance(value, torch.Tensor):
                found.setdefault(name, _tensor(f"CONSTANTS.{name}", "constant", value))
    return tuple(found.values())


def _extra(zipped: zipfile.ZipFile, name: str) -> tuple[str, int, str]:
    data = zipped.read(name)
    return name.split("/extra/", 1)[1], len(data), data[:EXTRA_PREVIEW].decode("utf-8", errors="replace")
