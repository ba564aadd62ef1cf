"""State dicts and checkpoints, saved as people save them, listed by the weights job in the sandboxed worker with
torch.load(weights_only=True); a pickle with classes of its own is named, never unpickled."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
import torch
from support.cli import tsviz
from torch import nn

from tsviz import client
from tsviz.model.errors import InputError
from tsviz.model.types import InspectRequest


def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))


def saved(obj: object, legacy: bool = False) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


def weights(name: str, content: bytes):
    return client.run("weights", InspectRequest(name, content))


def test_a_state_dict_lists_its_tensors_by_module_with_totals() -> None:
    result = weights("weights.pth", saved(net().state_dict()))
    assert result.holds == "a state dict" and result.weights_entry == "" and result.prefix == ""
    assert result.entries == ()  # its tensors are the file: nothing else to list
    conv = result.tensors[0]
    assert (conv.name, conv.module, conv.shape, conv.dtype, conv.numel, conv.bytes) == (
        "0.weight", "0", (4, 3, 3, 3), "float32", 108, 432)
    assert [t.name for t in result.by_module] == ["0", "1", "3"]  # the file's order; Flatten holds nothing
    assert [(t.name, t.tensors) for t in result.by_dtype] == [("float32", 8), ("int64", 1)]
    float32s = 108 + 4 + 4 * 4 + 8 + 2  # conv, batch norm's four, linear; then num_batches_tracked, an int64
    assert result.total_bytes == sum(t.bytes for t in result.tensors) == 4 * float32s + 8


def test_a_checkpoint_names_its_weights_entry_and_summarises_the_rest() -> None:
    model = net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(2, 3, 3, 3)).sum().backward()
    optimizer.step()
    checkpoint = {"epoch": 12, "model_state_dict": model.state_dict(), "ema": model.state_dict(),
                  "optimizer_state_dict": optimizer.state_dict(), "loss": 0.25, "config": {"lr": 0.1, "depth": 3}}
    result = weights("checkpoint.tar", saved(checkpoint))
    assert result.holds == "a checkpoint" and result.weights_entry == "model_state_dict"
    entries = {e.key: (e.kind, e.summary) for e in result.entries}
    assert list(entries) == ["epoch", "ema", "optimizer_state_dict", "loss", "config"]
    assert entries["epoch"] == ("int", "12") and entries["ema"][0] == "state dict"
    assert entries["optimizer_state_dict"][0] == "optimizer state"
    assert "6 parameter states (momentum_buffer)" in entries["optimizer_state_dict"][1]
    assert "lr=0.1" in entries["optimizer_state_dict"][1] and entries["config"] == ("dict", "dict of 2 keys: lr, depth")
    assert any("ema" in note and "moving average" in note for note in result.notes)


def test_a_data_parallel_prefix_is_found_and_left_off_the_module_paths() -> None:
    result = weights("dp.pt", saved(nn.DataParallel(net()).state_dict(), legacy=True))
    assert result.format == "legacy pickle" and result.prefix == "module."
    assert result.tensors[0].name == "module.0.weight" and result.tensors[0].module == "0"
    assert any("DataParallel" in note for note in result.notes)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)


@pytest.mark.parametrize("legacy", [False, True])
def test_a_whole_pickled_model_is_named_by_its_class_never_unpickled(legacy: bool) -> None:
    with pytest.raises(InputError, match=r"pickles classes of its own \(test_weights.Net\)") as caught:
        weights("whole.pt", saved(Net(), legacy))
    assert ("`test_weights.Net`: if it is a whole pickled model, open the .py that defines it with this file as its "
            "weights (--weights FILE / the Weights uploader)") in caught.value.one_line()


class Hostile:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_a_pickle_that_runs_code_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    with pytest.raises(InputError, match=r"system"):
        weights("evil.pth", saved({"state_dict": {"w": torch.ones(1)}, "x": Hostile(str(canary))}))
    assert not canary.exists()


def test_archive_lists_a_checkpoint_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "ck.tar"
    path.write_bytes(saved({"epoch": 3, "state_dict": net().state_dict()}))
    done = tsviz("archive", str(path), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["weights_entry"] == "state_dict" and len(data["tensors"]) == 9 and data["total_elements"] == 139
    text = tsviz("archive", str(path))
    assert text.returncode == 0 and text.stdout.startswith("ck.tar: a checkpoint (zip), its weights in 'state_dict'")


def test_archive_of_a_whole_pickled_model_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    path.write_bytes(saved(Net()))
    done = tsviz("archive", str(path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "test_weights.Net" in done.stderr and "Traceback" not in done.stderr
