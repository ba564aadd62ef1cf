"""One upload of each file kind that programs.py and packages.py do not already cover (test_program_uploads.py), in
a real headless Chromium, each under a name that does not say what it is: the page reads the kind from the
content and shows what it found and what to do with it, and the server keeps serving after each."""
from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import pytest
import torch
from support.browser import playwright, upload_file
from torch import nn

playwright()  # this module is skipped where there is no chromium (an error on CI)


def _torchscript() -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(3, 2), nn.ReLU())), buffer)
    return buffer.getvalue()


def _state_dict() -> bytes:
    buffer = io.BytesIO()
    torch.save({"epoch": 3, "model_state_dict": nn.Linear(3, 2).state_dict()}, buffer)
    return buffer.getvalue()


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0" * 8


KINDS = {  # name it is uploaded as -> (content, what the page says)
    "model_trace.pth": (_torchscript, "TorchScript archive, saved as .pth"),
    "checkpoint.tar": (_state_dict, "saved tensors (a state dict or a checkpoint), not a program"),
    "model.bin": (lambda: b"\x08\x07\x12\x07pytorch", "ONNX model"),
    "weights.bin": (_safetensors, "safetensors"),
    "notes.pt": (lambda: b"\x00\x01\x02 not a model at all \xff" * 8, "not Python source, not a zip, not a pickle"),
}


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_uploaded_under_any_name_says_what_it_is(server_url: str, page, tmp_path: Path, name: str) -> None:
    make, says = KINDS[name]
    path = tmp_path / name
    path.write_bytes(make())
    upload_file(page, server_url, path)
    page.get_by_text(says).first.wait_for(timeout=90_000)
    assert page.get_by_text("Traceback").count() == 0
    if name == "model_trace.pth":  # an archive under .pth is drawn like a .pt
        page.wait_for_selector("svg g.node", timeout=90_000)
