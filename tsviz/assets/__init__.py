"""The browser side's files: the graph and code viewers' scripts and styles, the review report's style and
zoom. Real files, so an editor and a linter see them; read once per process."""
from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
