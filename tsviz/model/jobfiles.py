"""Job files: a job's big results (a converted .pt, the migrate job's .pt2) travel beside its JSON answer, never
inside it; the answer carries a JobFile (name, size, sha256), plain data like the rest of the result.

How it works, end to end:

- **Worker side** (this module, no torch): a job writes a big result with `write(name, save)`, where `save(path)`
  writes the file (`torch.jit.save(module, path)`), into the job's out folder, `out_folder()`. In a worker child
  that folder is the fork server's own, named by OUT_ENV: inside the sandbox `/jobs/out`, the one writable host
  folder bound in, per server. In-process (tests, `--in-process`) it is a private temp folder of this process.
- **Server side** (tsviz/client/files.py): when the job ends, the pool moves whatever the out folder holds to a
  folder of this job's own and empties the out folder before the server runs its next job, so one job never sees
  another's files. The client then takes over each file the result names: a regular file of that name, size and
  digest (anything else refuses the answer, as a forged JSON answer is refused), moved into the server's store,
  a folder of files named by their sha256. The page streams a stored file to its download button, the command
  line copies it where `--out` asks, and a cached result finds its file by its digest.
- **Reading one back**: a request may name a stored file as its input (`InspectRequest.job_file`: the Archive
  page inspecting the archive a .py's conversion saved). The server links it read-only into that server's in
  folder (IN_ENV, `/jobs/in` in the sandbox) for that one job; the bytes never go through the JSON either.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

OUT_ENV = "TSVIZ_JOB_OUT"  # the folder a worker writes its job files into (set by the client for each server)
IN_ENV = "TSVIZ_JOB_IN"  # the folder a worker finds a stored job file it was given as input
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")  # a job file's name: one plain file, no path
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class JobFile:
    """A big result the worker wrote as a file beside its answer; the server holds the bytes."""

    name: str  # its name in the job's out folder ("archive.pt"); the download's name is the page's choice
    size: int  # bytes
    sha256: str  # hex digest of its bytes: the server's store names it by this


def out_folder() -> Path:
    """Where this job writes its files: the worker's out folder, or this process's own (in-process jobs)."""
    return Path(os.environ[OUT_ENV]) if os.environ.get(OUT_ENV) else _private_out()


def write(name: str, save: Callable[[str], object]) -> JobFile:
    """Write one job file: `save(path)` writes it; its name (made unique in the folder), size and digest return."""
    if not NAME.fullmatch(name):
        raise ValueError(f"not a job file name: {name!r}")
    folder = out_folder()
    path = _claim(folder, name)
    # Saved under `name` itself, in a folder of its own, then moved: torch.jit.save names the zip's records after
    # the file ("archive/data.pkl"), so the bytes are the same whatever name the folder had free.
    scratch = Path(tempfile.mkdtemp(dir=folder))
    try:
        save(str(scratch / name))
        os.replace(scratch / name, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return JobFile(path.name, path.stat().st_size, digest(path))


def input_path(ref: JobFile) -> Path:
    """Where a job finds a stored file it was given (`InspectRequest.job_file`): its server's in folder, or, for a
    job run in this process, where this process's own job wrote it."""
    if not NAME.fullmatch(ref.name):
        raise ValueError(f"not a job file name: {ref.name!r}")
    return (Path(os.environ[IN_ENV]) if os.environ.get(IN_ENV) else out_folder()) / ref.name


def digest(path: Path | str) -> str:
    """sha256 of a file, read in chunks (a 500 MB archive is never in memory at once)."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _claim(folder: Path, name: str) -> Path:
    stem, dot, suffix = name.partition(".")
    for n in range(1000):
        path = folder / (name if n == 0 else f"{stem}-{n}{dot}{suffix}")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return path
        except FileExistsError:
            continue
    raise OSError(f"no free name for {name} in {folder}")


@lru_cache(maxsize=1)
def _private_out() -> Path:
    folder = tempfile.mkdtemp(prefix="tsviz-job-out-")
    atexit.register(shutil.rmtree, folder, True)
    return Path(folder)
