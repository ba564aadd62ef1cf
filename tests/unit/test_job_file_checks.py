"""Job files, each side on its own: what the worker side writes is torch.jit.save's bytes, and the server side takes
over only the file a result names, of that size and digest (tsviz/model/jobfiles.py, tsviz/client/files.py)."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from tsviz.client import files
from tsviz.model import jobfiles
from tsviz.model.jobfiles import JobFile
from tsviz.model.types import ErrorInfo, InspectResult


def _result(ref: JobFile) -> InspectResult:
    return InspectResult(filename="m.py", kind="py", mode="trace", entry="M", entries=(), doc="", source="",
                         archive=ref, archive_size=ref.size)


def _ref(data: bytes, name: str = "archive.pt") -> JobFile:
    return JobFile(name, len(data), hashlib.sha256(data).hexdigest())


def test_the_written_file_is_torch_jit_saves_bytes_whatever_name_was_free() -> None:
    torch = pytest.importorskip("torch")
    module = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()))
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    first = jobfiles.write("archive.pt", lambda path: torch.jit.save(module, path))
    second = jobfiles.write("archive.pt", lambda path: torch.jit.save(module, path))  # the name is taken now
    assert first.name != second.name and second.name.startswith("archive-") and second.name.endswith(".pt")
    for ref in (first, second):
        assert files.read(ref) == buffer.getvalue() and ref.sha256 == hashlib.sha256(buffer.getvalue()).hexdigest()


def test_a_named_file_of_the_right_size_and_digest_moves_into_the_store(tmp_path) -> None:
    data = os.urandom(3000)
    (tmp_path / "archive.pt").write_bytes(data)
    ref = _ref(data)
    taken = files.take_over(_result(ref), tmp_path, "m.py")
    assert isinstance(taken, InspectResult) and files.read(ref) == data and not tmp_path.exists()
    assert files.held(taken) and files.path(ref).parent == files.store()


@pytest.mark.parametrize("forgery", ["digest", "size", "missing", "link", "path"])
def test_anything_else_refuses_the_answer(tmp_path, forgery: str) -> None:
    data = os.urandom(100)
    target = tmp_path / "archive.pt"
    ref = _ref(data)
    if forgery == "link":  # a link the worker made to a host file
        (tmp_path / "secret").write_bytes(data)
        target.symlink_to(tmp_path / "secret")
    elif forgery != "missing":
        target.write_bytes(data)
    if forgery == "digest":
        ref = JobFile(ref.name, ref.size, "0" * 64)
    elif forgery == "size":
        ref = JobFile(ref.name, ref.size + 1, ref.sha256)
    elif forgery == "path":
        ref = JobFile("../archive.pt", ref.size, ref.sha256)
    found = files.take_over(_result(ref), tmp_path, "m.py")
    assert isinstance(found, ErrorInfo) and "names a file it did not write" in found.message
    assert not tmp_path.exists()  # what the job left is removed either way


def test_collect_keeps_plain_files_only_and_empties_the_servers_folders(tmp_path) -> None:
    out, inbox = files.server_folders()
    try:
        (out / "archive.pt").write_bytes(b"a")
        (out / ".hidden").write_bytes(b"b")
        (out / "locked" / "deeper").mkdir(parents=True)
        (out / "locked" / "deeper" / "x").write_bytes(b"c")
        os.chmod(out / "locked", 0)
        (out / "link.pt").symlink_to("/etc/hostname")
        (inbox / "given.pt").write_bytes(b"d")
        taken = files.collect(out, inbox)
        assert sorted(p.name for p in taken.iterdir()) == ["archive.pt"]
        assert not list(out.iterdir()) and not list(inbox.iterdir())
        files.discard(taken)
    finally:
        files.remove_server_folders(out)
