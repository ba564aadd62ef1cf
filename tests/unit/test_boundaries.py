"""The architecture as tests: which side of the worker boundary may import what, pages that import only
tsviz.ui, one job table that every front end uses, and an installable package whose pins match requirements.txt."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support.samples import ROOT

from tsviz.model.jobs import JOBS

PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter's contracts (pyproject.toml) over the tsviz package found under `root`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


def test_the_import_contracts_catch_torch_on_the_server_side(tmp_path: Path) -> None:
    """Not vacuous: the same check over a copy of the package in which a graph module imports torch fails."""
    shutil.copytree(ROOT / "tsviz", tmp_path / "tsviz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    fold = tmp_path / "tsviz" / "graph" / "fold.py"
    fold.write_text(fold.read_text() + "\nimport torch  # noqa: E402\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0 and "tsviz.graph.fold -> torch" in done.stdout


def tsviz_imports(path: Path) -> list[str]:
    """Every module of tsviz (or torch) a file imports, at any depth of its code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [f"{node.module}.{alias.name}" if node.module == "tsviz" else node.module for alias in node.names]
    return [name for name in found if name.split(".")[0] in ("tsviz", "torch")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_page_imports_only_tsviz_ui(page: Path) -> None:
    imported = tsviz_imports(page)
    assert imported and all(name == "tsviz.ui" for name in imported), imported


def test_the_page_check_sees_a_page_that_reaches_past_the_ui(tmp_path: Path) -> None:
    page = tmp_path / "9_Bad.py"
    page.write_text("from tsviz import ui\nfrom tsviz.client import run\n\ndef f():\n    import torch\n")
    assert tsviz_imports(page) == ["tsviz.ui", "tsviz.client", "torch"]


def test_every_job_of_the_table_names_a_function_the_worker_can_import() -> None:
    from tsviz.worker.run import function_of

    for spec in JOBS.values():
        assert callable(function_of(spec)), spec.name
        assert spec.request is None or hasattr(spec.request, "__dataclass_fields__"), spec.name


def test_the_worker_answers_every_job_of_the_table_by_name() -> None:
    from tsviz.worker.run import run_job

    assert run_job({"job": "ping"}) == {"ok": {"pong": True}}
    assert run_job({"job": "nope"})["error"]["message"] == "unknown job 'nope'"


def test_the_package_pins_what_requirements_txt_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert sorted(project["dependencies"]) == sorted(requirements)
    assert "torch==2.13.0" in requirements  # the CPU build's version: a looser pin pulls CUDA
    assert project["scripts"]["tsviz"] == "tsviz.cli:main"


def test_no_module_of_the_package_is_a_flat_leftover() -> None:
    """The package's own files are sub-packages (and the few entry files): nothing new lands in a flat tsviz/."""
    flat = sorted(p.name for p in (ROOT / "tsviz").glob("*.py"))
    assert flat == ["__init__.py", "__main__.py"]


def test_tests_reach_the_installed_package_not_a_path_hack() -> None:
    hacks = [str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.py")
             if re.search(r"sys\.path\.(insert|append)", p.read_text()) and p.name != "test_boundaries.py"]
    assert hacks == []
