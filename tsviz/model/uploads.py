"""What tsviz accepts as an upload: any name (the kind is read from the content) and a size, with a message that says
what to do."""
from __future__ import annotations

import hashlib
import io
import zipfile
from functools import lru_cache
from pathlib import Path

from tsviz.model.errors import InputError

MAX_MODEL_FILE_MB = 4  # a .py read out of an uploaded project's zip by the server (the worker unpacks the rest)
MAX_UPLOAD_MB = 50  # the dashboard's limit; .streamlit/config.toml's server.maxUploadSize says the same
LOCAL_COMMAND = "tsviz"  # `tsviz FILE` (or `python -m tsviz serve FILE`): the dashboard on a local file, no upload


def check_name(filename: str) -> None:
    """Any name is taken (the kind is read from the content: tsviz.model.filekinds); one that cannot name a file
    is not."""
    if not filename.strip() or "\x00" in filename or Path(filename).name in (".", ".."):
        raise InputError(f"{filename!r} cannot name a file", file=filename, hint="save it under a plain file name")


check_suffix = check_name  # the name it had when it refused every suffix but .py and .pt (tsviz.load.modelfile)


def check_upload(filename: str, size: int) -> None:
    """Refuse a file the dashboard will not run: a name that names no file, empty, or over the size limit."""
    check_name(filename)
    if size > MAX_UPLOAD_MB * 2**20:
        raise InputError(f"the file is {size / 2**20:.1f} MB; the dashboard takes files up to {MAX_UPLOAD_MB} MB",
                         file=filename, hint=f"on the machine that has it, `{LOCAL_COMMAND} {filename}` opens the "
                                             "dashboard on it, read where it lies, of any size")
    if size == 0:
        raise InputError("the file is empty", file=filename, hint="upload the file again; it may not have been saved")


@lru_cache(maxsize=4)
def content_digest(content: bytes) -> str:
    """SHA-256 of a file's bytes, remembered for the last few files: every rerun of a page names its file by it
    several times (job cache, widget keys, drawing keys), and 50 MB takes 40 ms to hash."""
    return hashlib.sha256(content).hexdigest()


def zip_files(files: dict[str, bytes]) -> bytes:
    """Several uploaded files (path inside the project -> bytes) as one project zip, for the worker to unpack."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_python_files(data: bytes) -> list[str]:
    """The .py files of an uploaded project's zip, by path, read from its directory only (nothing unpacked)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InputError(f"the zip cannot be read: {e}", hint="zip the project's folder again") from e
    return sorted(n for n in names if n.endswith(".py") and "__MACOSX" not in n and ".." not in n.split("/"))


def zip_member(data: bytes, name: str) -> bytes:
    """One .py of an uploaded project's zip, at most MAX_MODEL_FILE_MB however much its entry claims."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(name) as member:
        content = member.read(MAX_MODEL_FILE_MB * 2**20 + 1)
    if len(content) > MAX_MODEL_FILE_MB * 2**20:
        raise InputError(f"{name} is over {MAX_MODEL_FILE_MB} MB, too large for a model's source", file=name)
    return content


def default_model_file(names: list[str]) -> str:
    """The .py a project's zip most likely holds its model in: model.py, then a name with "model" or "net" in it,
    the shallowest first; else the first."""
    ranked = sorted(names, key=lambda n: (Path(n).name != "model.py", not any(w in Path(n).name.lower()
                                          for w in ("model", "net")), n.count("/"), n))
    return ranked[0] if ranked else ""
