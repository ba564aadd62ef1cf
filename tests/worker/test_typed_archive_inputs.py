"""A scripted archive whose forward takes a tensor and an int (a voice-activity model's `forward(x, sr: int)`,
under a name that is not .pt), migrated on typed inputs through the command line and the sandboxed worker."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from support.cli import tsviz
from torch import nn


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 1)

    def forward(self, x, sr: int):
        if sr == 16000:
            return torch.sigmoid(self.fc(x))
        return torch.sigmoid(self.fc(x)) * 0.5


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typed") / "gate.jit"
    torch.jit.script(Gate()).save(str(path))
    return path


def test_an_int_input_reaches_the_archive_as_an_int(archive: Path) -> None:
    done = tsviz("migrate", str(archive), "--input", "1x64", "--input", "int:16000")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "gate.jit: exports with torch.export (inputs: 1x64 float32, int 16000)"


def test_an_expression_is_still_refused_for_an_archive_with_what_to_type(archive: Path) -> None:
    done = tsviz("migrate", str(archive), "--input", "1x64", "--input", "torch.tensor(3)")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "tsviz: error: gate.jit: an archive's inputs are shapes and dtypes or typed values, not expressions: "
        "'torch.tensor(3)' is neither (e.g. 2x16, 1x3x32x32 float32, int:16000, none, [1, 2])")


def test_a_value_of_the_wrong_type_is_one_line_before_any_job(archive: Path) -> None:
    done = tsviz("migrate", str(archive), "--input", "1x64", "--input", "int:sixteen")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'sixteen' is not an int in the input 'int:sixteen'" in done.stderr


def test_without_inputs_the_int_comes_from_the_schema_and_the_value_the_code_compares_it_with(archive: Path) -> None:
    done = tsviz("migrate", str(archive))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "gate.jit: exports with torch.export (inputs: 2x64 float32, int 16000)"
    assert "forward's schema (sr=16000, the value the archive's code compares it with)" in done.stdout
