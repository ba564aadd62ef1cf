"""A model file inside its project: finding the project, unpacking an uploaded one within bounds, and running a
training script's top level only as far as its model needs. In one process, most of it without torch."""
from __future__ import annotations

import ast
import io
import stat
import zipfile
from pathlib import Path

import pytest

from tsviz.load import bundle
from tsviz.load.importer import TopLevel
from tsviz.model import project
from tsviz.model.errors import InputError
from tsviz.model.project import find_project
from tsviz.model.uploads import zip_files

pytestmark = pytest.mark.unit
CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_file_inside_a_package_is_imported_as_its_module_from_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path, {"repo/setup.py": "", "repo/src/unet/__init__.py": "", "repo/src/unet/unet_model.py": ""})
    found = find_project(tmp_path / "repo/src/unet/unet_model.py")
    assert found.module == "unet.unet_model"
    assert found.import_root == str(tmp_path / "repo/src")
    assert found.root == str(tmp_path / "repo") and found.relative == "src/unet/unet_model.py"


def test_a_loose_file_is_its_own_module_and_its_folder_the_project_without_a_marker(tmp_path: Path) -> None:
    write(tmp_path, {"experiments/dcgan/dcgan.py": ""})
    found = find_project(tmp_path / "experiments/dcgan/dcgan.py")
    assert (found.module, found.root) == ("dcgan", str(tmp_path / "experiments/dcgan"))


def test_a_marker_too_far_up_or_over_a_too_large_tree_is_not_the_project(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path, {".git/HEAD": "", "a/b/c/d/model.py": "", "big/model.py": "", "big/data/1.txt": "",
                     "big/data/2.txt": "", "big/requirements.txt": ""})
    assert find_project(tmp_path / "a/b/c/d/model.py").root == str(tmp_path / "a/b/c/d")  # 4 levels up: too far
    monkeypatch.setattr(project, "MAX_FILES", 2)
    assert find_project(tmp_path / "big/model.py").root == str(tmp_path / "big")  # the file's own folder
    assert find_project(tmp_path / "big/model.py").import_root == str(tmp_path / "big")


def test_a_known_root_bounds_the_walk_up_the_packages(tmp_path: Path) -> None:
    write(tmp_path, {"input/__init__.py": "", "input/pkg/__init__.py": "", "input/pkg/model.py": ""})
    found = find_project(tmp_path / "input/pkg/model.py", tmp_path / "input")
    assert (found.module, found.root) == ("pkg.model", str(tmp_path / "input"))


def zipped(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_an_uploaded_project_unpacks_and_names_its_model_file(tmp_path: Path) -> None:
    data = zip_files({"net/__init__.py": b"", "net/model.py": b"x = 1\n", "configs/a.yaml": b"w: 1\n"})
    path = bundle.unpack(data, tmp_path, "net/model.py")
    assert path == tmp_path / "net/model.py" and path.read_text() == "x = 1\n"
    assert (tmp_path / "configs/a.yaml").is_file()


@pytest.mark.parametrize(("entry", "said"), [
    ("../escape.py", "outside its folder"), ("/etc/cron.d/x", "outside its folder"), ("a/../../b.py", "outside"),
    ("C:/win.py", "outside its folder"),
])
def test_an_uploaded_project_cannot_write_outside_its_folder(tmp_path: Path, entry: str, said: str) -> None:
    with pytest.raises(InputError, match=said):
        bundle.unpack(zipped({"model.py": b"", entry: b"x"}), tmp_path / "project", "model.py")
    assert not (tmp_path / "escape.py").exists()


def test_an_uploaded_project_with_a_link_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="has a link"):
        bundle.unpack(zipped({"model.py": b""}, links=("secrets",)), tmp_path, "model.py")


def test_an_uploaded_project_too_large_or_with_too_many_files_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(bundle, "MAX_FILES", 3)
    with pytest.raises(InputError, match="holds 4 entries"):
        bundle.unpack(zipped({f"{i}.py": b"" for i in range(4)}), tmp_path, "0.py")
    monkeypatch.setattr(bundle, "MAX_BYTES", 1000)
    with pytest.raises(InputError, match="unpacks to more than"):
        bundle.unpack(zipped({"model.py": b"", "weights.bin": bytes(2000)}), tmp_path, "model.py")


def test_an_uploaded_project_without_the_named_file_lists_its_python_files(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        bundle.unpack(zip_files({"a.py": b"", "pkg/b.py": b""}), tmp_path, "model.py")
    assert "has no file model.py" in raised.value.message and "a.py, pkg/b.py" in raised.value.hint


def test_the_job_runs_from_the_project_root_and_writes_stay_in_its_scratch(tmp_path: Path) -> None:
    write(tmp_path, {"repo/configs/a.json": "{}"})
    with bundle.working_folder(tmp_path / "repo", tmp_path / "scratch", writable=False):
        assert Path("configs/a.json").read_text() == "{}"
        Path("images").mkdir()
    assert (tmp_path / "scratch/images").is_dir() and not (tmp_path / "repo/images").exists()


GAN_SCRIPT = '''\
import argparse
import os

import torch
import torch.nn as nn

os.makedirs("images", exist_ok=True)
parser = argparse.ArgumentParser()
parser.add_argument("--latent_dim", type=int, default=100)
parser.add_argument("--img_size", type=int, default=28)
opt = parser.parse_args()
img_shape = (1, opt.img_size, opt.img_size)
cuda = torch.cuda.is_available()


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(opt.latent_dim, 784)

    def forward(self, z):
        return self.fc(z).view(z.size(0), *img_shape)


generator = Generator()
dataloader = torch.utils.data.DataLoader(range(10))
optimizer = torch.optim.Adam(generator.parameters())
for epoch in range(10):
    loss = generator(torch.randn(2, 100)).mean()
    loss.backward()
'''


def test_a_training_script_runs_its_definitions_and_the_globals_they_read_and_stops_before_the_training() -> None:
    tree = ast.parse(GAN_SCRIPT)
    top = TopLevel.read(tree)
    assert top.training == (28, "calls loss.backward()")
    assert top.kept == (8, 9, 10, 11, 12)  # the parser, its options, opt and img_shape; not makedirs or cuda
    assert top.parses_args == 11
    kept = ast.unparse(top.needed(tree))
    assert "class Generator" in kept and "img_shape = " in kept
    assert "makedirs" not in kept and "DataLoader" not in kept and "for epoch" not in kept


def test_a_script_that_does_not_train_at_import_runs_as_it_is() -> None:
    top = TopLevel.read(ast.parse((CORPUS / "namespace_args.py").read_text()))
    assert top.training is None and top.kept == ()


def test_a_sibling_module_changed_gives_the_project_a_new_version(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/model.py": "x = 1\n", "pkg/parts.py": "y = 1\n"})
    before = project.project_stamp(tmp_path)
    import os
    os.utime(tmp_path / "pkg/parts.py", ns=(2**62, 2**62))
    assert project.project_stamp(tmp_path) != before and before.startswith("3:")


def test_the_sandbox_mounts_a_script_by_its_content_never_its_suffix(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tsviz.client import sandbox

    write(tmp_path, {"repo/requirements.txt": "", "repo/tools/export_model": "import torch\nprint(1)\n"})
    (tmp_path / "repo/tools/weights.py").write_bytes(b"PK\x03\x04" + bytes(64))  # an archive saved as .py
    monkeypatch.setenv(sandbox.LOCAL_ENV, str(tmp_path / "repo/tools/export_model"))
    assert project.is_source(tmp_path / "repo/tools/export_model")
    assert sandbox.local_mount() == str(tmp_path / "repo")  # a script without a suffix: its project
    monkeypatch.setenv(sandbox.LOCAL_ENV, str(tmp_path / "repo/tools/weights.py"))
    assert not project.is_source(tmp_path / "repo/tools/weights.py")
    assert sandbox.local_mount() == str(tmp_path / "repo/tools/weights.py")  # not source: the file alone
