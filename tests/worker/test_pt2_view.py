"""A .pt2 made with torch.export.save, under any name, loaded by the pt2 job in the sandboxed worker: its graph
(torch.cond as a region), code, signature with the state apart, dynamic dims' ranges and a run on sample inputs;
and the command line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import programs
from support.cli import tsviz

from tsviz import client
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import fold_constants
from tsviz.model.errors import ArchiveError
from tsviz.model.types import InspectRequest


def viewed(name: str, content: bytes):
    return client.run("pt2", InspectRequest(name, content))


def test_a_pt2_shows_its_graph_code_and_signature_with_the_state_apart() -> None:
    result = viewed("scaled.pt2", programs.tiny())
    kinds = [n.kind for n in result.graph.nodes]
    assert "aten::linear" in kinds and "input" in kinds and "output" in kinds
    assert "def forward(self, p_fc_weight, p_fc_bias, b_scale" in result.code and "aten.linear" in result.code
    assert [(i.kind, i.target) for i in result.inputs] == [
        ("parameter", "fc.weight"), ("parameter", "fc.bias"), ("buffer", "scale"), ("buffer", "shift"),
        ("user input", "")]
    assert result.inputs_of("buffer")[1].note.startswith("not persistent")
    user = result.inputs_of("user input")[0]
    assert (user.name, user.shape, user.dtype) == ("x", ("2", "4"), "float32")
    assert [(o.kind, o.shape) for o in result.outputs] == [("user output", ("2", "3"))]
    assert result.ranges == () and result.run.ok and result.run.outputs == ("2x3 float32",)
    # the parameters fold into the node that uses them, as a TorchScript graph's attribute reads do
    assert "weight=fc.weight" in to_dot(fold_constants(result.graph))


def test_a_dynamic_dim_has_its_range_and_the_sample_run_uses_another_size() -> None:
    result = viewed("model.bin", programs.dynamic_batch())  # any name: the kind is read from the content
    (batch,) = result.ranges
    assert (batch.lower, batch.upper, batch.used_by) == (1, 64, ("x dim 0",))
    assert result.inputs_of("user input")[0].shape == (batch.symbol, "4")
    assert batch.sample == 3 and result.run.inputs == ("x: 3x4 float32",) and result.run.outputs == ("3x3 float32",)


def test_torch_cond_is_a_region_holding_its_two_subgraphs() -> None:
    result = viewed("gate.pt2", programs.with_cond())
    cond = next(n for n in result.graph.nodes if n.kind == "higher_order::cond")
    blocks = [b for b in result.graph.blocks if b.owner == cond.id]
    assert [b.label for b in blocks] == ["true_graph_0", "false_graph_0"]
    inside = {b.label: [n.kind for n in result.graph.nodes if n.block == b.id] for b in blocks}
    assert inside["true_graph_0"] == ["aten::sin"] and "aten::cos" in inside["false_graph_0"]
    assert 'subgraph "cluster_b0"' in to_dot(fold_constants(result.graph)) and result.run.ok


def test_while_loop_is_a_region_holding_its_condition_and_its_body() -> None:
    result = viewed("doubling.pt2", programs.with_while_loop())
    loop = next(n for n in result.graph.nodes if n.kind == "higher_order::while_loop")
    blocks = {b.label: b.id for b in result.graph.blocks if b.owner == loop.id}
    assert list(blocks) == ["while_loop_cond_graph_0", "while_loop_body_graph_0"]
    body = [n.kind for n in result.graph.nodes if n.block == blocks["while_loop_body_graph_0"]]
    assert body == ["aten::add", "aten::mul"]
    assert result.run.inputs == ("x: 2x3 float32", "n: 1 int64") and result.run.outputs == ("2x3 float32",)


def test_a_pt2_torch_cannot_load_says_so_with_the_version_not_damage() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # a .pt2's directory, none of its records
        archive.writestr("model/archive_format", "pt2")
    with pytest.raises(ArchiveError) as caught:
        viewed("broken.pt2", buffer.getvalue())
    line = caught.value.one_line()
    assert "torch.export.load could not read" in line and "broken.pt2" in line and "torch.export.save" in line


def test_inspect_json_of_a_pt2_is_its_view(tmp_path: Path) -> None:
    (tmp_path / "batch.pt2").write_bytes(programs.dynamic_batch())
    done = tsviz("inspect", str(tmp_path / "batch.pt2"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kind"] == "pt2" and "aten::linear" in data["graph"]["op_counts"]
    assert [p["target"] for p in data["signature"]["parameters"]] == ["fc.weight", "fc.bias"]
    assert [u["name"] for u in data["signature"]["user_inputs"]] == ["x"]
    assert data["range_constraints"][0]["upper"] == 64 and data["sample_run"]["ok"]


def test_inspect_of_a_pt2_prints_its_signature_then_its_code(tmp_path: Path) -> None:
    (tmp_path / "gate").write_bytes(programs.with_cond())  # no suffix at all
    done = tsviz("inspect", str(tmp_path / "gate"))
    assert done.returncode == 0, done.stderr
    assert "torch.export program" in done.stdout and "input x: 2×4 float32" in done.stdout
    assert "torch.ops.higher_order.cond" in done.stdout


def test_a_command_that_takes_torchscript_refuses_a_pt2_pointing_to_inspect(tmp_path: Path) -> None:
    (tmp_path / "scaled.pt2").write_bytes(programs.tiny())
    done = tsviz("passes", str(tmp_path / "scaled.pt2"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "torch.export archive" in done.stderr and "tsviz inspect" in done.stderr
