"""Every case of the bad-input corpus (bad_inputs.py) through the real worker, each asserting that:

- the user gets a clear message naming the file (and the line, where there is one);
- another session's job, running at the same moment, gets its normal result;
- the worker still answers its health check (an empty job through the queue and a fresh child) quickly;
- no process of the job is left behind.

The jobs run in the worker, never in this process: a hang or a segfault here would take pytest down,
which is why these tests call the job runner directly and AppTest only sees cases that end cleanly.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from support.bad_inputs import CASES, BadInput
from support.processes import job_processes
from support.samples import ROOT, SAMPLES, inspect_sample, request_for

from tsviz import client
from tsviz.client import answers, sandbox
from tsviz.model.errors import InputError, TsvizError, WorkerError
from tsviz.model.jobs import Limits
from tsviz.model.types import InspectResult
from tsviz.model.uploads import MAX_UPLOAD_MB, check_upload

pytestmark = pytest.mark.timeout(180)
SANDBOXED = bool(sandbox.prefix())


def outcome_of(case: BadInput, tmp_path: Path) -> InspectResult | TsvizError:
    """The worker's result, or the error it reported (raised, or carried on the result)."""
    request = request_for(case.filename, case.make(tmp_path), mode=case.mode)
    try:
        result = client.run("inspect", request, limits=case.limits)
    except TsvizError as e:
        return e
    return TsvizError.from_info(result.error) if result.error is not None else result


def control_job(tag: str, into: dict) -> None:
    """Another session's upload: the feed-forward sample, made unique so no cache answers for it."""
    content = (SAMPLES / "feed_forward.py").read_bytes() + f"# session {tag}\n".encode()
    try:
        into["result"] = client.run("inspect", request_for("feed_forward.py", content))
    except TsvizError as e:
        into["result"] = e


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: BadInput, tmp_path: Path) -> None:
    if case.needs_sandbox and not SANDBOXED:
        pytest.skip("needs the bubblewrap sandbox")
    client.clear_cache()
    other: dict = {}
    neighbour = threading.Thread(target=control_job, args=(case.name, other))
    neighbour.start()
    outcome = outcome_of(case, tmp_path)
    neighbour.join(timeout=120)

    if case.error is None:
        assert isinstance(outcome, InspectResult), outcome.one_line()
        assert outcome.graph.nodes
    else:
        assert isinstance(outcome, case.error), f"{type(outcome).__name__}: {outcome}"
        assert outcome.file == case.filename
        assert outcome.line in (case.line if isinstance(case.line, tuple) else (case.line,)), outcome.one_line()
        assert outcome.message and re.search(case.expect, outcome.one_line()), outcome.one_line()
    if case.after is not None:
        case.after(tmp_path, outcome)

    expected = inspect_sample("feed_forward.py", "script")
    assert isinstance(other.get("result"), InspectResult), other
    assert other["result"].graph == expected.graph and other["result"].code == expected.code
    assert client.ping() < 1.0
    assert job_processes(under=os.getpid()) == []


def test_the_corpus_has_every_kind_the_issue_lists() -> None:
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


# ---- uploads refused before any worker sees them -------------------------------------------------------------

def test_an_upload_over_the_size_limit_is_refused_with_the_limit_named() -> None:
    message = f"the file is 51.0 MB; the dashboard takes files up to {MAX_UPLOAD_MB} MB"
    with pytest.raises(InputError, match=message) as caught:
        check_upload("big.pt", 51 * 2**20)
    assert caught.value.file == "big.pt"
    check_upload("fine.pt", MAX_UPLOAD_MB * 2**20)


def test_an_upload_is_refused_for_its_content_never_its_name() -> None:
    check_upload("model.onnx", 10)  # the name is a hint; the sniffer reads the content (tsviz.model.filekinds)
    with pytest.raises(InputError, match=r"the file is empty"):
        check_upload("model.onnx", 0)


def test_the_size_limit_matches_the_streamlit_config() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert f"maxUploadSize = {MAX_UPLOAD_MB}\n" in config


# ---- what comes back from the worker is checked, never unpickled ---------------------------------------------

def test_an_answer_that_is_not_json_is_refused_without_unpickling(tmp_path: Path) -> None:
    import pickle

    from support.bad_inputs import Payload

    payload = pickle.dumps(Payload(str(tmp_path / "marker")))
    outcome = answers.outcome({"status": "done"}, payload, InspectResult, Limits(), "m.py")
    assert "not JSON" in outcome.message and outcome.file == "m.py"
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize("answer", [b'{"ok": {"bogus": 1}}', b"[1, 2]", b'{"ok": 1, "error": 2}',
                                    b'{"error": {"type": 3}}'])
def test_an_answer_of_the_wrong_shape_is_refused(answer: bytes) -> None:
    outcome = answers.outcome({"status": "done"}, answer, InspectResult, Limits(), "m.py")
    assert "wrong shape" in outcome.message


def test_an_oversized_answer_is_refused() -> None:
    limits = Limits(answer_mb=1)
    outcome = answers.outcome({"status": "done"}, json.dumps({"ok": "x" * 2**21}).encode(), dict, limits, "m.py")
    assert "larger than 1 MB" in outcome.message


def test_the_dashboard_process_never_imports_torch() -> None:
    """Pages, the sidebar and the job runner are all torch-free: user content can only be loaded in the worker."""
    import subprocess
    import sys

    code = ("import sys; import tsviz.ui, tsviz.client, tsviz.report.bench, tsviz.graph.verdict; "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_a_wedged_worker_is_replaced_and_the_job_named() -> None:
    """A job that stops its own server (SIGSTOP) is found out by the parent's deadline; the next job runs."""
    if not SANDBOXED:
        pytest.skip("needs the bubblewrap sandbox (unsandboxed, the job's parent is not the server)")
    source = "import os\nimport signal\n\nos.kill(os.getppid(), signal.SIGSTOP)\n"
    limits = Limits.every_stage(1)
    stopped = "this job brought down its worker process \\(it stopped answering\\)"
    with pytest.raises(WorkerError, match=stopped) as caught:
        client.run("inspect", request_for("freeze.py", source), limits=limits)
    assert caught.value.file == "freeze.py"
    assert client.ping() < 5.0  # a fresh server may have to start
    assert job_processes(under=os.getpid()) == []


def test_the_crafted_archives_really_do_harm_without_a_sandbox(tmp_path: Path) -> None:
    """The read and write cases are not paper threats: loaded here, outside any sandbox, they do what they say."""
    import torch
    from support.bad_inputs import CANARY, SECRET, host_canary_writer, host_secret_reader

    (tmp_path / "peek.pt").write_bytes(host_secret_reader(tmp_path))
    (tmp_path / "scribble.pt").write_bytes(host_canary_writer(tmp_path))
    peek = torch.jit.load(str(tmp_path / "peek.pt"))
    assert bytes(peek.data.tolist()).decode() == SECRET[:16]
    torch.jit.load(str(tmp_path / "scribble.pt"))
    assert (tmp_path / "canary.txt").read_text() != CANARY


def test_the_leftover_check_sees_a_running_job() -> None:
    """job_processes() is not vacuous: while a job runs, its child is found; once it is stopped, nothing is."""
    hang = threading.Thread(target=lambda: outcome_of(
        BadInput("hang", "spin.py", lambda _t: b"while True:\n    pass\n", "", WorkerError,
                 limits=Limits.every_stage(3)),
        Path("/tmp")))
    hang.start()
    deadline = time.monotonic() + 10
    while not job_processes(under=os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job_processes(under=os.getpid()) != []
    hang.join(timeout=30)
    assert job_processes(under=os.getpid()) == []


# ---- jobs cannot see each other ------------------------------------------------------------------------------

PLANTER = """import os

for folder in ('/tmp', '/', '/opt/tsviz', '/dev/shm', os.getcwd()):
    try:
        with open(os.path.join(folder, 'tsviz_planted.py'), 'w') as f:
            f.write('import os\\\\nLEFT = os.listdir("/tmp")\\\\n')
    except OSError:
        pass
with open('/tmp/left_behind.txt', 'w') as f:
    f.write('an upload of another session')


def f(x):
    return x
"""
LOOKER = """import importlib.util
import os
import sys

assert importlib.util.find_spec('tsviz_planted') is None, 'a planted module is importable'
left = [n for n in os.listdir('/tmp') if not n.startswith('tsviz-job-')]
assert left == [], f'/tmp holds {left}'
assert not any(p in ('', '/tmp', os.getcwd()) for p in sys.path), sys.path


def f(x):
    return x
"""


def test_a_module_planted_by_one_job_is_not_seen_by_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """With one fork server, job B runs right after job A in the same sandbox: it finds nothing A wrote, and no
    writable folder on its import path."""
    if not SANDBOXED:
        pytest.skip("needs the bubblewrap sandbox (outside it, /tmp is the host's)")
    from tsviz.client import pool

    one = pool.Pool(size=1)
    monkeypatch.setattr(pool, "_POOL", one)
    client.clear_cache()
    try:
        client.run("inspect", request_for("planter.py", PLANTER))
        result = client.run("inspect", request_for("looker.py", LOOKER))
        assert result.graph.nodes
    finally:
        one.shutdown()


def test_a_refused_answer_costs_the_dashboard_little_memory(tmp_path: Path) -> None:
    """The deep and the amplifying answers are refused before they are built: the dashboard's peak (traced by
    tracemalloc) stays near the answer's own bytes, where reading 9 MB of `[],` would take 200 MB."""
    import tracemalloc

    by_name = {c.name: c for c in CASES}
    client.clear_cache()
    ping = client.ping()  # the pool is warm before tracing starts
    assert ping < 5
    for name in ("forged_answer_amplifying", "forged_answer_too_deep"):
        case = by_name[name]
        tracemalloc.start()
        try:
            outcome = outcome_of(case, tmp_path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert isinstance(outcome, WorkerError) and re.search(case.expect, outcome.one_line())
        assert peak < 48 * 2**20, f"{name}: {peak / 2**20:.0f} MB"
        start = time.perf_counter()
        assert isinstance(outcome_of(case, tmp_path), WorkerError)  # the refusal is cached like any error
        assert time.perf_counter() - start < 0.5
