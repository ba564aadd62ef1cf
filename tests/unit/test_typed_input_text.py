"""Inputs that are not tensors, typed on the command line or in the sidebar: `int:16000`, `float:0.5`,
`bool:true`, `str:greedy`, `none`; each reads back from its own text form, and a wrong value says which."""
from __future__ import annotations

import pytest

from tsviz.model.errors import InputError
from tsviz.model.inputs import format_input_spec, parse_input_spec
from tsviz.model.types import InputSpec


@pytest.mark.parametrize(("text", "spec", "shown"), [
    ("int:16000", InputSpec((), "int", "16000"), "int:16000"),
    ("INT: 8", InputSpec((), "int", "8"), "int:8"),
    ("float:0.5", InputSpec((), "float", "0.5"), "float:0.5"),
    ("bool:true", InputSpec((), "bool", "True"), "bool:True"),
    ("bool:no", InputSpec((), "bool", "False"), "bool:False"),
    ("str:greedy", InputSpec((), "str", "'greedy'"), "str:greedy"),
    ("none", InputSpec((), "none", "None"), "none"),
])
def test_a_typed_value_is_that_value_and_reads_back(text: str, spec: InputSpec, shown: str) -> None:
    assert parse_input_spec(text) == spec
    assert format_input_spec(spec) == shown and parse_input_spec(shown) == spec


def test_a_bare_number_is_still_a_shape_and_a_list_an_expression() -> None:
    assert parse_input_spec("16000") == InputSpec((16000,))
    assert parse_input_spec("[1, 2]") == InputSpec((), expr="[1, 2]")


def test_a_bool_tensor_is_not_taken_for_a_bool_value() -> None:
    assert format_input_spec(InputSpec((2, 3), "bool")) == "2x3 bool"


@pytest.mark.parametrize("text", ["int:abc", "float:fast", "bool:maybe", "int:1.5"])
def test_a_value_not_of_its_type_says_so(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_input_spec(text)
    assert f"in the input {text!r}" in caught.value.message and "int:16000" in caught.value.hint
