"""The archive inspector: a .pt's files, version, module tree, tensors, constants, extra files and methods,
read without calling forward (proved with an archive whose forward raises)."""
from __future__ import annotations

import io

import pytest
import torch
from support.samples import archive_bytes, inspect_sample, request_for, sample_names
from torch import nn

from tsviz.analysis.archive_report import version_note
from tsviz.analysis.inspect_model import inspect_or_raise
from tsviz.graph import walk as graph_view
from tsviz.report.views import size_text


class ForwardFails(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 8)
        self.register_buffer("table", torch.zeros(16, 16, dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("forward ran: the inspector must never call it")

    @torch.jit.export
    def rescale(self, factor: float) -> float:
        return factor * 2.0


def _saved(module: torch.jit.ScriptModule, **extra: str) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(module, buffer, _extra_files=extra)
    return buffer.getvalue()


def test_an_archive_whose_forward_fails_is_inspected_without_running_it() -> None:
    saved = _saved(torch.jit.script(ForwardFails()), **{"meta.json": '{"trained_on": "nothing"}'})
    with pytest.raises(torch.jit.Error, match="forward ran"):  # the archive really fails when run
        torch.jit.load(io.BytesIO(saved))(torch.ones(1, 4))
    report = inspect_or_raise(request_for("fails.pt", saved)).archive_report
    top, proj = report.modules
    assert (top.path, top.type, proj.path, proj.type) == ("", "ForwardFails", "proj", "Linear")
    assert top.methods == ("forward(Tensor x) -> Tensor", "rescale(float factor) -> float")
    assert {(t.name, t.kind, t.shape, t.dtype, t.bytes) for t in report.tensors()} == {
        ("table", "buffer", (16, 16), "float64", 2048), ("proj.weight", "parameter", (8, 4), "float32", 128),
        ("proj.bias", "parameter", (8,), "float32", 32)}
    assert report.biggest(1)[0].name == "table"
    assert report.extra_files == (("meta.json", 25, '{"trained_on": "nothing"}'),)
    assert report.format_version >= 1 and "loads it" in report.version_note
    kinds = {kind for _, kind, _, _ in report.files}
    assert {"code", "source ranges (debug info)", "tensor data", "extra file", "file format version"} <= kinds
    assert top.code_file in {name.split("/code/", 1)[1] for name, *_ in report.files if "/code/" in name}


@pytest.mark.parametrize("mode", ["trace", "script", "hybrid"])
def test_an_archive_from_every_mode_inspects(mode: str) -> None:
    saved = archive_bytes(inspect_sample("hybrid.py", mode))
    report = inspect_or_raise(request_for(f"hybrid.{mode}.pt", saved)).archive_report
    assert report.modules[0].path == "" and len(report.modules) > 2
    assert sum(t.bytes for t in report.tensors()) > 0 and not report.training


def test_a_frozen_archive_keeps_its_weights_as_code_constants() -> None:
    frozen = torch.jit.freeze(torch.jit.script(nn.Sequential(nn.Linear(3, 5))).eval())
    report = inspect_or_raise(request_for("frozen.pt", _saved(frozen))).archive_report
    assert {(t.name, t.shape) for t in report.constants} == {("CONSTANTS.c0", (5, 3)), ("CONSTANTS.c1", (5,))}
    assert not any(m.tensors for m in report.modules)


def test_the_version_note_says_what_a_newer_archive_needs() -> None:
    assert "newer PyTorch" in version_note(12, "2.13.0", 10)
    assert "true division" in version_note(4, "2.13.0", 10)


@pytest.mark.parametrize("name", sample_names())
def test_the_saved_archive_of_every_sample_inspects(name: str) -> None:
    from support.samples import SAMPLES

    from tsviz.analysis.inspect_model import inspect_file

    converted = inspect_file(request_for(name, (SAMPLES / name).read_bytes()))
    result = inspect_or_raise(request_for(f"{name}.pt", archive_bytes(converted)))
    report = result.archive_report
    assert report.modules[0].path == "" and report.modules[0].methods[0].startswith("forward(")
    # every module's code file is in the archive, and the model's stored code knows where it was first written
    stored = {n.split("/code/", 1)[1] for n, *_ in report.files if "/code/" in n}
    assert all(m.code_file in stored for m in report.modules)
    lines = graph_view.stored_file(result, report.modules[0].code_file)
    assert any(origin.startswith(f"{name} line ") for _, origin in lines)

def test_sizes_are_said_in_bytes_below_a_kilobyte() -> None:
    assert [size_text(n) for n in (32, 999, 1000, 288_040)] == ["32 B", "999 B", "1.0 KB", "0.29 MB"]
