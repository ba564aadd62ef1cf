"""A .pt2 next to the .pt it came from is the Migrate ladder's comparison (issue 24, item 6): `tsviz migrate
FILE.pt --pt2 FILE.pt2` loads the user's own program in the sandboxed worker and checks it against the archive on
the ladder's inputs; one from other weights is said to differ; a file that is not a .pt2 is refused before any
job. The files are made here."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from support.cli import tsviz
from torch import nn


class Scorer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).tanh()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("given_pt2")
    torch.manual_seed(0)
    model = Scorer().eval()
    paths = {"pt": folder / "scorer.pt", "pt2": folder / "scorer.pt2", "other": folder / "other.pt2"}
    torch.jit.script(model).save(str(paths["pt"]))
    example = (torch.randn(2, 6),)
    torch.export.save(torch.export.export(model, example), str(paths["pt2"]))
    torch.export.save(torch.export.export(Scorer().eval(), example), str(paths["other"]))  # other weights
    return paths


def _given(result: dict) -> dict:
    return next(r for r in result["rungs"] if r["name"] == "given .pt2")


def test_the_pt2_beside_the_pt_is_checked_against_it(files: dict[str, Path]) -> None:
    done = tsviz("migrate", str(files["pt"]), "--pt2", str(files["pt2"]), "--json")
    assert done.returncode == 0, done.stderr
    rung = _given(json.loads(done.stdout))
    assert rung["ok"] and rung["note"] == "torch.export.load('scorer.pt2').module()", rung
    assert rung["outputs"].startswith("matches the archive on ") and "DIFFERS" not in rung["outputs"], rung


def test_a_pt2_of_other_weights_is_said_to_differ(files: dict[str, Path]) -> None:
    done = tsviz("migrate", str(files["pt"]), "--pt2", str(files["other"]), "--json")
    assert done.returncode == 0, done.stderr
    rung = _given(json.loads(done.stdout))
    assert "DIFFERS" in rung["outputs"] and rung["outputs_ok"] is False, rung


def test_a_file_that_is_not_a_pt2_is_refused_in_one_line(files: dict[str, Path]) -> None:
    done = tsviz("migrate", str(files["pt"]), "--pt2", str(files["pt"]))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"tsviz: error: {files['pt']}: --pt2 takes a program saved with torch.export.save; "
                           "this file is a "), line
