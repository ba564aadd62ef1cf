"""Inputs from the model file itself (tests/corpus/), through the installed command line and the sandboxed
worker: the sizes and dtypes its own test() or __main__ block passes to the model, the note saying where they came
from, and, where the file gives none, a guess for every argument of forward() at the sizes the model kept."""
from __future__ import annotations

import json
from functools import cache

from support.cli import tsviz

RESNET = ("--entry", "ResNet", "--init", "block=BasicBlock", "--init", "num_blocks=[1, 1, 1]")


@cache
def inspect(name: str, *args: str) -> dict:
    done = tsviz("inspect", f"tests/corpus/{name}", "--mode", "trace", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_zoo_files_test_function_gives_the_input_size() -> None:
    assert inspect("cifar_resnet.py", *RESNET)["inputs"] == ["2x3x32x32 float32"]


def test_the_note_names_the_function_the_line_and_the_sizes() -> None:
    notes = inspect("cifar_resnet.py", *RESNET)["notes"]
    assert "Inputs from test() at line 72 of cifar_resnet.py: 2x3x32x32 float32." in notes[0]
    assert not any("guessed" in note for note in notes)


def test_typed_inputs_come_before_the_files_own_call() -> None:
    data = inspect("cifar_resnet.py", *RESNET, "--input", "1x3x16x16")
    assert data["inputs"] == ["1x3x16x16 float32"] and not any("Inputs from" in n for n in data["notes"])


def test_a_main_block_whose_sizes_come_from_its_options_is_recorded_as_float64() -> None:
    assert inspect("heat_pinn.py")["inputs"] == ["96x2 float64"]


def test_the_recorded_call_is_said_with_its_line() -> None:
    note = inspect("heat_pinn.py")["notes"][0]
    assert note.startswith("Inputs from the __main__ block at line 39 of heat_pinn.py, recorded from one call")


def test_an_image_and_text_model_gets_a_float_image_and_int64_token_ids() -> None:
    image, text = inspect("clip_like.py")["inputs"]
    assert image.endswith("float32") and text.endswith("int64")


def test_the_guess_uses_the_image_resolution_and_context_length_the_model_kept() -> None:
    data = inspect("clip_like.py")
    assert data["inputs"] == ["1x3x48x48 float32", "1x77 int64"] and data["graph"]["nodes"]
    assert any("guessed them: 1x3x48x48 float32; torch.randint(0, 1000, (1, 77))" in n for n in data["notes"])
