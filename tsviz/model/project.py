"""The project around a model file: the folder a user runs it from, and the module name it is imported as.

A model file inside a repository imports its siblings (`from .unet_parts import *`) and the repository's own
packages (`from mingpt.utils import CfgNode`). So tsviz walks up from the file while folders hold `__init__.py`
(the package the file is in), then up to the first folder that looks like a project root (pyproject.toml,
setup.py, .git, requirements.txt), within MAX_LEVELS and MAX_FILES. Pure path work, no imports of the user's
code: the server uses it to decide what the sandbox mounts, the worker to import the file as the module it is.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tsviz.model.filekinds import SOURCE_KINDS, sniff

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git", "requirements.txt")
MAX_LEVELS = 3  # folders above the top package looked at for a project marker
MAX_FILES = 20_000  # a larger tree is not a project to mount (a home folder with a .git, say)


def is_source(path: str | os.PathLike) -> bool:
    """A local file is Python source by its content, never its suffix (a script saved with none, an archive
    saved as .py): what decides whether the sandbox mounts its project or the file alone."""
    try:
        return sniff(Path(path)).kind in SOURCE_KINDS
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class Project:
    """Where a .py lives: the folder to mount and run from, the folder its package hangs off, its module name."""

    root: str  # the project's folder (mounted read-only, the job's working directory)
    import_root: str  # the folder put first on sys.path: the parent of the file's top package
    module: str  # the dotted name the file is imported as: "unet.unet_model", or "model" for a loose file
    relative: str  # the file's path inside root, with / ("unet/unet_model.py")
    importable: bool = True  # its folders go on sys.path (not a lone upload's private folder: nothing to import)


def find_project(path: str | os.PathLike, root: str | os.PathLike = "") -> Project:
    """The project of the .py file at `path` (which must exist); `root`, when known (the folder the sandbox
    mounted, an unpacked upload), bounds the walk instead of the markers."""
    file = Path(path).absolute()
    top = Path(root).absolute() if root else None
    package = file.parent
    parts = [file.stem]
    while (package / "__init__.py").is_file() and package != top and package.parent != package:
        parts.insert(0, package.name)
        package = package.parent
    if len(parts) == 1 and (levels := _relative_levels(file)):  # `from .convnext import Block`, no __init__.py
        for _ in range(levels):
            if package == top or package.parent == package:
                break
            parts.insert(0, package.name)  # a namespace package, as `python -m models.convnext_isotropic` has it
            package = package.parent
    import_root = package
    found = top or import_root
    if top is None:
        for candidate in [import_root, *import_root.parents][: MAX_LEVELS + 1]:
            if any((candidate / marker).exists() for marker in MARKERS):
                found = candidate if _small(candidate) else import_root
                break
    return Project(str(found), str(import_root), ".".join(parts), file.relative_to(found).as_posix())


def _small(folder: Path) -> bool:
    """Whether `folder` holds at most MAX_FILES entries (counted without following links, stopping early)."""
    seen = 0
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", "node_modules", ".venv", "venv")]
        seen += len(files) + len(dirs)
        if seen > MAX_FILES:
            return False
    return True



_RELATIVE = re.compile(rb"^[ \t]*from[ \t]+(\.+)", re.MULTILINE)


def _relative_levels(file: Path) -> int:
    """How many folders up the file's relative imports reach (`from ..utils import x`: 2), read as text."""
    try:
        return max((len(m.group(1)) for m in _RELATIVE.finditer(file.read_bytes()[:2**20])), default=0)
    except OSError:
        return 0


def project_stamp(root: str | os.PathLike) -> str:
    """A version of a project's Python files (how many, and the newest change), so that a cached result of its model
    file is not reused after a sibling module changed; bounded like the project itself."""
    newest, count = 0, 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", "node_modules", ".venv", "venv")]
        for name in files:
            if name.endswith(".py"):
                count += 1
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime_ns)
        if count > MAX_FILES:
            break
    return f"{count}:{newest}"
