"""One inspect job: a file's bytes and options -> InspectResult. Runs inside the worker (or the CLI)."""
from __future__ import annotations

import io
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from tsviz import archive, sources
from tsviz.archive_report import archive_report
from tsviz.stages import stage
from tsviz.uploads import check_suffix
from tsviz.convert import Origin, convert
from tsviz.errors import InputError, TsvizError
from tsviz.ir import extract_graph
from tsviz.inputs import format_input_spec
from tsviz.types import EMPTY_GRAPH, Entry, InputSpec, InspectRequest, InspectResult, IRGraph, ModuleView

def inspect_file(request: InspectRequest) -> InspectResult:
    """Load, convert and extract both graphs; the .py or .pt is written to a private temp dir first."""
    with tempfile.TemporaryDirectory(prefix="tsviz-") as tmp:
        path = write_private_copy(request, tmp)
        if path.suffix.lower() == ".pt":
            return _inspect_archive(request, path)
        return _inspect_source(request, path)


def inspect_or_raise(request: InspectRequest) -> InspectResult:
    """inspect_file(), raising the conversion error instead of returning it (command line, tests)."""
    result = inspect_file(request)
    if result.error is not None:
        raise TsvizError.from_info(result.error)
    return result


def _safe_name(filename: str) -> str:
    name = Path(filename).name
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "upload"


@dataclass(frozen=True)
class ModelFile:
    """A .py file imported, its entry chosen; `build()` makes the target and its example inputs."""

    request: InspectRequest
    source: sources.LoadedSource
    entries: tuple[Entry, ...]
    entry: Entry
    origin: Origin

    def build(self) -> Built:
        """The nn.Module (put in eval mode) or function, and the inputs to trace with."""
        stage("load", f"building the model from {self.request.filename}")
        target = sources.build_target(self.source, self.entry, dict(self.request.init_args))
        training = isinstance(target, nn.Module) and target.training
        if isinstance(target, nn.Module):
            target.eval()
        return Built(target, sources.example_inputs(self.source, self.entry, target, self.request.input_specs), training)

    def suggested_inputs(self, target: Any) -> tuple[InputSpec, ...]:
        """Shapes to offer (or to guess with) when the file and the request give no inputs."""
        return sources.suggest_inputs(target, sources.required_input_count(self.entry, target))

    def build_with_inputs(self, seed: int = 0) -> tuple[Built, tuple[str, ...]]:
        """build(), with inputs of the suggested shapes (and a note saying they are a guess) when neither the
        file nor the request gives any: for jobs that must run the model."""
        built = self.build()
        if built.inputs is not None:
            return built, ()
        specs = self.suggested_inputs(built.target)
        generator = torch.Generator().manual_seed(seed)
        note = ("The file gives no example inputs, so tsviz used guessed shapes: "
                f"{', '.join(format_input_spec(s) for s in specs)}. Set them in the sidebar or with --input.")
        return built._replace(inputs=tuple(sources.tensor_from_spec(s, generator) for s in specs)), (note,)

    def trace_picks(self, target: Any) -> tuple[str, ...]:
        """Submodules hybrid mode traces: the request's picks, else the file's default."""
        if self.request.trace_submodules is not None:
            return self.request.trace_submodules
        return sources.default_trace_submodules(self.source, target)


class Built(NamedTuple):
    target: Any
    inputs: tuple | None  # None when neither the file nor the request gives any
    returned_training: bool  # the entry handed back its model in training mode


def open_model_file(request: InspectRequest, path: Path) -> ModelFile:
    """Import the file and pick the entry; these errors raise (nothing is known about the file yet)."""
    stage("load", f"importing {request.filename}")
    source = sources.load_source(path, request.filename)
    entries = sources.find_entries(source)
    return ModelFile(request, source, entries, _pick_entry(entries, request.entry, request.filename),
                     Origin(path=str(path), name=request.filename))


def write_private_copy(request: InspectRequest, tmp: str) -> Path:
    """The upload's bytes in a private temp dir, under a safe version of its name."""
    check_suffix(request.filename)
    path = Path(tmp) / _safe_name(request.filename)
    path.write_bytes(request.content)
    return path


def _inspect_source(request: InspectRequest, path: Path) -> InspectResult:
    """Errors before the entries are known raise; later ones come back on the result with what is known."""
    model_file = open_model_file(request, path)
    source, entry, origin = model_file.source, model_file.entry, model_file.origin
    known: dict[str, Any] = dict(
        filename=request.filename, kind="py", mode=request.mode, entry=entry.name, entries=model_file.entries,
        doc=(source.module.__doc__ or "").strip(), source=request.content.decode("utf-8", errors="replace"),
    )
    try:
        target, inputs, _ = model_file.build()
        known.update(
            submodules=sources.list_submodules(target),
            default_trace_submodules=sources.default_trace_submodules(source, target),
            needs_inputs=inputs is None and not request.input_specs,
            suggested_inputs=request.input_specs or model_file.suggested_inputs(target),
        )
        stage("convert", f"converting {request.filename} with {request.mode}")
        converted = convert(target, request.mode, inputs, origin, trace_submodules=model_file.trace_picks(target),
                            check_inputs=sources.check_inputs(source) if request.mode == "trace" else None)
    except TsvizError as e:
        return InspectResult(**known, error=e.info())
    graph, inlined, skipped = graphs(converted.module, origin, converted.traced)
    return InspectResult(
        **known, code=module_code(converted.module), graph=graph, inlined=inlined, **skipped,
        warnings=tuple(converted.warnings),
        quiet_notes=tuple(converted.quiet_notes), trace_submodules=converted.traced,
        input_shapes=tuple(describe(x) for x in inputs) if inputs is not None else (),
        **_archive(save_module(converted.module), request),
        views=module_views(converted.module, origin, converted.traced),
    )


def _inspect_archive(request: InspectRequest, path: Path) -> InspectResult:
    zipped = archive.check_torchscript(request.content, request.filename)
    code_files = archive.code_files(zipped)
    stage("load", f"loading the archive {request.filename} (torch.jit.load runs its code)")
    module = archive.load_archive(str(path), request.filename)
    origin = Origin(path=str(path), name=request.filename)
    source, starts = archive.code_listing(code_files)
    stage("convert", f"reading the graphs of {request.filename}")
    graph, inlined, skipped = graphs(module, origin, (), stored_code=starts)
    return InspectResult(
        filename=request.filename, kind="pt", mode="archive", entry="forward", entries=(),
        doc="A TorchScript archive: already compiled, so the trace / script / hybrid choice does not apply.",
        source=source, code=module_code(module), graph=graph, inlined=inlined, **skipped,
        source_files=code_files, **_archive(request.content, request),
        views=module_views(module, origin, (), stored_code=starts),
        archive_report=archive_report(module, zipped),
    )


def _pick_entry(entries: tuple[Entry, ...], name: str, filename: str) -> Entry:
    if not name:
        return sources.default_entry(entries)
    for entry in entries:
        if entry.name == name:
            return entry
    raise InputError(f"no entry point named {name!r}", file=filename,
                     hint=f"choose one of: {', '.join(e.name for e in entries)}")


MAX_INLINED_NODES = 6000  # beyond this the inlined graph is not extracted: no layout shows it, submodules do


def graphs(module: Any, origin: Origin, traced: tuple[str, ...],
           stored_code: dict[str, int] | None = None) -> tuple[IRGraph, IRGraph, dict[str, Any]]:
    """Module graph, inlined graph, and (when the inlined one is too large to extract) its size and op counts."""
    options = dict(user_path=origin.path, display_name=origin.name, traced=traced, stored_code=stored_code)
    inlined = module.inlined_graph
    kinds: Counter[str] = Counter()
    count_kinds(inlined, kinds)
    if sum(kinds.values()) > MAX_INLINED_NODES:
        skipped = dict(inlined_skipped=sum(kinds.values()), skipped_op_counts=tuple(sorted(kinds.items())))
        return extract_graph(module.graph, **options), EMPTY_GRAPH, skipped
    return extract_graph(module.graph, **options), extract_graph(inlined, **options), {}


def count_kinds(block: Any, kinds: Counter[str]) -> None:
    """Add every node kind of a graph or block, nested blocks included, to `kinds`."""
    for node in block.nodes():
        kinds[node.kind()] += 1
        for inner in node.blocks():
            count_kinds(inner, kinds)


def _archive(module_bytes: bytes, request: InspectRequest) -> dict[str, Any]:
    """The .pt for download, unless it is larger than the request allows (its size is kept either way)."""
    too_large = request.max_archive_mb and len(module_bytes) > request.max_archive_mb * 2**20
    return dict(archive=b"" if too_large else module_bytes, archive_size=len(module_bytes))


def module_views(module: Any, origin: Origin, traced: tuple[str, ...],
                 stored_code: dict[str, int] | None = None) -> tuple[ModuleView, ...]:
    """Each submodule's own forward graph and .code, so the page can open one submodule at a time.

    Submodules of one compiled class share one graph (a 12-layer encoder has 12 of each): it is extracted and
    sent once, and the others name the first of them in `same_as`.
    """
    if not hasattr(module, "named_modules"):
        return ()  # a scripted function
    views, first_of = [], {}
    for path, sub in module.named_modules():
        if not path or not hasattr(sub, "_c") or not sub._c._has_method("forward"):
            continue  # the model itself, or a container without forward (a ModuleList)
        inner = tuple(t[len(path) + 1:] for t in traced if t.startswith(path + "."))
        type_name = getattr(sub, "original_name", type(sub).__name__)
        compiled = (sub._c._type().qualified_name(), inner)
        if compiled in first_of:
            views.append(ModuleView(path, type_name, EMPTY_GRAPH, "", same_as=first_of[compiled]))
            continue
        first_of[compiled] = path
        graph = extract_graph(sub.graph, user_path=origin.path, display_name=origin.name, traced=inner,
                              stored_code=stored_code)
        views.append(ModuleView(path, type_name, graph, module_code(sub)))
    return tuple(views)


def module_code(module: Any) -> str:
    return module.code.strip() + "\n"


def describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"{'x'.join(str(d) for d in value.shape) or 'scalar'} {str(value.dtype).removeprefix('torch.')}"
    return type(value).__name__


def save_module(module: Any) -> bytes:
    """The converted module as torch.jit.save writes it, for download."""
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    return buffer.getvalue()

