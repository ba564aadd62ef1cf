"""The server's side of job files (how they travel: tsviz/model/jobfiles.py): the folders each fork server writes
into and reads from, the store that holds the bytes, and the checks between them.

One folder per server process, removed at exit:

    tsviz-files-XXXX/
      store/<sha256>          every file taken over, named by its digest (cached results find them by it)
      server-XXXX/out/        bound writable at /jobs/out in that server's sandbox: its running job writes here
      server-XXXX/in/         bound read-only at /jobs/in: a stored file given to its running job, linked here
      job-XXXX/               what one finished job left, moved out of out/ before the server runs the next job

Nothing a worker writes is trusted: only regular files with plain names are moved out of out/ (links, folders and
more than MAX_FILES files are dropped), and a file a result names is taken over only when its size and sha256 are
the ones the result says; otherwise the answer is refused. The store keeps at most MAX_STORE_MB, least recently
used out first; a cached result whose file went out is run again (`held`).
"""
from __future__ import annotations

import atexit
import dataclasses
import hashlib
import os
import shutil
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from tsviz.model.errors import WorkerError
from tsviz.model.jobfiles import CHUNK, NAME, JobFile, out_folder
from tsviz.model.types import ErrorInfo
from tsviz.model.uploads import content_digest

MAX_STORE_MB = 8192  # the store's bound on disk
MAX_FILES = 8  # files one job may leave; a result names one or two


@lru_cache(maxsize=1)
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="tsviz-files-"))
    (root / "store").mkdir()
    atexit.register(shutil.rmtree, root, True)
    return root


def store() -> Path:
    return _root() / "store"


def server_folders() -> tuple[Path, Path]:
    """(out, in) for a new fork server: folders no other server sees."""
    base = Path(tempfile.mkdtemp(prefix="server-", dir=_root()))
    (base / "out").mkdir()
    (base / "in").mkdir()
    return base / "out", base / "in"


def remove_server_folders(out: Path) -> None:
    shutil.rmtree(out.parent, ignore_errors=True)


def give(inbox: Path, inputs: dict[str, Path]) -> None:
    """Put stored files where a job reads them (its server's in folder, read-only inside): links, not copies."""
    for name, path in inputs.items():
        try:
            os.link(path, inbox / name)
        except OSError:
            shutil.copyfile(path, inbox / name)


def collect(out: Path, inbox: Path | None = None) -> Path | None:
    """Move what a finished job left in its server's out folder to a folder of its own and empty both of the
    server's folders, so the next job there starts with nothing; None when it left nothing."""
    if inbox is not None:
        _empty(inbox)
    _unlock(out)  # a job may have made it unreadable
    entries = sorted(os.scandir(out), key=lambda e: e.name)
    if not entries:
        return None
    taken = Path(tempfile.mkdtemp(prefix="job-", dir=_root()))
    kept = 0
    for entry in entries:
        if kept < MAX_FILES and NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            os.rename(entry.path, taken / entry.name)
            kept += 1
    _empty(out)  # links, folders and files past MAX_FILES
    return taken


def discard(taken: Path | None) -> None:
    if taken is not None:
        shutil.rmtree(taken, ignore_errors=True)


def job_files(result: object) -> list[JobFile]:
    """The job files a result names (they are top-level fields: InspectResult.archive, ExportResult.program)."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        return []
    return [v for f in dataclasses.fields(result) if isinstance(v := getattr(result, f.name), JobFile)]


def take_over(found: Any, taken: Path | None, filename: str = "") -> Any:
    """The checked result with its files moved into the store, or an ErrorInfo when a file it names is not the one
    the worker wrote (missing, another size or digest). An ErrorInfo passes through; `taken` is removed."""
    try:
        if isinstance(found, ErrorInfo):
            return found
        for ref in job_files(found):
            if not _adopt(ref, taken):
                return WorkerError(f"the worker's answer names a file it did not write ({ref.name[:100]})",
                                   file=filename, hint="the model's code may have written into the worker's "
                                                       "folders; the answer was refused").info()
        return found
    finally:
        discard(taken)


def hold(data: bytes, name: str) -> JobFile:
    """An upload kept in the store, to be handed to jobs as a file by name (like a converted archive), never as
    bytes in every job's JSON: a .py's weights. Written again if the store let it go."""
    ref = JobFile(name, len(data), content_digest(data))
    stored = store() / ref.sha256
    if _find(ref) != stored:  # written beside the store, then moved in whole: another session may hold it too
        fd, part = tempfile.mkstemp(prefix="held-", dir=_root())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(part, 0o400)
        os.replace(part, stored)
        _trim()
    return ref


def held(result: object) -> bool:
    """Whether every file a (cached) result names is still here."""
    return all(_find(ref) is not None for ref in job_files(result))


def path(ref: JobFile) -> Path:
    """Where the file is on this machine (read it, never write it); a WorkerError when it is no longer held."""
    found = _find(ref)
    if found is None:
        raise WorkerError(f"{ref.name} is no longer held by this server", hint="run the job again to make it anew")
    return found


def open_file(ref: JobFile) -> BinaryIO:
    return open(path(ref), "rb")


def read(ref: JobFile) -> bytes:
    """The file's bytes (a download button's data, read when it is clicked)."""
    return path(ref).read_bytes()


def copy(ref: JobFile, destination: Path | str) -> None:
    """Write the file where the user asked (`--out`), streamed from the store."""
    shutil.copyfile(path(ref), destination)


def _find(ref: JobFile) -> Path | None:
    stored = store() / ref.sha256
    try:
        if len(ref.sha256) == 64 and stored.stat().st_size == ref.size:
            os.utime(stored)  # used: the last to be evicted
            return stored
    except OSError:
        pass
    local = out_folder() / ref.name  # a job run in this process (--in-process, tests) wrote it here itself
    try:
        if NAME.fullmatch(ref.name) and local.stat().st_size == ref.size:
            return local
    except OSError:
        pass
    return None


def _adopt(ref: JobFile, taken: Path | None) -> bool:
    """Check one named file (plain name, regular file, its size and sha256) and move it into the store."""
    if not (isinstance(ref.name, str) and NAME.fullmatch(ref.name) and isinstance(ref.size, int)
            and isinstance(ref.sha256, str) and len(ref.sha256) == 64):
        return False
    if taken is None:
        return (store() / ref.sha256).is_file() and _find(ref) is not None  # the same bytes, taken over before
    source = taken / ref.name
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size != ref.size:
            return False
        sha = hashlib.sha256()
        while chunk := f.read(CHUNK):
            sha.update(chunk)
    if sha.hexdigest() != ref.sha256:
        return False
    destination = store() / ref.sha256
    if destination.exists():
        os.utime(destination)
    else:
        os.chmod(source, 0o400)
        os.rename(source, destination)
        _trim()
    return True


def _trim() -> None:
    """Least recently used files out until the store is within MAX_STORE_MB."""
    entries = []
    for entry in os.scandir(store()):
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        entries.append((info.st_mtime, info.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, name in sorted(entries):
        if total <= MAX_STORE_MB * 2**20:
            return
        try:
            os.unlink(name)
        except OSError:
            pass
        total -= size


def _empty(folder: Path) -> None:
    """Remove everything in `folder`, whatever permissions a job set on it (the folder itself stays)."""
    _unlock(folder)
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _unlock(folder: Path) -> None:
    """Make every folder under `folder` readable and writable by us again (a job may have locked them)."""
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        try:
            os.chmod(current, 0o700)
            stack += [e.path for e in os.scandir(current) if e.is_dir(follow_symlinks=False)]
        except OSError:
            pass
