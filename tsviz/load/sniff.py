"""What kind of file a job was given, on the worker's side: the one sniffer (tsviz.model.filekinds), asked of the
file the job reads, and the refusal for a kind the job does not open."""
from __future__ import annotations

from pathlib import Path

from tsviz.model.filekinds import OPENS, Sniffed, refusal, sniff

__all__ = ["OPENS", "Sniffed", "require_kind", "sniff"]


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
