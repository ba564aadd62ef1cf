"""Files as people save them, made with torch here, routed by content through the command line and the worker."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from support.cli import tsviz


def scripted(path: Path) -> Path:
    torch.jit.save(torch.jit.script(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())), str(path))
    return path


@pytest.mark.parametrize("name", ["model_script.pth", "silero_vad.jit", "model"])
def test_a_torchscript_archive_under_another_name_inspects_like_a_pt(tmp_path: Path, name: str) -> None:
    done = tsviz("inspect", str(scripted(tmp_path / name)), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mode"] == "archive" and data["file"] == name and "aten::linear" in data["graph"]["op_counts"]


def test_a_pt2_exits_2_with_one_line_naming_the_kind(tmp_path: Path) -> None:
    program = torch.export.export(torch.nn.Linear(3, 2), (torch.ones(1, 3),))
    torch.export.save(program, str(tmp_path / "model.pt"))
    done = tsviz("diff", str(tmp_path / "model.pt"))  # `tsviz inspect` shows it (tests/worker/test_pt2_view.py)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "torch.export archive" in done.stderr and "damaged" not in done.stderr


def test_a_torch_package_exits_2_naming_the_kind_not_damage(tmp_path: Path) -> None:
    with torch.package.PackageExporter(str(tmp_path / "accent.pt")) as exporter:
        exporter.extern("**")
        exporter.save_pickle("model", "weights.pkl", {"w": 1})
    done = tsviz("migrate", str(tmp_path / "accent.pt"))
    assert done.returncode == 2 and "torch.package archive" in done.stderr and "damaged" not in done.stderr
