"""The command line as a user runs it: the installed `tsviz` console script, in a subprocess."""
from __future__ import annotations

import shutil
import subprocess
import sys

from support.samples import ROOT


def tsviz(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    command = [shutil.which("tsviz") or sys.executable, *([] if shutil.which("tsviz") else ["-m", "tsviz"])]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)
