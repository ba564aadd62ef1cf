"""Trace vs script: output comparison, verdicts on every sample, each hazard kind on its line."""
from __future__ import annotations

import io
import math
import zipfile
from functools import cache

import pytest
import torch
from support.samples import SAMPLES, request_for, sample_names

from tsviz.analysis.diff import diff_file
from tsviz.analysis.outputs import compare_outputs, error_text
from tsviz.graph.diff import code_diff, op_count_rows, unmatched_nodes
from tsviz.graph.verdict import case_rows, verdict
from tsviz.model.errors import TsvizError
from tsviz.model.types import DiffRequest, DiffResult, Outcome


@cache
def diff_sample(name: str, entry: str = "", hybrid: bool = False) -> DiffResult:
    return diff_file(DiffRequest(request_for(name, (SAMPLES / name).read_bytes(), entry=entry), hybrid=hybrid))


def diff_source(text: str, name: str = "user_model.py", **options) -> DiffResult:
    return diff_file(DiffRequest(request_for(name, text, **options)))


def hazard_lines(result: DiffResult, kind: str) -> list[int]:
    return [h.line for h in result.hazards if h.kind == kind]


# ---- comparing outputs ---------------------------------------------------------------------------

def test_identical_nested_outputs_have_zero_difference() -> None:
    out = {"a": torch.ones(2), "b": [torch.zeros(3), (torch.arange(4.0), 7)]}
    assert compare_outputs(out, out) == Outcome(max_abs=0.0, max_rel=0.0)


def test_nested_outputs_are_compared_element_by_element() -> None:
    eager = (torch.tensor([1.0, 2.0]), {"x": torch.tensor([4.0])})
    got = (torch.tensor([1.0, 2.5]), {"x": torch.tensor([3.0])})
    outcome = compare_outputs(eager, got)
    assert outcome.max_abs == pytest.approx(1.0)  # the dict entry: |3 - 4|
    assert outcome.max_rel == pytest.approx(0.25)  # both 0.5 / 2 and 1 / 4
    assert not outcome.matches(atol=1e-5, rtol=1e-4)
    assert outcome.matches(atol=1.0, rtol=0.0)


def test_a_different_structure_is_a_mismatch() -> None:
    outcome = compare_outputs((torch.ones(2), torch.ones(2)), (torch.ones(2),))
    assert "another structure" in outcome.mismatch and not outcome.matches(1.0, 1.0)


def test_a_shape_mismatch_names_both_shapes() -> None:
    outcome = compare_outputs(torch.ones(3, 8), torch.ones(2, 8))
    assert outcome.mismatch == "output has shape 2x8, eager gives 3x8"


def test_nan_in_the_same_place_is_equal_and_nan_elsewhere_is_a_mismatch() -> None:
    nan = torch.tensor([1.0, math.nan])
    assert compare_outputs(nan, nan.clone()).max_abs == 0.0
    assert "NaN" in compare_outputs(nan, torch.tensor([1.0, 2.0])).mismatch


def test_relative_difference_against_an_eager_zero_is_infinite() -> None:
    outcome = compare_outputs(torch.tensor([0.0, 1.0]), torch.tensor([1e-7, 1.0]))
    assert math.isinf(outcome.max_rel) and outcome.matches(atol=1e-6, rtol=1e-4)


def test_non_tensor_outputs_compare_by_value() -> None:
    assert compare_outputs((torch.ones(1), 3), (torch.ones(1), 3)).max_abs == 0.0
    assert compare_outputs((torch.ones(1), 3), (torch.ones(1), 5)).max_abs == 2.0
    assert "eager gives 'a'" in compare_outputs("a", "b").mismatch


def test_error_text_keeps_the_line_that_says_what_went_wrong() -> None:
    wrapped = RuntimeError("The following operation failed in the TorchScript interpreter.\nTraceback of TorchScript\n"
                           "  File ...\nRuntimeError: shape '[4, 3]' is invalid for input of size 18\n")
    assert error_text(wrapped) == "RuntimeError: shape '[4, 3]' is invalid for input of size 18"


# ---- verdicts on the samples ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["feed_forward.py", "recurrent_cell.py", "free_functions.py"])
def test_tensor_only_samples_match_in_every_mode(name: str) -> None:
    result = diff_sample(name, hybrid=True)
    for conversion in result.conversions:
        if conversion.error is None:
            assert verdict(result, conversion.mode).matches, case_rows(result, 1e-5, 1e-4)
    assert not [h for h in result.hazards if h.kind in ("lost_control_flow", "frozen_constant", "tracer_warning")]


def test_feed_forward_matches_in_all_three_modes() -> None:
    result = diff_sample("feed_forward.py", hybrid=True)
    assert [verdict(result, m).sentence() for m in ("trace", "script", "hybrid")] == [
        f"{m} matches eager on all {len(result.cases)} inputs" for m in ("trace", "script", "hybrid")]


@pytest.mark.parametrize("name, kind, line", [
    ("data_dependent_if.py", "lost_control_flow", 20),
    ("loop_over_dim.py", "lost_control_flow", 21),
    ("len_vs_shape.py", "frozen_constant", 17),
    ("hybrid.py", "lost_control_flow", 34),
])
def test_trace_differs_where_script_matches_with_the_hazard_on_the_right_line(name: str, kind: str, line: int) -> None:
    result = diff_sample(name)
    trace, script = verdict(result, "trace"), verdict(result, "script")
    assert not trace.matches and trace.differs_on
    assert script.matches, script.sentence()
    assert line in hazard_lines(result, kind)


def test_the_verdict_names_the_inputs_where_the_trace_differs() -> None:
    result = diff_sample("data_dependent_if.py")
    negated = next(c.index for c in result.cases if c.label == "example negated")
    sentence = verdict(result, "trace").sentence()
    assert sentence.startswith("trace differs from eager on inputs ") and str(negated) in sentence


def test_the_len_sample_names_the_constant_the_trace_kept() -> None:
    frozen = next(h for h in diff_sample("len_vs_shape.py").hazards if h.kind == "frozen_constant")
    assert "4 at line 18" in frozen.message and frozen.code == "n = len(x)"


def test_shape_read_with_x_shape_is_not_a_hazard() -> None:
    result = diff_sample("len_vs_shape.py", entry="BatchMeanByShape")
    assert verdict(result, "trace").matches and not result.hazards


def test_the_loop_hazard_counts_the_unrolled_copies() -> None:
    loop = next(h for h in diff_sample("loop_over_dim.py").hazards if h.kind == "lost_control_flow")
    assert "4 copies" in loop.message


def test_same_seed_same_numbers_and_the_seed_is_reported() -> None:
    first = diff_source(SIGN_ONLY_EXAMPLE)
    again = diff_source(SIGN_ONLY_EXAMPLE)
    assert first.seed == 0 and first.cases == again.cases


def test_structure_diff_marks_the_dropped_branch_and_the_unrolled_copies() -> None:
    result = diff_sample("loop_over_dim.py")
    trace, script = result.conversion("trace").graph, result.conversion("script").graph
    only_trace, only_script = unmatched_nodes(trace, script)
    kinds = {n.id: n.kind for n in trace.nodes}
    assert [kinds[i] for i in only_trace].count("aten::linear") == 3  # 4 unrolled copies, 1 matches the loop body
    assert "prim::Loop" in {n.kind for n in script.nodes if n.id in only_script}
    rows = {r["op"]: r for r in op_count_rows({"trace": trace, "script": script})}
    assert rows["aten::linear"] == {"op": "aten::linear", "trace": 4, "script": 1}
    diff = code_diff(result.conversion("trace").code, result.conversion("script").code, "trace", "script")
    assert "\n+  for t in range(" in diff and "\n-  input2 = torch.select(x, 0, 3)" in diff


# ---- generated inputs find divergence without check_inputs() --------------------------------------

SIGN_ONLY_EXAMPLE = '''import torch
from torch import nn


class SignGate(nn.Module):
    def forward(self, x):
        if x.mean() > 0:
            return x * 2
        return x - 1


def model():
    return SignGate()


def example_inputs():
    return (torch.ones(3, 4),)
'''

BATCH_LOOP_EXAMPLE = '''import torch
from torch import nn


class PerRow(nn.Module):
    def forward(self, x):
        total = torch.zeros(x.shape[1])
        for i in range(x.shape[0]):
            total = total + x[i]
        return total


def model():
    return PerRow()


def example_inputs():
    return (torch.ones(2, 4),)
'''


@pytest.mark.parametrize("text, line", [(SIGN_ONLY_EXAMPLE, 7), (BATCH_LOOP_EXAMPLE, 8)])
def test_generated_inputs_find_the_divergence_without_check_inputs(text: str, line: int) -> None:
    result = diff_source(text)
    assert all(c.origin != "check" for c in result.cases)
    assert not verdict(result, "trace").matches and verdict(result, "script").matches
    assert all(result.cases[i - 1].origin == "generated" for i in verdict(result, "trace").differs_on)
    assert line in hazard_lines(result, "lost_control_flow")


def test_a_trace_that_raises_on_a_new_shape_is_reported_on_its_row() -> None:
    text = '''import torch
from torch import nn


class Rows(nn.Module):
    def forward(self, x):
        return x.view(len(x), -1) * 2


def model():
    return Rows()


def example_inputs():
    return (torch.ones(4, 6),)
'''
    result = diff_source(text)
    errors = [c.outcome("trace").error for c in result.cases if c.outcome("trace") and c.outcome("trace").error]
    assert errors and all(e.startswith("RuntimeError") for e in errors)
    assert verdict(result, "trace").errors_on
    assert "raised an error" in verdict(result, "trace").sentence()


# ---- each hazard kind ------------------------------------------------------------------------------

def test_tracer_warning_hazard_with_its_line_and_fix() -> None:
    warning = next(h for h in diff_sample("len_vs_shape.py").hazards if h.kind == "tracer_warning")
    assert warning.line == 17 and "x.shape[0]" in warning.fix


def test_device_constant_hazard() -> None:
    result = diff_sample("device_baked.py")
    device = next(h for h in result.hazards if h.kind == "device_constant")
    assert device.line == 21 and "'cpu'" in device.message


def test_item_is_a_frozen_constant() -> None:
    text = '''import torch
from torch import nn


class Normalise(nn.Module):
    def forward(self, x):
        scale = x.abs().max().item()
        return x / scale


def model():
    return Normalise()


def example_inputs():
    return (torch.ones(2, 3),)
'''
    result = diff_source(text)
    assert 7 in hazard_lines(result, "frozen_constant") and 7 in hazard_lines(result, "tracer_warning")
    assert not verdict(result, "trace").matches


def test_training_mode_hazard_on_the_dropout_line() -> None:
    text = '''import torch
from torch import nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x))


def model():
    return Head()


def example_inputs():
    return (torch.ones(2, 4),)
'''
    hazard = next(h for h in diff_source(text).hazards if h.kind == "training_mode")
    assert hazard.line == 12 and "training mode" in hazard.message and ".eval()" in hazard.fix


def test_inplace_change_of_an_input() -> None:
    text = '''import torch
from torch import nn


class AddInPlace(nn.Module):
    def forward(self, x):
        x.add_(1)
        return x * 2


def model():
    return AddInPlace()


def example_inputs():
    return (torch.ones(2, 4),)
'''
    result = diff_source(text)
    hazard = next(h for h in result.hazards if h.kind == "inplace_input")
    assert hazard.line == 7 and "`x`" in hazard.message
    assert verdict(result, "trace").matches  # inputs are copied per run, so the comparison itself stays fair


def test_condition_on_an_attribute_is_not_lost_control_flow() -> None:
    text = '''import torch
from torch import nn


class Maybe(nn.Module):
    def __init__(self):
        super().__init__()
        self.double = True

    def forward(self, x):
        if self.double:
            return x * 2
        return x


def model():
    return Maybe()


def example_inputs():
    return (torch.ones(2, 4),)
'''
    result = diff_source(text)
    assert not result.hazards and verdict(result, "trace").matches


# ---- errors and what is not comparable ----------------------------------------------------------

def test_script_failure_is_a_conversion_error_and_trace_still_compared() -> None:
    text = '''import torch
from torch import nn


class UsesLambda(nn.Module):
    def forward(self, x):
        double = lambda t: t * 2  # noqa: E731 (TorchScript cannot compile a lambda)
        return double(x)


def model():
    return UsesLambda()


def example_inputs():
    return (torch.ones(2, 4),)
'''
    result = diff_source(text)
    assert result.conversion("script").error is not None
    assert "could not convert" in verdict(result, "script").sentence()
    assert verdict(result, "trace").compared == len(result.cases)
    assert any("Script mode failed" in note for note in result.notes)


def test_missing_example_inputs_are_guessed_and_said() -> None:
    text = "import torch\nfrom torch import nn\n\n\nclass Lin(nn.Module):\n    def __init__(self):\n" \
           "        super().__init__()\n        self.fc = nn.Linear(5, 2)\n\n" \
           "    def forward(self, x):\n        return self.fc(x)\n"
    result = diff_source(text)
    assert "guessed them: 2x5 float32" in result.notes[0]
    assert verdict(result, "trace").matches


def test_archives_are_refused_with_a_clear_message() -> None:
    buffer = io.BytesIO()  # a TorchScript archive's directory, as the sniffer reads it; under any name
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("m/data.pkl", "m/constants.pkl", "m/code/__torch__/m.py"):
            archive.writestr(name, b"x")
    with pytest.raises(TsvizError, match="needs the model's Python source"):
        diff_file(DiffRequest(request_for("model.pth", buffer.getvalue())))


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_compares_without_a_tsviz_error(name: str) -> None:
    result = diff_sample(name)
    assert result.cases and result.conversions
    assert all(c.outcomes or c.eager_error for c in result.cases)
