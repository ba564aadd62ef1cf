"""What tsviz accepts as an upload: the file types and the size, with a message that says what to do."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from tsviz.model.errors import InputError

SUFFIXES = (".py", ".pt")
MAX_UPLOAD_MB = 50  # the dashboard's limit; .streamlit/config.toml's server.maxUploadSize says the same
LOCAL_COMMAND = "tsviz"  # `tsviz FILE` (or `python -m tsviz serve FILE`): the dashboard on a local file, no upload


def check_suffix(filename: str) -> None:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"tsviz reads .py and .pt files, not {suffix or 'files without an extension'}",
                         file=filename, hint="upload a Python model file or a torch.jit.save archive")


def check_upload(filename: str, size: int) -> None:
    """Refuse a file the dashboard will not run: wrong type or over the size limit."""
    check_suffix(filename)
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
