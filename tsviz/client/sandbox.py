"""The worker's sandbox: Debian's bubblewrap (bwrap), where the machine has it and it works.

Inside: no network (every namespace unshared), no capabilities, an unprivileged uid, an empty
environment, a private /tmp, and read-only mounts of only what Python, torch and tsviz need.
The host's files (/etc, /home, /root, the project's other folders) are not there at all.
Without bwrap the worker runs as a plain process with its resource limits, and the page says so.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

NOBODY = "65534"
SANDBOXED_ENV = "TSVIZ_SANDBOXED"  # set inside: the fork server may then kill every other process in its namespace
_APP = "/opt/tsviz"  # where the tsviz package is mounted inside


ROOT = Path(__file__).resolve().parents[2]  # the project: tsviz/ is mounted from here


def prefix() -> tuple[str, ...]:
    """The bwrap command to put before the worker's, or () where bwrap is missing or refused."""
    return _bwrap_prefix(str(ROOT)) or ()


def isolation() -> str:
    """One line for the page and the README: how the worker is isolated on this machine."""
    if prefix():
        return "sandboxed: bubblewrap, no network, no host files, unprivileged user"
    return ("reduced isolation: bubblewrap is not available, so uploads run in a plain worker process "
            "(time and memory limits only); install it with apt-get install bubblewrap")


@lru_cache(maxsize=4)
def _bwrap_prefix(root: str) -> tuple[str, ...] | None:
    if os.environ.get("TSVIZ_NO_SANDBOX"):
        return None
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    prefix = (
        bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--uid", NOBODY, "--gid", NOBODY, "--clearenv",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "PYTHONPATH", _APP,
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "OMP_NUM_THREADS", "1", "--setenv", SANDBOXED_ENV, "1",
        *_system_mounts(), *_python_mounts(root),
        "--ro-bind", str(Path(root) / "tsviz"), f"{_APP}/tsviz",
        "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp",
    )
    try:  # the kernel may refuse namespaces (a container without privileges): then fall back
        probe = subprocess.run([*prefix, sys.executable, "-c", "import tsviz"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return prefix if probe.returncode == 0 else None


def _system_mounts() -> list[str]:
    mounts = []
    for path in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(path):
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            mounts += ["--ro-bind", path, path]
    return mounts


def _python_mounts(root: str) -> list[str]:
    """The interpreter's prefixes and every import path outside the project (site-packages, user site)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    paths |= {p for p in sys.path if p and os.path.isdir(p) and not p.startswith(root) and not p.startswith("/usr")}
    kept = sorted(p for p in paths if p and not p.startswith("/usr"))
    outermost = [p for p in kept if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in kept)]
    return [arg for p in outermost for arg in ("--ro-bind", p, p)]
