"""A state dict or checkpoint uploaded under any name: the Archive page lists its tensors; other pages say why
there is no graph."""
from __future__ import annotations

import io

import pytest
import torch
from streamlit.testing.v1 import AppTest
from support.samples import ROOT
from torch import nn


def checkpoint() -> bytes:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    buffer = io.BytesIO()
    torch.save({"epoch": 7, "model_state_dict": model.state_dict(), "loss": 0.5}, buffer)
    return buffer.getvalue()


def table(at: AppTest, column: str):
    """The first table on the page with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def archive_page(name: str, data: bytes) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
    return at.switch_page("pages/5_Archive.py").run()


def test_the_archive_page_lists_a_checkpoints_tensors_and_entries() -> None:
    at = archive_page("run3.tar", checkpoint())
    assert not at.exception and not at.error
    tensors = table(at, "elements")
    assert tensors["module"].tolist() == ["0", "0", "2", "2"] and tensors["shape"].tolist()[0] == "4 × 3"
    assert table(at, "what it holds")["entry"].tolist() == ["epoch", "loss"]
    assert at.metric[3].value == "model_state_dict"


def test_picking_a_module_narrows_the_tensor_tree() -> None:
    at = archive_page("run3.tar", checkpoint())
    at.selectbox(key="weights_module").set_value("2").run()
    assert table(at, "tensor")["tensor"].tolist() == ["weight", "bias"]


@pytest.mark.parametrize("page", ["pages/2_Trace_vs_script.py", "pages/4_Passes.py"])
def test_a_page_that_needs_a_program_says_where_the_tensors_are(page: str) -> None:
    at = archive_page("weights.bin", checkpoint()).switch_page(page).run()
    assert not at.exception and not at.error
    assert "The **Archive** page lists its tensors" in at.info[0].value.replace("\\", "")
