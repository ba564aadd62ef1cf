"""torch.package archives shaped as a published accentor ships one (ukrainian-accentor's accentor-lite.pt): its
pickle saved without a .pkl suffix (`save_pickle("uk-accentor", "model", obj)`), and the object pickled a plain
class that keeps its nn.Module in an attribute. Both are found by content and drawn, through the command line and
the sandboxed worker; made here with PackageExporter."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from support.cli import tsviz
from support.packages import module_from_source

HOLDER = '''import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).softmax(1)


class Holder:
    """Not a module: it keeps one, as a published accentor's Accentor keeps its LSTM."""

    def __init__(self) -> None:
        self.words = {"a": 1}
        self.model = Tagger()
'''


def _package(folder: Path) -> Path:
    source = folder / "src"
    source.mkdir()
    with module_from_source(source, "holder_model", HOLDER) as holder_model:
        path = folder / "holder-lite.pt"
        with torch.package.PackageExporter(str(path)) as exporter:
            exporter.intern("holder_model")
            exporter.extern("torch.**")
            exporter.save_pickle("uk-holder", "model", holder_model.Holder())
    return path


def test_a_pickle_without_pkl_and_the_module_its_object_keeps_are_found_and_drawn(tmp_path: Path) -> None:
    done = tsviz("inspect", str(_package(tmp_path)), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [(p["resource"], p["holds"], p["type"]) for p in result["pickles"]] == [
        ("uk-holder/model", "Holder", "holder_model.Holder"),
        ("uk-holder/model:model", "nn.Module", "holder_model.Tagger")]
    assert result["other_files"] == [] and result["picked"] == "uk-holder/model:model"
    assert result["model"]["entry"] == "Tagger" and "fc" in result["model"]["code"], result["model"]
