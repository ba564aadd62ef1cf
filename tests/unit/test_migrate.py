"""The migration ladder, in process: every sample as a .py and as a traced and a scripted archive gets a verdict;
blockers sit on the right line; the converted program's cond is drawn beside TorchScript's prim::If; a program
reloads from its .pt2 with the same outputs; torch's own dynamic-shape fixes are offered and applied."""
from __future__ import annotations

import io
import shutil
from functools import cache

import pytest
import torch
from support.samples import SAMPLES, request_for, sample_names

from tsviz.analysis.inspect_model import inspect_or_raise
from tsviz.analysis.migrate import migrate
from tsviz.client import files
from tsviz.graph.diff import unmatched_nodes
from tsviz.graph.dot import to_dot
from tsviz.model.types import MigrateRequest

# sample -> (exported, [(kind, line)] of its blockers)
EXPECTED = {
    "data_dependent_if.py": (False, [("data-dependent control flow", 20)]),
    "hybrid.py": (False, [("data-dependent control flow", 34)]),
    "free_functions.py": (False, [("not a module", 0)]),
    "len_vs_shape.py": (True, [("dynamic shapes", 17)]),  # n = len(x): a dynamic batch is specialised
    "loop_over_dim.py": (True, [("dynamic shapes", 21)]),  # for t in range(x.shape[0])
}
PY_RUNGS = ["script", "non-strict", "strict", "dynamic batch", "draft_export", "aoti"]


@cache
def climbed(name: str, **options: bool):
    return migrate(MigrateRequest(request_for(name, (SAMPLES / name).read_bytes()), **options))


@cache
def archive_of(name: str, mode: str) -> bytes:
    request = request_for(name, (SAMPLES / name).read_bytes(), mode=mode)
    return files.read(inspect_or_raise(request).archive)


@cache
def climbed_archive(name: str, mode: str):
    return migrate(MigrateRequest(request_for(name.replace(".py", f".{mode}.pt"), archive_of(name, mode))))


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_climbs_the_ladder(name: str) -> None:
    result = climbed(name)
    exported, blockers = EXPECTED.get(name, (True, []))
    assert result.exported is exported
    assert [(b.kind, b.line) for b in result.blockers] == blockers
    assert all(b.fix and b.message for b in result.blockers)
    names = [a.name for a in result.attempts]
    assert names[0] == "script" and names[-1] == "aoti" and result.rung("aoti").skipped.startswith("not asked")
    assert result.rung("script").outputs_ok  # the scripted module computes what eager does
    if exported:
        assert names == PY_RUNGS
        assert result.rung("non-strict").outputs_ok and result.program_from == "non-strict"
        assert result.program is not None and result.program.size == result.program_size  # a job file
        assert all(op.startswith("aten::") for op in result.op_counts()["torch.export"])


@pytest.mark.parametrize("mode", ["trace", "script"])
@pytest.mark.parametrize("name", sample_names())
def test_every_sample_saved_as_an_archive_gets_a_verdict(name: str, mode: str) -> None:
    result = climbed_archive(name, mode)
    assert result.kind == "pt" and [a.name for a in result.attempts][:2] == ["load", "ts2ep"]
    converted = result.rung("ts2ep")
    if converted.ok:
        assert converted.outputs_ok, converted.outputs  # the program computes what the archive computes
        assert result.converted.nodes and result.program_from == "ts2ep"
    else:
        assert result.blockers and result.blockers[0].attempt == "ts2ep" and converted.outputs.startswith("blocked")
    assert result.rung("draft_export").skipped == "it needs the model's Python source"


def test_the_data_dependent_if_archive_converts_and_its_cond_sits_beside_the_prim_if() -> None:
    result = climbed_archive("data_dependent_if.py", "script")
    assert result.exported and result.rung("ts2ep").outputs_ok
    assert "on 7 inputs" in result.rung("ts2ep").outputs  # the sample and generated ones: other sizes, scales
    cond = next(n for n in result.converted.nodes if n.kind == "higher_order::cond")
    branches = [b for b in result.converted.blocks if b.owner == cond.id]
    assert [b.label for b in branches] == ["true_graph_0", "false_graph_0"]
    inside = {b.id: [n.kind for n in result.converted.nodes if n.block == b.id] for b in branches}
    assert "aten::linear" in inside[branches[0].id] and "aten::neg" in inside[branches[1].id]
    prim_if = next(n for n in result.torchscript.nodes if n.kind == "prim::If")
    only_ts, only_program = unmatched_nodes(result.torchscript, result.converted)
    assert prim_if.id not in only_ts and cond.id not in only_program  # the if and its cond are partners
    dot = to_dot(result.converted)
    assert f'subgraph "cluster_{cond.id}"' in dot and 'label="true_graph_0"' in dot and "shape=diamond" in dot


def test_a_loop_over_a_dimension_archive_is_refused_on_its_line() -> None:
    result = climbed_archive("loop_over_dim.py", "script")
    assert not result.exported
    [blocker] = result.blockers
    assert (blocker.op, blocker.kind) == ("prim::Loop", "unsupported op")
    assert blocker.saved_from == "loop_over_dim.py line 21"
    assert "for " in result.source.splitlines()[blocker.line - 1]  # its line in the code stored in the archive
    assert "prim::Loop" in blocker.detail and "trace the model again" in blocker.fix


def test_the_program_reloads_from_its_pt2_with_the_same_outputs() -> None:
    result = climbed_archive("data_dependent_if.py", "script")
    program = torch.export.load(io.BytesIO(files.read(result.program))).module()
    original = torch.jit.load(io.BytesIO(archive_of("data_dependent_if.py", "script")))
    for x in (torch.randn(2, 8), -torch.ones(2, 8), torch.ones(2, 8)):  # both branches
        torch.testing.assert_close(program(x), original(x))


def test_torchs_suggested_fixes_are_offered_and_applied() -> None:
    result = climbed("len_vs_shape.py")
    assert result.suggested_fixes == "batch = 4" and not result.rung("dynamic batch").ok
    fixed = climbed("len_vs_shape.py", apply_fixes=True)
    assert fixed.rung("dynamic batch").ok and "torch's suggested fixes: batch = 4" in fixed.rung("dynamic batch").note
    assert "ran again with torch's own suggested fixes" in fixed.notes[-1]


def test_draft_export_reports_the_data_dependent_line() -> None:
    draft = climbed("data_dependent_if.py").rung("draft_export")
    assert not draft.ok and draft.outputs == "1 issue in its report: data-dependent control flow at line 20"


def test_the_exported_graph_sits_next_to_torchscripts() -> None:
    result = climbed("resnet_style.py")
    counts = result.op_counts()
    assert counts["torch.export"]["aten::conv2d"] == counts["torchscript"]["aten::conv2d"] == 20
    assert "aten::size" in counts["torchscript"] and "aten::size" not in counts["torch.export"]
    conv = next(n for n in result.graph.nodes if n.kind == "aten::conv2d")
    assert conv.source is not None and conv.source.file == "resnet_style.py" and conv.scope == "stem.0"
    assert any(n.kind == "prim::GetAttr" and dict(n.attrs)["name"] == "stem.0.weight" for n in result.graph.nodes)
    assert "torch.ops.aten.conv2d.default" in result.code
    assert "batch of 2" in result.notes[0]  # its example batch is 1, which torch would treat as fixed


def test_a_huge_torchscript_graph_is_counted_not_sent() -> None:
    result = climbed("transformer_12_layers.py")
    assert result.exported and not result.torchscript.nodes and result.graph.nodes
    counts = result.op_counts()  # TorchScript keeps every branch (attention projects q, k, v several ways); export one
    assert counts["torchscript"]["aten::linear"] > counts["torch.export"]["aten::linear"] == 48


@pytest.mark.skipif(shutil.which("g++") is None, reason="AOTInductor needs a C++ compiler")
def test_aotinductor_compiles_loads_and_runs_and_its_blind_spot_is_named() -> None:
    """The package matches eager on the example's sizes; on other sizes it computes wrong numbers instead of
    refusing (it checks no input sizes by default), and the rung says so."""
    aoti = climbed("feed_forward.py", aoti=True).rung("aoti")
    assert aoti.ok and aoti.seconds > 0 and aoti.outputs.startswith("matches eager on"), aoti
    assert aoti.outputs_ok or "checks no input sizes unless compiled with AOTI_RUNTIME_CHECK_INPUTS=1" in aoti.outputs
