"""What a job prints (tsviz/worker/run.py `printed`, around every job in the worker and with --in-process): both
print() and C-level writes to fd 1 are captured, bounded, and this process's stdout is restored unchanged."""
from __future__ import annotations

import os
import sys

import pytest

from tsviz.worker import run


def test_python_and_fd_1_writes_are_captured_and_stdout_is_restored(capfd: pytest.CaptureFixture[str]) -> None:
    print("before")
    fd_1 = os.fstat(1).st_ino
    with run.printed() as text:
        print("from python")
        os.write(1, b"from C, on fd 1\n")
        sys.stdout = elsewhere = open(os.devnull, "w")  # noqa: SIM115  a job may replace sys.stdout: put back
    elsewhere.close()
    print("after")
    assert text.value == "from python\nfrom C, on fd 1\n"
    assert os.fstat(1).st_ino == fd_1 and capfd.readouterr().out == "before\nafter\n"


def test_only_the_last_64_kb_are_kept_and_the_cut_is_said() -> None:
    with run.printed() as text:
        print("x" * (run.STDOUT_KEEP + 1000))
    first, kept = text.value.split("\n", 1)
    assert first == f"[the first 1,001 bytes printed were cut; the last {run.STDOUT_KEEP // 1024} KB follow]"
    assert kept == "x" * (run.STDOUT_KEEP - 1) + "\n"


def test_a_job_that_raises_leaves_its_prints_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError), run.printed():
        print("the model said this")
        raise ValueError("then failed")
    out, err = capfd.readouterr()
    assert out == "" and err == "the model said this\n"


def test_a_result_with_no_stdout_field_sends_the_prints_to_stderr(capfd: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tsviz.model.jobs import job

    def pong_loudly() -> dict:
        print("hello from a job")
        return {"pong": True}

    monkeypatch.setattr(run, "function_of", lambda spec: pong_loudly)
    assert run.call(job("ping"), None) == {"pong": True}
    out, err = capfd.readouterr()
    assert out == "" and err == "hello from a job\n"
