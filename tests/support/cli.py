"""The command line as a user runs it: the installed `tsviz` console script, in a subprocess."""
from __future__ import annotations

import subprocess

from support.samples import ROOT


def tsviz(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["tsviz", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)
