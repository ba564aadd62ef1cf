"""tsviz migrate (also export-check): the ladder off TorchScript, each rung's verdict, blockers with their lines
and fixes, and the exported program written with --out."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tsviz.cli.common import option_file, print_json, request_of, run
from tsviz.client import files
from tsviz.model.types import MigrateRequest
from tsviz.report import views


def migrate(args: Any) -> int:
    request = MigrateRequest(request_of(args), aoti=args.aoti, apply_fixes=args.apply_fixes, **given_pt2(args))
    result = run(args, "migrate", request)
    if args.out is not None and result.program is not None:  # copied from the job file the server holds
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{Path(result.filename).stem}.pt2"
        files.copy(result.program, path)
        print(f"wrote {path} (torch.export.save; load it with torch.export.load)", file=sys.stderr)
    if args.json:
        return print_json(views.export_data(result))
    print(f"{result.filename}: " + ("exports with torch.export" if result.exported else "does not export")
          + f" (inputs: {', '.join(result.inputs)})")
    for note in result.notes:
        print(f"note: {note}")
    for row in views.ladder_rows(result):
        print(f"  {row['result']:<11} {row['rung']:<14} {row['seconds']:>7.2f} s  {row['outputs']}")
    for b in result.blockers:
        where = f":{b.line}" if b.line else ""
        first = f" (first written at {b.saved_from})" if b.saved_from else ""
        print(f"{result.filename}{where}: {b.kind} ({b.attempt}){first}: {b.message}\n    fix: {b.fix}")
    if result.suggested_fixes:
        done = "applied above" if args.apply_fixes else "rerun with --apply-fixes to apply them"
        print(f"torch's suggested fixes for a dynamic batch: {result.suggested_fixes} ({done})")
    return 0


def given_pt2(args: Any) -> dict:
    """--pt2 FILE: its bytes, checked here to be a .pt2 by its content, so a wrong file is refused before any job."""
    path: Path | None = getattr(args, "pt2", None)
    if path is None:
        return {}
    option_file(path, "--pt2", ("pt2",), "a program saved with torch.export.save",
                f"give the model first and its .pt2 after --pt2: tsviz migrate {args.file} --pt2 model.pt2")
    return dict(pt2=path.read_bytes(), pt2_name=path.name)
