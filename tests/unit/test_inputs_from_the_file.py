"""Inputs from the file itself, in one process: what its own code passes to the model (read from the syntax tree,
or recorded from one call stopped at forward()), where that was said, and the guess that follows every argument
of forward() to the layer that takes it when the file gives nothing."""
from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import torch
from support.samples import request_for
from torch import nn

from tsviz.analysis.inspect_model import inspect_or_raise
from tsviz.load import calls
from tsviz.load.build import build_target
from tsviz.load.entries import find_entries, forward_params
from tsviz.load.expressions import namespace
from tsviz.load.guess import guess_inputs
from tsviz.load.importer import load_source
from tsviz.load.inputs import file_call_inputs
from tsviz.model.inputs import format_input_spec
from tsviz.model.types import Entry, InputSpec, Param

HEAD = '''\
import torch
from dataclasses import dataclass
from torch import nn


@dataclass
class Config:
    vocab_size: int = 512
    block_size: int = 16


class Tagger(nn.Module):
    """Token ids and a mask in, a tag score per token out."""

    def __init__(self, vocab=512):
        super().__init__()
        self.emb = nn.Embedding(vocab, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, tokens, mask=None):
        y = self.out(self.emb(tokens))
        return y if mask is None else y * mask.unsqueeze(-1)


class Net(nn.Module):
    def __init__(self, features=4):
        super().__init__()
        self.fc = nn.Linear(features, 2)

    def forward(self, x):
        return self.fc(x)


def make_net():
    return Net(6)
'''


def read(tmp_path: Path, body: str, entry: str = "Net", record: bool = True, name: str = "zoo.py"):
    """The file's inputs for `entry`, for HEAD followed by `body`."""
    path = tmp_path / name
    path.write_text(HEAD + textwrap.dedent(body))
    source = load_source(path, name)
    chosen = next(e for e in find_entries(source) if e.name == entry)
    return file_call_inputs(source, chosen, build_target(source, chosen, {}), record=record)


def shown(found) -> list[str]:
    return [format_input_spec(s) for s in found.specs]


# ---- read from the syntax tree ------------------------------------------------------------------------------

def test_a_tensor_made_in_test_gives_its_shape_and_the_line_of_the_call(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def test():
            net = Net()
            y = net(torch.randn(5, 4))
            print(y.size())
        """)
    assert shown(found) == ["5x4 float32"] and found.where == "test()" and found.line == 39
    assert not found.recorded


def test_double_on_the_input_is_read_as_float64(tmp_path: Path) -> None:
    found = read(tmp_path, """
        if __name__ == "__main__":
            model = Net()
            x = torch.rand(3, 4).double()
            model.double()(x)
        """)
    assert shown(found) == ["3x4 float64"] and found.where == "the __main__ block"


def test_a_local_vocabulary_size_is_written_into_the_token_ids(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def main():
            vocab = 100
            x = torch.randint(0, vocab, (2, 16))
            logits = Tagger(vocab)(x)
        """, entry="Tagger")
    assert shown(found) == ["torch.randint(0, 100, (2, 16))"]


def test_a_config_objects_fields_are_read_as_their_numbers(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def demo():
            cfg = Config()
            model = Tagger(cfg.vocab_size)
            idx = torch.randint(0, cfg.vocab_size, (2, cfg.block_size))
            return model(idx)
        """, entry="Tagger")
    assert shown(found) == ["torch.randint(0, 512, (2, 16))"]


def test_a_dtype_keyword_and_a_second_argument_are_both_read(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def test():
            model = Tagger()
            mask = torch.ones(4, 10, dtype=torch.bool)
            model(torch.zeros(4, 10, dtype=torch.long), mask)
        """, entry="Tagger")
    assert shown(found) == ["torch.zeros(4, 10, dtype=torch.long)", "torch.ones(4, 10, dtype=torch.bool)"]


def test_keyword_arguments_are_put_in_forwards_order(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def test():
            model = Tagger()
            model(mask=torch.ones(2, 3), tokens=torch.zeros(2, 3, dtype=torch.long))
        """, entry="Tagger")
    assert shown(found) == ["torch.zeros(2, 3, dtype=torch.long)", "2x3 float32"]


def test_moving_the_model_and_the_input_to_a_device_is_left_out(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def test():
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            model = Tagger().to(device).eval()
            tokens = torch.randint(0, 512, (2, 8)).to(device)
            model(tokens.cuda())
        """, entry="Tagger")
    assert shown(found) == ["torch.randint(0, 512, (2, 8))"]


def test_a_docstring_example_is_read_with_its_line(tmp_path: Path) -> None:
    found = read(tmp_path, '''
        def describe():
            """How to call it.

            >>> net = make_net()
            >>> net(torch.ones(7, 6)).shape
            torch.Size([7, 2])
            """
        ''')
    assert shown(found) == ["7x6 float32"] and found.where == "the docstring of describe()" and found.line == 41


def test_a_factory_function_that_builds_the_class_connects_its_calls_to_the_class(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def test():
            y = make_net()(torch.randn(1, 6))
        """)
    assert shown(found) == ["1x6 float32"]


def test_a_factory_entry_is_connected_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "factories.py"
    path.write_text(HEAD + "\n\ndef test():\n    net = make_net()\n    net(torch.randn(3, 6))\n")
    source = load_source(path, "factories.py")
    entry = Entry(name="make_net", kind="factory")
    target = source.module.make_net()
    found = calls.read_file_inputs(source, entry, target, forward_params(entry, target),
                                   namespace(source.module, model=target), record_calls=False)
    assert shown(found) == ["3x6 float32"]


def test_calls_of_another_model_of_the_file_are_not_read(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def test():
            tagger = Tagger()
            tagger(torch.zeros(2, 3, dtype=torch.long))
        """)
    assert found is None


def test_an_exported_example_is_read_from_torch_jit_trace(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def export():
            model = Net().eval()
            example = (torch.randn(8, 4),)
            torch.jit.trace(model, example).save("net.pt")
        """)
    assert shown(found) == ["8x4 float32"] and found.where == "export()"


def test_a_batch_from_a_data_loader_is_not_read(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def train(loader):
            model = Net()
            for x, y in loader:
                loss = (model(x) - y).pow(2).mean()
                loss.backward()
        """)
    assert found is None


# ---- recorded from one call ---------------------------------------------------------------------------------

def test_sizes_computed_when_the_file_runs_are_recorded_from_one_call(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def batch_of(n):
            return torch.randn(n, 4)

        def test():
            net = Net()
            print(net(batch_of(9)).shape)
        """)
    assert shown(found) == ["9x4 float32"] and found.recorded and found.line == 42
    assert "recorded from one call stopped at forward()" in found.note("zoo.py")


def test_recording_runs_nothing_after_the_call(tmp_path: Path) -> None:
    marker = tmp_path / "after.txt"
    found = read(tmp_path, f"""
        def batch_of(n):
            return torch.randn(n, 4)

        if __name__ == "__main__":
            net = Net()
            net(batch_of(3))
            open({str(marker)!r}, "w").write("ran")
        """)
    assert shown(found) == ["3x4 float32"] and not marker.exists()


def test_a_function_that_trains_is_not_run_to_record_its_call(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def batch_of(n):
            return torch.randn(n, 4)

        def test():
            net = Net()
            net(batch_of(3)).sum().backward()
        """)
    assert found is None


def test_the_models_forward_is_its_own_again_after_recording(tmp_path: Path) -> None:
    path = tmp_path / "restored.py"
    path.write_text(HEAD + "\n\ndef batch():\n    return torch.randn(2, 4)\n\n\ndef test():\n    Net()(batch())\n")
    source = load_source(path, "restored.py")
    entry = next(e for e in find_entries(source) if e.name == "Net")
    target = build_target(source, entry, {})
    assert file_call_inputs(source, entry, target).recorded
    assert target(torch.randn(2, 4)).shape == (2, 2) and "forward" in vars(source.module.Net)


def test_recording_is_left_out_when_nothing_may_run(tmp_path: Path) -> None:
    found = read(tmp_path, """
        def batch_of(n):
            return torch.randn(n, 4)

        def test():
            Net()(batch_of(3))
        """, record=False)
    assert found is None


# ---- the order of the sources, and the note -----------------------------------------------------------------

CALLED = HEAD + '''

def test():
    net = Net()
    return net(torch.randn(5, 4))
'''


def test_the_files_call_is_used_and_said_instead_of_a_guess() -> None:
    result = inspect_or_raise(request_for("called.py", CALLED, mode="trace", entry="Net"))
    assert result.input_shapes == ("5x4 float32",)
    assert "Inputs from test() at line 40 of called.py: 5x4 float32." in result.notes[0]


def test_typed_inputs_come_before_the_files_call() -> None:
    result = inspect_or_raise(request_for("called.py", CALLED, mode="trace", entry="Net",
                                          input_specs=(InputSpec((3, 4)),)))
    assert result.input_shapes == ("3x4 float32",) and not any("Inputs from" in n for n in result.notes)


def test_example_inputs_come_before_the_files_call() -> None:
    text = CALLED + "\n\ndef example_inputs():\n    return (torch.ones(6, 4),)\n"
    result = inspect_or_raise(request_for("called.py", text, mode="trace", entry="Net"))
    assert result.input_shapes == ("6x4 float32",) and not any("Inputs from" in n for n in result.notes)


def test_a_call_the_model_does_not_run_on_gives_way_to_the_guess() -> None:
    text = HEAD + "\n\ndef test():\n    Net()(torch.randn(5, 3))\n"
    result = inspect_or_raise(request_for("wrong.py", text, mode="trace", entry="Net"))
    assert result.input_shapes == ("2x4 float32",)


def test_the_guess_note_says_which_of_the_files_calls_did_not_run() -> None:
    text = HEAD + "\n\ndef test():\n    Net()(torch.randn(5, 3))\n"
    result = inspect_or_raise(request_for("wrong.py", text, mode="trace", entry="Net"))
    assert ("The model does not run on the inputs test() passes it at line 39 (5x3 float32), so tsviz guessed "
            "them: 2x4 float32.") in result.notes[0]


def test_script_mode_offers_the_files_call_without_running_anything() -> None:
    result = inspect_or_raise(request_for("called.py", CALLED, mode="script", entry="Net"))
    assert result.suggested_inputs == (InputSpec((5, 4)),)


# ---- the guess, when the file gives nothing -----------------------------------------------------------------

class ImageText(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.embed = nn.Embedding(50, 8)

    def encode_image(self, image):
        return self.conv(image.float()).mean((2, 3))

    def forward(self, image, text):
        return self.encode_image(image) @ self.embed(text).mean(1).t()


def guess(model: nn.Module) -> tuple[InputSpec, ...]:
    return guesses(model)[0]


def guesses(model: nn.Module) -> list[tuple[InputSpec, ...]]:
    return guess_inputs(model, [Param(name) for name in inspect.signature(model.forward).parameters])


def test_every_argument_is_followed_to_the_layer_that_takes_it() -> None:
    image, text = guess(ImageText())
    assert image == InputSpec((1, 3, 32, 32)) and text.expr == "torch.randint(0, 50, (1, 8))"


def test_an_image_side_the_model_kept_is_tried_first() -> None:
    model = ImageText()
    model.img_size = 40
    assert guess(model)[0] == InputSpec((1, 3, 40, 40))


class Decoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(100, 8)

    def forward(self, idx):
        return self.wte(idx)


def test_a_sequence_length_kept_in_a_config_is_capped_first_then_tried_whole() -> None:
    from types import SimpleNamespace
    model = Decoder(SimpleNamespace(block_size=1024))
    tried = [g[0].expr for g in guesses(model)]
    assert tried == ["torch.randint(0, 100, (2, 64))", "torch.randint(0, 100, (2, 1024))"]


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 6, num_layers=2, batch_first=True)

    def forward(self, x, prev):
        return self.gru(x, prev)


def test_a_recurrent_layers_second_argument_gets_a_zero_state_for_the_same_batch() -> None:
    x, state = guess(Recurrent())
    assert x == InputSpec((2, 8, 4)) and state.expr == "torch.zeros(2, 2, 6)"


def test_a_stage_list_indexed_in_a_loop_leads_the_guess_to_its_first_stage() -> None:
    """`for i in range(4): x = self.downsample_layers[i](x)` (a ConvNeXt's stem): the image goes into the first
    stage's convolution, not into the head read after the loop."""
    from torch import nn

    from tsviz.load.follow import follow

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.downsample_layers = nn.ModuleList([nn.Sequential(nn.Conv2d(3, 8, 4, 4)), nn.Conv2d(8, 16, 2, 2)])
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            for i in range(2):
                x = self.downsample_layers[i](x)
            return self.head(x.mean([-2, -1]))

    found = follow(Net(), "x")
    assert isinstance(found.layer, nn.Conv2d) and found.layer.in_channels == 3
