"""The worker's answer, checked: the expected result rebuilt from JSON, or what went wrong in words.

Nothing from the worker is unpickled or trusted: a limit hit or a crash becomes a WorkerError that names the
stage and, where faulthandler saw it, the line of the user's file; anything but the expected JSON is refused.
"""
from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import replace
from typing import TypeVar

from tsviz.model.errors import TsvizError, WorkerError
from tsviz.model.jobs import Limits
from tsviz.model.jsonio import from_data
from tsviz.model.types import ErrorInfo

T = TypeVar("T")


FORGED = ("no answer of tsviz's looks like this: the model's code may have written into the worker's answer "
          "channel")


def parse_cost(answer: bytes) -> int:
    """About how many bytes of Python objects `answer` becomes when read: each object or array costs ~64 bytes,
    each separator a slot, each byte of text about two. Counted before reading, so that a small answer of many
    empty lists (9 MB of `[],` is 200 MB of lists) is refused without being built. Real answers come to 2-6
    times their size."""
    return 64 * (answer.count(b"{") + answer.count(b"[")) + 16 * (answer.count(b",") + answer.count(b":")) \
        + 2 * len(answer)


def result_or_raise(outcome: object):
    """The result, or the error it holds raised as the same TsvizError subclass."""
    if isinstance(outcome, ErrorInfo):
        raise TsvizError.from_info(outcome)
    return outcome


def outcome(header: dict, answer: bytes, result_type: type[T], limits: Limits, filename: str) -> T | ErrorInfo:
    """The result, or what went wrong as ErrorInfo; refuses anything but the expected JSON."""
    status, stage = header.get("status"), str(header.get("stage", "starting"))
    if status != "done":
        return _failure(header, status, stage, limits, filename).info()
    if len(answer) > limits.answer_mb * 2**20:
        return WorkerError(f"the worker's answer is larger than {limits.answer_mb} MB", file=filename).info()
    cost, budget = parse_cost(answer), min(limits.parse_mb * 2**20, 32 * 2**20 + 8 * len(answer))
    if cost > budget:
        return WorkerError(f"the worker's answer would take about {cost / 2**20:.0f} MB to read, past this job's "
                           f"{budget / 2**20:.0f} MB", file=filename, hint=FORGED).info()
    try:
        data = json.loads(answer)
    except ValueError:
        return WorkerError("the worker sent an answer that is not JSON", file=filename, hint=FORGED,
                           detail=answer[:200].decode(errors="replace")).info()
    except RecursionError:
        return WorkerError("the worker sent an answer nested too deeply to read", file=filename, hint=FORGED).info()
    try:
        if not isinstance(data, dict) or len(data) != 1 or not {"ok", "error"} & data.keys():
            raise ValueError('expected {"ok": ...} or {"error": ...}')
        if "error" in data:
            info = from_data(ErrorInfo, data["error"])
            return replace(info, file=info.file or filename)
        return from_data(result_type, data["ok"]) if result_type is not dict else data["ok"]
    except (KeyError, ValueError, TypeError) as e:
        return WorkerError(f"the worker sent an answer of the wrong shape ({e})", file=filename, hint=FORGED).info()
    except RecursionError:
        return WorkerError("the worker sent an answer nested too deeply to read", file=filename, hint=FORGED).info()


def _failure(header: dict, status: object, stage: str, limits: Limits, filename: str) -> TsvizError:
    """A limit hit or a crash, in words: what happened, while doing what, at which line of the user's file."""
    log = str(header.get("log", ""))
    frames = _user_frames(log, filename)
    line = frames[0][0] if frames else 0
    detail = ("Where the model's code was (innermost first):\n" + "\n".join(text for _, text in frames[:6]) if frames
              else "\n".join([ln for ln in log.strip().splitlines()
                               if not ln.strip().startswith(("File ", "Extension modules:"))][-6:]))
    if status == "timeout":
        return WorkerError(f"timed out after {float(header.get('limit_s', 0)):g} s while {stage}", file=filename,
                           line=line, hint="the model may loop forever, or be too large to handle here; the job was "
                                           "stopped", detail=detail)
    if status == "processes":
        return WorkerError(f"the model's code started more than {limits.processes} processes while {stage}",
                           file=filename,
                           hint="a model file should not fork; the job and all its processes were stopped")
    if status == "too_large":
        return WorkerError(f"the worker's answer passed the {limits.answer_mb} MB limit while {stage}", file=filename,
                           hint="the model is too large to show here, or its code wrote into the worker's answer")
    if status == "files":
        return WorkerError(f"the job wrote more than {limits.files_mb} MB of files while {stage}", file=filename,
                           hint="the converted model is too large to keep here, or the model's code wrote files; "
                                "the job was stopped and its files removed")
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
    return [
        (int(m.group(1)), f'File "{name}", line {m.group(1)}{m.group(2)}')
        for m in re.finditer(rf'File "[^"]*/{re.escape(name)}", line (\d+)(.*)', log)
    ]
