"""Test levels by folder (each gets its marker, so `pytest -m "not browser"` is the fast loop) and the
--update-golden option. Shared helpers live in tests/support/."""
from __future__ import annotations

from pathlib import Path

import pytest

LEVELS = ("unit", "worker", "app", "browser")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.dot from the current output")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        level = Path(str(item.path)).parent.name
        if level in LEVELS:
            item.add_marker(getattr(pytest.mark, level))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
