"""Model files written the way real repositories write them (tests/corpus/), uploaded unchanged: a graph in
some mode for each, and for each mode that fails, the line and a fix specific to the cause. Through the
installed command line, so the sandboxed worker runs them as it runs a user's upload."""
from __future__ import annotations

import json

import pytest
from support.cli import tsviz

RNN_LM = ["--init", "rnn_type='LSTM'", "--init", "ntoken=100", "--init", "ninp=16", "--init", "nhid=16",
          "--init", "nlayers=2"]
TRANSFORMER_LM = ["--entry", "TransformerModel", "--init", "ntoken=100", "--init", "ninp=16", "--init", "nhead=2",
                  "--init", "nhid=32", "--init", "nlayers=2"]


def inspect(name: str, *args: str) -> dict:
    done = tsviz("inspect", f"tests/corpus/{name}", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def failure(name: str, *args: str) -> str:
    done = tsviz("inspect", f"tests/corpus/{name}", *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_training_script_imports_with_stand_ins_for_torchvision_and_matplotlib() -> None:
    data = inspect("mnist_train.py", "--mode", "trace")
    assert data["entry"] == "Net"
    assert any("matplotlib and torchvision are not installed here; tsviz stood in for them" in n for n in data["notes"])
    assert data["inputs"] == ["1x1x28x28 float32"]  # 32x32 does not fit fc1: the guess the model runs on is kept
    assert data["graph"]["nodes"]


def test_a_script_that_trains_at_import_gives_its_model_without_training() -> None:
    data = inspect("train_at_import.py", "--mode", "trace")
    assert data["entry"] == "Regressor" and data["graph"]["nodes"]
    assert any("line 24 calls loss.backward()" in n and "stopped before line 24" in n for n in data["notes"])
    # its required --data option is never parsed: the classes do not read it


def test_config_dataclass_is_prefilled_and_none_output_is_left_out_of_the_trace() -> None:
    data = inspect("gpt_config.py", "--mode", "trace")
    assert data["entry"] == "GPT" and data["inputs"] == ["2x64 int64"]  # token ids, as long as the block_size
    assert any("returns None as output 1 of 2" in n for n in data["notes"])
    stderr = failure("gpt_config.py")  # script mode
    assert "line 108" in stderr and "self.config holds a GPTConfig object" in stderr
    assert "self.block_size = config.block_size" in stderr


def test_constructor_arguments_are_expressions_in_the_files_namespace() -> None:
    data = inspect("gpt_config.py", "--mode", "trace", "--init", "config=GPTConfig(n_layer=1, vocab_size=64)")
    assert data["graph"]["nodes"]
    stderr = failure("rnn_lm.py", *[a.replace("'LSTM'", "LSTM") for a in RNN_LM])
    assert "to pass the text 'LSTM', quote it" in stderr


def test_argparse_namespace_config_is_prefilled_from_the_files_parser() -> None:
    data = inspect("namespace_args.py", "--mode", "trace")
    assert data["entry"] == "Classifier" and data["inputs"] == ["2x8 int64"]


def test_rnn_language_model_traces_with_its_own_init_hidden_and_scripts_with_advice() -> None:
    data = inspect("rnn_lm.py", "--mode", "trace", *RNN_LM)
    assert data["inputs"] == ["8x2 int64", "(2x2x16 float32, 2x2x16 float32)"]  # (seq, batch) tokens; init_hidden(2)
    stderr = failure("rnn_lm.py", *RNN_LM)
    assert "line 35" in stderr and "`hidden` has no type annotation" in stderr
    assert "hidden: Tuple[Tensor, Tensor]" in stderr
    hybrid = inspect("rnn_lm.py", "--mode", "hybrid", *RNN_LM)
    assert [p["name"] for p in hybrid["traced_because"]] == [""] and hybrid["graph"]["nodes"]


def test_optional_mask_attribute_gets_its_fix() -> None:
    stderr = failure("rnn_lm.py", *TRANSFORMER_LM)
    assert "line 84" in stderr and "self.src_mask is None when the model is built" in stderr
    assert "src_mask: Optional[Tensor]" in stderr and "copy it to a local" in stderr
    assert inspect("rnn_lm.py", "--mode", "trace", *TRANSFORMER_LM)["graph"]["nodes"]


def test_auto_hybrid_traces_only_the_submodules_that_do_not_compile() -> None:
    stderr = failure("style_net.py")
    assert "line 44" in stderr and "scale_factor=float(self.upsample)" in stderr
    assert "self.upsample is an int in deconv1 and None in deconv2" in stderr
    data = inspect("style_net.py", "--mode", "hybrid")
    parts = {p["name"]: p for p in data["traced_because"]}
    assert set(parts) == {"deconv1", "deconv2"}  # the residual blocks and convs stay scripted
    assert parts["deconv1"]["line"] == 44 and "int" in parts["deconv1"]["reason"]
    assert parts["deconv2"]["line"] == 43 and "is not None" in parts["deconv2"]["fix"]
    assert data["traced_submodules"] == ["deconv1", "deconv2"]


@pytest.mark.parametrize("entry, line, words", [
    ("KwargsHead", 13, "forward() takes **kwargs"),
    ("GeneratorSum", 33, "generator expression"),
    ("NumpyScale", 42, "calls NumPy"),
    ("Upsampler", 52, "scale_factor=float(self.scale)"),
])
def test_python_habits_are_explained_with_their_line(entry: str, line: int, words: str) -> None:
    stderr = failure("python_habits.py", "--entry", entry)
    assert f"line {line}" in stderr and words in stderr


def test_unannotated_int_argument_and_a_graph_from_trace() -> None:
    stderr = failure("timeseries_lstm.py")
    assert "line 28" in stderr and "`future: int = 0`" in stderr
    assert inspect("timeseries_lstm.py", "--mode", "trace")["graph"]["nodes"]


def test_embedding_bag_gets_token_ids_and_offsets() -> None:
    args = ("--init", "vocab_size=50", "--init", "embed_dim=8", "--init", "num_class=3")
    assert inspect("text_classifier.py", "--mode", "trace", *args)["inputs"] == ["16 int64", "2 int64"]


def test_translation_transformer_scripts() -> None:
    args = ("--init", "num_encoder_layers=1", "--init", "num_decoder_layers=1", "--init", "emb_size=16",
            "--init", "nhead=2", "--init", "src_vocab_size=50", "--init", "tgt_vocab_size=50")
    assert inspect("seq2seq_translation.py", *args)["graph"]["nodes"]


def test_eval_mode_batch_norm_is_a_note_not_a_hazard() -> None:
    done = tsviz("diff", "tests/corpus/bn_mlp.py", "--json")
    data = json.loads(done.stdout)
    assert data["verdict"]["trace"]["matches"] and data["hazards"] == []
    assert data["hazard_notes"][0]["title"] == "Batch norm frozen in eval mode"
