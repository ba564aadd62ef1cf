"""A torch.package archive -> PackageResult: loaded with torch.package.PackageImporter in the worker, its modules
and pickles listed, and the picked pickle's model inspected: a ScriptModule like a TorchScript archive (it is saved
with torch.jit.save and read by the inspect job's own code), an eager nn.Module like a .py, its interned source the
source view (the package's importer names that source's lines, so the graph's nodes link to them)."""
from __future__ import annotations

import inspect
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tsviz.analysis.convert import convert, describe
from tsviz.analysis.inspect_model import graphs, inspect_file, module_code, module_views, saved_archive, skipped_note
from tsviz.analysis.outputs import error_text
from tsviz.load.guess import guess_inputs, value_from_spec
from tsviz.load.modelfile import Origin, private_copy
from tsviz.load.sniff import require_kind
from tsviz.model.errors import ArchiveError, InputError, TsvizError
from tsviz.model.package import PackageResult, PackedPickle
from tsviz.model.stages import stage
from tsviz.model.types import InspectRequest, InspectResult, Param

MAX_PICKLES = 32  # pickles loaded to say what they hold; a package with more lists the rest unloaded
_PACKAGE_PREFIX = "<torch_package_"


def view_package(request: InspectRequest) -> PackageResult:
    """List the package and inspect the pickle `request.entry` names (default: the first that holds a model)."""
    with private_copy(request) as path:
        require_kind(path, request.filename, ("package",))
        importer = open_package(path, request.filename)
        records = importer.zip_reader.get_all_records()
        own = [r for r in records if not r.startswith(".data/") and r != "byteorder"]
        externs = tuple(importer.zip_reader.get_record(".data/extern_modules").decode().split())
        stage("load", f"loading the pickles of {request.filename}")
        # by content, never the name: save_pickle("uk-accentor", "model", obj) writes a pickle called "model"
        pickled = [r for r in own if not r.endswith(".py") and _is_pickle(importer, r)]
        loaded = {r: _load(importer, r) for r in pickled[:MAX_PICKLES]}
        loaded |= _held_models(loaded)
        pickled = [name for r in pickled for name in [r, *sorted(k for k in loaded if k.startswith(f"{r}:"))]]
        pickles = tuple(_describe(r, *loaded[r]) if r in loaded else PackedPickle(r, "", "", "not loaded: over "
                        f"{MAX_PICKLES} pickles") for r in pickled)
        models = [p.resource for p in pickles if p.drawn]
        if request.entry and request.entry not in models:
            raise InputError(f"{request.entry!r} is not a pickled model in this package", file=request.filename,
                             hint=f"its models: {', '.join(models) or 'none'}")
        picked = request.entry or (models[0] if models else "")
        model, source_file = (_inspect(request, picked, loaded[picked][0], importer) if picked else (None, ""))
    notes = () if models else ("No pickle of this package holds a TorchScript module or an nn.Module: there is "
                               "nothing to draw; its files are listed.",)
    return PackageResult(filename=request.filename, modules=tuple(r for r in own if r.endswith(".py")),
                         externs=externs, pickles=pickles,
                         other_files=tuple(r for r in own if not r.endswith(".py") and r not in pickled),
                         picked=picked,
                         model=model, source_file=source_file, notes=notes)


def open_package(path: Path, filename: str) -> Any:
    stage("load", f"opening {filename} with torch.package.PackageImporter")
    try:
        return torch.package.PackageImporter(str(path))
    except Exception as e:
        raise ArchiveError(f"torch.package.PackageImporter could not open this package: {error_text(e)}",
                           file=filename, hint="copy it again, or save it again with torch.package.PackageExporter",
                           detail=str(e)[:2000]) from e


def _is_pickle(importer: Any, resource: str) -> bool:
    """A pickle of protocol 2 or later starts with PROTO (0x80) and its number; PackageExporter writes 3 or 4."""
    try:
        return importer.zip_reader.get_record(resource)[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04",
                                                                 b"\x80\x05")
    except Exception:  # a record the reader cannot give is listed as a file, not loaded
        return False


def _held_models(loaded: dict[str, tuple[Any, str]]) -> dict[str, tuple[Any, str]]:
    """Models a pickled plain object keeps in its attributes (a published accentor pickles its Accentor, whose
    .model is the nn.Module), each as "resource:attribute"."""
    held = {}
    for resource, (obj, error) in loaded.items():
        if error or isinstance(obj, nn.Module) or not hasattr(obj, "__dict__"):
            continue
        for name, value in vars(obj).items():
            if isinstance(value, nn.Module):
                held[f"{resource}:{name}"] = (value, "")
    return held


def _load(importer: Any, resource: str) -> tuple[Any, str]:
    package, _, name = resource.rpartition("/")
    try:
        return importer.load_pickle(package.replace("/", "."), name), ""
    except Exception as e:  # an extern module this worker lacks, a mocked one: said on its row
        return None, error_text(e)


def _describe(resource: str, obj: Any, error: str) -> PackedPickle:
    if error:
        return PackedPickle(resource, "", "", error)
    kind = type(obj)
    name = f"{kind.__module__}.{kind.__qualname__}"
    name = name.split(">.", 1)[1] if name.startswith(_PACKAGE_PREFIX) else name  # "<torch_package_0>.accent.Accent"
    if isinstance(obj, torch.jit.ScriptModule):
        return PackedPickle(resource, "ScriptModule", getattr(obj, "original_name", name))
    return PackedPickle(resource, "nn.Module" if isinstance(obj, nn.Module) else kind.__name__, name)


def _inspect(request: InspectRequest, resource: str, obj: Any, importer: Any) -> tuple[InspectResult, str]:
    shown = f"{request.filename}:{resource}"
    if isinstance(obj, torch.jit.ScriptModule):  # saved as the archive it is, then read like any other
        buffer = io.BytesIO()
        torch.jit.save(obj, buffer)
        result = inspect_file(InspectRequest(f"{Path(resource).stem}.pt", buffer.getvalue()))
        return replace(result, filename=shown, notes=(f"The TorchScript module pickled as {resource}.",
                                                      *result.notes)), ""
    return _inspect_eager(request, shown, obj, importer)


def _inspect_eager(request: InspectRequest, shown: str, model: nn.Module, importer: Any) -> tuple[InspectResult, str]:
    """An eager module converted in the request's mode, as a .py would be; its class's interned file as the source."""
    path = inspect.getsourcefile(type(model)) or ""  # "<torch_package_0>.accent.py", where linecache has it
    module_file = path.split(">.", 1)[1] if path.startswith(_PACKAGE_PREFIX) else ""
    source = importer.zip_reader.get_record(module_file).decode("utf-8", errors="replace") if module_file else ""
    origin = Origin(path=path, name=module_file or shown)
    known: dict[str, Any] = dict(filename=shown, kind="py", mode=request.mode, entry=type(model).__name__, entries=(),
                                 doc=(inspect.getdoc(type(model)) or "").strip(), source=source)
    model.eval()
    try:
        inputs, notes = (None, ()) if request.mode == "script" else _inputs(request, model, origin)
        stage("convert", f"converting {shown} with {request.mode}")
        converted = convert(model, request.mode, inputs, origin)
    except TsvizError as e:
        return InspectResult(**known, error=e.info()), module_file
    graph, inlined, skipped = graphs(converted.module, origin, converted.traced)
    return InspectResult(**known, code=module_code(converted.module), graph=graph, inlined=inlined, **skipped,
                         notes=(*notes, *converted.notes, *skipped_note(skipped)),
                         warnings=tuple(converted.warnings), trace_submodules=converted.traced,
                         input_shapes=tuple(describe(x) for x in inputs) if inputs is not None else (),
                         **saved_archive(converted.module),
                         views=module_views(converted.module, origin, converted.traced)), module_file


def _inputs(request: InspectRequest, model: nn.Module, origin: Origin) -> tuple[tuple, tuple[str, ...]]:
    """The request's inputs, else the first of tsviz's guesses (from forward's parameters and the layers that take
    them) that the model runs on."""
    generator = torch.Generator().manual_seed(0)
    names = {"torch": torch, "model": model}
    if request.input_specs:
        return tuple(value_from_spec(s, generator, names, origin.name) for s in request.input_specs), ()
    params = [Param(p.name, default=None if p.default is inspect.Parameter.empty else repr(p.default))
              for p in inspect.signature(model.forward).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    stage("run", f"trying guessed inputs on {origin.name}")
    for specs in guess_inputs(model, params):
        values = tuple(value_from_spec(s, generator, names, origin.name) for s in specs)
        try:
            with torch.no_grad():
                model(*values)
        except Exception:  # a guess the model refuses: the next one
            continue
        return values, (f"Inputs: {', '.join(describe(x) for x in values)}, guessed from forward's parameters; "
                        "give others with --input (or the page's input fields).",)
    raise InputError(f"could not find inputs {origin.name}'s {type(model).__name__} runs on", file=request.filename,
                     hint="give them: --input 2x16 on the command line, or use script mode, which runs nothing")
