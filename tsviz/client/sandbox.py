"""The worker's sandbox: Debian's bubblewrap (bwrap), where the machine has it and it works.

Inside: no network (every namespace unshared), no capabilities, an unprivileged uid, an empty environment, and
read-only mounts of only what Python, torch and tsviz need; the root is read-only. The writable places are
/tmp, a tmpfs of TMP_MB that the fork server empties after every job, kept off the import path (`python -P`,
working directory /), and /jobs/out, the server's own job-file folder on the host (a converted archive is written
there; the client empties it after each job: tsviz/client/files.py). The host's files (/etc, /home, /root, the
project's other folders) are not there at all. A GPU job gets the same sandbox plus the NVIDIA device nodes.

Without a working sandbox the server fails closed: uploads run (in a plain worker process with its resource
limits) only for a browser on the same machine, unless the operator sets ALLOW_ENV; samples run for everyone.
"""
from __future__ import annotations

import glob
import ipaddress
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tsviz.model.deploy import RUNNER_ENV, RUNNER_MOUNT, runner_cache
from tsviz.model.jobfiles import IN_ENV, OUT_ENV
from tsviz.model.project import find_project, is_source

NOBODY = "65534"
SANDBOXED_ENV = "TSVIZ_SANDBOXED"  # set inside: the fork server may then kill every other process in its namespace
OFF_ENV = "TSVIZ_NO_SANDBOX"  # for tests and benchmarks: behave as a machine without bubblewrap
ALLOW_ENV = "TSVIZ_ALLOW_UNSANDBOXED"  # the operator accepts running other people's uploads without a sandbox
LOCAL_ENV = "TSVIZ_LOCAL_FILE"  # `tsviz FILE`: the one host file the server may hand to its workers, read-only
_INPUT = "/input"  # where it is mounted inside
WEIGHTS_ENV = "TSVIZ_WEIGHTS_FILE"  # `--weights FILE` on a local .py: the weights file, mounted read-only beside it
_WEIGHTS = "/weights"  # where that is mounted inside
TMP_MB = 512  # the sandbox's /tmp: a job's scratch files, emptied after each job
JOBS = "/jobs"  # where a server's job-file folders are mounted inside (tsviz/model/jobfiles.py)
_APP = "/opt/tsviz"  # where the tsviz package is mounted inside
ROOT = Path(__file__).resolve().parents[2]  # the project: tsviz/ is mounted from here
# Environment a worker outside the sandbox keeps (the rest, the server's secrets among them, is dropped)
_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_HOME")


@dataclass(frozen=True)
class Status:
    """Whether the sandbox works here, and if not, the probe's own reason."""

    prefix: tuple[str, ...]  # the bwrap command to put before the worker's; () where it does not work
    reason: str = ""

    @property
    def works(self) -> bool:
        return bool(self.prefix)


def status() -> Status:
    return _probe(str(ROOT))


def prefix(gpu: bool = False) -> tuple[str, ...]:
    """The bwrap command to put before the worker's (with the GPUs' device nodes for a GPU job), or ()."""
    found = status().prefix
    if not (found and gpu):
        return found
    at = found.index("/dev", found.index("--dev")) + 1  # after the fresh /dev, before it is made read-only
    return (*found[:at], *_gpu_devices(), *found[at:])


def isolation() -> str:
    """One line for the start-up log, the page and the benchmarks: how the worker is isolated on this machine."""
    found = status()
    if found.works:
        return f"sandboxed: bubblewrap, no network, no host files, unprivileged user, private {TMP_MB} MB /tmp"
    allowed = "for every visitor, as TSVIZ_ALLOW_UNSANDBOXED is set" if os.environ.get(ALLOW_ENV) else \
        "for browsers on this machine only (samples for everyone)"
    return f"NOT sandboxed ({found.reason}): uploads run in a plain worker process {allowed}"


@lru_cache(maxsize=1)
def announce() -> None:
    """Say once per process, in its log, how jobs are isolated here (and why not, where they are not)."""
    print(f"tsviz: {isolation()}", file=sys.stderr, flush=True)


REFUSAL = ("This server cannot sandbox uploads, so it runs them only for a browser on its own machine. Ask its "
           "operator to install bubblewrap (apt-get install bubblewrap). The sample models work as usual.")


def allows_uploads_from(remote_ip: str | None) -> bool:
    """Whether a client at `remote_ip` (the raw TCP peer; None when unknown) may have its uploads run: always
    with a working sandbox; without one, only from loopback, or when the operator set ALLOW_ENV."""
    if status().works or os.environ.get(ALLOW_ENV):
        return True
    try:
        return remote_ip is not None and ipaddress.ip_address(remote_ip).is_loopback
    except ValueError:
        return False


def local_file() -> str:
    """The local file the server was started on (`tsviz FILE`), as an absolute path; "" when there is none."""
    path = os.environ.get(LOCAL_ENV, "")
    return str(Path(path).resolve()) if path and Path(path).is_file() else ""


def local_mount() -> str:
    """What of the host the sandbox mounts for the local file: a .py's whole project folder (its siblings and the
    repository's packages import; tsviz.model.project), an archive alone; "" when there is no local file."""
    path = local_file()
    if path and is_source(path):
        return find_project(path).root
    return path


def inside(path: str) -> str:
    """Where a worker finds a path of the local file's project: under /input/NAME in the sandbox (mounted
    read-only), else where it is."""
    mount = local_mount()
    if not (status().works and mount and (path == mount or path.startswith(mount.rstrip("/") + "/"))):
        return path
    return _mounted(mount) + path[len(mount):]


def weights_file() -> str:
    """The local weights file given with the local file (`--weights FILE`), as an absolute path; "" when none."""
    path = os.environ.get(WEIGHTS_ENV, "")
    return str(Path(path).resolve()) if path and Path(path).is_file() else ""


def inside_weights(path: str) -> str:
    """Where a worker finds the local weights file: under /weights/NAME in the sandbox (mounted read-only), else
    where it is."""
    if status().works and path and path == weights_file():
        return _mounted(path, _WEIGHTS)
    return path


def _mounted(path: str, under: str = _INPUT) -> str:
    return f"{under}/{''.join(c if c.isalnum() or c in '._-' else '_' for c in Path(path).name)}"


def worker_command(sandboxed: bool, gpu: bool = False, folders: tuple[Path, Path] | None = None,
                   ) -> tuple[list[str], dict[str, str], str]:
    """(argv prefix, environment, working directory) for a fork server. In the sandbox the environment is set by
    bwrap; outside it, only _KEPT_ENV is passed on and the server starts in an empty private folder (the job's
    files, not the project, around it). Either way `python -P` keeps the working directory off the import path.
    `folders`, this server's own (out, in) job-file folders (tsviz/client/files.py), are bound at JOBS/out
    (writable) and JOBS/in (read-only) in its sandbox, the only host folders a job may write or be handed."""
    wrapper = prefix(gpu) if sandboxed else ()
    env = {k: v for k, v in os.environ.items() if k in _KEPT_ENV}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", PYTHONSAFEPATH="1", OMP_NUM_THREADS="1")
    if wrapper:
        if folders is not None:
            at = wrapper.index("--proc")  # before the root is made read-only
            wrapper = (*wrapper[:at], "--bind", str(folders[0]), f"{JOBS}/out", "--ro-bind", str(folders[1]),
                       f"{JOBS}/in", "--setenv", OUT_ENV, f"{JOBS}/out", "--setenv", IN_ENV, f"{JOBS}/in",
                       *wrapper[at:])
        return [*wrapper, sys.executable, "-P"], env, "/"
    home = _private_home()
    env["HOME"] = env["TMPDIR"] = home
    env[RUNNER_ENV] = str(runner_cache())
    if folders is not None:
        env[OUT_ENV], env[IN_ENV] = str(folders[0]), str(folders[1])
    return [sys.executable, "-P"], env, home


@lru_cache(maxsize=1)
def _private_home() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="tsviz-worker-")


@lru_cache(maxsize=4)
def _probe(root: str) -> Status:
    if os.environ.get(OFF_ENV):
        return Status((), f"{OFF_ENV} is set")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Status((), "bubblewrap (bwrap) is not installed")
    found = (
        bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--uid", NOBODY, "--gid", NOBODY, "--clearenv",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "PYTHONPATH", _APP,
        "--setenv", "USER", "nobody", "--setenv", "LOGNAME", "nobody",  # uid 65534 has no passwd entry inside
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONSAFEPATH", "1",
        "--setenv", "OMP_NUM_THREADS", "1", "--setenv", SANDBOXED_ENV, "1",
        *(arg for name in ("CUDA_VISIBLE_DEVICES",) if name in os.environ
          for arg in ("--setenv", name, os.environ[name])),
        # /tmp first: an interpreter or environment that lives under /tmp is then mounted on top of it
        "--size", str(TMP_MB * 2**20), "--tmpfs", "/tmp",
        *_system_mounts(), *_python_mounts(root),
        "--ro-bind", str(Path(root) / "tsviz"), f"{_APP}/tsviz",
        # the C++ runner tsviz built from its own source (tsviz/deploy/build.py), read-only: the deploy job runs it
        "--ro-bind", _runner_folder(), RUNNER_MOUNT, "--setenv", RUNNER_ENV, RUNNER_MOUNT,
        *(("--ro-bind", local, _mounted(local)) if (local := local_mount()) else ()),
        *(("--ro-bind", weights, _mounted(weights, _WEIGHTS)) if (weights := weights_file()) else ()),
        "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/",
    )
    try:  # the kernel may refuse namespaces (a container without privileges): then say why
        probe = subprocess.run([*found, sys.executable, "-P", "-c", "import tsviz"], capture_output=True,
                               timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return Status((), f"the sandbox probe failed: {e}")
    if probe.returncode != 0:
        said = probe.stderr.decode(errors="replace").strip().splitlines()
        return Status((), f"the sandbox probe failed: {said[-1] if said else f'exit status {probe.returncode}'}")
    return Status(found)


def _runner_folder() -> str:
    """The built runners' folder, made first (bwrap binds only what exists; one built later shows through)."""
    folder = runner_cache()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # an unwritable home: the deploy job then says the runner is not built
        folder = Path(_private_home())
    return str(folder)


def _system_mounts() -> list[str]:
    mounts = []
    for path in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(path):
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            mounts += ["--ro-bind", path, path]
    return mounts


def _python_mounts(root: str) -> list[str]:
    """The interpreter's prefixes and its package folders (site-packages, the user site), a virtual environment
    wherever it lives (under /tmp, inside the project); never the folder of a script nor the project itself."""
    inside = root.rstrip("/") + "/"
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {p for p in sys.path if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")}
    kept = sorted(p for p in map(os.path.abspath, paths)
                  if os.path.isdir(p) and p != root and not inside.startswith(p.rstrip("/") + "/")
                  and p not in ("/", "/tmp") and not p.startswith("/usr"))
    outermost = [p for p in kept if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in kept)]
    return [arg for p in outermost for arg in ("--ro-bind", p, p)]


def _gpu_devices() -> list[str]:
    """The NVIDIA device nodes, bound into a GPU job's sandbox (the driver's libraries are under /usr)."""
    return [arg for node in sorted(glob.glob("/dev/nvidia*")) for arg in ("--dev-bind", node, node)]
