"""The worker processes: POOL_SIZE warm fork servers, each in a bubblewrap sandbox of its own, and a
first-come, first-served queue in front of them, where the server's own background jobs (the pages' first views
made ahead, tsviz/ui/opening.py) wait until no user's job is waiting or running.

Each server (tsviz/worker/forkserver.py) runs one job at a time in a fresh forked child. A server that dies
or stops answering is replaced and the job that killed it is reported. The protocol: one JSON header line,
then exactly the announced answer bytes, size-capped; the answer is passed on unread (tsviz/client/answers.py
checks it). Each server has job-file folders of its own (tsviz/client/files.py): a job's big results come back as
files in its out folder, moved to a folder of that job's own before the server takes its next job.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import os
import resource
import select
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tsviz.client import files, sandbox
from tsviz.model.errors import WorkerError
from tsviz.model.jobs import Limits

POOL_SIZE = 2  # two cores: two jobs at once, the rest wait
MAX_WAITING = 24  # jobs waiting for a server; past this, a new job is turned away with a message
MAX_HEADER_BYTES = 64 * 1024
START_TIMEOUT_S = 120.0  # a server imports torch before it is ready
SLACK_S = 15.0  # past every stage's limit, a server that still has not answered is wedged
WORKER_NICE = 10
OnWait = Callable[[str], None]
Reply = tuple[dict, bytes, Path | None]  # header, answer, the folder of the job's files (tsviz/client/files.py)


class _ServerGone(Exception):
    """The fork server died or stopped answering; the message says which."""


class _Ticket:
    """A job's place in the queue. `owner` names a session's page: each keeps at most one job waiting, its latest.
    A `background` job goes after every user's job, waiting or running."""

    __slots__ = ("background", "owner", "superseded")

    def __init__(self, owner: str | None, background: bool = False) -> None:
        self.owner, self.superseded, self.background = owner, False, background


class _Server:
    """One fork server (in a sandbox of its own when there is one): one job at a time."""

    def __init__(self, sandboxed: bool, gpu: bool = False) -> None:
        self.out, self.inbox = files.server_folders()
        python, env, cwd = sandbox.worker_command(sandboxed, gpu, (self.out, self.inbox))
        jobs = [",".join(_PRELOAD)] if _PRELOAD else []  # what the server imports before its first fork
        self.process = subprocess.Popen(
            [*python, "-m", "tsviz.worker.forkserver", *jobs],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, env=env,
            start_new_session=True, preexec_fn=_server_limits,
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

    def run(self, job: dict, limits: Limits, inputs: dict[str, Path] | None = None) -> Reply:
        """The job's header, its answer, and the folder of files it left (None: none); `inputs` are stored files
        it reads, given to it alone (by name) in this server's in folder."""
        files.give(self.inbox, inputs or {})
        try:
            try:
                self.process.stdin.write(json.dumps({"job": job, "limits": limits.for_server()}).encode() + b"\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError):
                raise _ServerGone("it had exited before the job was sent") from None
            header, answer = self._reply(time.monotonic() + limits.total_s() + SLACK_S, limits.answer_mb * 2**20)
        except _ServerGone:
            self.stop()  # nothing of the job runs on: its files are dropped with the server's folders
            raise
        return header, answer, files.collect(self.out, self.inbox)

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
        files.remove_server_folders(self.out)

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


def _start(sandboxed: bool, gpu: bool = False) -> _Server:
    return _LAUNCHER.submit(_Server, sandboxed, gpu).result()


def run_alone(job: dict, limits: Limits, filename: str, inputs: dict[str, Path] | None = None) -> Reply:
    """A job in a server started for it alone, in a sandbox that also holds the GPUs' device nodes (CUDA
    benchmarks, the device probe)."""
    server = _start(sandboxed=True, gpu=True)
    try:
        return server.run(job, limits, inputs)
    except _ServerGone as e:
        raise WorkerError(f"the worker process failed: {e}", file=filename) from None
    finally:
        server.stop()


class Pool:
    """POOL_SIZE fork servers and a first-come, first-served queue in front of them; background jobs last."""

    def __init__(self, size: int = POOL_SIZE, sandboxed: bool = True) -> None:
        self.size, self.sandboxed = size, sandboxed
        self._cond = threading.Condition()
        self._idle: list[_Server] = []
        self._taken = 0  # servers running a job, or being started
        self._queue: deque[_Ticket] = deque()
        self._servers: set[_Server] = set()
        self._users_running = 0  # users' jobs holding a server (a background job waits for none)

    def run(self, job: dict, limits: Limits, filename: str, on_wait: OnWait | None,
            owner: str | None = None, inputs: dict[str, Path] | None = None, background: bool = False) -> Reply:
        server = self._acquire(on_wait, owner, filename, background)
        try:
            return server.run(job, limits, inputs)
        except _ServerGone as e:
            server.stop()
            raise WorkerError(f"this job brought down its worker process ({e})", file=filename,
                              hint="the model's code killed or froze the worker; a fresh worker takes its place "
                                   "and no other job was affected") from None
        finally:
            self._release(server, user=not background)

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
            self._release(None)
            return  # the next job tries again, and says why if it fails
        self._release(server)

    def _launch(self, start: Callable[[bool], _Server] = _start) -> _Server:
        """A new server for a slot already counted in `_taken` (the caller gives the slot back if it fails)."""
        server = start(self.sandboxed)
        with self._cond:
            self._servers.add(server)
        return server

    def _acquire(self, on_wait: OnWait | None, owner: str | None, filename: str, background: bool = False) -> _Server:
        ticket = _Ticket(owner, background)
        told = None
        with self._cond:
            if len(self._queue) >= MAX_WAITING:
                raise WorkerError(f"the worker's queue is full: {len(self._queue)} jobs are waiting", file=filename,
                                  hint="the server is busy; try again in a minute")
            for other in self._queue:
                if owner is not None and other.owner == owner:
                    other.superseded = True  # the same page asked again: its newer job takes this place
            self._queue.append(ticket)
            self._cond.notify_all()
            try:
                while True:
                    if ticket.superseded:
                        raise WorkerError("a newer job from the same page took this one's place in the queue",
                                          file=filename)
                    users = [other for other in self._queue if not other.background]
                    if background:  # after every user's job, waiting or running
                        first = not users and not self._users_running and self._queue[0] is ticket
                    else:
                        first = users[0] is ticket
                    if first and self._idle:
                        self._taken += 1
                        self._users_running += not background
                        return self._idle.pop()
                    if first and self._taken + len(self._idle) < self.size:
                        self._taken += 1
                        self._users_running += not background
                        break  # start a server for this job, outside the lock
                    ahead = (users.index(ticket) if not background else len(self._queue)) + self._taken
                    text = (f"Waiting for the worker: {ahead} job{'s' if ahead != 1 else ''} ahead of yours"
                            if ahead else "Waiting for the worker to start")
                    if on_wait is not None and text != told:
                        on_wait(text)
                        told = text
                    self._cond.wait(0.5)
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()
        try:
            return self._launch()
        except WorkerError:
            self._release(None, user=not background)
            raise

    def _release(self, server: _Server | None, user: bool = False) -> None:
        """Give back a slot counted in `_taken` (and in `_users_running` for a `user`'s job), with its server if
        it still runs."""
        with self._cond:
            self._taken -= 1
            self._users_running -= user
            if server is not None and server.alive() and server in self._servers:
                self._idle.append(server)
            else:
                self._servers.discard(server)
            self._cond.notify_all()


_POOL: Pool | None = None
_POOL_LOCK = threading.Lock()
_PRELOAD: tuple[str, ...] = ()  # () : every job of the table


def preload(jobs: tuple[str, ...]) -> None:
    """Servers started from now on import only these jobs' modules before their first fork (others are
    imported by the job's child when it comes). The command line runs one or two kinds of job: it skips the
    rest, torch._dynamo's 1.4 s among them; the dashboard preloads every job."""
    global _PRELOAD
    _PRELOAD = tuple(jobs)


def shared_pool() -> Pool:
    """The process's worker pool (sandboxed where bubblewrap works), made on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = Pool(sandboxed=True)
            atexit.register(_POOL.shutdown)
        return _POOL
