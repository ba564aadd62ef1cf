"""The Deploy page under AppTest: a sample through the real worker, its table, charts, code and take-home zip."""
from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from streamlit.testing.v1 import AppTest
from support.samples import ROOT

pytestmark = [pytest.mark.app, pytest.mark.timeout(600)]


def deploy_page(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page("pages/7_Deploy.py").run()


@pytest.mark.skipif(shutil.which("g++") is None, reason="C++ rung skipped: no g++ found (install build-essential)")
def test_the_deploy_page_shows_python_cpp_and_onnx_with_the_code_to_take_home() -> None:
    at = deploy_page(sample="feed_forward.py")
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "rung" in d.value.columns)
    assert list(table["rung"]) == ["Python (TorchScript)", "Python (eager)", "LibTorch (C++)", "ONNX Runtime"]
    assert list(table["ok"]) == [True, True, True, True]
    assert all(table["max abs diff"] <= 1e-5) and all(table["median ms"] > 0)
    commands = next(block.value for block in at.code if "cmake --build build" in block.value)
    assert "./build/tsviz_runner feed_forward.script.pt" in commands
    assert any("torch::jit::load" in block.value for block in at.code)
    assert any("find_package(Torch REQUIRED)" in block.value for block in at.code)


def test_the_take_home_zip_holds_the_runner_the_cmake_file_the_archive_and_a_readme(monkeypatch) -> None:
    from tsviz.model.deploy import DeployResult, DeployRun
    from tsviz.model.jobfiles import JobFile
    from tsviz.ui import deploy

    monkeypatch.setattr(deploy.files, "read", lambda ref: b"PK-archive-bytes")
    result = DeployResult("m.py", (DeployRun("libtorch", True, 0.0, 0.01, 0.02),), ("2x4 float32",),
                          "// runner", "cmake_minimum_required(VERSION 3.18)", "cmake -S . -B build", "built",
                          "m.script.pt", archive=JobFile("archive.pt", 16, "0" * 64), mode="script")
    with zipfile.ZipFile(io.BytesIO(deploy.take_home_zip(result))) as zipped:
        assert sorted(zipped.namelist()) == ["tsviz_runner/CMakeLists.txt", "tsviz_runner/README.md",
                                             "tsviz_runner/m.script.pt", "tsviz_runner/runner.cpp"]
        readme = zipped.read("tsviz_runner/README.md").decode()
    assert "cmake -S . -B build" in readme and "torch.jit.script of m.py" in readme
    assert "equal, largest difference 0.0e+00" in readme
