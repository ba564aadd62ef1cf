"""tsviz deploy: the model run by Python, by the LibTorch C++ runner and by ONNX Runtime, through the real
sandboxed worker and the command line; the runner built once per machine (a session fixture, the cache after)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support.bad_inputs import CANARY, host_canary_writer
from support.cli import tsviz
from support.samples import SAMPLES

from tsviz import client
from tsviz.client import runner, sandbox
from tsviz.model.deploy import RUNNER_MOUNT, DeployRequest, DeployResult, runner_cache
from tsviz.model.errors import TsvizError
from tsviz.model.types import InputSpec, InspectRequest

pytestmark = [pytest.mark.worker, pytest.mark.timeout(600)]
NO_COMPILER = shutil.which("g++") is None and shutil.which("c++") is None


@pytest.fixture(scope="session")
def built() -> runner.RunnerBuild:
    """The runner, built once per machine (about 40 s the first time; the cache answers in well under 1 s after)."""
    if NO_COMPILER:
        pytest.skip("C++ rung skipped: no g++ found (install build-essential)")
    start = time.perf_counter()
    found = runner.prepare()
    assert found.ok, found.reason
    first = time.perf_counter() - start
    runner._prepare.cache_clear()
    start = time.perf_counter()
    again = runner.prepare()
    assert again.ok and again.cached
    assert time.perf_counter() - start < max(5.0, first)  # the second answer comes from the cache
    return found


@pytest.fixture(scope="session")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("deploy") / "small.pt"
    torch.jit.script(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU())).save(str(path))
    return path


def runs_of(result: DeployResult) -> dict:
    return {r.name: r for r in result.runs}


def test_a_scripted_archive_runs_in_cpp_with_pythons_outputs_and_its_thread_curve(built, small_archive) -> None:
    request = DeployRequest(InspectRequest("small.pt", small_archive.read_bytes(),
                                           input_specs=(InputSpec((2, 4)),)), threads=2, onnx=False)
    result = client.run("deploy", request)
    runs = runs_of(result)
    assert list(runs) == ["python", "libtorch"]
    cpp = runs["libtorch"]
    assert cpp.ok, cpp.reason
    assert cpp.max_abs_diff is not None and cpp.max_abs_diff <= 1e-6
    assert cpp.median_ms > 0 and cpp.p90_ms >= cpp.median_ms
    assert [t.n for t in cpp.threads] == [1, 2] and all(t.per_second > 0 for t in cpp.threads)
    assert "torch::jit::load" in result.cpp_source and "find_package(Torch REQUIRED)" in result.cmake
    assert "./build/tsviz_runner small.pt" in result.build_commands


def test_a_py_sample_is_converted_then_run_in_cpp_and_onnxruntime_beside_eager(built) -> None:
    path = SAMPLES / "feed_forward.py"
    done = tsviz("deploy", str(path), "--json", "--threads", "2")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    runs = {r["name"]: r for r in data["runs"]}
    assert list(runs) == ["python", "eager", "libtorch", "onnxruntime"]
    for name in ("eager", "libtorch", "onnxruntime"):
        assert runs[name]["ok"], (name, runs[name]["reason"])
        assert runs[name]["max_abs_diff"] <= 1e-5 and runs[name]["median_ms"] > 0
        assert [t["n"] for t in runs[name]["threads"]] == [1, 2]
    assert set(data) >= {"file", "runs", "cpp_source", "cmake"} and data["file"] == "feed_forward.py"
    assert "feed_forward.script.pt" in data["build_commands"]


def test_an_onnx_refusal_is_the_rungs_verdict_with_its_reason_and_line(built, tmp_path: Path) -> None:
    source = ("import torch\nfrom torch import nn\n\n\nclass Picky(nn.Module):\n"
              "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
              "        if x.sum() > 0:\n"
              "            return x * 2\n"
              "        return x - 1\n\n\ndef model():\n    return Picky()\n\n\n"
              "def example_inputs():\n    return (torch.ones(2, 4),)\n")
    (tmp_path / "picky.py").write_text(source)
    done = tsviz("deploy", str(tmp_path / "picky.py"), "--json")
    assert done.returncode == 0, done.stderr
    runs = {r["name"]: r for r in json.loads(done.stdout)["runs"]}
    assert runs["libtorch"]["ok"], runs["libtorch"]["reason"]  # TorchScript keeps the branch; C++ runs it
    onnx = runs["onnxruntime"]
    assert not onnx["ok"] and onnx["median_ms"] is None
    assert onnx["reason"].startswith("torch.onnx.export refused it:")
    assert onnx["line"] == 7


def test_a_hostile_archive_loaded_by_the_cpp_runner_in_the_sandbox_changes_nothing_outside(built,
                                                                                           tmp_path: Path) -> None:
    if not sandbox.prefix():
        pytest.skip("needs the bubblewrap sandbox")
    (tmp_path / "scribble.pt").write_bytes(host_canary_writer(tmp_path))
    canary = tmp_path / "canary.txt"
    import torch

    torch.save((torch.ones(2, 4),), tmp_path / "inputs.pt")
    binary = runner_cache() / f"{built.key}/tsviz_runner"
    # Outside the sandbox the C++ runner does the harm: the threat is real in C++ too
    subprocess.run([str(binary), str(tmp_path / "scribble.pt"), str(tmp_path / "inputs.pt"), str(tmp_path / "o.pt")],
                   capture_output=True, timeout=120)
    assert canary.read_text() != CANARY
    canary.write_text(CANARY)
    # Inside, as the deploy job starts it: the worker's own sandbox, the archive's folder visible but read-only
    prefix = list(sandbox.prefix())
    at = prefix.index("--proc")
    command = [*prefix[:at], "--ro-bind", str(tmp_path), str(tmp_path), *prefix[at:],
               f"{RUNNER_MOUNT}/{built.key}/tsviz_runner", str(tmp_path / "scribble.pt"), str(tmp_path / "inputs.pt"),
               "/tmp/o.pt"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and '"error"' in done.stdout, (done.stdout, done.stderr)
    assert canary.read_text() == CANARY
    # And through the deploy job: refused with the file named, canary unchanged
    request = DeployRequest(InspectRequest("scribble.pt", (tmp_path / "scribble.pt").read_bytes()), onnx=False)
    with pytest.raises(TsvizError) as caught:
        client.run("deploy", request)
    assert caught.value.file == "scribble.pt"
    assert canary.read_text() == CANARY


def test_deploy_without_a_file_exits_2_with_one_line() -> None:
    done = tsviz("deploy", "no_such_model.pt", "--json")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no_such_model.pt" in done.stderr and "Traceback" not in done.stderr


def test_a_torchscript_archive_named_pth_deploys_like_a_pt(built, small_archive, tmp_path: Path) -> None:
    renamed = tmp_path / "model.pth"  # the kind is the content's: a .pth here is a TorchScript zip
    renamed.write_bytes(small_archive.read_bytes())
    done = tsviz("deploy", str(renamed), "--input", "2x4", "--no-onnx", "--json")
    assert done.returncode == 0, done.stderr
    runs = {r["name"]: r for r in json.loads(done.stdout)["runs"]}
    assert "eager" not in runs  # loaded as an archive, not imported as Python source
    assert runs["libtorch"]["ok"] and runs["python"]["ok"], runs


@pytest.mark.parametrize(("name", "content"), [
    ("model.onnx", b"\x08\x07\x12\x07pytorch"),  # ONNX protobuf: ir_version, producer_name
    ("model.safetensors", b'\x18\x00\x00\x00\x00\x00\x00\x00{"__metadata__":{}}     '),
])
def test_deploy_refuses_a_file_it_does_not_open_by_content_with_one_line(tmp_path: Path, name: str,
                                                                           content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    done = tsviz("deploy", str(path), "--json")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and name in done.stderr and "Traceback" not in done.stderr


def test_deploy_takes_the_pages_tolerances_on_the_command_line(monkeypatch: pytest.MonkeyPatch,
                                                               small_archive: Path) -> None:
    from tsviz.cli import deploy as deploy_command
    from tsviz.cli.parser import build_parser

    sent = []
    monkeypatch.setattr(deploy_command.runner, "prepare", lambda: runner.RunnerBuild(False, False, 0.0, "not here", ""))
    monkeypatch.setattr(deploy_command, "run", lambda args, job, request: sent.append(request) or 1 / 0)
    args = build_parser().parse_args(["deploy", str(small_archive), "--atol", "0.01", "--rtol", "0.5"])
    with pytest.raises(ZeroDivisionError):
        deploy_command.deploy(args)
    assert (sent[0].atol, sent[0].rtol) == (0.01, 0.5)
    refused = tsviz("deploy", str(small_archive), "--atol", "-1")
    assert refused.returncode == 2 and "cannot be negative" in refused.stderr and "Traceback" not in refused.stderr
