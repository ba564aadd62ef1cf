"""Archives that keep state between calls (a streaming model's context written in forward, prim::SetAttr), made
here: where outputs are compared (the Migrate ladder, the Deploy runs) each side starts from the same fresh state,
and a second call that differs from the first is reported as state, never as a conversion mismatch. Arguments that
are not tensors (List[int], Optional[float], Tuple[int, int]) get values of their schema type, and a size the
archive's code names (`x.size(-1) != 512`) is tried. All through the command line and the sandboxed worker."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Tuple  # noqa: UP035 (the spelling users' TorchScript has)

import pytest
import torch
from support.cli import tsviz
from torch import nn

STATE = "the module keeps state between calls: call 2 differs from call 1 by "


class Streaming(nn.Module):
    """Each call adds what the last call left (a running context), as streaming models do; reset_states() clears."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.register_buffer("context", torch.zeros(1, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x) + self.context
        self.context = y.detach().mean(0, keepdim=True)
        return y

    @torch.jit.export
    def reset_states(self) -> None:
        self.context = torch.zeros(1, 4)


class NoReset(Streaming):
    """The same state, and no method to clear it: compared from copies of the module as it was saved."""

    @torch.jit.export
    def reset_states(self, keep: bool) -> None:  # takes an argument: not one tsviz can call by itself
        if not keep:
            self.context = torch.zeros(1, 4)


class Typed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor, sizes: List[int], scale: Optional[float],  # noqa: UP006, UP045
                pair: Tuple[int, int]):  # noqa: UP006
        y = self.fc(x) * float(len(sizes)) + float(pair[0] + pair[1])
        if scale is not None:
            y = y * scale
        return y


class Chunked(nn.Module):
    """No weights to read a size from; its code says the size it takes."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.size(-1) != 512:
            raise ValueError("chunks of 512 samples")
        return x * 2.0


def _saved(folder: Path, name: str, module: nn.Module) -> Path:
    path = folder / name
    torch.jit.script(module).save(str(path))
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stateful")


def _json(*args: str) -> dict:
    done = tsviz(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_stateful_archive_migrates_with_its_state_reported_and_no_mismatch(folder: Path) -> None:
    result = _json("migrate", str(_saved(folder, "streaming.jit", Streaming())))
    checked = {r["name"]: r["outputs"] for r in result["rungs"] if r["outputs"].startswith("matches")}
    assert set(checked) == {"ts2ep", "dynamic batch"}, result["rungs"]
    for text in checked.values():
        assert "DIFFERS" not in text and STATE in text, text
    assert checked["ts2ep"].endswith("; compared after reset_states()")
    assert checked["dynamic batch"].endswith("; compared on fresh state")  # the program has no reset_states()


def test_without_a_reset_it_is_compared_on_fresh_state(folder: Path) -> None:
    result = _json("migrate", str(_saved(folder, "noreset.pt", NoReset())))
    ts2ep = next(r for r in result["rungs"] if r["name"] == "ts2ep")
    assert "DIFFERS" not in ts2ep["outputs"] and ts2ep["outputs"].endswith("; compared on fresh state"), ts2ep


def test_deploy_checks_a_stateful_archive_on_its_first_call_and_says_so(folder: Path) -> None:
    result = _json("deploy", str(_saved(folder, "streaming_deploy.ts", Streaming())), "--no-onnx")
    runs = {r["name"]: r for r in result["runs"]}
    assert runs["python"]["ok"] and runs["python"]["reason"] is None, runs["python"]
    if runs["libtorch"]["median_ms"] is not None:  # where the C++ runner is built: its first call, the same
        assert runs["libtorch"]["ok"], runs["libtorch"]
    assert any(note.startswith("The module keeps state between calls") and "after reset_states()" in note
               for note in result["notes"]), result["notes"]
    # one thread only: several calling a module that writes its state race on it (a worker crashed on it once)
    assert all([t["n"] for t in r["threads"]] in ([1], []) for r in result["runs"]), result["runs"]
    assert any("timed on one thread only" in note for note in result["notes"])


def test_list_optional_and_tuple_arguments_get_values_of_their_type(folder: Path) -> None:
    result = _json("migrate", str(_saved(folder, "typed.jit", Typed())))
    note = next(n for n in result["notes"] if n.startswith("Inputs:"))
    assert "sizes=[1], a plain List[int]" in note and "scale=None (it is Optional[float])" in note, note
    assert "pair=(1, 1), a plain Tuple[int, int]" in note, note
    assert next(r for r in result["rungs"] if r["name"] == "load")["ok"]


def test_a_list_given_on_the_command_line_reaches_the_archive_as_a_list(folder: Path) -> None:
    path = _saved(folder, "typed_given.jit", Typed())
    done = tsviz("migrate", str(path), "--input", "1x8", "--input", "[1, 2]", "--input", "none",
                 "--input", "(3, 4)", "--json")
    assert done.returncode == 0, done.stderr
    assert not any("could not find inputs" in n for n in json.loads(done.stdout)["notes"])


def test_a_size_the_code_names_is_tried(folder: Path) -> None:
    result = _json("migrate", str(_saved(folder, "chunked.jit", Chunked())))
    assert result["inputs"][0] == "2x512 float32", result["inputs"]
    assert any("a size the archive's code names (512)" in n for n in result["notes"]), result["notes"]


STREAMING_PY = '''import torch
from torch import nn


class Streaming(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.register_buffer("context", torch.zeros(1, 4))

    def forward(self, x):
        y = self.fc(x) + self.context
        self.context = y.detach().mean(0, keepdim=True)
        return y

    @torch.jit.export
    def reset_states(self):
        self.context = torch.zeros(1, 4)
'''


def test_trace_vs_script_of_a_stateful_py_compares_from_fresh_state_and_says_the_trace_keeps_none(
        folder: Path) -> None:
    path = folder / "streaming_model.py"
    path.write_text(STREAMING_PY)
    result = _json("diff", str(path))
    assert result["verdict"]["script"]["matches"], result["verdict"]
    assert any(n.startswith("The module keeps state between calls: call 2 differs from call 1 by ")
               and "compared after reset_states()" in n for n in result["notes"]), result["notes"]
    assert any(n.startswith("The traced module keeps no state") for n in result["notes"]), result["notes"]
