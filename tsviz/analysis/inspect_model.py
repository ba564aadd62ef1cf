"""One inspect job: a file's bytes and options -> InspectResult. Runs inside the worker (or the CLI)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import torch

from tsviz.analysis import archive
from tsviz.analysis.archive_report import archive_report
from tsviz.analysis.convert import Origin, convert, describe
from tsviz.analysis.ir import extract_graph
from tsviz.analysis.weights import not_a_program
from tsviz.load.inputs import check_inputs
from tsviz.load.modelfile import has_weights, open_model_file, private_copy
from tsviz.load.parts import default_trace_submodules, list_submodules
from tsviz.load.sniff import OPENS, require_kind
from tsviz.model import jobfiles
from tsviz.model.errors import InputError, TsvizError
from tsviz.model.filekinds import WEIGHT_KINDS
from tsviz.model.stages import stage
from tsviz.model.types import EMPTY_GRAPH, MAX_INLINED_NODES, InspectRequest, InspectResult, IRGraph, ModuleView


def inspect_file(request: InspectRequest) -> InspectResult:
    """Load, convert and extract both graphs; the .py or .pt is written to a private temp dir first."""
    with private_copy(request) as path:
        sniffed = require_kind(path, request.filename, (*OPENS, *WEIGHT_KINDS))
        if sniffed.kind in WEIGHT_KINDS:  # saved tensors or a pickled model: say which, never unpickled
            raise not_a_program(request.filename, path, sniffed)
        if sniffed.kind == "torchscript":  # by content: a .pth, .jit or no suffix opens like a .pt
            if has_weights(request):
                raise InputError("a TorchScript archive holds its own weights: weights are loaded into a .py's model",
                                 file=request.filename, hint="open the .py the archive was made from with these "
                                                             "weights, or open the archive alone")
            return _inspect_archive(request, path)
        return _inspect_source(request, path)


def inspect_or_raise(request: InspectRequest) -> InspectResult:
    """inspect_file(), raising the conversion error instead of returning it (command line, tests)."""
    result = inspect_file(request)
    if result.error is not None:
        raise TsvizError.from_info(result.error)
    return result


def _inspect_source(request: InspectRequest, path: Path) -> InspectResult:
    """Errors before the entries are known raise; later ones come back on the result with what is known."""
    model_file = open_model_file(request, path)
    source, entry, origin = model_file.source, model_file.entry, model_file.origin
    known: dict[str, Any] = dict(
        filename=request.filename, kind="py", mode=request.mode, entry=entry.name, entries=model_file.entries,
        doc=(source.module.__doc__ or "").strip(), source=request.content.decode("utf-8", errors="replace"),
        entry_reason=model_file.entry_reason, project_files=source.project_files,
    )
    notes = source.notes
    try:
        built = model_file.build()
        notes = model_file.notes()
        known["weights"] = model_file.weights
        target = built.target
        runs = request.mode != "script"  # script mode runs nothing: not even to try its guesses
        known.update(
            submodules=list_submodules(target),
            default_trace_submodules=default_trace_submodules(source, target),
            needs_inputs=built.inputs is None,
            suggested_inputs=request.input_specs or (model_file.suggested_inputs(target, run=runs)
                                                     if built.inputs is None else ()),
        )
        if runs:  # trace and hybrid run the model: with the guessed inputs if none are given
            built, notes = model_file.with_inputs(built, specs=known["suggested_inputs"])
        inputs = built.inputs
        stage("convert", f"converting {request.filename} with {request.mode}")
        converted = convert(target, request.mode, inputs, origin, **model_file.hybrid_options(target),
                            check_inputs=check_inputs(source) if request.mode == "trace" else None)
    except TsvizError as e:
        return InspectResult(**known, notes=notes, error=e.info())
    graph, inlined, skipped = graphs(converted.module, origin, converted.traced)
    notes = (*notes, *converted.notes, *skipped_note(skipped))
    if converted.traced_parts:  # auto-hybrid's picks are this file's default now: the sidebar shows them
        known["default_trace_submodules"] = converted.traced
    return InspectResult(
        **known, notes=notes, code=module_code(converted.module), graph=graph, inlined=inlined, **skipped,
        warnings=tuple(converted.warnings),
        quiet_notes=tuple(converted.quiet_notes), trace_submodules=converted.traced,
        traced_parts=converted.traced_parts,
        input_shapes=tuple(describe(x) for x in inputs) if inputs is not None else (),
        **saved_archive(converted.module),
        views=module_views(converted.module, origin, converted.traced),
    )


def _inspect_archive(request: InspectRequest, path: Path) -> InspectResult:
    zipped = archive.check_torchscript(archive.archive_data(request), request.filename)
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
        notes=skipped_note(skipped),
        source=source, code=module_code(module), graph=graph, inlined=inlined, **skipped,
        source_files=code_files, archive_size=path.stat().st_size,  # the page has the file, the CLI its path
        views=module_views(module, origin, (), stored_code=starts),
        archive_report=archive_report(module, zipped),
    )




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


def skipped_note(skipped: dict[str, Any]) -> tuple[str, ...]:
    """Say so when the inlined graph was counted but not extracted (an empty graph must never look like none)."""
    if not skipped:
        return ()
    return (f"The inlined graph has {skipped['inlined_skipped']:,} IR nodes, over the {MAX_INLINED_NODES:,} that "
            "can be drawn or sent: its op counts are kept, its nodes are not. Open one submodule at a time in the "
            "module graph instead.",)


def count_kinds(block: Any, kinds: Counter[str]) -> None:
    """Add every node kind of a graph or block, nested blocks included, to `kinds`."""
    for node in block.nodes():
        kinds[node.kind()] += 1
        for inner in node.blocks():
            count_kinds(inner, kinds)


def saved_archive(module: Any) -> dict[str, Any]:
    """The converted .pt for download, written by torch.jit.save straight to a job file (tsviz/model/jobfiles.py):
    the answer carries its name, size and digest, never its bytes, so a 124M-parameter model's 500 MB archive is
    neither copied in memory nor sent as JSON."""
    stage("convert", "saving the converted module (torch.jit.save)")
    saved = jobfiles.write("archive.pt", lambda path: torch.jit.save(module, path))
    return dict(archive=saved, archive_size=saved.size)


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
