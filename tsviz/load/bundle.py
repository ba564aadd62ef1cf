"""A project given as files (several .py, or a .zip of a repository) unpacked in the worker, and the folder a job
runs in.

An upload's zip is hostile until proven otherwise: it is unpacked only here, in the sandbox's private /tmp, with
bounds on the number of files, their total size and their names (no absolute paths, no `..`, no links). The job's
working directory behaves like the project root a user runs from: relative reads of the project's files work
(`open("configs/model.yaml")`) and writes (`os.makedirs("images")`) land in the job's scratch folder, never in
the project or on the host.
"""
from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from tsviz.model.errors import InputError

MAX_FILES = 5_000
MAX_BYTES = 256 * 2**20  # unpacked; the sandbox's /tmp holds 512 MB
MAX_NAME = 400  # characters of a path inside the zip


def unpack(data: bytes, dest: Path, filename: str) -> Path:
    """The zip `data` unpacked under `dest`; returns the path of its member `filename` (the model file)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InputError(f"the project is not a readable zip: {e}", file=filename,
                         hint="zip the project's folder again, or upload its .py files") from e
    if len(members) > MAX_FILES:
        raise InputError(f"the project's zip holds {len(members):,} entries, more than the {MAX_FILES:,} tsviz "
                         "unpacks", file=filename, hint="zip only the folder with the model's code")
    total = 0
    for member in members:
        name = _checked_name(member, filename)
        if member.is_dir() or not name:
            continue
        total += member.file_size
        if total > MAX_BYTES:
            raise InputError(f"the project's zip unpacks to more than {MAX_BYTES // 2**20} MB", file=filename,
                             hint="leave data sets and weights out of the zip: only the code is needed")
        target = dest.joinpath(*PurePosixPath(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, open(target, "wb") as out:
            left = member.file_size  # the directory's size, enforced: a member may claim less than it holds
            while left > 0:
                chunk = source.read(min(left, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
    model = dest.joinpath(*PurePosixPath(filename).parts)
    if not model.is_file():
        python = sorted(m.filename for m in members if m.filename.endswith(".py"))[:12]
        raise InputError(f"the project has no file {filename}", file=filename,
                         hint=f"name the model file among its .py files: {', '.join(python) or 'it has none'}")
    return model


def _checked_name(member: zipfile.ZipInfo, filename: str) -> str:
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    bad = (not name or name.startswith("/") or ".." in parts or "\0" in name or len(name) > MAX_NAME
           or (len(parts) and parts[0].endswith(":")))
    if bad:
        raise InputError(f"the project's zip has an entry named {member.filename[:80]!r}, outside its folder",
                         file=filename, hint="zip the project's folder with relative paths only")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise InputError(f"the project's zip has a link, {member.filename[:80]!r}", file=filename,
                         hint="zip the files themselves, not links to them")
    return name.rstrip("/")


@contextmanager
def working_folder(root: Path, scratch: Path, writable: bool) -> Iterator[None]:
    """The job runs from the project's root: in it when it is the job's own copy (`writable`), else in `scratch`,
    whose entries link to the project's (reads find the project's files; new files stay in scratch)."""
    if not writable:
        scratch.mkdir(parents=True, exist_ok=True)
        for entry in sorted(os.listdir(root))[:MAX_FILES]:
            os.symlink(root / entry, scratch / entry)
    before = os.getcwd()
    os.chdir(root if writable else scratch)
    try:
        yield
    finally:
        os.chdir(before)
