"""Run jobs in the warm, sandboxed worker: a queue, limits per stage, validated JSON back, a cache by content.

Two fork servers (tsviz/forkserver.py), each in a bubblewrap sandbox of its own, run one job at a time in a
fresh forked child; more jobs wait in a queue that the caller can show. A server that dies or stops answering
is replaced and the job that killed it is reported. Results are cached by a hash of the job (the file's bytes
and every option), so a rerun costs nothing. Nothing from the worker is unpickled: one JSON header line, then
the child's answer as JSON, size-capped and rebuilt into the expected dataclass, or refused.
"""
from __future__ import annotations

import atexit
import ctypes
import hashlib
import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import Callable, TypeVar

from tsviz import sandbox
from tsviz.errors import TsvizError, WorkerError
from tsviz.jsonio import from_data, to_data
from tsviz.types import (BenchJob, BenchResult, DeviceInfo, DiffRequest, DiffResult, ErrorInfo, ExportResult,
                         InspectRequest, InspectResult, PassRequest, PassResult)
from tsviz.uploads import content_digest

T = TypeVar("T")
POOL_SIZE = 2  # two cores: two jobs at once, the rest wait
MAX_HEADER_BYTES = 64 * 1024
START_TIMEOUT_S = 120.0  # a server imports torch before it is ready
SLACK_S = 15.0  # past every stage's limit, a server that still has not answered is wedged
WORKER_NICE = 10
OnWait = Callable[[str], None]


@dataclass(frozen=True)
class Limits:
    """Per-job limits. torch alone needs ~0.75 GB of address space just to import."""

    load_s: float = 30.0
    convert_s: float = 60.0
    run_s: float = 60.0
    benchmark_s: float = 300.0
    memory_mb: int = 3072  # 0: no address-space limit (CUDA reserves far more than it uses)
    cpu_s: int = 240
    file_mb: int = 256  # the largest file a job may write
    open_files: int = 256
    processes: int = 64  # processes in the job's sandbox (RLIMIT_NPROC outside one)
    answer_mb: int = 256

    @classmethod
    def every_stage(cls, seconds: float, **other: int) -> Limits:
        return cls(load_s=seconds, convert_s=seconds, run_s=seconds, benchmark_s=seconds, **other)

    def for_server(self) -> dict:
        return {
            "stages_s": {"load": self.load_s, "convert": self.convert_s, "run": self.run_s, "benchmark": self.benchmark_s},
            "memory_mb": self.memory_mb, "cpu_s": self.cpu_s, "file_mb": self.file_mb,
            "open_files": self.open_files, "processes": self.processes, "answer_bytes": self.answer_mb * 2**20,
        }

    def total_s(self) -> float:
        return self.load_s + self.convert_s + self.run_s + self.benchmark_s


def run_inspect(request: InspectRequest, limits: Limits = Limits(), on_wait: OnWait | None = None) -> InspectResult:
    """inspect_file() in the worker; a TsvizError comes back as the same error here."""
    return _run_job("inspect", request, InspectResult, request.filename, limits, on_wait)


def run_diff(request: DiffRequest, limits: Limits = Limits(), on_wait: OnWait | None = None) -> DiffResult:
    """compare.diff_file() in the worker: eager vs trace vs script on many inputs."""
    return _run_job("diff", request, DiffResult, request.model.filename, limits, on_wait)


def run_passes(request: PassRequest, limits: Limits = Limits(), on_wait: OnWait | None = None) -> PassResult:
    """passes.explore_passes() in the worker: the forward graph after each TorchScript pass."""
    return _run_job("passes", request, PassResult, request.model.filename, limits, on_wait)


def run_export_check(request: InspectRequest, limits: Limits = Limits(),
                     on_wait: OnWait | None = None) -> ExportResult:
    """export_check.export_check() in the worker: torch.export non-strict, strict and with a dynamic batch."""
    return _run_job("export", request, ExportResult, request.filename, limits, on_wait)


def run_bench(job: BenchJob, limits: Limits = Limits(cpu_s=600), on_wait: OnWait | None = None) -> BenchResult:
    """One variant on one device in its own child: a crash there loses no other variant's rows.

    The sandbox has no GPU device nodes, so CUDA jobs run in a plain worker started for the one job,
    without the address-space limit: reduced isolation for GPU benchmarks.
    """
    if job.device == "cuda":
        return _run_job("bench", job, BenchResult, job.model.filename, replace(limits, memory_mb=0), on_wait, pooled=False)
    return _run_job("bench", job, BenchResult, job.model.filename, limits, on_wait)


def run_devices(limits: Limits = Limits.every_stage(60)) -> DeviceInfo:
    """The machine's CPU count and CUDA GPUs, asked outside the sandbox (which hides the GPUs). No user content."""
    return _run_job("devices", None, DeviceInfo, "", limits, None, pooled=False, cached=False)


def ping(on_wait: OnWait | None = None) -> float:
    """One empty job through the queue and a fresh child; the seconds it took (health checks, benchmarks)."""
    start = time.perf_counter()
    _run_job("ping", None, dict, "", Limits(), on_wait, cached=False)
    return time.perf_counter() - start


def warm_up() -> None:
    """Start the worker pool in the background, so the first job does not wait for torch to import."""
    pool().warm_up()


# ---- a job: cache, queue, answer --------------------------------------------------------------------------

def _run_job(name: str, request: object, result_type: type[T], filename: str, limits: Limits,
             on_wait: OnWait | None, pooled: bool = True, cached: bool = True) -> T:
    # The key names the file by its digest (remembered), instead of base64-encoding it on every rerun of the page.
    digest = to_data(request, bytes_as=content_digest)
    key = hashlib.sha256(json.dumps([name, digest, asdict(limits)], sort_keys=True).encode()).hexdigest()
    if cached and (hit := _CACHE.get(key)) is not None:
        return _result_or_raise(hit)
    job = {"job": name, "request": to_data(request), "memory_mb": limits.memory_mb}
    if pooled:
        header, answer = pool().run(job, limits, filename, on_wait)
    else:
        header, answer = _run_alone(job, limits, filename)
    outcome = _outcome(header, answer, result_type, limits, filename)
    if cached:
        _CACHE.put(key, outcome, len(answer))
    return _result_or_raise(outcome)


def _result_or_raise(outcome: object):
    if isinstance(outcome, ErrorInfo):
        raise TsvizError.from_info(outcome)
    return outcome


def _outcome(header: dict, answer: bytes, result_type: type[T], limits: Limits, filename: str) -> T | ErrorInfo:
    """The result, or what went wrong as ErrorInfo; refuses anything but the expected JSON."""
    status, stage = header.get("status"), str(header.get("stage", "starting"))
    if status != "done":
        return _failure(header, status, stage, limits, filename).info()
    if len(answer) > limits.answer_mb * 2**20:
        return WorkerError(f"the worker's answer is larger than {limits.answer_mb} MB", file=filename).info()
    try:
        data = json.loads(answer)
    except ValueError:
        return WorkerError("the worker sent an answer that is not JSON (the model's code may have written into "
                           "the worker's answer channel)", file=filename, detail=answer[:200].decode(errors="replace")).info()
    try:
        if not isinstance(data, dict) or len(data) != 1 or not {"ok", "error"} & data.keys():
            raise ValueError("expected {\"ok\": ...} or {\"error\": ...}")
        if "error" in data:
            info = from_data(ErrorInfo, data["error"])
            return replace(info, file=info.file or filename)
        return from_data(result_type, data["ok"]) if result_type is not dict else data["ok"]
    except (KeyError, ValueError, TypeError) as e:
        return WorkerError(f"the worker sent an answer of the wrong shape ({e})", file=filename).info()


def _failure(header: dict, status: object, stage: str, limits: Limits, filename: str) -> TsvizError:
    """A limit hit or a crash, in words: what happened, while doing what, at which line of the user's file."""
    log = str(header.get("log", ""))
    frames = _user_frames(log, filename)
    line = frames[0][0] if frames else 0
    detail = ("Where the model's code was (innermost first):\n" + "\n".join(text for _, text in frames[:6]) if frames
              else "\n".join([ln for ln in log.strip().splitlines()
                               if not ln.strip().startswith(("File ", "Extension modules:"))][-6:]))
    if status == "timeout":
        return WorkerError(f"timed out after {float(header.get('limit_s', 0)):g} s while {stage}", file=filename, line=line,
                           hint="the model may loop forever, or be too large to handle here; the job was stopped",
                           detail=detail)
    if status == "processes":
        return WorkerError(f"the model's code started more than {limits.processes} processes while {stage}",
                           file=filename, hint="a model file should not fork; the job and all its processes were stopped")
    if status == "too_large":
        return WorkerError(f"the worker's answer passed the {limits.answer_mb} MB limit while {stage}", file=filename,
                           hint="the model is too large to show here, or its code wrote into the worker's answer")
    if status == "signal":
        name = _signal_name(header.get("signal"))
        what = {
            "SIGXCPU": f"used up its {limits.cpu_s} s of CPU time",
            "SIGXFSZ": f"tried to write a file over the {limits.file_mb} MB limit",
            "SIGKILL": "was killed (out of memory, or by its own code)",
        }.get(name, f"crashed ({name})")
        return WorkerError(f"the worker process {what} while {stage}", file=filename, line=line,
                           hint="the model's code brought down its worker process; nothing else was affected",
                           detail=detail)
    if status == "exit":
        return WorkerError(f"the worker process exited with status {header.get('code')} while {stage}", file=filename,
                           line=line, hint="the model's code ended the process (os._exit?); remove that call",
                           detail=detail)
    return WorkerError(f"the worker sent an unknown status {status!r}", file=filename)


def _signal_name(number: object) -> str:
    try:
        return signal.Signals(int(number)).name  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"signal {number}"


def _user_frames(log: str, filename: str) -> list[tuple[int, str]]:
    """(line, frame) of each frame in the user's file that faulthandler wrote, innermost first."""
    name = os.path.basename(filename)
    if not name:
        return []
    return [(int(m.group(1)), f'File "{name}", line {m.group(1)}{m.group(2)}')
            for m in re.finditer(rf'File "[^"]*/{re.escape(name)}", line (\d+)(.*)', log)]


class _Cache:
    """Finished jobs by content hash (results and errors), least recently used out first."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 2**20) -> None:
        self._items: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries, self.max_bytes = max_entries, max_bytes

    def get(self, key: str) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: str, outcome: object, size: int) -> None:
        with self._lock:
            self._items[key] = (outcome, size)
            while len(self._items) > self.max_entries or sum(s for _, s in self._items.values()) > self.max_bytes:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE = _Cache()


# ---- the worker processes ---------------------------------------------------------------------------------

class _ServerGone(Exception):
    """The fork server died or stopped answering; the message says which."""


class _Server:
    """One fork server (in a sandbox of its own when there is one): one job at a time."""

    def __init__(self, sandboxed: bool) -> None:
        wrapper = sandbox.prefix() if sandboxed else ()
        env = {**os.environ, "PYTHONPATH": str(sandbox.ROOT), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "tsviz.forkserver"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=sandbox.ROOT, env=env, start_new_session=True, preexec_fn=_server_limits,
        )
        self._buffer = bytearray()  # appended to in place: a 60 MB answer arrives in 64 KB pipe reads
        try:
            header, _ = self._reply(time.monotonic() + START_TIMEOUT_S, 0)
        except _ServerGone as e:
            self.stop()
            raise WorkerError(f"the worker could not start: {e}") from None
        if header.get("status") != "ready":
            self.stop()
            raise WorkerError("the worker could not start: it did not say it was ready")

    def run(self, job: dict, limits: Limits) -> tuple[dict, bytes]:
        try:
            self.process.stdin.write(json.dumps({"job": job, "limits": limits.for_server()}).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _ServerGone("it had exited before the job was sent") from None
        return self._reply(time.monotonic() + limits.total_s() + SLACK_S, limits.answer_mb * 2**20)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the sandbox's init goes, and with it every process inside
        except ProcessLookupError:
            pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _reply(self, deadline: float, answer_cap: int) -> tuple[dict, bytes]:
        """One header line (at most MAX_HEADER_BYTES) and then exactly the announced answer bytes."""
        line = self._read_until(lambda b: b"\n" in b or len(b) > MAX_HEADER_BYTES, deadline)
        if b"\n" not in line:
            raise _ServerGone("its reply header was too long")
        raw, rest = line.split(b"\n", 1)
        self._buffer = bytearray(rest)
        try:
            header = json.loads(raw)
            size = int(header.pop("answer_bytes"))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _ServerGone("its reply header was not the expected JSON") from None
        if not isinstance(header, dict) or not 0 <= size <= answer_cap:
            raise _ServerGone(f"it announced an answer of {size} bytes")
        data = self._read_until(lambda b: len(b) >= size, deadline)
        answer, self._buffer = bytes(data[:size]), bytearray(data[size:])
        return header, answer

    def _read_until(self, enough: Callable[[bytearray], bool], deadline: float) -> bytearray:
        fd = self.process.stdout.fileno()
        while not enough(self._buffer):
            left = deadline - time.monotonic()
            if left <= 0:
                raise _ServerGone("it stopped answering")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise _ServerGone("it was killed")
                self._buffer += chunk
        return self._buffer


def _server_limits() -> None:
    """In the server before exec: no core files, a lower CPU priority than the dashboard (which must keep
    answering while jobs run on every core), and death with the thread that started it (a lasting one)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(WORKER_NICE)
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


# Servers are started from these lasting threads: PR_SET_PDEATHSIG (and bwrap's --die-with-parent) fire when
# the *thread* that started a process ends, and a Streamlit script thread ends after every rerun.
_LAUNCHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tsviz-worker-launcher")


def _start(sandboxed: bool) -> _Server:
    return _LAUNCHER.submit(_Server, sandboxed).result()


def _run_alone(job: dict, limits: Limits, filename: str) -> tuple[dict, bytes]:
    """A job in a plain server started for it alone (CUDA benchmarks, the device probe)."""
    server = _start(sandboxed=False)
    try:
        return server.run(job, limits)
    except _ServerGone as e:
        raise WorkerError(f"the worker process failed: {e}", file=filename) from None
    finally:
        server.stop()


class Pool:
    """POOL_SIZE fork servers and a first-come, first-served queue in front of them."""

    def __init__(self, size: int = POOL_SIZE, sandboxed: bool = True) -> None:
        self.size, self.sandboxed = size, sandboxed
        self._cond = threading.Condition()
        self._idle: list[_Server] = []
        self._taken = 0  # servers running a job, or being started
        self._queue: deque[object] = deque()
        self._servers: set[_Server] = set()

    def run(self, job: dict, limits: Limits, filename: str, on_wait: OnWait | None) -> tuple[dict, bytes]:
        server = self._acquire(on_wait)
        try:
            return server.run(job, limits)
        except _ServerGone as e:
            server.stop()
            raise WorkerError(f"this job brought down its worker process ({e})", file=filename,
                              hint="the model's code killed or froze the worker; a fresh worker takes its place "
                                   "and no other job was affected") from None
        finally:
            self._release(server)

    def warm_up(self) -> None:
        for _ in range(self.size):
            _LAUNCHER.submit(self._prestart)

    def shutdown(self) -> None:
        with self._cond:
            servers, self._idle = list(self._servers), []
            self._servers.clear()
        for server in servers:
            server.stop()

    def _prestart(self) -> None:
        with self._cond:
            if self._taken + len(self._idle) >= self.size:
                return
            self._taken += 1
        try:
            server = self._launch(_Server)  # already on a launcher thread: start it here, not through _start
        except WorkerError:
            return  # the next job tries again, and says why if it fails
        self._release(server)

    def _launch(self, start: Callable[[bool], _Server] = _start) -> _Server:
        """A new server for a slot already counted in `_taken`; on failure the slot is given back."""
        try:
            server = start(self.sandboxed)
        except WorkerError:
            with self._cond:
                self._taken -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._servers.add(server)
        return server

    def _acquire(self, on_wait: OnWait | None) -> _Server:
        ticket = object()
        told = None
        with self._cond:
            self._queue.append(ticket)
            try:
                while True:
                    first = self._queue[0] is ticket
                    if first and self._idle:
                        self._taken += 1
                        return self._idle.pop()
                    if first and self._taken + len(self._idle) < self.size:
                        self._taken += 1
                        break  # start a server for this job, outside the lock
                    ahead = self._queue.index(ticket) + self._taken
                    text = (f"Waiting for the worker: {ahead} job{'s' if ahead != 1 else ''} ahead of yours"
                            if ahead else "Waiting for the worker to start")
                    if on_wait is not None and text != told:
                        on_wait(text)
                        told = text
                    self._cond.wait(0.5)
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()
        return self._launch()

    def _release(self, server: _Server) -> None:
        with self._cond:
            self._taken -= 1
            if server.alive() and server in self._servers:
                self._idle.append(server)
            else:
                self._servers.discard(server)
            self._cond.notify_all()


def job_processes(under: int | None = None) -> list[int]:
    """Processes running a job, or left over by one: every child of a fork server, and what they started.

    Idle fork servers have no children, so after every job this is empty (tests and the load benchmark check it).
    `under` limits the search to the descendants of one process (this one, or the app's), so other tsviz
    instances on the machine do not count; without it, a server orphaned to init counts too.
    """
    parents: dict[int, int] = {}
    servers = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if f.read().split(b"\0")[1:3] == [b"-m", b"tsviz.forkserver"]:  # bwrap's own argv also names it
                    servers.add(int(name))
        except (OSError, ValueError, IndexError):
            continue
    found = {pid for pid, parent in parents.items() if parent in servers or (under is None and pid in servers and parent == 1)}
    found |= _descendants(found, parents)
    return sorted(found & ({under} | _descendants({under}, parents)) if under is not None else found)


def _descendants(roots: set[int], parents: dict[int, int]) -> set[int]:
    found: set[int] = set()
    frontier = set(roots)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


_POOL: Pool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> Pool:
    """The process's worker pool (sandboxed where bubblewrap works), made on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = Pool(sandboxed=True)
            atexit.register(_POOL.shutdown)
        return _POOL
