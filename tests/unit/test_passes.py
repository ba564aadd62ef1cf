"""The pass explorer: each TorchScript pass on every sample, its one-line summary, the command line."""
from __future__ import annotations

from functools import cache

import pytest
from support.samples import SAMPLES, request_for, sample_names

from tsviz.analysis.passes import explore_passes
from tsviz.graph.diff import op_changes, pass_summary
from tsviz.model.types import DEFAULT_PASSES, PassRequest


@cache
def passes_of(name: str, mode: str = "script"):
    return explore_passes(PassRequest(request_for(name, (SAMPLES / name).read_bytes(), mode=mode)))


@pytest.mark.parametrize("name", sample_names())
def test_every_pass_runs_on_every_sample(name: str) -> None:
    result = passes_of(name)
    assert [s.name for s in result.steps] == ["start", *DEFAULT_PASSES]
    assert all(s.error is None for s in result.steps)
    for before, after in zip(result.steps, result.steps[1:]):
        assert after.summary.startswith(f"{after.name}: ")
        assert after.nodes == sum(after.counts().values())
        if "skipped" not in after.summary and after.nodes <= 6000:
            assert len(after.graph.nodes) >= after.nodes  # every IR node extracted (plus inputs and output)


@pytest.mark.parametrize("mode", ["script", "trace"])
def test_freeze_folds_the_resnet_style_batch_norms(mode: str) -> None:
    steps = {s.name: s for s in passes_of("resnet_style.py", mode).steps}
    freeze = steps["freeze"]
    assert freeze.summary.startswith("freeze: 20 conv+bn folded, ")
    assert "prim::GetAttr removed" in freeze.summary
    assert "aten::batch_norm" not in freeze.counts() and "aten::batch_norm" in steps["dce"].counts()
    assert not any(n.kind == "aten::batch_norm" for n in freeze.graph.nodes)
    assert "20 aten::" in steps["optimize_for_inference"].summary and "prim::mkldnn_convolution" in \
        steps["optimize_for_inference"].summary
    assert steps["inline"].nodes > steps["start"].nodes and "prim::CallMethod" not in steps["inline"].counts()


def test_the_profiling_executor_graph_is_what_ran() -> None:
    steps = {s.name: s for s in passes_of("loop_over_dim.py").steps}
    ran = steps["profiled_run"]
    assert ran.code.startswith("graph(") and ran.nodes > 0  # the executed graph's IR: no module, no .code


def test_a_function_skips_the_module_passes_and_still_runs() -> None:
    steps = {s.name: s for s in passes_of("free_functions.py").steps}
    assert steps["freeze"].summary.startswith("freeze: skipped (it works on modules")
    assert steps["profiled_run"].error is None


def test_an_archive_runs_every_pass_but_the_profiled_run() -> None:
    from support.samples import archive_bytes, inspect_sample

    saved = archive_bytes(inspect_sample("resnet_style.py", "script"))
    steps = {s.name: s for s in explore_passes(PassRequest(request_for("resnet.pt", saved))).steps}
    assert steps["freeze"].summary.startswith("freeze: 20 conv+bn folded")
    assert "skipped (no example inputs" in steps["profiled_run"].summary


def test_summaries_name_folds_rewrites_and_totals() -> None:
    assert pass_summary("dce", {"aten::add": 2}, {"aten::add": 2}) == "dce: no change (2 → 2 nodes)"
    line = pass_summary("x", {"aten::conv2d": 3, "aten::relu": 2}, {"prim::mkldnn_convolution": 3, "aten::relu_": 2})
    assert line == "x: 3 aten::conv2d became prim::mkldnn_convolution, 2 aten::relu became aten::relu_; 5 → 5 nodes"
    assert op_changes({"a": 1, "b": 5}, {"a": 4}) == [("b", -5), ("a", 3)]
    fused = pass_summary("profiled_run", {"aten::mul": 2, "aten::add": 1, "aten::tanh": 1},
                         {"prim::TensorExprGroup": 1, "prim::TypeCheck": 1})
    assert fused == ("profiled_run: 4 aten ops fused into 1 prim::TensorExprGroup, 1 prim::TypeCheck added; "
                     "4 → 2 nodes")
    many = pass_summary("y", {f"k{i}": i + 1 for i in range(8)}, {})
    assert many.endswith("4 more kinds changed; 36 → 0 nodes")
