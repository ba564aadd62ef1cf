"""Every sample model converts in every mode, and each shows the structure its lesson is about."""
from __future__ import annotations

import io

import pytest
import torch
from support.samples import archive_bytes, inspect_sample, sample_names

from tsviz.model.types import MODES

FUNCTION_SAMPLES = {"free_functions.py"}


def kinds(graph) -> list[str]:
    return [n.kind for n in graph.nodes]


def test_there_are_at_least_eight_samples_each_with_a_lesson() -> None:
    names = sample_names()
    assert len(names) >= 8
    for name in names:
        assert len(inspect_sample(name, "script").doc) > 100, f"{name} needs a one-paragraph lesson docstring"


@pytest.mark.parametrize("name", sample_names())
@pytest.mark.parametrize("mode", MODES)
def test_every_sample_converts_in_every_mode(name: str, mode: str) -> None:
    result = inspect_sample(name, mode)
    if mode == "hybrid" and name in FUNCTION_SAMPLES:
        assert result.error is not None and result.error.type == "EntryError"
        return
    assert result.error is None, result.error
    assert result.code.strip().startswith("def ")
    assert kinds(result.graph)[-1] == "output" and "input" in kinds(result.graph)
    assert result.inlined_skipped or len(result.inlined.nodes) >= len(result.graph.nodes) - 1
    module = torch.jit.load(io.BytesIO(archive_bytes(result)))  # the download is a loadable TorchScript archive
    assert module is not None and result.archive.size == result.archive_size


def test_data_dependent_if_script_keeps_both_branches_trace_keeps_one() -> None:
    script = inspect_sample("data_dependent_if.py", "script")
    assert "prim::If" in kinds(script.graph)
    assert [b.label for b in script.graph.blocks] == ["then", "else"]
    trace = inspect_sample("data_dependent_if.py", "trace")
    assert "prim::If" not in kinds(trace.graph)
    tracer = [w for w in trace.warnings if w.category == "TracerWarning"]
    assert tracer and tracer[0].file == "data_dependent_if.py" and tracer[0].line == 20
    assert any(w.category == "TraceCheck" for w in trace.warnings), "check_inputs() should expose the frozen branch"


def test_loop_is_a_region_in_script_and_unrolled_in_trace() -> None:
    script = inspect_sample("loop_over_dim.py", "script")
    assert kinds(script.inlined).count("prim::Loop") == 1
    assert script.inlined.blocks[0].label == "loop body"
    trace = inspect_sample("loop_over_dim.py", "trace")
    assert "prim::Loop" not in kinds(trace.inlined)
    assert kinds(trace.inlined).count("aten::tanh") == 4  # one copy per time step of the example


def test_len_is_baked_into_the_trace_with_a_warning_on_its_line() -> None:
    trace = inspect_sample("len_vs_shape.py", "trace")
    warning = next(w for w in trace.warnings if w.category == "TracerWarning")
    assert warning.line == 17 and "len" in warning.message.lower()  # `n = len(x)`
    assert "aten::size" not in kinds(trace.inlined)
    by_shape = inspect_sample("len_vs_shape.py", "trace", "BatchMeanByShape")
    assert "aten::size" in kinds(by_shape.inlined) and not by_shape.warnings


def test_hybrid_traces_the_declared_submodule_inside_a_scripted_loop() -> None:
    result = inspect_sample("hybrid.py", "hybrid")
    assert result.trace_submodules == ("encoder",) == result.default_trace_submodules
    call = next(n for n in result.graph.nodes if n.kind == "prim::CallMethod" and n.scope == "encoder")
    assert call.traced and call.block, "the traced encoder is called inside the scripted loop body"
    assert "prim::Loop" in kinds(result.graph)


def test_hybrid_default_pick_without_declaration_takes_control_flow_free_children() -> None:
    result = inspect_sample("resnet_style.py", "hybrid")
    assert result.default_trace_submodules == ("stem", "layer1", "layer2", "layer3", "layer4")


def test_recurrent_cell_returns_a_tuple() -> None:
    result = inspect_sample("recurrent_cell.py", "script")
    assert "prim::TupleConstruct" in kinds(result.graph)
    assert "Tuple[Tensor, Tensor]" in result.code


def test_free_functions_are_entries_and_convert() -> None:
    result = inspect_sample("free_functions.py", "script", "clamp_larger")
    assert [e.name for e in result.entries] == ["scaled_sum", "clamp_larger"]
    assert all(e.kind == "function" for e in result.entries)
    assert "prim::If" in kinds(result.graph)
    assert "prim::If" not in kinds(inspect_sample("free_functions.py", "trace", "clamp_larger").graph)


def test_trace_bakes_the_device_as_a_constant() -> None:
    def device_constants(result) -> list[str]:
        return [dict(n.attrs).get("value", "") for n in result.inlined.nodes
                if n.kind == "prim::Constant" and n.outputs[0].type == "Device"]

    assert "cpu" in device_constants(inspect_sample("device_baked.py", "trace"))
    script = inspect_sample("device_baked.py", "script")
    assert not device_constants(script) and "prim::device" in kinds(script.inlined)


def test_traced_tensors_carry_shapes_and_nodes_link_to_user_lines() -> None:
    result = inspect_sample("feed_forward.py", "trace")
    types = [v.type for n in result.inlined.nodes for v in n.outputs]
    assert "Float(4, 32)" in types
    script = inspect_sample("feed_forward.py", "script")
    lines = {n.source.line for n in script.graph.nodes if n.source is not None and n.source.user}
    assert {20, 21, 22} <= lines


def test_resnet_style_is_boxes_at_module_level_and_convolutions_inlined() -> None:
    result = inspect_sample("resnet_style.py", "script")
    calls = [n.scope for n in result.graph.nodes if n.kind == "prim::CallMethod"]
    assert calls == ["stem", "layer1", "layer2", "layer3", "layer4", "pool", "fc"]
    counts = result.inlined.op_counts()
    assert counts.get("aten::conv2d", 0) + counts.get("aten::_convolution", 0) >= 17
