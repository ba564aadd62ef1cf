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


@pytest.mark.skipif(shutil.which("g++") is None, reason="C++ rung skipped: no g++ found (install build-essential)")
def test_measure_again_reruns_the_job_in_the_worker_and_the_tolerances_reach_it(monkeypatch) -> None:
    from tsviz import client
    from tsviz.ui import jobs

    asked: list[tuple[object, bool]] = []  # (the request, whether a worker ran it rather than the cache)

    def counted(name: str, request: object = None, **kw: object) -> object:
        found = client.run(name, request, **kw)
        if name == "deploy":
            asked.append((request, bool(client.last_worker())))
        return found

    monkeypatch.setattr(jobs, "run_job", counted)
    at = deploy_page(sample="feed_forward.py")
    at.toggle(key="deploy_onnx").set_value(False).run()
    assert not at.exception, at.exception
    assert at.select_slider(key="deploy_atol").value == 1e-5 and at.select_slider(key="deploy_rtol").value == 1e-4
    first = next(d.value for d in at.dataframe if "rung" in d.value.columns)
    at.run()  # a plain rerun: the same request, from the cache
    assert asked[-1][1] is False
    at.button(key="deploy_measure_again").click().run()
    assert not at.exception, at.exception
    request, ran = asked[-1]
    assert ran and request.measure == 1  # timed afresh in the worker
    again = next(d.value for d in at.dataframe if "rung" in d.value.columns)
    assert list(again["rung"]) == list(first["rung"]) and all(again["ok"])
    at.select_slider(key="deploy_atol").set_value(1e-10).run()
    at.select_slider(key="deploy_rtol").set_value(1e-10).run()
    assert (asked[-1][0].atol, asked[-1][0].rtol) == (1e-10, 1e-10) and asked[-1][0].measure == 1
    assert "within 1e-10 of Python's" in " ".join(c.value for c in at.caption)
