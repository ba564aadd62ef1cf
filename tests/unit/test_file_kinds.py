"""The sniffer names a file's kind from its bytes and zip directory, never its name; zips written by hand here,
with the entry names each format writes (no torch needed)."""
from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from tsviz.model.filekinds import refusal, saved_as, sniff
from tsviz.model.jobs import is_archive, kind_of
from tsviz.model.types import InspectRequest
from tsviz.model.uploads import check_upload

TORCHSCRIPT = ("m/data.pkl", "m/constants.pkl", "m/code/__torch__/m.py", "m/version", "m/byteorder")
TORCH_SAVE = ("archive/data.pkl", "archive/.format_version", "archive/data/0", "archive/version")
PACKAGE = ("p/m/w.pkl", "p/.data/extern_modules", "p/.data/version", "p/byteorder")
PT2 = ("archive/data/weights/weight_0", "archive/models/model.json", "archive/data/sample_inputs/model.pt",
       "archive/archive_format", "archive/.data/version")


def zipped(names: tuple[str, ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return buffer.getvalue()


def safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0" * 8


ONNX = bytes([0x08, 0x08, 0x12, 0x07]) + b"pytorch" + bytes([0x1A, 0x03]) + b"2.5" + bytes([0x3A, 0x00])


@pytest.mark.parametrize(("content", "kind"), [
    (zipped(TORCHSCRIPT), "torchscript"),
    (zipped(TORCH_SAVE), "torch_save"),
    (pickle.dumps({"epoch": 3}, protocol=2), "pickle"),
    (zipped(PACKAGE), "package"),
    (zipped(PT2), "pt2"),
    (ONNX, "onnx"),
    (safetensors(), "safetensors"),
    (b"import torch\nclass Net(torch.nn.Module):\n    pass\n", "python"),
    (zipped(("repo/model.py", "repo/utils.py")), "project"),
    (zipped(("readme.txt",)), "zip"),
    (b"", "empty"),
    (b"\x7fELF\x02\x01\x01\x00" + b"\0" * 40, "unknown"),
])
def test_each_kind_is_named_from_its_content(content: bytes, kind: str) -> None:
    assert sniff(content).kind == kind


def test_a_torchscript_archive_is_one_under_any_name_on_disk(tmp_path: Path) -> None:
    for name in ("model.pth", "silero_vad.jit", "m.ts", "m.torchscript", "m.bin", "model"):
        path = tmp_path / name
        path.write_bytes(zipped(TORCHSCRIPT))
        assert sniff(path).kind == "torchscript", name
        assert is_archive(InspectRequest(name, b"", local_path=str(path)))
        assert is_archive(InspectRequest(name, path.read_bytes()))


def test_a_python_file_named_pt_is_source_not_an_archive() -> None:
    request = InspectRequest("model.pt", b"import torch\n")
    assert kind_of(request).kind == "python" and not is_archive(request)


def test_a_pt2_is_not_taken_for_torch_save_though_it_holds_a_pickle() -> None:
    assert sniff(zipped((*PT2, "archive/data.pkl"))).kind == "pt2"


def test_the_page_says_what_it_found_and_the_suffix() -> None:
    assert saved_as("model_trace.pth", sniff(zipped(TORCHSCRIPT))) == "TorchScript archive, saved as .pth"
    assert saved_as("model", sniff(zipped(TORCHSCRIPT))).endswith("saved as a file with no extension")


@pytest.mark.parametrize(("content", "says", "advice"), [
    (ONNX, "ONNX model", "Netron"),
    (safetensors(), "safetensors weights", "--weights"),
    (zipped(PACKAGE), "torch.package archive", "PackageImporter"),
    (zipped(PT2), "torch.export archive", "Migrate page"),
    (zipped(TORCH_SAVE), "torch.save file", "the .py that defines it"),
    (b"\x7fELF\x02\x01\x01\x00" + b"\0" * 40, "not a file tsviz knows", "TorchScript archives"),
])
def test_a_kind_tsviz_does_not_open_says_what_it_is_and_what_to_do(content: bytes, says: str, advice: str) -> None:
    error = refusal("weights.bin", sniff(content))
    assert error is not None
    line = error.one_line()
    assert says in line and advice in line and "weights.bin" in line and "damaged" not in line


@pytest.mark.parametrize("content", [zipped(TORCHSCRIPT), b"import torch\n", b"def f(:\n"])
def test_a_kind_tsviz_opens_is_not_refused(content: bytes) -> None:
    assert refusal("f", sniff(content)) is None  # text that does not parse goes to the loader, for its line


def test_an_upload_is_taken_under_any_name() -> None:
    for name in ("model.pth", "model.jit", "model", "weights.tar"):
        check_upload(name, 10)


def test_a_damaged_zip_is_named_a_zip_whose_directory_cannot_be_read() -> None:
    sniffed = sniff(zipped(TORCHSCRIPT)[:-30])
    assert sniffed.kind == "damaged_zip" and "cannot be read" in sniffed.detail
    assert "damaged or truncated zip archive" in refusal("cut.pt", sniffed).one_line()
