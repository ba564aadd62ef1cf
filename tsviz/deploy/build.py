"""Build tsviz's C++ runner (cpp/runner.cpp, cpp/CMakeLists.txt) against the installed torch, once per machine.

Why here, and outside the sandbox: this compiles tsviz's own source, never the user's, so it is trusted work; the
sandbox's root is read-only and its /tmp is emptied after every job, so a build inside it would never be kept.
The server side starts it as a process (`python -m tsviz.deploy.build`, tsviz/client/runner.py), never imports it,
and the sandbox then mounts the cache folder read-only (tsviz/client/sandbox.py). The user's archive only ever
meets the binary inside the sandbox (tsviz/deploy/run.py).

The cache: runner_cache()/<torch version>-<hash of the two source files>/tsviz_runner, with build.json beside
it saying how it was built. A new torch or an edited runner.cpp is a new folder; everything else is a cache hit.
Builds are serialised with a lock file, so two servers starting at once build it once. CMake + make where CMake
is installed, g++ directly where it is not; no compiler at all is a reason, never a crash.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tsviz.model.deploy import RUNNER_ENV, runner_cache

SOURCES = Path(__file__).parent / "cpp"
FILES = ("runner.cpp", "CMakeLists.txt")
BINARY = "tsviz_runner"
NO_COMPILER = "C++ rung skipped: no g++ found (install build-essential)"
BUILD_TIMEOUT_S = 900


@dataclass(frozen=True, slots=True)
class Built:
    """What a build gave: the binary (relative to the cache folder) or why there is none."""

    ok: bool
    key: str  # the cache folder's name: torch version and source hash
    binary: str = ""  # KEY/tsviz_runner, relative to runner_cache()
    reason: str = ""  # why there is no binary (no compiler, the compiler's error)
    seconds: float = 0.0  # how long the build took (0 for a cache hit)
    cached: bool = False  # found built, not built now
    tool: str = ""  # "cmake" or "g++"

    def note(self) -> str:
        """How the runner was got, for a person."""
        if not self.ok:
            return self.reason
        took = f"built with {self.tool} in {self.seconds:.1f} s" if self.seconds else f"built with {self.tool}"
        return f"{took}, once for this torch and this source ({self.key}); " + \
            ("found in the cache" if self.cached else "kept in the cache for every later run")


def torch_root() -> Path:
    """The installed torch package's folder, found without importing torch (2 s and 300 MB saved)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("torch is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def cache_key() -> str:
    """torch's version and the runner's source hash: the one thing that decides whether to build again."""
    sha = hashlib.sha256()
    for name in FILES:
        sha.update(name.encode() + b"\0" + (SOURCES / name).read_bytes() + b"\0")
    return f"torch-{importlib.metadata.version('torch')}-{sha.hexdigest()[:16]}"


def runner_path(cache: Path | None = None) -> Path:
    return (cache or runner_cache()) / cache_key() / BINARY


def build_commands(archive: str = "model.pt", example: str = "torch.randn(2, 4),") -> str:
    """The commands that build and run the runner on the user's own machine (any torch wheel installed);
    `example` is Python making the inputs' tuple ("torch.randn(4, 16),")."""
    inputs = "inputs.pt"
    return ("cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \\\n"
            "    -DCMAKE_PREFIX_PATH=\"$(python -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')\"\n"
            "cmake --build build --config Release\n"
            f"python -c \"import torch; torch.save(({example}), '{inputs}')\"  # your inputs, as a tuple\n"
            f"./build/tsviz_runner {archive} {inputs} outputs.pt --threads 1,2,4")


def ensure_built(cache: Path | None = None) -> Built:
    """The runner for this torch and this source: from the cache, or built now (once, under a lock)."""
    cache = cache or runner_cache()
    key = cache_key()
    folder = cache / key
    found = _cached(folder, key)
    if found is not None:
        return found
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:  # not remembered: installing g++ later is enough
        return Built(False, key, reason=NO_COMPILER)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it right now: wait for its result
        found = _cached(folder, key)
        if found is not None:
            return found
        start = time.perf_counter()
        scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache))
        try:
            tool, failure = _compile(scratch, compiler)
            seconds = round(time.perf_counter() - start, 2)
            if failure:  # not remembered: a missing assembler or header installed later is enough
                return Built(False, key, reason=failure, seconds=seconds, tool=tool)
            built = Built(True, key, f"{key}/{BINARY}", seconds=seconds, tool=tool)
            _write_record(scratch, built)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(scratch, folder)
            folder.chmod(0o755)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return built


def ensure_found() -> Built:
    """The built runner as a worker sees it (read-only; inside the sandbox, mounted at RUNNER_MOUNT), or why
    there is none. A worker never builds: the server built it first (tsviz/client/runner.py)."""
    folder = Path(os.environ[RUNNER_ENV]) if os.environ.get(RUNNER_ENV) else runner_cache()
    key = cache_key()
    found = _cached(folder / key, key)
    if found is not None:
        return found
    if shutil.which("g++") is None and shutil.which("c++") is None:
        return Built(False, key, reason=NO_COMPILER)
    return Built(False, key, reason="C++ rung skipped: the runner is not built for this torch yet (the server "
                                    "builds it before the job: python -m tsviz.deploy.build)")


def _cached(folder: Path, key: str) -> Built | None:
    try:
        record = json.loads((folder / "build.json").read_text())
    except (OSError, ValueError):
        return None
    if record.get("ok") and not (folder / BINARY).is_file():
        return None
    return Built(**{**record, "cached": True, "key": key})


def _write_record(folder: Path, built: Built) -> None:
    (folder / "build.json").write_text(json.dumps(asdict(built), indent=1))


def _compile(scratch: Path, compiler: str) -> tuple[str, str]:
    """("cmake" | "g++", "" or the failure's last lines); the binary is left at scratch/tsviz_runner."""
    torch = torch_root()
    if shutil.which("cmake") and shutil.which("make"):
        steps = [["cmake", "-S", str(SOURCES), "-B", str(scratch / "build"), "-DCMAKE_BUILD_TYPE=Release",
                  f"-DCMAKE_CXX_COMPILER={compiler}", f"-DCMAKE_PREFIX_PATH={torch / 'share' / 'cmake'}"],
                 ["cmake", "--build", str(scratch / "build"), "--config", "Release"]]
        tool, made = "cmake", scratch / "build" / BINARY
    else:
        abi = _cxx11_abi(torch)
        steps = [[compiler, "-O2", "-std=c++17", f"-D_GLIBCXX_USE_CXX11_ABI={abi}", str(SOURCES / "runner.cpp"),
                  "-I", str(torch / "include"), "-I", str(torch / "include" / "torch" / "csrc" / "api" / "include"),
                  "-L", str(torch / "lib"), f"-Wl,-rpath,{torch / 'lib'}", "-ltorch", "-ltorch_cpu", "-lc10",
                  "-o", str(scratch / BINARY)]]
        tool, made = "g++", scratch / BINARY
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return tool, f"the C++ runner's build ran past {BUILD_TIMEOUT_S} s: {' '.join(step[:2])}"
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-6:]
            return tool, f"the C++ runner did not build ({Path(step[0]).name} failed): " + " | ".join(said)
    if made != scratch / BINARY:
        os.replace(made, scratch / BINARY)
        shutil.rmtree(scratch / "build", ignore_errors=True)
    return tool, ""


def _cxx11_abi(torch: Path) -> int:
    """The C++ ABI the torch wheel was built with, read from its CMake config (new wheels: 1)."""
    config = torch / "share" / "cmake" / "Caffe2" / "Caffe2Targets.cmake"
    try:
        return 0 if "_GLIBCXX_USE_CXX11_ABI=0" in config.read_text() else 1
    except OSError:
        return 1


def main() -> int:
    """`python -m tsviz.deploy.build`: build (or find) the runner, print one JSON object (Built) on stdout."""
    try:
        built = ensure_built()
    except (OSError, RuntimeError) as e:
        built = Built(False, "", reason=f"the C++ runner could not be built: {e}")
    print(json.dumps(asdict(built)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
