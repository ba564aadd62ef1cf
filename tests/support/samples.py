"""The sample models as test fixtures, and an in-process inspect helper."""
from __future__ import annotations

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_models"


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.py"))


@cache
def inspect_sample(name: str, mode: str, entry: str = ""):
    """In-process conversion of a sample (cached: many tests look at the same result)."""
    from tsviz.analysis.inspect_model import inspect_file
    from tsviz.model.types import InspectRequest

    return inspect_file(InspectRequest(name, (SAMPLES / name).read_bytes(), mode=mode, entry=entry))


def archive_bytes(result) -> bytes:
    """The converted .pt a result names (a job file the server holds: tsviz/model/jobfiles.py), as it downloads."""
    from tsviz.client import files

    return files.read(result.archive)


def request_for(filename: str, content: bytes | str, **options):
    from tsviz.model.types import InspectRequest

    data = content.encode() if isinstance(content, str) else content
    return InspectRequest(filename, data, **options)
