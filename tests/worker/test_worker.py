"""The worker boundary: same result as in-process, and hangs, crashes and prints never reach the caller."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.samples import SAMPLES, inspect_sample, request_for

from tsviz import client
from tsviz.model.errors import ScriptError, SourceError, WorkerError
from tsviz.model.jobs import Limits


def test_worker_result_equals_in_process_result() -> None:
    name = "feed_forward.py"
    remote = client.run("inspect", request_for(name, (SAMPLES / name).read_bytes(), mode="script"))
    local = inspect_sample(name, "script")
    assert remote.graph == local.graph and remote.inlined == local.inlined and remote.code == local.code


def test_user_errors_come_back_as_the_same_error_type() -> None:
    with pytest.raises(SourceError) as caught:
        client.run("inspect", request_for("broken.py", "def f(:\n"))
    assert caught.value.line == 1
    source = "import torch\n\ndef f(x):\n    g = lambda t: t\n    return g(x)\n"
    result = client.run("inspect", request_for("lam.py", source))
    assert result.error is not None and result.error.type == ScriptError.__name__ and result.error.line == 4


def test_a_hang_is_killed_at_the_time_limit() -> None:
    with pytest.raises(WorkerError, match="timed out after 4 s while importing hang.py") as caught:
        client.run("inspect", request_for("hang.py", "while True:\n    pass\n"), limits=Limits.every_stage(4))
    assert caught.value.line in (1, 2)  # the while or its body, where the signal lands


def test_a_crash_of_the_interpreter_is_reported() -> None:
    with pytest.raises(WorkerError, match="crashed \\(SIGSEGV\\)"):
        client.run("inspect", request_for("segv.py", "import ctypes\nctypes.string_at(0)\n"))


def test_running_out_of_memory_is_named() -> None:
    source = "import torch\nbig = torch.empty(2**33)\n"
    with pytest.raises(WorkerError, match="ran out of the 3 GB memory limit") as caught:
        client.run("inspect", request_for("hog.py", source), limits=Limits(memory_mb=3072))
    assert caught.value.line == 2


def test_the_memory_limit_counts_what_a_job_adds_to_the_warm_worker() -> None:
    """torch's own libraries (0.7 GB mapped for the CPU build, over 3 GB for a CUDA build) are not the job's: a
    256 MB limit still lets a job take 100 MB, and stops it at 400 MB."""
    limits = Limits(memory_mb=256)
    fits = "import torch\nbig = torch.ones(25 * 2**20)\n\ndef f(x):\n    return x\n"
    assert client.run("inspect", request_for("fits.py", fits), limits=limits).entry == "f"
    hog = "import torch\nbig = torch.ones(100 * 2**20)\n\ndef f(x):\n    return x\n"
    with pytest.raises(WorkerError, match="ran out of the 0.25 GB memory limit"):
        client.run("inspect", request_for("hog.py", hog), limits=limits)


def test_user_prints_do_not_corrupt_the_answer() -> None:
    source = "import torch\nprint('{\"ok\": 1}')\n\ndef f(x):\n    print(x)\n    return x\n"
    assert client.run("inspect", request_for("chatty.py", source)).entry == "f"


def test_diff_runs_in_the_worker_and_comes_back_as_data() -> None:
    from tsviz.graph.verdict import verdict
    from tsviz.model.types import DiffRequest

    name = "loop_over_dim.py"
    result = client.run("diff", DiffRequest(request_for(name, (SAMPLES / name).read_bytes())))
    assert not verdict(result, "trace").matches and verdict(result, "script").matches
    assert [h.line for h in result.hazards] == [21]


def test_a_hang_during_the_diff_is_named() -> None:
    from tsviz.model.types import DiffRequest

    source = "import torch\n\ndef f(x):\n    while True:\n        pass\n"
    with pytest.raises(WorkerError, match="timed out after 4 s while converting hang.py with trace") as caught:
        client.run("diff", DiffRequest(request_for("hang.py", source, input_specs=())), limits=Limits.every_stage(4))
    assert caught.value.line in (4, 5)  # the while or its body, where the signal lands


def test_importing_the_job_runner_leaves_the_callers_stdout_alone() -> None:
    import subprocess
    import sys

    from support.samples import ROOT

    done = subprocess.run([sys.executable, "-c", "import tsviz.client; print('on stdout')"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.stdout == "on stdout\n" and done.stderr == ""


# ---- the sandbox (bubblewrap) ---------------------------------------------------------------------

def sandboxed() -> bool:
    from tsviz.client import sandbox

    return bool(sandbox.prefix())


needs_sandbox = pytest.mark.skipif(not sandboxed(), reason="bubblewrap is not available or not allowed here")


@needs_sandbox
def test_the_worker_cannot_read_host_files() -> None:
    source = "secret = open('/etc/hostname').read()\n"
    with pytest.raises(SourceError, match="No such file or directory: '/etc/hostname'") as caught:
        client.run("inspect", request_for("peek.py", source))
    assert caught.value.line == 1


@needs_sandbox
def test_the_worker_cannot_write_outside_its_private_tmp(tmp_path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("unchanged")
    source = f"open({str(canary)!r}, 'w').write('owned')\n"
    with pytest.raises(SourceError, match="No such file or directory"):
        client.run("inspect", request_for("scribble.py", source))
    assert canary.read_text() == "unchanged"


@needs_sandbox
def test_the_worker_has_no_network() -> None:
    source = "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)\n"
    with pytest.raises(SourceError, match="Network is unreachable") as caught:
        client.run("inspect", request_for("phone_home.py", source))
    assert caught.value.line == 2


@needs_sandbox
def test_the_worker_runs_as_an_unprivileged_user() -> None:
    source = "import os\nassert os.getuid() == 65534, os.getuid()\n\ndef f(x):\n    return x\n"
    assert client.run("inspect", request_for("whoami.py", source)).entry == "f"


@needs_sandbox
def test_the_worker_cannot_write_anywhere_but_its_tmp() -> None:
    source = ("import os\nfor folder in ('/', '/opt/tsviz', '/opt/tsviz/tsviz', '/dev', '/dev/shm', '/usr'):\n"
              "    try:\n        open(os.path.join(folder, 'x'), 'w')\n    except OSError:\n        pass\n"
              "    else:\n        raise AssertionError(folder)\nopen('/tmp/x', 'w').write('fine')\n\n\n"
              "def f(x):\n    return x\n")
    assert client.run("inspect", request_for("scribbler.py", source)).entry == "f"


@needs_sandbox
def test_a_python_environment_under_tmp_is_sandboxed() -> None:
    """A virtual environment in /tmp (the sandbox's own /tmp used to hide it, so the probe failed and every job
    ran unsandboxed) is mounted on top of that /tmp: the probe works, and a job runs as uid 65534."""
    import subprocess
    import sys
    import tempfile

    from support.samples import ROOT

    where = Path(tempfile.mkdtemp(prefix="tsviz-venv-", dir="/tmp"))
    try:
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(where)],
                       check=True, timeout=120)
        python = str(where / "bin" / "python")
        probe = subprocess.run([python, "-c", "import sys; from tsviz.client import sandbox; s = sandbox.status(); "
                                "print(sys.prefix, s.works, s.reason)"], capture_output=True, text=True, cwd=ROOT,
                               timeout=120)
        assert probe.stdout.split()[:2] == [str(where), "True"], probe.stdout + probe.stderr
        model = where.parent / f"{where.name}-whoami.py"
        model.write_text("import os\nassert os.getuid() == 65534, os.getuid()\n\n\ndef f(x):\n    return x\n")
        done = subprocess.run([python, "-m", "tsviz", "inspect", str(model)], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)
        assert done.returncode == 0 and "NOT sandboxed" not in done.stderr, done.stdout + done.stderr
    finally:
        shutil.rmtree(where, ignore_errors=True)
        Path(f"{where}-whoami.py").unlink(missing_ok=True)


def test_a_gpu_jobs_sandbox_binds_the_nvidia_devices_into_its_fresh_dev(monkeypatch) -> None:
    """The device nodes come after the sandbox's own /dev (or it would hide them) and before /dev is made
    read-only; everything else (no network, the cleared environment, the read-only root) is the same sandbox."""
    from tsviz.client import sandbox

    monkeypatch.setattr(sandbox, "status", lambda: sandbox.Status(("bwrap", "--unshare-all", "--clearenv", "--dev",
                                                                     "/dev", "--remount-ro", "/dev", "--remount-ro",
                                                                     "/")))
    monkeypatch.setattr(sandbox.glob, "glob", lambda pattern: ["/dev/nvidia0", "/dev/nvidiactl"])
    assert sandbox.prefix(gpu=True) == ("bwrap", "--unshare-all", "--clearenv", "--dev", "/dev",
                                        "--dev-bind", "/dev/nvidia0", "/dev/nvidia0",
                                        "--dev-bind", "/dev/nvidiactl", "/dev/nvidiactl",
                                        "--remount-ro", "/dev", "--remount-ro", "/")
    assert sandbox.prefix() == sandbox.status().prefix


def _has_cuda() -> bool:
    import glob

    return bool(glob.glob("/dev/nvidia0"))


@needs_sandbox
@pytest.mark.skipif(not _has_cuda(), reason="needs an NVIDIA GPU")
def test_a_cuda_benchmark_runs_in_the_sandbox() -> None:
    """On a GPU machine: the device probe sees the GPU from inside the sandbox, and a CUDA benchmark job (whose
    file checks it is uid 65534 with no network) runs there and matches eager."""
    from tsviz.model.types import BenchJob

    assert client.run("devices").cuda_devices
    source = (SAMPLES / "feed_forward.py").read_text() + (
        "\nimport os as _os\nimport socket as _socket\nassert _os.getuid() == 65534\n"
        "try:\n    _socket.create_connection(('1.1.1.1', 53), timeout=2)\nexcept OSError:\n    pass\n"
        "else:\n    raise AssertionError('network')\n")
    job = BenchJob(request_for("feed_forward.py", source), "script", "cuda", (1,), min_run_time=0.1)
    rows = client.run("bench", job).rows
    assert rows and all(not r.error and r.matches_eager and r.device == "cuda" for r in rows), rows
