"""A torch.package archive made with PackageExporter (the test's module interned, torch extern), opened by the package
job in the sandboxed worker: its modules and pickles listed; a ScriptModule drawn as an archive; an eager nn.Module
scripted or traced like a .py, its interned source the source view; and the command line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import tsviz
from support.packages import accent_package

from tsviz import client
from tsviz.model.errors import InputError
from tsviz.model.types import InspectRequest


def opened(path: Path, entry: str = "", mode: str = "script"):
    return client.run("package", InspectRequest(path.name, path.read_bytes(), entry=entry, mode=mode))


def test_a_package_lists_its_modules_externs_and_pickles(tmp_path: Path) -> None:
    result = opened(accent_package(tmp_path))
    assert result.modules == ("accent_model.py",) and "torch" in result.externs
    assert [(p.resource, p.holds) for p in result.pickles] == [
        ("model/model.pkl", "nn.Module"), ("model/scripted.pkl", "ScriptModule"), ("extra/config.pkl", "dict")]
    assert result.pickles[0].type == "accent_model.Accent"
    assert [p.resource for p in result.models] == ["model/model.pkl", "model/scripted.pkl"]


def test_an_eager_module_is_scripted_with_its_interned_source_as_the_source(tmp_path: Path) -> None:
    result = opened(accent_package(tmp_path))
    model = result.model
    assert result.picked == "model/model.pkl" and model.error is None and model.mode == "script"
    assert result.source_file == "accent_model.py" and "class Accent(nn.Module)" in model.source
    branch = next(n for n in model.graph.nodes if n.kind == "prim::If")  # script keeps the if
    assert branch.source is not None and branch.source.line == 14  # `if x.sum() > 0:` in the interned file
    assert model.source.splitlines()[13].strip() == "if x.sum() > 0:"


def test_an_eager_module_traces_on_guessed_inputs(tmp_path: Path) -> None:
    model = opened(accent_package(tmp_path), "model/model.pkl", "trace").model
    assert model.error is None and model.input_shapes == ("2x8 float32",)
    assert "prim::If" not in [n.kind for n in model.graph.nodes]  # the trace took one branch


def test_a_pickled_script_module_is_drawn_as_an_archive(tmp_path: Path) -> None:
    result = opened(accent_package(tmp_path), "model/scripted.pkl")
    model = result.model
    assert model.kind == "pt" and model.mode == "archive" and "prim::If" in [n.kind for n in model.graph.nodes]
    assert "__torch__/accent_model" in model.source  # the code stored in the archive, file by file


def test_a_package_without_a_model_lists_its_files_and_says_there_is_nothing_to_draw(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "weights.pt"
    with torch.package.PackageExporter(str(path)) as exporter:
        exporter.extern("**")
        exporter.save_pickle("model", "weights.pkl", {"w": 1})
        exporter.save_text("notes", "README.txt", "hello")
    result = opened(path)
    assert result.model is None and result.picked == "" and "nothing to draw" in result.notes[0]
    assert result.other_files == ("notes/README.txt",)


def test_a_pickle_that_is_not_a_model_is_refused_naming_the_models(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        opened(accent_package(tmp_path), "extra/config.pkl")
    assert "model/model.pkl, model/scripted.pkl" in caught.value.one_line()


def test_inspect_json_of_a_package_lists_it_and_gives_the_picked_model(tmp_path: Path) -> None:
    done = tsviz("inspect", str(accent_package(tmp_path)), "--entry", "model/scripted.pkl", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == "package" and data["picked"] == "model/scripted.pkl"
    assert [p["drawn"] for p in data["pickles"]] == [True, True, False]
    assert data["model"]["mode"] == "archive" and "prim::If" in data["model"]["graph"]["op_counts"]


def test_inspect_of_a_package_prints_its_listing_then_the_code(tmp_path: Path) -> None:
    done = tsviz("inspect", str(accent_package(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "torch.package archive, 1 interned modules" in done.stdout and "pickle extra/config.pkl: dict" in done.stdout
    assert "def forward(self," in done.stdout
