"""The warm worker: imports torch once, then forks one fresh child per job and watches it.

Run as `python -m tsviz.worker.forkserver` (inside the bubblewrap sandbox where there is one);
tsviz/client/pool.py starts it.
One job at a time, one line of JSON each way on stdin / stdout:

    parent -> server   {"job": {...}, "limits": {...}}
    server -> parent   {"status": ..., "stage": ..., "seconds": ..., "log": ..., "answer_bytes": N}
                       followed by exactly N bytes: the child's answer, passed on unread

`status` is "done" (the child exited 0), "timeout" (a stage ran past its limit), "signal" / "exit" (the
child died), "too_large" (its answer passed the size cap), "files" (its job files passed theirs: a job's big results,
a converted archive, are written as files into the out folder OUT_ENV names, never into the answer; see
tsviz/model/jobfiles.py; the client takes them over). The server never parses the child's answer;
the parent validates it. Each child gets its own session (its process group is killed on timeout), its
resource limits, a private temp dir and PR_SET_PDEATHSIG; after it ends, every process it left behind is
killed (the server is a child subreaper, so orphans come back to it) and the temp dir is removed; in the
sandbox, all of /tmp (its only writable place) is emptied, so the next job sees nothing of this one.
"""

from __future__ import annotations

import ctypes
import faulthandler
import json
import os
import resource
import select
import shutil
import signal
import stat
import sys
import tempfile
import time

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
POLL_S = 0.02  # how often the process count of a running job is checked
SANDBOXED = os.environ.get("TSVIZ_SANDBOXED") == "1"  # alone in a pid namespace: kill(-1) reaches only jobs
SCRATCH = "/tmp"  # in the sandbox: its one writable place, a tmpfs of its own, emptied after each job
LOG_TAIL = 4000  # characters of the child's stderr kept for the error detail
OUT_ENV = "TSVIZ_JOB_OUT"  # the job files' folder (tsviz.model.jobfiles.OUT_ENV): watched for its size
MAX_ENTRIES = 64  # more entries than this under it counts as over the size cap
_libc = ctypes.CDLL(None, use_errno=True)


def main() -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed by imported code goes to stderr, not into the replies
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a job come back here to be killed
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # jobs (same uid) cannot ptrace this process or read its memory
    from tsviz.worker.run import import_jobs

    import_jobs(sys.argv[1].split(",") if len(sys.argv) > 1 else None)  # torch and the jobs, once, before any fork

    _send(replies, {"status": "ready", "pid": os.getpid()}, b"")
    for line in sys.stdin.buffer:
        request = json.loads(line)
        header, answer = supervise(request["job"], request["limits"])
        _send(replies, header, answer)
    return 0


def _send(replies, header: dict, answer: bytes) -> None:
    replies.write(json.dumps({**header, "answer_bytes": len(answer)}).encode() + b"\n" + answer)
    replies.flush()


def supervise(job: dict, limits: dict) -> tuple[dict, bytes]:
    """Fork a child for `job`, enforce the stage deadlines, collect its answer; leave nothing running."""
    job_tmp = tempfile.mkdtemp(prefix="tsviz-job-")
    answer_r, answer_w = os.pipe()
    stage_r, stage_w = os.pipe()
    log_r, log_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(answer_r), os.close(stage_r), os.close(log_r)
        _child(job, limits, job_tmp, answer_w, stage_w, log_w)
    for fd in (answer_w, stage_w, log_w):
        os.close(fd)
    try:
        header, answer = _watch(pid, limits, answer_r, stage_r, log_r, started)
    finally:
        _kill_leftovers(pid)
        for fd in (answer_r, stage_r, log_r):
            os.close(fd)
        shutil.rmtree(job_tmp, ignore_errors=True)
        if SANDBOXED:
            _empty(SCRATCH)  # the next job, maybe another user's, starts with nothing left by this one
    header["seconds"] = round(time.monotonic() - started, 4)
    return header, answer


def _watch(pid: int, limits: dict, answer_r: int, stage_r: int, log_r: int, started: float) -> tuple[dict, bytes]:
    stage_limits, cap = limits["stages_s"], limits["answer_bytes"]
    kind, what = "load", "starting the job"
    total_deadline = started + sum(stage_limits.values())  # stage lines cannot buy a job more than this
    stage_deadline = started + stage_limits[kind]
    answer, log, partial = bytearray(), bytearray(), b""
    vm_peak = 0  # KB
    open_fds = {answer_r, stage_r, log_r}
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            deadline = min(stage_deadline, total_deadline)
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                _dump_traceback(pid, log_r, log)
                _kill_group(pid)
                limit = stage_limits[kind] if stage_deadline <= total_deadline else sum(stage_limits.values())
                return {"status": "timeout", "stage": what, "kind": kind, "limit_s": limit, "log": _tail(log)}, b""
            ready, _, _ = select.select([*open_fds, pidfd], [], [], min(timeout, POLL_S))
            if SANDBOXED and _process_count() > limits["processes"]:
                _kill_group(pid)
                return {"status": "processes", "stage": what, "limit": limits["processes"], "log": _tail(log)}, b""
            vm_peak = _vm_peak(pid, vm_peak)
            if _files_bytes() > limits["files_bytes"]:  # checked as often: a job cannot fill the host's disk
                _kill_group(pid)
                return {"status": "files", "stage": what, "log": _tail(log)}, b""
            if pidfd in ready:  # the child ended: take what it left in the pipes, then its status
                _drain(answer_r, answer, cap), _drain(log_r, log, cap)
                break
            for fd in ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    open_fds.discard(fd)
                elif fd == answer_r:
                    answer += chunk
                    if len(answer) > cap:
                        _kill_group(pid)
                        return {"status": "too_large", "stage": what, "log": _tail(log)}, b""
                elif fd == log_r:
                    log = (log + chunk)[-4 * LOG_TAIL:]
                else:  # stage lines: "kind what"; a new stage starts its own clock
                    *lines, partial = (partial + chunk).split(b"\n")
                    for raw in lines:
                        new_kind, _, new_what = raw.decode(errors="replace").partition(" ")
                        if new_kind in stage_limits:
                            kind, what = new_kind, new_what[:300]
                            stage_deadline = time.monotonic() + stage_limits[kind]
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(pidfd)
    # What the job took: its peak resident memory (shared pages of the warm server included) and address space
    header = {"stage": what, "kind": kind, "log": _tail(log), "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
              "vm_peak_mb": round(vm_peak / 1024, 1), "vm_base_mb": round(_vm_size() / 2**20, 1)}
    if os.WIFSIGNALED(status):
        return {**header, "status": "signal", "signal": os.WTERMSIG(status)}, b""
    if os.WEXITSTATUS(status) != 0:
        return {**header, "status": "exit", "code": os.WEXITSTATUS(status)}, b""
    if len(answer) > cap:
        return {**header, "status": "too_large"}, b""
    if _files_bytes() > limits["files_bytes"]:
        return {**header, "status": "files"}, b""
    return {**header, "status": "done"}, bytes(answer)


def _dump_traceback(pid: int, log_r: int, log: bytearray) -> None:
    """Ask a child that ran out of time where it is (faulthandler answers SIGUSR1 even in a tight loop)."""
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        return
    end = time.monotonic() + 0.5
    while (left := end - time.monotonic()) > 0:
        if not select.select([log_r], [], [], left)[0]:
            return
        chunk = os.read(log_r, 1 << 16)
        if not chunk:
            return
        log += chunk
        if b"File " in log and chunk.endswith(b"\n"):
            return


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:  # killed before its setsid(): it has no group of its own yet
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _drain(fd: int, into: bytearray, cap: int) -> None:
    """What a finished child left in a pipe (its writers are gone, so this ends), up to the cap."""
    os.set_blocking(fd, False)
    while len(into) <= cap:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            return
        into += chunk


def _tail(log: bytearray) -> str:
    return log.decode(errors="replace")[-LOG_TAIL:]


def _child(job: dict, limits: dict, job_tmp: str, answer_w: int, stage_w: int, log_w: int) -> None:
    code = 1
    me = os.getpid()
    try:
        os.setsid()  # its own process group: a timeout kills the child and all it started
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the server dies -> the job dies
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log_w, 1)
        os.dup2(log_w, 2)
        os.closerange(3, min(answer_w, stage_w, log_w))
        faulthandler.enable()  # a crash prints the Python stack: the parent reads the user's line from it
        faulthandler.register(signal.SIGUSR1)  # and so does a timeout
        _set_limits(limits)
        os.environ["TMPDIR"] = tempfile.tempdir = job_tmp
        from tsviz.model import stages
        from tsviz.worker.run import run_job

        stages.listen(lambda kind, what: os.write(stage_w, f"{kind} {what}\n".encode()))
        answer = json.dumps(run_job(job)).encode()
        if os.getpid() != me:  # a process the model's code forked got here: only the job's own child answers
            os._exit(0)
        stages.listen(None)
        view = memoryview(answer)
        while view:
            view = view[os.write(answer_w, view):]
        code = 0
    except BaseException as e:  # a failure to even run the job: say so on stderr, exit non-zero
        try:
            os.write(2, f"tsviz worker child: {type(e).__name__}: {e}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(code)


def _set_limits(limits: dict) -> None:
    """Memory (address space), CPU seconds, file size, open files and processes for this child.

    The address-space limit counts from what the child maps when it starts, the warm server's torch and its
    libraries (0.7 GB for torch's CPU build, over 3 GB for a CUDA build, mapped files rather than memory): a job
    may add `memory_mb` to that, whichever build of torch is installed."""
    mib = 1024 * 1024
    pairs = [
        (resource.RLIMIT_CPU, limits["cpu_s"], limits["cpu_s"] + 5),
        (resource.RLIMIT_FSIZE, limits["file_mb"] * mib, limits["file_mb"] * mib),
        (resource.RLIMIT_NOFILE, limits["open_files"], limits["open_files"]),
        (resource.RLIMIT_NPROC, limits["processes"], limits["processes"]),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if limits["memory_mb"]:
        allowed = _vm_size() + limits["memory_mb"] * mib
        pairs.append((resource.RLIMIT_AS, allowed, allowed))
    for which, soft, hard in pairs:
        resource.setrlimit(which, (soft, hard))


def _vm_size() -> int:
    """This process's address space in bytes (VmSize)."""
    with open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _vm_peak(pid: int, known: int) -> int:
    """The child's peak address space so far in KB (VmPeak, a high-water mark: polling misses only its last
    moments), or `known` once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmPeak:"):
                    return max(known, int(line.split()[1]))
    except (OSError, ValueError, IndexError):
        pass
    return known


def _files_bytes() -> float:
    """Bytes under the job files' folder (infinite past MAX_ENTRIES entries): a few scandir calls."""
    folder = os.environ.get(OUT_ENV)
    if not folder:
        return 0
    total, seen, stack = 0, 0, [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                return float("inf")
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def _process_count() -> int:
    """Processes in this sandbox's pid namespace besides its init and this server."""
    return sum(1 for name in os.listdir("/proc") if name.isdigit()) - 2


def _kill_leftovers(pid: int) -> None:
    """Kill the job's process group and every process that came back to us as an orphan, until none is left.

    In the sandbox the server is alone in its pid namespace with the job, so kill(-1) reaches all of them at
    once (it spares the caller and the namespace's init), even a fork bomb's processes that setsid()'d away.
    """
    for _ in range(200):
        if SANDBOXED:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        children = _children()
        if not children:
            return
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:  # reap what died
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break
        time.sleep(0.01)


def _empty(folder: str) -> None:
    """Remove everything the job left in `folder`, whatever permissions it set, but keep what is mounted there
    (an interpreter under /tmp is bound read-only into the sandbox's /tmp)."""
    device = os.lstat(folder).st_dev
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if info.st_dev != device:
            continue  # a mount
        if stat.S_ISDIR(info.st_mode):
            try:
                os.chmod(path, 0o700)  # a job may have made it unreadable
            except OSError:
                pass
            _empty(path)
            try:
                os.rmdir(path)
            except OSError:
                pass  # it holds a mount
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def _children() -> list[int]:
    found = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return found


if __name__ == "__main__":
    sys.exit(main())
