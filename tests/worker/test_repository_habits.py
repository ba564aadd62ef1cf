"""More habits of research repositories (tests/corpus/), through the installed command line and the sandboxed
worker: a model the guess cannot follow into (a patch layer of its own) built for an image size, a layer that
multiplies by its own weight, a generator that joins a label embedding with its noise, a submodule used without
being imported, and a version asked of a distribution that is not there."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
import torch
from support.cli import tsviz

VIT = ("--init", "image_size=32", "--init", "patch_size=8", "--init", "num_classes=10", "--init", "dim=32",
       "--init", "depth=2", "--init", "heads=4")
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
GCN = ("--init", "nfeat=50", "--init", "nhid=16", "--init", "nclass=7", "--init", "dropout=0.5")


@cache
def inspect(name: str, *args: str, mode: str = "trace") -> dict:
    done = tsviz("inspect", f"tests/corpus/{name}", "--mode", mode, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_model_built_for_an_image_size_gets_that_image_when_its_first_layer_cannot_be_read() -> None:
    data = inspect("patch_vit.py", *VIT)
    assert data["entry"] == "PatchViT" and data["inputs"] == ["1x3x32x32 float32"] and data["graph"]["nodes"]


def test_the_image_size_comes_from_what_the_user_typed_and_its_channels_from_the_default() -> None:
    data = inspect("patch_vit.py", *VIT, "--init", "channels=1", mode="hybrid")
    assert data["inputs"] == ["1x1x32x32 float32"]


def test_a_width_the_guess_cannot_read_is_mended_from_the_models_own_error() -> None:
    data = inspect("graph_conv.py", *GCN)
    assert data["inputs"] == ["2x50 float32", "2x2 float32"] and data["graph"]["nodes"]


def test_noise_joined_with_a_label_embedding_gets_the_width_left_to_it() -> None:
    data = inspect("cond_gan.py")
    assert data["entry"] == "Generator" and data["inputs"] == ["2x64 float32", "2 int64"]
    assert any("torch.randint(0, 10, (2,))" in note for note in data["notes"])


def test_a_submodule_used_without_its_import_is_imported_and_said() -> None:
    data = inspect("version_gate/model.py")
    assert data["graph"]["nodes"]
    assert any(n.startswith("The project uses xml.dom as an attribute of xml without importing it")
               for n in data["notes"])


def test_a_version_asked_of_a_missing_distribution_names_it_and_the_line() -> None:
    done = tsviz("inspect", "tests/corpus/asks_version.py")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "tsviz: error: asks_version.py line 7: importing the file failed: No package metadata was found for "
        "tsviz-missing-helper-dist (the file asks for the installed version of tsviz-missing-helper-dist "
        "(importlib.metadata), and tsviz-missing-helper-dist is not installed here: pip install "
        "tsviz-missing-helper-dist)")


def test_hybrid_traces_a_block_called_by_keyword_with_every_input_it_was_given() -> None:
    data = inspect("film_unet.py", mode="hybrid")
    assert data["inputs"] == ["1x3x32x32 float32", "1 int64"] and data["inlined_graph"]["nodes"]


def test_a_submodules_keyword_inputs_are_recorded_in_forwards_order() -> None:
    import importlib.util
    from pathlib import Path

    import torch

    from tsviz.analysis.convert import record_submodule_inputs
    from tsviz.load.modelfile import Origin

    path = Path("tests/corpus/film_unet.py").resolve()
    spec = importlib.util.spec_from_file_location("film_unet_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.TinyUnet().eval()
    recorded = record_submodule_inputs(model, (torch.randn(1, 3, 8, 8), torch.tensor([3])), ("down.block1",),
                                       Origin(str(path), "film_unet.py"))
    x, (scale, shift) = recorded["down.block1"]
    assert x.shape == (1, 16, 8, 8) and scale.shape == shift.shape == (1, 32, 1, 1)


def test_a_required_option_gets_the_first_value_the_script_compares_it_with() -> None:
    data = inspect("dcgan_train.py")
    assert data["entry"] == "Generator" and data["graph"]["nodes"]
    assert "The file's command line requires --dataset; tsviz set it to 'cifar10', the first value line 19 " \
           "compares it with, so the file's own setup for it runs." in data["notes"]


def test_a_generator_starting_with_a_transposed_convolution_gets_a_one_pixel_latent() -> None:
    assert inspect("dcgan_train.py")["inputs"] == ["1x32x1x1 float32"]


def test_a_call_into_a_library_function_torchscript_cannot_compile_names_the_users_line() -> None:
    done = tsviz("inspect", "tests/corpus/dcgan_train.py", "--mode", "script")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("tsviz: error: dcgan_train.py line 46: TorchScript cannot compile this line: it calls "
                           "nn.parallel.data_parallel, whose own code TorchScript cannot compile (data_parallel.py")
    assert "@torch.jit.unused" in line


def test_a_shape_test_passed_where_torch_wants_a_bool_is_explained_as_tracing_not_inputs() -> None:
    done = tsviz("inspect", "tests/corpus/sdpa_block.py", "--mode", "trace")
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("tsviz: error: sdpa_block.py line 22: tracing failed: TypeError:")
    assert "under tracing a size read from a tensor's .shape is a Tensor" in line and "did not run" not in line
    assert inspect("sdpa_block.py", mode="script")["graph"]["nodes"]


def test_a_forward_that_unpacks_one_batch_tuple_gets_a_tuple_of_its_values() -> None:
    data = inspect("batch_tuple_tts.py")
    assert data["entry"] == "TextToMel" and data["graph"]["nodes"]
    assert data["inputs"] == ["(2x8 int64, 2 int64, 2x20 float32, scalar int64, 2 int64)"]


def test_a_batch_tuple_given_as_one_tensor_says_forward_unpacks_it() -> None:
    done = tsviz("inspect", "tests/corpus/batch_tuple_tts.py", "--mode", "trace", "--input", "2x8 int64")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "forward() unpacks `inputs` into 5 values (text, text_lengths, mels, max_len, mel_lengths), so give " \
           "it one tuple of them" in done.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="says what a machine without CUDA says")
def test_a_line_that_asks_for_cuda_on_a_machine_without_it_is_named_with_the_device_fix() -> None:
    done = tsviz("inspect", "tests/corpus/batch_tuple_tts.py", "--entry", "OnTheGpu", "--mode", "trace")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    line = 1 + CORPUS.joinpath("batch_tuple_tts.py").read_text().splitlines().index(
        "        ids = torch.arange(0, text.shape[1], out=torch.cuda.LongTensor(text.shape[1]))")
    assert f"batch_tuple_tts.py line {line}:" in last and "this line asks for CUDA (a GPU)" in last, last


def test_script_of_an_unannotated_batch_tuple_says_the_tuple_to_annotate() -> None:
    done = tsviz("inspect", "tests/corpus/batch_tuple_tts.py", "--mode", "script")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "this line unpacks it into 5 values (annotate it in the def: `inputs: Tuple[Tensor, Tensor, Tensor, " \
           "Tensor, Tensor]` (from typing import Tuple)" in done.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="says what a machine without CUDA says")
def test_a_cuda_line_in_another_file_of_the_project_is_named_there_with_the_line_that_calls_it() -> None:
    done = tsviz("inspect", "tests/corpus/speech_repo/model.py", "--mode", "trace")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    # the channels-first guess (2x20x8) is the one that got as far as the GPU line, past every shape
    assert last.startswith("tsviz: error: utils.py line 6: tracing failed: TypeError: type torch.cuda.LongTensor "
                           "not available"), last
    calls = 1 + CORPUS.joinpath("speech_repo/model.py").read_text().splitlines().index(
        "        keep = lengths_mask(mel_lengths)")
    assert f"(called from model.py line {calls})" in last and "this line asks for CUDA (a GPU)" in last


def test_a_model_the_file_runs_in_double_precision_is_run_in_it_with_a_note() -> None:
    data = inspect("double_precision.py")
    assert data["entry"] == "Surrogate" and data["inputs"] == ["64x3 float64"] and data["graph"]["nodes"]
    assert any("Inputs from the __main__ block at line 19" in n and "tsviz runs the model in float64 too" in n
               for n in data["notes"]), data["notes"]
    assert "Double(" in json.dumps(data["graph"])  # the traced graph's values are float64


def test_a_point_cloud_gets_the_rank_forward_reads_from_its_shape() -> None:
    data = inspect("point_cloud.py")
    assert data["entry"] == "PointClassifier" and data["inputs"] == ["1x6x32 float32"] and data["graph"]["nodes"]


def test_a_sequence_turned_channels_first_and_its_time_feature_columns_are_guessed_to_match() -> None:
    data = inspect("time_features.py")
    assert data["entry"] == "Forecaster" and data["graph"]["nodes"]
    assert data["inputs"] == ["1x32x7 float32", "1x32x4 int64"]  # values B x T x C; 4 columns of ids under 7
