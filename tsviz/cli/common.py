"""What every command shares: running a job (in the sandboxed worker, or here with --in-process), the inspect
request the model options give, the inspect result or its error, and printing one JSON object."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from tsviz import client
from tsviz.client import sandbox
from tsviz.model.errors import InputError, TsvizError
from tsviz.model.filekinds import SOURCE_KINDS, refusal, sniff
from tsviz.model.inputs import parse_input_spec
from tsviz.model.jobs import job
from tsviz.model.types import InspectRequest, InspectResult
from tsviz.model.weights import WEIGHTS_FILE_KINDS


def run(args: Any, name: str, request: object = None) -> Any:
    """Job `name` of the job table: in the sandboxed worker, or here with --in-process."""
    spec = job(name)
    if getattr(args, "in_process", False):
        from tsviz.worker.run import call  # torch, and the user's code, in this process: asked for

        return call(spec, request)
    limits = spec.limits
    if not sandbox.status().works and spec.user_content:
        sandbox.announce()
    if getattr(args, "stage_timeout", None):
        limits = replace(limits, load_s=args.stage_timeout, convert_s=args.stage_timeout, run_s=args.stage_timeout)
    return client.run(name, request, limits=limits)


def request_of(args: Any, also: tuple[str, ...] = ()) -> InspectRequest:
    """The inspect request the model options give; a file of a kind this command does not open is refused here
    (`also`: kinds beyond the ones every command opens, as `tsviz archive` takes a torch.save file)."""
    path: Path = args.file
    if not path.is_file():
        raise InputError("no such file", file=str(path), hint="check the path")
    init = []
    for item in args.init:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--init {item!r} is not NAME=VALUE", file=str(path), hint="e.g. --init hidden=32")
        init.append((name.strip(), value))
    # a .py is read where it lies, in its project (the sandbox mounts the project read-only: tsviz.model.project)
    content = path.read_bytes()
    sniffed = sniff(content)  # by content, never by the suffix: a TorchScript .pth opens like a .pt
    if sniffed.kind not in also and (error := refusal(str(path), sniffed)) is not None:
        raise error
    local = str(path.resolve()) if sniffed.kind in SOURCE_KINDS else ""
    return replace(InspectRequest(
        filename=path.name, content=content, local_path=local, mode=getattr(args, "mode", "script"),
        entry=args.entry,
        init_args=tuple(init),
        input_specs=tuple(parse_input_spec(text) for text in args.input),
        trace_submodules=tuple(args.trace_submodules) if args.trace_submodules else None,
    ), **weights_of(args))


def weights_of(args: Any) -> dict[str, str]:
    """--weights FILE: its path (read where it lies, mounted read-only into the sandbox) and version; it is checked
    to be a weights file here, so a wrong one is refused before any job runs."""
    path: Path | None = getattr(args, "weights", None)
    if path is None:
        return {}
    option_file(path, "--weights", WEIGHTS_FILE_KINDS,
                "a state dict, a checkpoint, safetensors or a whole pickled model",
                "give the model file first and its torch.save file after --weights")
    info = path.stat()
    return dict(weights_path=str(path.resolve()), weights_name=path.name,
                weights_stamp=f"{info.st_size}:{info.st_mtime_ns}")


def option_file(path: Path, option: str, kinds: tuple[str, ...], takes: str, hint: str) -> None:
    """A file given to an option (--weights, --pt2), checked by its content before any job runs: missing, or of
    another kind, it is refused in one line naming the option."""
    if not path.is_file():
        raise InputError(f"no such file ({option})", file=str(path), hint="check the path")
    found = sniff(path)
    if found.kind not in kinds:
        raise InputError(f"{option} takes {takes}; this file is a {found.label}", file=str(path), hint=hint)


def converted(args: Any, request: InspectRequest | None = None) -> InspectResult:
    """The inspect job's result; a conversion that failed raises its error."""
    result = run(args, "inspect", request or request_of(args))
    if result.error is not None:
        raise TsvizError.from_info(result.error)
    return result


def print_json(data: object, allow_nan: bool = True) -> int:
    print(json.dumps(data, indent=1, allow_nan=allow_nan))
    return 0
