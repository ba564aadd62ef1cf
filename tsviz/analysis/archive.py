"""A .pt file -> is it TorchScript? Facts read from the zip without loading; loading itself with torch.jit.load."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from tsviz.load.sniff import RUNS_CODE, pickle_globals
from tsviz.model.errors import ArchiveError
from tsviz.model.types import InspectRequest

_UPLOAD_INSTEAD = (
    "upload a TorchScript archive made with torch.jit.save(torch.jit.script(model), 'model.pt') "
    "(or torch.jit.trace), or upload the .py file that defines the model"
)
_PICKLE_PROTOCOL_2_PLUS = b"\x80"
_SERIALIZED_FRAME = re.compile(r'File "(code/[^"]+)", line (\d+), in (\w+)')


def archive_data(request: InspectRequest) -> bytes | Path:
    """What check_torchscript reads: the upload's bytes, or the local file where it lies."""
    return Path(request.local_path) if request.local_path else request.content


def check_torchscript(data: bytes | Path, filename: str) -> zipfile.ZipFile:
    """Raise ArchiveError saying what the file is when it is not a TorchScript archive. `data` is the bytes, or
    a local file's path (read in place: a 400 MB archive is not read into memory for this)."""
    size = len(data) if isinstance(data, bytes) else data.stat().st_size
    if not size:
        raise ArchiveError("the file is empty", file=filename, hint="upload the file again; it may not have been saved")
    opened = io.BytesIO(data) if isinstance(data, bytes) else data
    if not zipfile.is_zipfile(opened):
        head = data[:4] if isinstance(data, bytes) else data.open("rb").read(4)
        if head == b"PK\x03\x04":
            what = "a damaged or truncated zip archive (it starts like one, but its end is missing)"
        elif head[:1] == _PICKLE_PROTOCOL_2_PLUS:
            what = "a legacy torch.save file (a plain pickle), not a TorchScript archive"
        else:
            what = "not a PyTorch file at all (it is not a zip archive)"
        raise ArchiveError(f"this file is {what}", file=filename, hint=_UPLOAD_INSTEAD)
    archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    names = archive.namelist()
    if any("/code/" in name and name.endswith(".py") for name in names):
        return archive
    pickles = [name for name in names if name.endswith("/data.pkl") or name == "data.pkl"]
    what = _describe_eager_checkpoint(archive.read(pickles[0])) if pickles else "a zip file without TorchScript code"
    raise ArchiveError(f"this file is {what}, not TorchScript", file=filename, hint=_UPLOAD_INSTEAD)


def _describe_eager_checkpoint(pickle_bytes: bytes) -> str:
    """Name what a torch.save pickle holds by reading its class references, never unpickling it."""
    classes = pickle_globals(pickle_bytes)
    runs = [c for c in classes if c.split(".")[0] in RUNS_CODE or c in RUNS_CODE]
    if runs:
        return (f"a pickle that calls {runs[0]} when it is unpickled (that is how a malicious checkpoint runs "
                "code; tsviz read it without unpickling)")
    foreign = [c for c in classes if not c.startswith(("torch.", "collections.", "builtins.", "_codecs."))]
    if foreign:
        return f"an eager torch.save of a whole model (it pickles {foreign[0]})"
    if "collections.OrderedDict" in classes:
        return "an eager torch.save of a state dict (weights only, no code)"
    return "an eager torch.save checkpoint"


def code_files(archive: zipfile.ZipFile) -> tuple[tuple[str, str], ...]:
    """(path under code/, text) of each Python-like code file a TorchScript archive carries."""
    return tuple((name.split("/code/", 1)[1], archive.read(name).decode("utf-8", errors="replace"))
                 for name in archive.namelist() if "/code/" in name and name.endswith(".py"))


def code_listing(code_files: tuple[tuple[str, str], ...]) -> tuple[str, dict[str, int]]:
    """The archive's code files as one listing, and for each file the line just above its first line there."""
    parts, starts, line = [], {}, 0
    for name, text in code_files:
        header = f"# ---- {name} ----"
        starts[name] = line + 1  # the header's line; the file's line N is listing line starts[name] + N
        parts.append(f"{header}\n{text.rstrip()}\n")
        line += 1 + len(text.rstrip().splitlines()) + 1  # header, the file, a blank line between files
    return "\n".join(parts), starts


def load_archive(path: str, filename: str) -> Any:
    """torch.jit.load on the CPU: only ever inside the worker, since loading runs the archive's code."""
    import torch

    from tsviz.analysis.outputs import error_text

    try:
        return torch.jit.load(path, map_location="cpu")
    except Exception as e:
        frames = _SERIALIZED_FRAME.findall(str(e))
        where = f" (in {frames[-1][2]}, {frames[-1][0]} line {frames[-1][1]} of the archive)" if frames else ""
        raise ArchiveError(f"torch.jit.load could not load this archive: {error_text(e)}{where}",
                           file=filename, hint="the archive may be damaged, saved by an incompatible PyTorch "
                                               "version, or its load-time code (__setstate__) failed",
                           detail=str(e)) from e
