"""The uploader takes any name and reads the kind from the content: what it found is said in the sidebar."""
from __future__ import annotations

import io
import json
import struct

import torch
from support.apptest import shown, upload
from torch import nn


def test_a_torchscript_archive_saved_as_pth_opens_and_the_sidebar_says_so() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(2, 2), nn.Tanh())), buffer)
    at = upload("model_trace.pth", buffer.getvalue())
    assert not at.exception and not at.error
    assert "TorchScript archive, saved as .pth" in [shown(c.value) for c in at.sidebar.caption]
    assert shown(at.header[0].value) == "model_trace.pth · forward · archive"


def test_safetensors_gets_what_it_is_and_what_to_do() -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    at = upload("model.safetensors", struct.pack("<Q", len(header)) + header + b"\0" * 8)
    assert not at.exception
    message = shown(at.sidebar.error[0].value)
    assert "safetensors weights" in message and "the .py that defines the model" in message


class Gate(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, sr: int) -> torch.Tensor:
        return self.fc(x) * sr


def test_an_archives_inputs_in_the_sidebar_say_their_schema_type_and_what_to_type() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(Gate()), buffer)
    at = upload("gate.jit", buffer.getvalue())
    assert not at.exception and not at.error
    fields = {shown(t.label): t.placeholder for t in at.sidebar.text_input}
    assert fields["x: Tensor"] == "e.g. 2x8 float32" and fields["sr: int"] == "e.g. int:16000"
