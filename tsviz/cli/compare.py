"""tsviz diff: eager, trace and script on many inputs, each mode's verdict, and the trace's hazards."""
from __future__ import annotations

from typing import Any

from tsviz.cli.common import print_json, request_of, run
from tsviz.graph.hazards import KINDS, SEVERITY_TITLES, counted, grouped_notes
from tsviz.graph.verdict import case_rows
from tsviz.model.types import DiffRequest
from tsviz.report import views


def diff(args: Any) -> int:
    result = run(args, "diff", DiffRequest(request_of(args), hybrid=args.hybrid, seed=args.seed))
    data = views.diff_data(result, args.atol, args.rtol)
    if args.json:
        return print_json(data, allow_nan=False)
    print(f"{result.filename}: {result.entry} · seed {result.seed} · "
          f"tolerance atol {args.atol:g} or rtol {args.rtol:g}")
    for note in result.notes:
        print(f"note: {note}")
    for judged in data["verdict"].values():
        print(judged["summary"])
    print()
    for row in case_rows(result, args.atol, args.rtol):
        cells = [f"{mode}: {row[mode]}" for mode in data["verdict"] if mode in row]
        print(f"{row['#']:2d}. {row['input']} [{row['shapes']}]  " + "  ".join(cells))
    hazards = counted(result.hazards)
    if hazards:
        print("\nhazards:")
    for h in hazards:
        print(f"  {result.filename}:{h.line}: {SEVERITY_TITLES[h.severity]} · {KINDS[h.kind].title}: {h.message}\n"
              f"      fix: {h.fix}")
    notes = grouped_notes(result.hazards)
    if notes:
        print("\nnotes (harmless for inference, not counted as hazards):")
    for group in notes:
        print(f"  {group.summary()}")
    return 0
