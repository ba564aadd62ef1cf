"""Model files opened inside their repositories, as a user opens them (tests/corpus/segmenter_repo and the zoo
files): relative imports, the repository's own packages and config classes, files read by a path relative to
the repository, a training script beside the package, entries as the user means them, stand-ins that let
harmless use pass. Through the installed command line: the sandboxed worker mounts the project read-only."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import tsviz

pytestmark = pytest.mark.worker
REPO = "tests/corpus/segmenter_repo"
IMAGE = ["--input", "1x3x32x32"]


def inspect(path: str, *args: str) -> dict:
    done = tsviz("inspect", path, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def failure(path: str, *args: str) -> str:
    done = tsviz("inspect", path, *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_model_file_inside_its_package_imports_its_siblings_and_the_packages_own_config() -> None:
    data = inspect(f"{REPO}/segnet/model.py", "--mode", "trace", *IMAGE)
    assert data["entry"] == "SegNet" and data["graph"]["nodes"]
    # the model file first, then what importing it ran: the package's __init__, its config and parts
    assert data["project_files"] == ["segnet/model.py", "segnet/__init__.py", "segnet/config.py", "segnet/parts.py"]
    assert "first of the file's 3 networks" in data["entry_reason"]


def test_the_repositorys_own_config_class_prefills_the_constructor() -> None:
    done = tsviz("inspect", f"{REPO}/segnet/model.py", "--mode", "script")  # no --init typed
    assert done.returncode == 0, done.stderr


def test_a_config_read_by_a_path_relative_to_the_repository_root_is_found() -> None:
    data = inspect(f"{REPO}/segnet/model.py", "--entry", "SegNetFromFile", "--mode", "trace", *IMAGE)
    assert data["entry"] == "SegNetFromFile" and data["graph"]["nodes"]


def test_a_package_imported_in_the_constructor_is_named_with_its_line_pip_name_and_the_missing_requirements() -> None:
    stderr = failure(f"{REPO}/segnet/model.py", "--entry", "SegNetWithSchema", "--mode", "trace", *IMAGE)
    assert "model.py line 37: building SegNetWithSchema imports omegaconf, which is not installed here" in stderr
    assert "pip install omegaconf" in stderr and "missing here: omegaconf, tsviz-test-absent-widgets" in stderr


def test_a_training_script_beside_the_package_gives_the_model_it_builds_and_trains_nothing() -> None:
    data = inspect(f"{REPO}/train.py", "--mode", "trace", *IMAGE)
    assert data["entry"] == "SegNet" and "top-level code (line 10) builds it" in data["entry_reason"]
    assert any("stopped before line 12" in n and "Nothing of the training ran" in n for n in data["notes"])
    assert not Path(REPO, "checkpoints").exists()  # its makedirs never reached the repository


def test_an_uploaded_project_zip_is_unpacked_in_the_worker_and_imported_as_its_package(tmp_path: Path) -> None:
    from tsviz import client
    from tsviz.model.types import InspectRequest
    from tsviz.model.uploads import zip_files

    root = Path(REPO)
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
             and "__pycache__" not in p.parts}
    model = "segnet/model.py"
    result = client.run("inspect", InspectRequest(model, files[model], mode="script", project=zip_files(files)))
    assert result.error is None, result.error
    assert result.entry == "SegNet" and result.project_files[:2] == ("segnet/model.py", "segnet/__init__.py")


def test_a_sibling_module_left_out_of_an_upload_is_stood_in_and_named() -> None:
    from tsviz import client
    from tsviz.model.types import InspectRequest
    from tsviz.model.uploads import zip_files

    files = {"pkg/__init__.py": b"", "pkg/model.py": b"import torch\nfrom .plots import show\n\n\n"
             b"class Net(torch.nn.Module):\n    def forward(self, x):\n        return x * 2\n"}
    result = client.run("inspect", InspectRequest("pkg/model.py", files["pkg/model.py"], mode="script",
                                                  project=zip_files(files)))
    assert result.error is None, result.error
    assert any("pkg.plots is imported but is not among the project's files" in n for n in result.notes)
