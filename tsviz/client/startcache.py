"""The start cache: finished jobs kept on disk between server starts, so a server started again finds the opening
sample's answer at once, without waiting for its worker to import torch.

Only the jobs a server runs ahead of its first visitor for its own opening view are written here (`client.run(...,
persist=True)`, tsviz/ui/opening.py), never a user's upload. An entry is the worker's answer as it came (header
and JSON bytes) and the job files it named, under

    $TSVIZ_START_CACHE or ~/.cache/tsviz/start/
      <tag>/<job key>/header.json, answer.json, files/<name>

where the tag names this tsviz (its version and its source's digest) and the installed torch's version, and the
job key is the client's own (the job's name, the file's sha256, every option, the limits). An entry is read back
through the same checks as a worker's answer (tsviz/client/answers.py, tsviz/client/files.py): anything odd is a
miss, and the job runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from tsviz.client import files

ENV = "TSVIZ_START_CACHE"


def folder() -> Path:
    return Path(os.environ.get(ENV) or Path.home() / ".cache" / "tsviz" / "start")


@lru_cache(maxsize=1)
def tag() -> str:
    """This tsviz, by version and by the content of its own source (the worker's answer is made by it: a changed
    line is a new tag, so no view made by other code is ever shown), and this torch by version; the job key names the
    file by its sha256. In an installed tsviz the source changes only with a new install."""
    return f"tsviz-{_version('tsviz')}-{_source_digest()}-torch-{_version('torch')}"


def _source_digest() -> str:
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def _entry(key: str) -> Path:
    return folder() / tag() / key


def has(key: str) -> bool:
    return (_entry(key) / "answer.json").is_file()


def load(key: str) -> tuple[dict, bytes, Path | None] | None:
    """(header, answer, a folder of the job files it named, copied for the client to take over) or None."""
    entry = _entry(key)
    try:
        header = json.loads((entry / "header.json").read_text())
        answer = (entry / "answer.json").read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict):
        return None
    stored = entry / "files"
    if not stored.is_dir():
        return header, answer, None
    taken = Path(tempfile.mkdtemp(prefix="start-", dir=files.store().parent))
    try:
        for path in stored.iterdir():
            shutil.copyfile(path, taken / path.name)
    except OSError:
        files.discard(taken)
        return None
    return header, answer, taken


def save(key: str, header: dict, answer: bytes, result: object) -> None:
    """Keep a finished job (its result taken over: its job files are in the store) for the next start. Written to
    a new folder, then renamed into place: a reader sees the whole entry or none."""
    entry = _entry(key)
    staging = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=entry.parent))
        (staging / "header.json").write_text(json.dumps(header))
        (staging / "answer.json").write_bytes(answer)
        refs = files.job_files(result)
        if refs:
            (staging / "files").mkdir()
            for ref in refs:
                files.copy(ref, staging / "files" / ref.name)
        shutil.rmtree(entry, ignore_errors=True)  # one that could not be read back (this tsviz reads it otherwise)
        os.rename(staging, entry)
    except OSError:  # a read-only home, a full disk, another server first: the next start runs the job
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def recall(name: str, max_age_s: float) -> object | None:
    """A small JSON value kept by `keep` at most `max_age_s` ago (the machine's devices), or None."""
    path = folder() / tag() / f"{name}.json"
    try:
        if time.time() - path.stat().st_mtime <= max_age_s:
            return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    return None


def keep(name: str, value: object) -> None:
    path = folder() / tag() / f"{name}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(f".{os.getpid()}")
        staging.write_text(json.dumps(value))
        os.replace(staging, path)
    except OSError:
        pass


def clear() -> None:
    shutil.rmtree(folder(), ignore_errors=True)
