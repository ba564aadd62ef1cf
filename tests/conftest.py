"""Shared fixtures: the sample models, an in-process inspect helper, and the --update-golden option."""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_models"
sys.path.insert(0, str(ROOT))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.dot from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def sample_names() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.py"))


@lru_cache(maxsize=None)
def inspect_sample(name: str, mode: str, entry: str = ""):
    """In-process conversion of a sample (cached: many tests look at the same result)."""
    from tsviz.pipeline import inspect_file
    from tsviz.types import InspectRequest

    return inspect_file(InspectRequest(name, (SAMPLES / name).read_bytes(), mode=mode, entry=entry))


def request_for(filename: str, content: bytes | str, **options):
    from tsviz.types import InspectRequest

    data = content.encode() if isinstance(content, str) else content
    return InspectRequest(filename, data, **options)
