"""What kind of file a job was given, on the worker's side: the one sniffer (tsviz.model.filekinds), asked of the
file the job reads, the refusal for a kind the job does not open, and the classes a pickle refers to (read by
disassembly, never unpickled)."""
from __future__ import annotations

import io
import pickletools
import zipfile
from pathlib import Path

from tsviz.model.filekinds import OPENS, Sniffed, refusal, sniff

__all__ = ["OPENS", "RUNS_CODE", "SAFE_PREFIXES", "Sniffed", "file_globals", "pickle_globals", "require_kind",
           "sniff"]

# What a pickle must never call: how a malicious checkpoint runs code (a module, or one builtin)
RUNS_CODE = {"os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "runpy", "importlib", "pty",
             "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "builtins.open",
             "builtins.getattr"}
# Globals every torch.save file refers to: torch's own, containers, builtins (weights_only knows which are safe)
SAFE_PREFIXES = ("torch.", "collections.", "builtins.", "__builtin__.", "_codecs.", "numpy.core.multiarray.",
                 "numpy.dtype")


def require_kind(path: bytes | Path, filename: str, kinds: tuple[str, ...] = OPENS) -> Sniffed:
    """The file's kind (its bytes, or where it lies), or the error that says what it is and what to do when it
    is none of `kinds`."""
    sniffed = sniff(path)
    if sniffed.kind in kinds:
        return sniffed
    error = refusal(filename, sniffed)
    if error is None:  # a kind tsviz opens, but not in this job
        from tsviz.model.errors import InputError

        error = InputError(f"this file is a {sniffed.label}; this job does not take one", file=filename)
    raise error


def pickle_globals(pickle_bytes: bytes) -> list[str]:
    """'module.name' of every GLOBAL / STACK_GLOBAL in a pickle, in order, found by disassembly only."""
    found: list[str] = []
    strings: list[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(pickle_bytes):
            if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                strings.append(str(arg))
            elif opcode.name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
    except Exception:
        pass  # a damaged pickle: report what was read before the damage
    return list(dict.fromkeys(found))


def file_globals(data: bytes | Path, prefix: str) -> list[str]:
    """'module.name' of every class a torch.save file's pickles refer to, by disassembly only."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    if raw[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return pickle_globals(archive.read(f"{prefix}/data.pkl" if prefix else "data.pkl"))
    found: list[str] = []
    stream = io.BytesIO(raw)
    for _ in range(4):  # a legacy file: magic number, protocol, system info, then the object itself
        start = stream.tell()
        try:
            for _op in pickletools.genops(stream):
                pass
        except Exception:
            break
        found.extend(pickle_globals(raw[start:stream.tell()]))
    return list(dict.fromkeys(found))
