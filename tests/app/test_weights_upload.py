"""The sidebar's second uploader: a .py's trained weights, loaded in the worker; the graph page says what loaded and
what did not fit, and the converted archive it offers for download holds the trained weights."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest
from support.apptest import shown, upload
from support.samples import ROOT
from support.weights_models import NET, saved, trained

from tsviz import client
from tsviz.client import files, sandbox
from tsviz.model.types import InspectRequest


def with_weights(name: str, data: bytes) -> AppTest:
    """net.py uploaded as the model, then `data` in the Weights uploader."""
    at = upload("net.py", NET.encode(), "text/x-python")
    return at.file_uploader(key="upload_weights").set_value((name, data, "application/octet-stream")).run()


def test_weights_uploaded_beside_the_py_are_loaded_and_the_download_holds_them() -> None:
    model = trained()
    at = with_weights("weights.pth", saved(model.state_dict()))
    assert not at.exception and not at.error
    assert "Weights: 4 of 4 tensors loaded from weights.pth, a state dict." in [shown(i.value) for i in at.info]
    # the page's own job, answered from the client's cache (no worker ran: the request is the page's, byte for byte)
    held = files.hold(saved(model.state_dict()), "weights.bin")  # the page holds the upload, hands it over as a file
    result = client.run("inspect", InspectRequest("net.py", NET.encode(), weights_file=held,
                                                  weights_name="weights.pth"))
    assert client.last_worker() == {}
    downloaded = torch.jit.load(io.BytesIO(files.read(result.archive)))  # the .pt download's bytes (ui.job_file)
    assert torch.equal(downloaded.state_dict()["fc.weight"], model.fc.weight)


def test_a_shape_that_differs_is_shown_with_the_constructor_value_that_fits() -> None:
    at = with_weights("small_head.pth", saved(trained(num_classes=10).state_dict()))
    assert not at.exception and not at.error
    assert any(shown(i.value).startswith("Weights: 2 of 4 tensors loaded from small_head.pth") for i in at.info)
    mismatched = next(d.value for d in at.dataframe if "what to change" in d.value.columns)
    assert list(mismatched["tensor"]) == ["weight", "bias"] and list(mismatched["module"]) == ["fc", "fc"]
    assert mismatched["what to change"][0] == "num_classes=10?"
    assert mismatched["in the file"][0] == "10 × 8" and mismatched["in the model"][0] == "1000 × 8"


def test_the_other_pages_work_on_the_trained_model_too() -> None:
    at = with_weights("small_head.pth", saved(trained(num_classes=10).state_dict()))
    at.switch_page("pages/2_Trace_vs_script.py").run()
    assert not at.exception
    notes = [shown(c.value) for c in at.caption]  # the diff job's notes: it built the model with the weights
    assert any(n.startswith("Weights: 2 of 4 tensors loaded from small_head.pth") for n in notes), notes


def test_a_file_that_is_not_weights_is_refused_by_the_weights_uploader() -> None:
    at = with_weights("other.py", NET.encode())
    assert not at.exception
    message = shown(at.sidebar.error[0].value)
    assert "other.py" in message and "not weights" in message
    assert not any(shown(i.value).startswith("Weights:") for i in at.info)  # the model runs without any


LOCAL_PAGE = """
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120).run()
at.sidebar.radio(key="source_kind").set_value("Local file").run()
assert not at.exception and not at.error, (at.exception, at.error)
print("\\n".join(i.value for i in at.info))
"""


def test_tsviz_file_with_weights_loads_them_read_where_they_lie(tmp_path: Path) -> None:
    """`tsviz net.py --weights w.pth`: the page's local file and its weights, both mounted read-only into the
    sandbox (a fresh process, as the server is: the sandbox's mounts are fixed when it starts)."""
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "w.pth").write_bytes(saved(trained(num_classes=10).state_dict()))
    done = subprocess.run([sys.executable, "-c", LOCAL_PAGE.format(app=str(ROOT / "app.py"))], capture_output=True,
                          text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, sandbox.LOCAL_ENV: str(tmp_path / "net.py"),
                               sandbox.WEIGHTS_ENV: str(tmp_path / "w.pth")})
    assert done.returncode == 0, done.stderr[-2000:]
    said = shown(done.stdout)
    assert "Weights: 2 of 4 tensors loaded from w.pth" in said and "num_classes=10?" in said
