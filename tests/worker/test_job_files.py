"""Job files through the real sandboxed worker: a converted archive comes back as a file beside the answer, the
server holds it and hands it out byte for byte, a cached answer still finds it, and no job sees another's files."""
from __future__ import annotations

import hashlib
import io
import os

import pytest
import torch
from support.samples import SAMPLES, request_for

from tsviz import client
from tsviz.client import files, sandbox
from tsviz.model.errors import WorkerError
from tsviz.model.jobfiles import JobFile
from tsviz.model.jobs import Limits, saved_archive_request

pytestmark = pytest.mark.skipif(not sandbox.status().works, reason="needs the bubblewrap sandbox")


def _convert(name: str = "feed_forward.py", mode: str = "trace", tag: str = ""):
    return client.run("inspect", request_for(name, (SAMPLES / name).read_bytes() + tag.encode(), mode=mode))


def test_a_converted_archive_arrives_as_a_file_the_server_holds() -> None:
    result = _convert(tag="\n# arrives\n")
    ref = result.archive
    assert isinstance(ref, JobFile) and ref.size == result.archive_size > 0
    held = files.path(ref)
    assert held.parent == files.store() and held.name == ref.sha256  # the bytes are here, not in the answer
    data = files.read(ref)
    assert len(data) == ref.size and hashlib.sha256(data).hexdigest() == ref.sha256  # what the worker wrote
    module = torch.jit.load(io.BytesIO(data))  # the download is the archive torch.jit.save wrote
    assert module.code.strip() == result.code.strip()
    x = torch.randn(*(int(d) for d in result.input_shapes[0].split()[0].split("x")))  # "4x16 float32"
    assert module(x).shape[0] == x.shape[0]


def test_the_cli_writes_it_byte_for_byte(tmp_path) -> None:
    result = _convert(tag="\n# copied\n")
    files.copy(result.archive, tmp_path / "model.pt")
    assert (tmp_path / "model.pt").read_bytes() == files.read(result.archive)


def test_a_cached_answer_still_finds_its_file_and_a_lost_file_is_made_again() -> None:
    first = _convert(mode="script", tag="\n# cached\n")
    again = _convert(mode="script", tag="\n# cached\n")
    assert again is first and client.last_worker() == {}  # from the cache, with its file
    assert files.read(again.archive) == files.read(first.archive)
    os.unlink(files.path(first.archive))  # evicted from the store: the cache must not hand out a dangling name
    third = _convert(mode="script", tag="\n# cached\n")
    assert client.last_worker() != {} and files.read(third.archive)


def test_the_saved_archive_is_read_back_by_the_worker_without_travelling_as_bytes() -> None:
    converted = _convert(name="data_dependent_if.py", mode="script", tag="\n# read back\n")
    request = saved_archive_request(converted)
    assert request.content == b"" and request.job_file == converted.archive
    result = client.run("inspect", request)
    assert result.kind == "pt" and result.archive_size == converted.archive.size
    assert any(m.path == "" for m in result.archive_report.modules)


SPY = """
import os
import torch
SEEN = sorted(os.path.join(r, n) for r, ds, fs in os.walk("/jobs") for n in ds + fs)
SEEN += [p for p in (STORE, os.path.dirname(STORE)) if os.path.exists(p)]  # the host's store is not there at all
__doc__ = repr(SEEN)
os.makedirs("/jobs/out/left/behind", exist_ok=True)
open("/jobs/out/left/behind/note.txt", "w").write("for the next job")
open("/jobs/out/note.pt", "w").write("for the next job")
os.symlink("/etc/hostname", "/jobs/out/link.pt")
os.chmod("/jobs/out/left", 0)
try:
    open("/jobs/in/planted.pt", "w").write("x")
except OSError as e:
    __doc__ += " in:" + type(e).__name__

def f(x):
    return x
"""


def test_one_job_cannot_see_or_leave_files_for_another() -> None:
    converted = _convert(tag="\n# someone else's\n")  # another user's archive, held by the server
    store = str(files.store())
    seen = []
    for run in range(3):  # the pool's servers in turn: each job starts with empty folders
        source = f"STORE = {store!r}\n" + SPY + f"# {run}\n"
        result = client.run("inspect", request_for("spy.py", source, mode="script"))
        assert result.error is None, result.error
        seen.append(result.doc)
    for doc in seen:
        listed, _, note = doc.partition(" in:")
        assert listed == repr(["/jobs/in", "/jobs/out"]), listed  # empty: nothing of any other job
        assert note == "OSError"  # the in folder is read-only
    assert files.path(converted.archive).exists()  # and what it left went nowhere near the store


def test_job_files_past_their_cap_stop_the_job() -> None:
    source = "import os\nopen(os.environ['TSVIZ_JOB_OUT'] + '/big.pt', 'wb').write(b'x' * 3 * 2**20)\n"
    with pytest.raises(WorkerError, match="wrote more than 1 MB of files"):
        client.run("inspect", request_for("filler.py", source), limits=Limits(files_mb=1))
