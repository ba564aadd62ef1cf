"""Habits of real model code that TorchScript refuses (tests/corpus/vit_habits.py, closures.py, tiny_gpt.py),
through the installed command line: each script failure names the user's line and the fix for that habit, and
hybrid mode gives a graph where script fails, going one level up where a part cannot be traced alone."""
from __future__ import annotations

import json

import pytest
from support.cli import tsviz


def inspect(name: str, *args: str) -> dict:
    done = tsviz("inspect", f"tests/corpus/{name}", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def failure(name: str, *args: str) -> str:
    done = tsviz("inspect", f"tests/corpus/{name}", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "rewrite that line in the TorchScript subset" not in done.stderr  # the generic advice: no rule matched
    return done.stderr


def test_if_expression_mixing_float_and_int_is_fixed_with_a_float_literal() -> None:
    stderr = failure("tiny_gpt.py", "--entry", "CausalSelfAttention", "--init", "config=GPTConfig()")
    assert "tiny_gpt.py line 38" in stderr and "a float in one branch and an int in the other" in stderr
    assert "`self.dropout if self.training else 0.0`" in stderr


def test_hybrid_traces_only_the_attention_of_a_gpt_whose_attention_does_not_script() -> None:
    data = inspect("tiny_gpt.py", "--entry", "GPT", "--init", "config=GPTConfig()", "--mode", "hybrid")
    parts = {p["name"]: p for p in data["traced_because"]}
    assert set(parts) == {"h.0.attn", "h.1.attn"} and parts["h.0.attn"]["line"] == 38
    assert "else 0.0" in parts["h.0.attn"]["fix"] and data["graph"]["nodes"]


@pytest.mark.parametrize("entry, line, words", [
    ("PatchEmbed", 22, "drop the format specs: `f\"Input height ({H}) doesn't match model ({self.img_size}).\"`"),
    ("PatchFlatten", 32, "it calls math.prod()"),
    ("Attention", 44, "`self.rearrange = Rearrange('b n (three h d) -> three b h n d', three=3, h=self.num_heads)`"),
    ("Mlp", 57, "`self.drop if self.training else 0.0`"),
    ("Encoder", 89, "`for i, layer in enumerate(self.blocks):`"),
    ("MultiTaskHead", 100, "pick the module once in `__init__`"),
    ("FeatureHead", 108, "write `def forward(self, x)`"),
    ("Backbone", 119, "`self.stem.weight.dtype`"),
])
def test_each_vit_habit_gets_its_own_fix_on_its_own_line(entry: str, line: int, words: str) -> None:
    stderr = failure("vit_habits.py", "--entry", entry)
    assert f"vit_habits.py line {line}:" in stderr and words in stderr


def test_einops_stood_in_for_is_named_as_the_library_called() -> None:
    stderr = failure("vit_habits.py", "--entry", "Attention")
    assert "it calls rearrange() from einops (not installed here, so tsviz stood in for it)" in stderr


def test_super_forward_of_a_torch_layer_gets_that_layers_functional_call() -> None:
    stderr = failure("vit_habits.py", "--entry", "LayerNorm2d", "--init", "normalized_shape=32")
    assert "vit_habits.py line 65:" in stderr and "it calls super().forward()" in stderr
    assert "`F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)`" in stderr


def test_a_property_that_does_not_compile_is_named_as_a_property() -> None:
    stderr = failure("vit_habits.py", "--entry", "Backbone")
    assert "inside the @property dtype" in stderr and "forward() reads self.dtype" in stderr


def test_hybrid_of_the_vit_traces_its_mlps_and_scripts_the_rest() -> None:
    data = inspect("vit_habits.py", "--entry", "VisionTransformer", "--mode", "hybrid")
    assert data["traced_submodules"] == ["blocks.0.mlp", "blocks.1.mlp"] and data["graph"]["nodes"]


def test_a_lambda_on_the_module_is_rewritten_as_a_method() -> None:
    stderr = failure("closures.py", "--entry", "Swish")
    assert "closures.py line 12:" in stderr and "self.act holds a lambda" in stderr
    assert "`def act(self, t): return t * torch.sigmoid(t)`" in stderr


def test_a_lambda_over_a_local_layer_keeps_that_layer_on_self() -> None:
    stderr = failure("closures.py", "--entry", "Unregistered")
    assert "closures.py line 71:" in stderr and "`self.shared = shared`" in stderr
    assert "`def project(self, x): return self.shared(x)`" in stderr


def test_a_nested_def_kept_on_the_module_is_named_as_a_closure() -> None:
    stderr = failure("closures.py", "--entry", "NestedAct")
    assert "closures.py line 45:" in stderr and "act(), a function defined inside __init__()" in stderr
    assert "drop the assignment `self.act = act`" in stderr


def test_a_list_of_lambdas_becomes_a_module_list() -> None:
    stderr = failure("closures.py", "--entry", "ActivationList")
    assert "closures.py line 58:" in stderr and "a list of functions" in stderr and "nn.ModuleList(" in stderr


def test_a_lambda_handed_to_a_child_names_the_line_that_made_it() -> None:
    stderr = failure("closures.py", "--entry", "GatedNet")
    assert "closures.py line 32:" in stderr and "self.gate holds a lambda (made on line 32 in GatedNet)" in stderr


def test_hybrid_goes_one_level_up_when_a_part_cannot_be_traced_alone() -> None:
    data = inspect("closures.py", "--entry", "GatedNet", "--mode", "hybrid")
    (part,) = data["traced_because"]
    assert part["name"] == "" and part["line"] == 32 and data["graph"]["nodes"]
    assert "head cannot be traced alone: self.gate is a lambda (line 32) that calls the model's proj" in part["reason"]


def test_tracing_a_picked_part_that_reaches_outside_itself_names_the_lambda_not_the_inputs() -> None:
    stderr = failure("closures.py", "--entry", "GatedNet", "--mode", "hybrid", "--trace-submodule", "head")
    assert "closures.py line 32: tracing submodule 'head' failed: self.gate is a lambda (line 32)" in stderr
    assert "check the example inputs" not in stderr and "trace the module that owns that layer" in stderr


def test_tracing_a_layer_that_is_no_submodule_says_to_register_it() -> None:
    stderr = failure("closures.py", "--entry", "Unregistered", "--mode", "trace", "--input", "2x16")
    assert "closures.py line 71: tracing failed: self.project is a lambda (line 71)" in stderr
    assert "not a submodule of the model" in stderr and "register it as a submodule" in stderr


@pytest.mark.parametrize("entry", ["Swish", "NestedAct", "ActivationList", "GatedNet"])
def test_hybrid_gives_a_graph_where_script_fails(entry: str) -> None:
    assert inspect("closures.py", "--entry", entry, "--mode", "hybrid")["graph"]["nodes"]


def test_a_picked_part_that_cannot_be_traced_alone_is_traced_as_its_parent_with_a_note() -> None:
    data = inspect("closures.py", "--entry", "GatedStack", "--mode", "hybrid", "--trace-submodule", "block.head",
                   "--input", "2x16")
    assert data["graph"]["nodes"] and data["traced_submodules"] == ["block"]
    assert any(n.startswith("block.head cannot be traced alone (self.gate is a lambda (line 32)") and
               n.endswith("so tsviz traced block, which holds it, in its place.") for n in data["notes"]), data["notes"]


def test_a_failure_inside_compiled_code_names_its_error_and_line_not_the_interpreter() -> None:
    stderr = failure("scripted_helper.py", "--entry", "PointHead", "--mode", "trace")
    last = stderr.strip().splitlines()[-1]
    assert "scripted_helper.py line 9: tracing failed: RuntimeError: shape '[-1, 3]' is invalid for input of size 8" \
        in last, last
    assert "The following operation failed" not in last and "a part compiled on the way" in last


def test_a_call_torch_lists_the_schema_of_is_explained_by_its_complaint_not_the_schema() -> None:
    done = tsviz("inspect", "tests/corpus/scripted_helper.py", "--entry", "MaybeRefined", "--mode", "script")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Expected a value of type 'Tensor' for argument 'extra' but instead found type 'Optional[Tensor]'" \
        in done.stderr and "forward(__torch__" not in done.stderr.splitlines()[-1]
