"""The C++ runner, from the server's side: build it once (or find it in the cache) before a deploy job runs.

The build compiles tsviz's own runner.cpp, never anything of the user's, so it runs here, outside the sandbox,
as a separate process (`python -m tsviz.deploy.build`): the server side never imports the worker's rooms. Its
cache folder is then mounted read-only into every worker's sandbox (tsviz/client/sandbox.py), where the deploy
job starts the binary as its own child, inside the same limits (tsviz/deploy/run.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache

from tsviz.client.sandbox import ROOT

BUILD_TIMEOUT_S = 960


@dataclass(frozen=True, slots=True)
class RunnerBuild:
    """What the build said: whether the runner exists now, and how it was got or why not."""

    ok: bool
    cached: bool  # found in the cache, not built now
    seconds: float  # the build's own time (its first build, for a cached runner)
    reason: str  # why there is no runner ("C++ rung skipped: no g++ found (install build-essential)")
    key: str  # the cache folder: torch version and source hash


def prepare() -> RunnerBuild:
    """Build the runner, or find it built; remembered in this process once it exists."""
    built = _prepare()
    if not built.ok:
        _prepare.cache_clear()  # a compiler installed later, or a failed build fixed, is seen next time
    return built


@lru_cache(maxsize=1)
def _prepare() -> RunnerBuild:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-P", "-m", "tsviz.deploy.build"], capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S, env=env, cwd=str(ROOT))
        said = json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return RunnerBuild(False, False, 0.0, f"C++ rung skipped: the runner's build ran past {BUILD_TIMEOUT_S} s",
                           "")
    except (OSError, ValueError, IndexError):
        return RunnerBuild(False, False, 0.0, "C++ rung skipped: the runner's build did not answer ("
                           f"{(done.stderr.strip().splitlines() or ['no output'])[-1]})", "")
    return RunnerBuild(bool(said["ok"]), bool(said["cached"]), float(said["seconds"]), said["reason"], said["key"])
