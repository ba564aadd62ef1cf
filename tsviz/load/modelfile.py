"""A model file for a job: its bytes in a private temp dir, the .py imported, its entry picked and built.

Every job that runs a model starts here (inspect, diff, bench, passes, export), so the start is written once.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from torch import nn

from tsviz.load import bundle
from tsviz.load.build import build_notes, build_target
from tsviz.load.entries import default_entry, find_entries
from tsviz.load.importer import LoadedSource, load_source
from tsviz.load.inputs import converted_note, example_inputs, file_call_inputs, suggest_inputs
from tsviz.load.parts import default_trace_submodules
from tsviz.load.weights import load_weights
from tsviz.model.errors import InputError
from tsviz.model.filekinds import SOURCE_KINDS
from tsviz.model.inputs import format_input_spec
from tsviz.model.jobs import kind_of, require_source
from tsviz.model.project import Project, find_project
from tsviz.model.stages import stage
from tsviz.model.types import Entry, InputSpec, InspectRequest
from tsviz.model.uploads import check_suffix
from tsviz.model.weights import WeightKey, WeightsLoad, by_module


@dataclass(frozen=True)
class Origin:
    """The user's file: its path on disk and the name to show for it."""

    path: str
    name: str
    root: str = ""  # the project's folder: a compile error in another of its files is named by its path there


@contextmanager
def private_copy(request: InspectRequest) -> Iterator[Path]:
    """The model file where the job reads it: an upload's bytes in a private temp dir (removed afterwards), under
    a safe version of its name, or unpacked with its project; a local file (`tsviz FILE`) where it lies,
    read-only, with no copy. A .py's job runs from its project's root (tsviz.load.bundle.working_folder)."""
    python = bool(request.project) or kind_of(request).kind in SOURCE_KINDS  # by content, never by the name
    if request.local_path and not python:
        check_suffix(request.filename)
        yield Path(request.local_path)
        return
    with tempfile.TemporaryDirectory(prefix="tsviz-") as tmp:
        if request.local_path:
            path = Path(request.local_path)
        elif request.project:
            path = bundle.unpack(request.project, Path(tmp) / "project", request.filename)
        else:
            path = write_private_copy(request, tmp)
        if not python:
            yield path
            return
        local = bool(request.local_path)
        with bundle.working_folder(Path(project_of(request, path).root), Path(tmp) / "work", writable=not local):
            yield path


def project_of(request: InspectRequest, path: Path) -> Project:
    """The project around the model file at `path`: the folder the client mounted for a local file (else found
    by its markers: --in-process), the unpacked upload, or a loose upload's own folder."""
    if request.local_path:
        return find_project(path, request.project_root) if request.project_root else find_project(path)
    if request.project:
        return find_project(path, path.parents[len(PurePosixPath(request.filename).parts) - 1])
    return replace(find_project(path, path.parent), importable=False)  # a lone file: no siblings


@contextmanager
def source_model(request: InspectRequest, what: str) -> Iterator[ModelFile]:
    """The .py imported and its entry picked, for a job that needs the source (`what` names it for the refusal
    of an archive)."""
    require_source(request, what)
    with private_copy(request) as path:
        yield open_model_file(request, path)


def _safe_name(filename: str) -> str:
    name = Path(filename).name
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "upload"


@dataclass(frozen=True)
class ModelFile:
    """A .py file imported, its entry chosen; `build()` makes the target and its example inputs."""

    request: InspectRequest
    source: LoadedSource
    entries: tuple[Entry, ...]
    entry: Entry
    origin: Origin
    entry_reason: str = ""  # why the default entry was chosen ("" when the request named it)
    loads: list[WeightsLoad] = field(default_factory=list, compare=False)  # the request's weights, once loaded

    def build(self) -> Built:
        """The nn.Module (put in eval mode, the request's weights loaded into it) or function, and the inputs to
        trace with."""
        stage("load", f"building the model from {self.request.filename}")
        target = build_target(self.source, self.entry, dict(self.request.init_args))
        if has_weights(self.request):
            self.loads[:] = [self._load_weights(target)]
        # a class is built in training mode by nn.Module's default; only a factory *returns* a chosen mode
        training = self.entry.kind == "factory" and isinstance(target, nn.Module) and target.training
        if isinstance(target, nn.Module):
            target.eval()
        return Built(target, example_inputs(self.source, self.entry, target, self.request.input_specs),
                     training)

    @property
    def weights(self) -> WeightsLoad | None:
        """What the last build() loaded from the request's weights file (None without one)."""
        return self.loads[-1] if self.loads else None

    def _load_weights(self, target: Any) -> WeightsLoad:
        name = self.request.weights_name or Path(self.request.weights_path).name or "the weights file"
        if not isinstance(target, nn.Module):
            raise InputError(f"{self.entry.name} is a function, not an nn.Module: it has no weights to load {name} "
                             "into", file=self.source.display_name,
                             hint="pick the entry that builds the model (the class or model())")
        data: bytes | Path = self.request.weights or Path(self.request.weights_path)
        return load_weights(target, data, name, code=self.source.module, model_name=self.source.display_name,
                            constructor=self.constructor_values(), root=self.origin.root)

    def constructor_values(self) -> dict[str, str]:
        """The entry's constructor values as text: typed, else tsviz's prefill, else the default."""
        typed = dict(self.request.init_args)
        values = {p.name: typed.get(p.name, "").strip() or p.prefill or (p.default or "")
                  for p in self.entry.init_params if not p.name.startswith("*")}
        return {**values, **{k: v for k, v in typed.items() if k not in values}}

    def suggested_inputs(self, target: Any, run: bool = True) -> tuple[InputSpec, ...]:
        """Inputs to offer (or to guess with) when the file and the request give none; `run` tries the guesses
        on the model and keeps the first it runs on."""
        if run:
            stage("run", f"trying guessed inputs on {self.request.filename}")
        return suggest_inputs(self.source, self.entry, target, run)

    def build_with_inputs(self, seed: int = 0) -> tuple[Built, tuple[str, ...]]:
        """build(), with the guessed inputs (and a note saying they are a guess) when neither the file nor the
        request gives any: for jobs that must run the model. The notes start with the file's import notes."""
        return self.with_inputs(self.build(), seed)

    def with_inputs(self, built: Built, seed: int = 0,
                    specs: tuple[InputSpec, ...] = ()) -> tuple[Built, tuple[str, ...]]:
        """`built` as it is when it has inputs, else with the suggested ones (`specs`, if already suggested): the
        inputs the file's own code passes to the model, else a guess; and the notes to show, saying which."""
        if built.inputs is not None:
            return built, self.notes()
        specs = specs or self.suggested_inputs(built.target)
        found = file_call_inputs(self.source, self.entry, built.target)
        if found is not None and found.specs == specs:
            note = " ".join(filter(None, (found.note(self.source.display_name), converted_note(built.target))))
        else:
            why = "The file gives no example inputs" if found is None else (
                f"The model does not run on the inputs {found.where} passes it at line {found.line} "
                f"({'; '.join(format_input_spec(s) for s in found.specs)})")
            note = (f"{why}, so tsviz guessed them: {'; '.join(format_input_spec(s) for s in specs)}. "
                    "Change them in the sidebar or with --input.")
        inputs = example_inputs(self.source, self.entry, built.target, specs, seed)
        return built._replace(inputs=inputs), (*self.notes(), note)

    def notes(self) -> tuple[str, ...]:
        """What tsviz did to import the file and build the model (stand-ins, a training script cut short), and
        constructor values typed that the entry does not take (left out, never silently)."""
        unused = [name for name, _ in self.request.init_args if not _takes(self.entry, (name,))]
        takes = ", ".join(p.name for p in self.entry.init_params) or "none"
        left = (f"{self.entry.name} takes no constructor argument named {', '.join(unused)}, so the value typed was "
                f"left out (it takes {takes}).",) if unused else ()
        return (*self.source.notes, *build_notes(self.source), *left, *weights_notes(self.weights))

    def hybrid_options(self, target: Any) -> dict[str, Any]:
        """convert()'s hybrid arguments: the request's picks, else the file's default picks, which fall back to
        tracing exactly what does not compile when they do not script."""
        if self.request.trace_submodules is not None:
            return dict(trace_submodules=self.request.trace_submodules)
        return dict(trace_submodules=default_trace_submodules(self.source, target), auto_hybrid=True)


class Built(NamedTuple):
    target: Any
    inputs: tuple | None  # None when neither the file nor the request gives any
    returned_training: bool  # the entry handed back its model in training mode


def has_weights(request: InspectRequest) -> bool:
    return bool(request.weights or request.weights_path)


def weights_notes(loaded: WeightsLoad | None) -> tuple[str, ...]:
    """The weights loaded, in words: one line, each shape that differs with its hint (the first few), then the
    names missing and unexpected by module."""
    if loaded is None:
        return ()
    shown = loaded.mismatched[:3]
    more = len(loaded.mismatched) - len(shown)
    listed = [f"{what}: {_grouped(keys)}." for keys, what in (
        (loaded.missing, "Missing from the file (these keep the values the model was built with)"),
        (loaded.unexpected, "In the file but not in the model (left out)")) if keys]
    return (loaded.summary(), *(f"Not loaded: {m.hint}" for m in shown),
            *((f"{more} more tensors of another shape were not loaded.",) if more else ()), *listed)


def _grouped(keys: tuple[WeightKey, ...], most: int = 6) -> str:
    groups = list(by_module(keys).items())
    text = "; ".join(f"{module or '(top)'}: {', '.join(n.rsplit('.', 1)[-1] for n in names)}"
                     for module, names in groups[:most])
    return text + (f"; and {len(groups) - most} more modules" if len(groups) > most else "")


def open_model_file(request: InspectRequest, path: Path) -> ModelFile:
    """Import the file and pick the entry; these errors raise (nothing is known about the file yet)."""
    stage("load", f"importing {request.filename}")
    source = load_source(path, request.filename, project_of(request, path))
    entries = find_entries(source)
    entry, reason = _pick_entry(entries, request.entry, source, tuple(name for name, _ in request.init_args))
    origin = Origin(path=str(path), name=request.filename, root=source.project.root if source.project else "")
    return ModelFile(request, source, entries, entry, origin, reason)


def write_private_copy(request: InspectRequest, tmp: str) -> Path:
    """The upload's bytes in a private temp dir, under a safe version of its name."""
    check_suffix(request.filename)
    path = Path(tmp) / _safe_name(request.filename)
    path.write_bytes(request.content)
    return path


def _pick_entry(entries: tuple[Entry, ...], name: str, source: LoadedSource,
                typed: tuple[str, ...] = ()) -> tuple[Entry, str]:
    if not name:
        fitting = tuple(e for e in entries if typed and _takes(e, typed))
        if fitting and len(fitting) < len(entries):  # the constructor values typed say which network is meant
            entry, reason = default_entry(fitting, source)
            return entry, f"it takes the constructor values typed ({', '.join(typed)}); and {reason}"
        return default_entry(entries, source)
    for entry in entries:
        if entry.name == name:
            return entry, ""
    raise InputError(f"no entry point named {name!r}", file=source.display_name,
                     hint=f"choose one of: {', '.join(e.name for e in entries)}")


def _takes(entry: Entry, names: tuple[str, ...]) -> bool:
    """Whether the entry's constructor (or factory) takes every one of these argument names."""
    params = {p.name for p in entry.init_params}
    return entry.kind != "function" and (any(p.startswith("**") for p in params) or set(names) <= params)
