"""Where a job is: loading, converting, running or benchmarking. The worker turns each stage into a deadline.

Library code calls `stage(kind, what)` at each step; outside the worker nobody listens and it costs nothing.
Inside the worker the fork server hears it (on a pipe of its own, not stderr, so user prints cannot fake it),
starts that stage's clock, and names the stage when a limit is hit: "timed out after 20 s while running forward()".
"""
from __future__ import annotations

from collections.abc import Callable

KINDS = ("load", "convert", "run", "benchmark")

_listener: Callable[[str, str], None] | None = None
_current = ("load", "starting")


def stage(kind: str, what: str) -> None:
    """Enter a stage: `kind` is one of KINDS (it picks the time limit), `what` says it for a person."""
    global _current
    assert kind in KINDS, kind
    _current = (kind, what)
    if _listener is not None:
        _listener(kind, what)


def current() -> str:
    """What the job is doing now, as words ("loading model.py")."""
    return _current[1]


def listen(listener: Callable[[str, str], None] | None) -> None:
    global _listener
    _listener = listener
