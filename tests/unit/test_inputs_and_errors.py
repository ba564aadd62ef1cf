"""Bad inputs each raise one clear TsvizError naming the file and line; files without the convention still work."""
from __future__ import annotations

import io
import pickle

import pytest
import torch
from support.samples import request_for
from torch import nn

from tsviz.analysis.inspect_model import inspect_file, inspect_or_raise
from tsviz.model.errors import ArchiveError, EntryError, InputError, ScriptError, SourceError, TraceError
from tsviz.model.inputs import parse_input_spec
from tsviz.model.types import InputSpec

NO_CONVENTION = '''\
import torch
from torch import nn


class Scaler(nn.Module):
    """Needs a constructor argument without a default."""

    def __init__(self, features: int, scale: float = 2.0):
        super().__init__()
        self.fc = nn.Linear(features, features)
        self.scale = scale

    def forward(self, x):
        return self.fc(x) * self.scale


def double(x):
    return x * 2
'''


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(SourceError) as caught:
        inspect_file(request_for("broken.py", "import torch\n\ndef f(:\n    pass\n"))
    assert caught.value.file == "broken.py" and caught.value.line == 3
    assert "syntax error" in caught.value.one_line()


def test_exception_at_import_names_the_line() -> None:
    with pytest.raises(SourceError) as caught:
        inspect_file(request_for("boom.py", "import torch\nx = 1 / 0\n"))
    assert caught.value.line == 2 and "ZeroDivisionError" in caught.value.message


def test_trace_without_example_inputs_uses_the_guess_and_says_so() -> None:
    result = inspect_or_raise(request_for("plain.py", NO_CONVENTION, mode="trace", init_args=(("features", "4"),)))
    assert result.input_shapes == ("2x4 float32",)
    assert any("guessed them: 2x4 float32" in note for note in result.notes)


def test_missing_inputs_result_still_lists_entries_and_suggests_shapes() -> None:
    result = inspect_file(request_for("plain.py", NO_CONVENTION, mode="trace", init_args=(("features", "4"),)))
    assert result.error is None
    assert [e.name for e in result.entries] == ["Scaler", "double"]
    assert result.needs_inputs and result.suggested_inputs[0] == InputSpec((2, 4))


def test_script_compile_error_shows_torchscripts_message_and_user_line() -> None:
    source = ("import torch\nfrom torch import nn\n\n\nclass Bad(nn.Module):\n    def forward(self, x):\n"
              "        double = lambda t: t * 2\n        return double(x)\n")
    with pytest.raises(ScriptError) as caught:
        inspect_or_raise(request_for("bad_script.py", source, mode="script"))
    error = caught.value
    assert error.file == "bad_script.py" and error.line == 7
    assert "lambda" in error.message and "def" in error.hint
    assert "Lambda" in error.detail and "bad_script.py" in error.detail and "/tmp" not in error.detail


def test_trace_failure_names_the_user_line() -> None:
    source = ("import torch\n\n\ndef f(x):\n    return x @ torch.ones(5, 5)\n\n\n"
              "def example_inputs():\n    return (torch.ones(2, 3),)\n")
    with pytest.raises(TraceError) as caught:
        inspect_or_raise(request_for("shapes.py", source, mode="trace"))
    assert caught.value.line == 5


def test_missing_constructor_argument() -> None:
    with pytest.raises(InputError) as caught:
        inspect_or_raise(request_for("plain.py", NO_CONVENTION, mode="script", entry="Scaler"))
    assert "features" in caught.value.message


def test_unknown_entry_point() -> None:
    with pytest.raises(InputError, match="no entry point named 'Nope'"):
        inspect_or_raise(request_for("plain.py", NO_CONVENTION, entry="Nope"))


def test_file_with_nothing_to_convert() -> None:
    with pytest.raises(EntryError, match="found nothing to convert"):
        inspect_file(request_for("empty.py", "X = 1\n"))


def test_a_file_of_no_known_kind_is_refused_by_its_content() -> None:
    with pytest.raises(ArchiveError, match="not a file tsviz knows"):
        inspect_file(request_for("model.onnx", b"\x00\x01"))


def test_no_convention_file_scripts_with_constructor_arguments() -> None:
    result = inspect_or_raise(request_for("plain.py", NO_CONVENTION, mode="script", init_args=(("features", "4"),)))
    assert result.entry == "Scaler" and "aten::mul" in result.inlined.op_counts()


def test_no_convention_file_traces_with_user_shapes() -> None:
    request = request_for("plain.py", NO_CONVENTION, mode="trace", init_args=(("features", "4"),),
                          input_specs=(InputSpec((3, 4)),))
    result = inspect_or_raise(request)
    assert result.input_shapes == ("3x4 float32",)
    assert any(v.type == "Float(3, 4)" for n in result.inlined.nodes for v in n.outputs)


def test_no_convention_function_entry_scripts_without_inputs() -> None:
    result = inspect_or_raise(request_for("plain.py", NO_CONVENTION, mode="script", entry="double"))
    assert result.code.startswith("def double(")


def test_input_spec_parsing() -> None:
    assert parse_input_spec("2x3x32x32") == InputSpec((2, 3, 32, 32), "float32")
    assert parse_input_spec("2, 16 int64") == InputSpec((2, 16), "int64")
    for bad in ("", "two by three", "2x3 complex7"):
        with pytest.raises(InputError):
            parse_input_spec(bad)


# ---- .pt archives -------------------------------------------------------------------------------


def _saved(obj, **kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def test_scripted_archive_loads_with_facts_and_code() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(4, 4), nn.ReLU())), buffer)
    result = inspect_or_raise(request_for("seq.pt", buffer.getvalue()))
    assert result.kind == "pt" and result.mode == "archive"
    assert dict(result.archive_facts)["code files"] != "0" and result.source_files
    assert "aten::linear" in result.inlined.op_counts()


def test_traced_archive_loads() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.trace(nn.Linear(3, 2), (torch.ones(1, 3),)), buffer)
    assert "aten::linear" in inspect_or_raise(request_for("lin.pt", buffer.getvalue())).inlined.op_counts()


def test_state_dict_pt_is_named_as_such() -> None:
    with pytest.raises(ArchiveError, match="state dict") as caught:
        inspect_file(request_for("weights.pt", _saved(nn.Linear(2, 2).state_dict())))
    assert "tsviz archive weights.pt" in caught.value.hint


class Pickled(nn.Module):
    def forward(self, x):
        return x


def test_whole_pickled_model_pt_is_named_without_unpickling() -> None:
    with pytest.raises(ArchiveError, match="whole pickled model") as caught:
        inspect_file(request_for("model.pt", _saved(Pickled())))
    assert "Pickled" in caught.value.message


def test_legacy_pickle_and_garbage() -> None:
    with pytest.raises(ArchiveError, match="legacy torch.save"):
        inspect_file(request_for("old.pt", _saved({"a": torch.ones(1)}, _use_new_zipfile_serialization=False)))
    with pytest.raises(ArchiveError, match="not a file tsviz knows"):
        inspect_file(request_for("junk.pt", b"\x00\x01 not text"))
    with pytest.raises(ArchiveError, match="legacy torch.save"):
        inspect_file(request_for("pickle.pt", pickle.dumps({"x": 1})))


LOSS_ON_REQUEST = '''\
import torch
from torch import nn
from torch.nn import functional as F


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(16, 16)

    def forward(self, idx, targets=None):
        logits = self.table(idx)
        loss = None if targets is None else F.cross_entropy(logits.view(-1, 16), targets.view(-1))
        return logits, loss
'''


def test_a_none_default_without_a_type_is_named_in_script_and_traced_by_hybrid() -> None:
    """TorchScript compiles `targets=None` as a Tensor with an undefined default, then cannot print or save it."""
    result = inspect_file(request_for("lm.py", LOSS_ON_REQUEST, mode="script"))
    assert result.error is not None and result.error.line == 11
    assert "`targets=None` with no type" in result.error.message
    assert "`targets: Optional[torch.Tensor] = None`" in result.error.hint
    hybrid = inspect_file(request_for("lm.py", LOSS_ON_REQUEST, mode="hybrid"))
    assert hybrid.error is None and hybrid.traced_parts and hybrid.code


def test_a_model_that_does_not_run_on_its_inputs_is_told_which_inputs_by_name_and_where_to_type_them() -> None:
    source = ("import torch\nfrom torch import nn\n\n\nclass Head(nn.Module):\n    def __init__(self):\n"
              "        super().__init__()\n        self.fc = nn.Linear(6, 2)\n\n    def forward(self, feats):\n"
              "        b, c, h, w = feats.shape\n        return self.fc(feats.flatten(1))\n")
    result = inspect_file(request_for("head.py", source, mode="trace"))
    assert result.error is not None and result.error.line == 11
    assert "did not run on the inputs it was given (feats 2x6 float32)" in result.error.hint
    assert "--input, one per argument in its order" in result.error.hint
