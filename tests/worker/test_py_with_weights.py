"""A .py given its trained weights (issue 24, items 3 and 4), in the sandboxed worker: a state dict, a checkpoint,
DataParallel's prefix, shapes that differ with the constructor value to change, missing and unexpected names, a
whole pickled model unpickled with its .py's classes and nothing else, and --weights on the command line."""
from __future__ import annotations

import io
import json
import sys
import types
import zipfile
from pathlib import Path

import pytest
import torch
from support.bad_inputs import Payload, reduce_payload
from support.cli import tsviz
from support.weights_models import NET, Elsewhere, OpensFile, net_module, saved, trained, whole_model
from torch import nn

from tsviz import client
from tsviz.client import files, sandbox
from tsviz.model.errors import ArchiveError
from tsviz.model.types import InspectRequest, PassRequest


def inspect(weights: bytes, name: str = "weights.pth", **options: object):
    return client.run("inspect", InspectRequest("net.py", NET.encode(), weights=weights, weights_name=name,
                                                **options))


def archived(result) -> dict[str, torch.Tensor]:
    """The converted archive's state dict, as the page's .pt download holds it."""
    return torch.jit.load(io.BytesIO(files.read(result.archive))).state_dict()


def test_a_state_dict_is_loaded_into_the_built_model_and_the_converted_archive_holds_it() -> None:
    model = trained(num_classes=1000)
    result = inspect(saved(model.state_dict()))
    assert result.error is None, result.error
    loaded = result.weights
    assert (loaded.holds, loaded.entry, loaded.prefix, loaded.loaded, loaded.model_tensors) == (
        "a state dict", "", "", 4, 4)
    assert loaded.complete and result.notes[-1] == loaded.summary()
    assert "Weights: 4 of 4 tensors loaded from weights.pth, a state dict." == loaded.summary()
    assert torch.equal(archived(result)["fc.weight"], model.fc.weight)  # the trained weights, not a fresh Net's


def test_weights_the_server_holds_reach_the_job_as_a_file_not_as_bytes() -> None:
    model = trained()
    held = files.hold(saved(model.state_dict()), "weights.bin")  # as the page holds an upload
    result = client.run("inspect", InspectRequest("net.py", NET.encode(), weights_file=held,
                                                  weights_name="trained.pth"))
    assert result.error is None and result.weights.filename == "trained.pth" and result.weights.complete
    assert torch.equal(archived(result)["fc.weight"], model.fc.weight)


def test_a_checkpoint_uses_its_model_state_dict_entry() -> None:
    model = trained()
    optimizer = torch.optim.Adam(model.parameters())
    checkpoint = {"epoch": 12, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
                  "loss": 0.25}
    result = inspect(saved(checkpoint), "checkpoint.tar")
    assert result.error is None and result.weights.holds == "a checkpoint"
    assert result.weights.entry == "model_state_dict" and result.weights.loaded == 4
    assert torch.equal(archived(result)["body.0.weight"], model.body[0].weight)


def test_a_data_parallel_prefix_is_taken_off_before_loading() -> None:
    model = trained()
    result = inspect(saved(nn.DataParallel(model).state_dict()), "dp.pth")
    assert result.error is None and result.weights.prefix == "module." and result.weights.complete
    assert "prefix 'module.' removed" in result.weights.summary()
    assert torch.equal(archived(result)["fc.bias"], model.fc.bias)


def test_a_shape_that_differs_is_left_out_and_names_the_constructor_value_that_fits() -> None:
    result = inspect(saved(trained(num_classes=10).state_dict()))  # the .py builds num_classes=1000 by default
    assert result.error is None, result.error  # reported, not a crash
    loaded = result.weights
    assert loaded.loaded == 2 and [m.name for m in loaded.mismatched] == ["fc.weight", "fc.bias"]
    weight = loaded.mismatched[0]
    assert (weight.module, weight.file_shape, weight.model_shape) == ("fc", (10, 8), (1000, 8))
    assert weight.hint == "fc.weight is 10×8 in the file, 1000×8 in the model: num_classes=10?"
    assert f"Not loaded: {weight.hint}" in result.notes
    assert archived(result)["fc.weight"].shape == (1000, 8)  # the model keeps its own value there


def test_the_hint_follows_a_constructor_value_typed() -> None:
    result = inspect(saved(trained(width=16).state_dict()), init_args=(("width", "8"),))
    hints = [m.hint for m in result.weights.mismatched]
    assert "body.0.weight is 16×4 in the file, 8×4 in the model: width=16?" in hints


def test_missing_and_unexpected_names_are_listed_with_their_modules() -> None:
    weights = trained().state_dict()
    del weights["body.0.bias"]
    weights["head.proj.weight"] = torch.ones(2, 2)
    result = inspect(saved(weights))
    loaded = result.weights
    assert [(k.name, k.module, k.shape) for k in loaded.missing] == [("body.0.bias", "body.0", (8,))]
    assert [(k.name, k.module) for k in loaded.unexpected] == [("head.proj.weight", "head.proj")]
    assert loaded.loaded == 3 and "1 missing, 1 unexpected" in loaded.summary()


def test_a_whole_pickled_model_is_unpickled_with_its_py_and_loaded() -> None:
    data = whole_model()
    result = inspect(data, "model.pth")
    assert result.error is None, result.error
    assert result.weights.holds == "a whole pickled model (`net.Net`)" and result.weights.complete
    torch.manual_seed(7)
    expected = net_module().Net().state_dict()
    assert torch.equal(archived(result)["fc.weight"], expected["fc.weight"])


def test_a_checkpoint_holding_a_whole_model_uses_its_state_dict() -> None:
    result = inspect(whole_model(wrap=lambda m: {"epoch": 3, "model": m, "best_fitness": 0.5}), "last.pt")
    assert result.error is None, result.error
    assert (result.weights.holds, result.weights.entry, result.weights.loaded) == ("a checkpoint", "model", 4)


def test_a_whole_pickled_model_naming_a_class_from_elsewhere_is_refused() -> None:
    result = inspect(saved(Elsewhere()), "other.pth")
    assert result.error is not None and result.error.file == "other.pth"
    assert "needs `support.weights_models.Elsewhere`, which net.py does not define" in result.error.message
    assert "open the .py that defines Elsewhere" in result.error.hint


def test_a_whole_pickled_model_alone_names_its_class_and_how_to_give_its_py() -> None:
    with pytest.raises(ArchiveError) as caught:
        client.run("inspect", InspectRequest("model.pth", whole_model()))
    assert ("`net.Net`: open the .py that defines it with this file as its weights (--weights FILE / the Weights "
            "uploader)") in caught.value.one_line()


def test_a_hostile_pickle_given_as_weights_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    result = inspect(reduce_payload(tmp_path), "trap.pth")
    assert result.error is not None and result.error.file == "trap.pth"
    assert "calls posix.system when it is unpickled" in result.error.message
    assert not (tmp_path / "marker").exists()


def test_another_job_builds_the_model_with_the_weights_and_says_so() -> None:
    result = client.run("passes", PassRequest(InspectRequest("net.py", NET.encode(), weights=saved(
        trained(num_classes=10).state_dict()), weights_name="w.pth"), passes=("inline",)))
    assert any(n.startswith("Weights: 2 of 4 tensors loaded from w.pth") for n in result.notes)
    assert any("num_classes=10?" in n for n in result.notes)


def test_weights_on_the_command_line_in_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "weights.pth").write_bytes(saved(trained(num_classes=10).state_dict()))
    done = tsviz("inspect", str(tmp_path / "net.py"), "--weights", str(tmp_path / "weights.pth"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["weights"]
    assert data["loaded"] == 2 and data["mismatched"][0]["hint"].endswith("num_classes=10?")
    text = tsviz("inspect", str(tmp_path / "net.py"), "--weights", str(tmp_path / "weights.pth"))
    assert text.returncode == 0, text.stderr
    assert "Weights: 2 of 4 tensors loaded from weights.pth" in text.stdout
    assert "fc.weight is 10×8 in the file, 1000×8 in the model: num_classes=10?" in text.stdout


def test_a_missing_weights_file_on_the_command_line_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    done = tsviz("inspect", str(tmp_path / "net.py"), "--weights", str(tmp_path / "nope.pth"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "nope.pth" in done.stderr and "no such file" in done.stderr


def safetensors_file() -> bytes:
    """A one-tensor safetensors file, written by hand (8 bytes of header length, the JSON header, the data)."""
    header = json.dumps({"fc.bias": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    return len(header).to_bytes(8, "little") + header + bytes(4000)


def test_safetensors_weights_load_or_say_the_package_is_missing() -> None:
    result = inspect(safetensors_file(), "model.safetensors")
    try:
        import safetensors  # noqa: F401
    except ImportError:
        assert result.error is not None and result.error.file == "model.safetensors"
        assert "the safetensors package is not installed" in result.error.message
        assert "pip install safetensors" in result.error.hint
        return
    assert result.error is None and result.weights.loaded == 1 and len(result.weights.missing) == 3


def test_inspect_of_a_whole_pickled_model_alone_names_its_class_and_the_weights_option(tmp_path: Path) -> None:
    (tmp_path / "model.pth").write_bytes(whole_model())
    done = tsviz("inspect", str(tmp_path / "model.pth"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "model.pth: this torch.save file is a whole pickled model (it pickles net.Net)" in done.stderr
    assert "`net.Net`: open the .py that defines it with this file as its weights (--weights FILE" in done.stderr


def test_a_whole_pickled_model_with_its_py_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "model.pth").write_bytes(whole_model())
    done = tsviz("inspect", str(tmp_path / "net.py"), "--weights", str(tmp_path / "model.pth"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["weights"]
    assert data["holds"] == "a whole pickled model (`net.Net`)" and data["loaded"] == data["model_tensors"] == 4


BLOCKS = "from torch import nn\n\n\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
         "        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n"
TOWER = "from torch import nn\n\nimport blocks\n\n\nclass Tower(nn.Module):\n    def __init__(self):\n" \
        "        super().__init__()\n        self.block = blocks.Block()\n\n    def forward(self, x):\n" \
        "        return self.block(x)\n"


def test_a_whole_pickled_model_may_use_classes_of_the_other_files_of_its_project() -> None:
    modules = {}
    for name, text in (("blocks", BLOCKS), ("tower", TOWER)):  # as the training script imported them
        modules[name] = sys.modules[name] = types.ModuleType(name)
        exec(compile(text, f"{name}.py", "exec"), modules[name].__dict__)
    try:
        data = saved(modules["tower"].Tower())
    finally:
        for name in modules:
            del sys.modules[name]
    project = io.BytesIO()
    with zipfile.ZipFile(project, "w") as archive:
        archive.writestr("tower.py", TOWER)
        archive.writestr("blocks.py", BLOCKS)
    result = client.run("inspect", InspectRequest("tower.py", TOWER.encode(), project=project.getvalue(),
                                                  weights=data, weights_name="tower.pth"))
    assert result.error is None, result.error
    assert result.weights.holds == "a whole pickled model (`tower.Tower`, `blocks.Block`)" and result.weights.complete


def test_the_command_line_converts_a_pth_into_a_torchscript_pt_with_the_trained_weights(tmp_path: Path) -> None:
    """The seed's .pth -> TorchScript .pt: `inspect --out` writes the converted archive; `archive` says so."""
    model = trained()
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "net.pth").write_bytes(saved(model.state_dict()))
    done = tsviz("inspect", str(tmp_path / "net.py"), "--weights", str(tmp_path / "net.pth"), "--out",
                 str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    converted = torch.jit.load(str(tmp_path / "out" / "net.script.pt"))
    assert torch.equal(converted.state_dict()["fc.weight"], model.fc.weight)
    listed = tsviz("archive", str(tmp_path / "net.py"), "--weights", str(tmp_path / "net.pth"), "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["weights"]["loaded"] == 4


def test_tsviz_file_checks_its_weights_before_any_server_starts(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tsviz.cli import main

    monkeypatch.setenv(sandbox.WEIGHTS_ENV, "")  # main() names the weights for the sandbox: put back afterwards

    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "w.pth").write_bytes(saved(trained().state_dict()))
    assert main([str(tmp_path / "net.py"), "--weights", str(tmp_path / "nope.pth")]) == 2  # no such file
    assert main([str(tmp_path / "net.py"), "--weights", str(tmp_path / "net.py")]) == 2  # not weights
    assert main([str(tmp_path / "w.pth"), "--weights", str(tmp_path / "w.pth")]) == 2  # weights need a .py


TINY_LM = '''from dataclasses import dataclass

from torch import nn


@dataclass
class Config:
    vocab_size: int = 304  # rounded up for speed, as nanoGPT rounds 50257 up to 50304
    n_embd: int = 8


class TinyLM(nn.Module):
    def __init__(self, config: Config = Config()):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)

    def forward(self, idx):
        return self.wte(idx)
'''


def test_the_hint_names_the_field_of_a_config_the_model_keeps() -> None:
    result = client.run("inspect", InspectRequest("tiny_lm.py", TINY_LM.encode(), weights_name="gpt2.pth",
                                                  weights=saved({"wte.weight": torch.zeros(257, 8)})))
    assert result.error is None, result.error
    assert [m.hint for m in result.weights.mismatched] == [
        "wte.weight is 257×8 in the file, 304×8 in the model: config.vocab_size=257?"]


def test_a_whole_model_in_the_legacy_format_is_read_with_only_its_classes_allowed() -> None:
    result = inspect(whole_model(legacy=True), "old.pth")  # torch.save before 1.6: each class's source inside
    assert result.error is None, result.error
    assert result.weights.holds == "a whole pickled model (`net.Net`)" and result.weights.complete
    torch.manual_seed(7)
    assert torch.equal(archived(result)["fc.weight"], net_module().Net().fc.weight)


def test_a_legacy_pickle_that_calls_code_is_refused_before_any_unpickling(tmp_path: Path) -> None:
    data = whole_model(wrap=lambda m: {"model": m, "trap": Payload(str(tmp_path / "marker"))}, legacy=True)
    result = inspect(data, "old_trap.pth")
    assert result.error is not None and "calls posix.system when it is unpickled" in result.error.message
    assert not (tmp_path / "marker").exists()


def test_a_class_the_py_only_imports_is_not_allowed_for_a_pickle() -> None:
    """net.py imports FileIO: a pickle that names _io.FileIO (which would open a file when unpickled) is refused."""
    source = NET.replace("import torch\n", "import torch\nfrom io import FileIO\n", 1)
    result = client.run("inspect", InspectRequest("net.py", source.encode(), weights_name="open.pth",
                                                  weights=whole_model(wrap=lambda m: {"model": m,
                                                                                      "f": OpensFile()})))
    assert result.error is not None and "needs `_io.FileIO`, which net.py does not define" in result.error.message


def test_a_lightning_checkpoint_takes_its_model_prefix_off() -> None:
    model = trained()
    checkpoint = {"epoch": 4, "global_step": 800, "pytorch-lightning_version": "2.4.0",
                  "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}}
    result = inspect(saved(checkpoint), "epoch=4-step=800.ckpt")
    assert result.error is None and (result.weights.entry, result.weights.prefix) == ("state_dict", "model.")
    assert result.weights.complete
