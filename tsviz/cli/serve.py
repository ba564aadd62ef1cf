"""tsviz serve FILE (also `tsviz FILE`): the dashboard in this process, on a local file when one is given."""
from __future__ import annotations

from typing import Any

from tsviz.cli.common import weights_of
from tsviz.model.errors import InputError
from tsviz.model.filekinds import PROGRAM_KINDS, SOURCE_KINDS, WEIGHT_KINDS, refusal, sniff


def serve(args: Any) -> int:
    """The dashboard in this process (tsviz/ui/serve.py), on a local file when one is given."""
    from tsviz.ui.serve import serve

    if args.file is not None:  # refuse a missing file, or a kind the dashboard does not open, now
        if not args.file.is_file():
            raise InputError("no such file", file=str(args.file), hint="check the path")
        sniffed = sniff(args.file)
        if sniffed.kind not in (*WEIGHT_KINDS, *PROGRAM_KINDS) and (error := refusal(str(args.file), sniffed)):
            raise error  # saved tensors open too (the Archive page lists them), and .pt2 (the Graph & code page)
    if args.weights is not None:  # a .py's weights: checked now (its path and kind), mounted into the sandbox
        if args.file is None or sniff(args.file).kind not in SOURCE_KINDS:
            raise InputError("--weights goes with a .py model file: the weights are loaded into the model it builds",
                             file=str(args.weights), hint="tsviz model.py --weights weights.pth")
        weights_of(args)
    serve(args.file, args.port, args.address, open_browser=not args.no_browser)
    return 0
