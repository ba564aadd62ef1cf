"""What kind of model file this is, read from its first bytes and its zip directory, never from its name.

One list of kinds, one question per kind, one place that decides (Netron's pytorch.js readers are the model). It
lives on the plain-data side because both sides need it: the page and the command line route a file before any
job runs (which job, which widgets, what to say), and the worker checks the same answer before it loads anything.
It is safe on the server: it reads at most the first bytes and a zip's central directory, it decompresses,
unpickles and imports nothing, and it needs no torch. tsviz.load.sniff hands it on to the worker's side.
"""
from __future__ import annotations

import ast
import io
import struct
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from tsviz.model.errors import ArchiveError

Kind = Literal["python", "project", "torchscript", "torch_save", "pickle", "package", "pt2", "onnx", "safetensors",
               "empty", "zip", "damaged_zip", "text", "unknown"]

HEAD_BYTES = 64
MAX_SOURCE_BYTES = 4 * 2**20  # the most read to decide whether a text file is Python source
# ModelProto's fields, as protobuf tags: ir_version (1, varint), producer_name/version, domain (2-4, bytes),
# model_version (5, varint), doc_string (6), graph (7), opset_import (8), metadata (14), training info (20), functions
_ONNX_TAGS = {0x08, 0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0xA2, 0xAA}

LABELS: dict[str, str] = {
    "python": "Python source",
    "project": "a zip of a Python project",
    "torchscript": "TorchScript archive",
    "torch_save": "torch.save file",
    "pickle": "legacy torch.save file (a plain pickle)",
    "package": "torch.package archive",
    "pt2": "torch.export archive (.pt2)",
    "onnx": "ONNX model",
    "safetensors": "safetensors weights",
    "empty": "empty file",
    "zip": "zip archive",
    "damaged_zip": "damaged or truncated zip archive",
    "text": "text file",
    "unknown": "file of unknown kind",
}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What a file's content says it is."""

    kind: Kind
    prefix: str = ""  # the zip's top folder ("archive" in "archive/data.pkl"), "" when not a zip or none
    detail: str = ""  # one more fact for a message: the zip entry or bytes that decided, a parse error's line

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def sniff(data: bytes | Path) -> Sniffed:
    """The kind of a file: its bytes, or a local file's path (read in place: its head and its zip directory)."""
    if isinstance(data, bytes):
        return _sniff_bytes(data)
    with data.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        if not head:
            return Sniffed("empty")
        if head[:4] == b"PK\x03\x04" or zipfile.is_zipfile(handle):
            return _sniff_zip(handle, head)
        handle.seek(0)
        return _sniff_head(head, handle.read(MAX_SOURCE_BYTES + 1))


def saved_as(filename: str, sniffed: Sniffed) -> str:
    """What the page says it found: "TorchScript archive, saved as .pth" ("... with no extension")."""
    suffix, label = Path(filename).suffix, sniffed.label
    label = label if label.startswith("torch.") else label[:1].upper() + label[1:]  # a name keeps its case
    return f"{label}, saved as {suffix or 'a file with no extension'}"


@lru_cache(maxsize=8)
def _sniff_bytes(data: bytes) -> Sniffed:
    # remembered for the last few files: every rerun of a page routes its file again
    if not data:
        return Sniffed("empty")
    if data[:4] == b"PK\x03\x04" or zipfile.is_zipfile(io.BytesIO(data)):
        return _sniff_zip(io.BytesIO(data), data[:HEAD_BYTES])
    return _sniff_head(data[:HEAD_BYTES], data[:MAX_SOURCE_BYTES + 1])


def _sniff_zip(handle: object, head: bytes) -> Sniffed:
    try:
        names = zipfile.ZipFile(handle).namelist()  # type: ignore[arg-type]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        return Sniffed("damaged_zip", detail=f"it starts like a zip archive, but its directory cannot be read ({e})")
    return kind_of_zip(names)


def kind_of_zip(names: list[str]) -> Sniffed:
    """The kind of a zip by its entry names. Order settles overlaps: a .pt2 and a torch.package also hold
    torch.save's records, a TorchScript archive also holds data.pkl."""
    def top(name: str) -> str:
        return name.split("/", 1)[0] if "/" in name else ""

    def rest(name: str) -> str:
        return name.split("/", 1)[1] if "/" in name else name

    for name in names:
        if rest(name) == "archive_format" or rest(name).startswith("models/") and rest(name).endswith(".json"):
            return Sniffed("pt2", top(name), name)
    for name in names:
        if rest(name) == ".data/extern_modules":
            return Sniffed("package", top(name), name)
    constants = [n for n in names if rest(n) == "constants.pkl"]
    code = [n for n in names if rest(n).startswith("code/") and n.endswith(".py")]
    if constants and code:
        return Sniffed("torchscript", top(constants[0]), constants[0])
    if code:  # an archive some tool rewrote without its constants: torch.jit.load says what it lacks
        return Sniffed("torchscript", top(code[0]), code[0])
    for name in names:
        if rest(name) == "data.pkl":
            return Sniffed("torch_save", top(name), name)
    sources = [n for n in names if n.endswith(".py") and "__MACOSX" not in n]
    if sources:
        return Sniffed("project", detail=sources[0])
    return Sniffed("zip", detail=f"{len(names)} entries, none that a PyTorch format writes")


def _sniff_head(head: bytes, text: bytes) -> Sniffed:
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return Sniffed("pickle", detail=f"pickle protocol {head[1]}")
    if _is_safetensors(head):
        return Sniffed("safetensors")
    if _is_onnx(head):
        return Sniffed("onnx")
    if b"\x00" in text[:8192]:
        return Sniffed("unknown", detail=f"it starts with the bytes {head[:8].hex(' ')}")
    if len(text) > MAX_SOURCE_BYTES:
        return Sniffed("text", detail=f"over {MAX_SOURCE_BYTES // 2**20} MB of text")
    try:
        source = text.decode("utf-8")
    except UnicodeDecodeError:
        return Sniffed("unknown", detail=f"it starts with the bytes {head[:8].hex(' ')}")
    try:
        ast.parse(source)  # parsing only: nothing runs
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None)
        return Sniffed("text", detail=f"not Python: {getattr(e, 'msg', e)}" + (f" (line {line})" if line else ""))
    return Sniffed("python")


def _is_safetensors(head: bytes) -> bool:
    """8 bytes of little-endian header length, then the JSON header itself."""
    if len(head) < 10:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= 100 * 2**20 and head[8:9] == b"{" and head[9:10] in (b'"', b"}", b" ", b"\n")


def _is_onnx(head: bytes) -> bool:
    """A ModelProto starts with ir_version (tag 0x08, a small varint) and goes on with another of its fields."""
    if len(head) < 4 or head[0] != 0x08 or not 1 <= head[1] <= 20:
        return False
    return head[2] in _ONNX_TAGS


# the kinds every page and command opens today; text that does not parse is read as source, so that a .py with a
# syntax error gets its line from the source loader rather than "not Python"
OPENS = ("python", "text", "project", "torchscript")
SOURCE_KINDS = ("python", "text")
WEIGHT_KINDS = ("torch_save", "pickle")  # saved tensors: `tsviz archive` and the Archive page list them
PROGRAM_KINDS = ("pt2", "package")  # `tsviz inspect` and the Graph & code page show them (analysis/pt2.py, package.py)


def refusal(filename: str, sniffed: Sniffed) -> ArchiveError | None:
    """The error for a file tsviz does not open (yet), saying what it is and what to do; None for one it opens."""
    kind, found = sniffed.kind, f" (it has {sniffed.detail})" if sniffed.detail and sniffed.prefix else ""
    if kind in OPENS:
        return None
    if kind == "onnx":
        return ArchiveError("this file is an ONNX model, not TorchScript: tsviz explores TorchScript", file=filename,
                          hint="open it in Netron (`netron FILE`, or https://netron.app); for tsviz, open the .py or "
                               "the TorchScript .pt the ONNX file was exported from")
    if kind == "safetensors":
        return ArchiveError("this file is safetensors weights: tensors without the code that uses them", file=filename,
                          hint="open the .py that defines the model with this file as its weights (--weights FILE / "
                               "the Weights uploader)")
    if kind in ("torch_save", "pickle"):
        return ArchiveError(f"this file is a {sniffed.label}: saved tensors (a state dict or a checkpoint) or a whole "
                          "pickled model, not a TorchScript program", file=filename,
                          hint=f"`tsviz archive {filename}` and the Archive page list its tensors; to see the model, "
                               "open the .py that defines it with this file as its weights (--weights FILE / the "
                               "Weights uploader)")
    if kind == "package":
        return ArchiveError(f"this file is a torch.package archive{found}, which this command does not take",
                          file=filename, hint=f"`tsviz inspect {filename}` and the Graph & code page list it and draw "
                                              "its models; for this command, save one as TorchScript: torch.jit.save("
                                              "torch.jit.script(PackageImporter(FILE).load_pickle(...)), 'model.pt')")
    if kind == "pt2":
        return ArchiveError(f"this file is a torch.export archive (.pt2){found}: an exported program, which this "
                          "command does not take", file=filename,
                          hint=f"`tsviz inspect {filename}` and the Graph & code page show its graph, signature and a "
                               "sample run; for this command, open the .py or the TorchScript .pt it came from (the "
                               "Migrate page makes a .pt2 from them and checks it)")
    if kind == "empty":
        return ArchiveError("the file is empty", file=filename,
                            hint="save the file again; it may not have been written")
    if kind == "damaged_zip":
        return ArchiveError(f"this file is a damaged or truncated zip archive: {sniffed.detail}", file=filename,
                            hint="copy or download it again; a file cut short loses its zip directory at the end")
    what = {"zip": "a zip archive of no PyTorch format (no constants.pkl and code/, no data.pkl, no "
                   ".data/extern_modules, no archive_format)"}.get(kind, "not a file tsviz knows: not Python source, "
                                                                        "not a zip, not a pickle, not ONNX or "
                                                                        "safetensors")
    return ArchiveError(f"this file is {what}" + (f": {sniffed.detail}" if sniffed.detail else ""), file=filename,
                      hint="tsviz opens, under any name, Python model files, TorchScript archives (torch.jit.save), "
                           "torch.package archives and .pt2 programs (torch.export.save), and lists torch.save "
                           "files; ONNX and safetensors files are named, with what to do")
