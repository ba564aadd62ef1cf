"""tsviz bench: eager, trace, script and frozen forms timed, one worker job per variant and device; pandas only
here (imported when the command runs, not at the command line's start)."""
from __future__ import annotations

import json
import sys
from typing import Any

from tsviz.cli.common import request_of, run
from tsviz.model.errors import InputError, TsvizError
from tsviz.model.jsonio import to_data


def bench(args: Any) -> int:
    from tsviz.report.bench import failed_rows, plan_jobs, rows_frame, summary_table, to_csv  # pandas, plotly

    request = request_of(args)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not run(args, "devices").cuda_devices:
        if args.device == "cuda":
            raise InputError("no CUDA GPU on this machine", hint="use --device cpu")
        devices = ["cpu"]
        print("tsviz: no CUDA GPU here; CPU only", file=sys.stderr)
    if request.weights_name:  # the rows carry no notes: say here which weights the timed model holds
        print(f"tsviz: the model holds the weights of {request.weights_name} (--weights)", file=sys.stderr)
    rows = []
    for job in plan_jobs(request, args.variants, devices, args.batch_sizes, args.seq_lens, args.threads,
                         args.min_run_time):
        print(f"tsviz: timing {job.variant} on {job.device}…", file=sys.stderr)
        try:
            rows += run(args, "bench", job).rows
        except TsvizError as e:  # this variant's worker failed: its rows say so, the others go on
            rows += failed_rows(job, e.one_line())
    frame = rows_frame(rows, run=request.filename)
    if args.csv:
        print(to_csv(frame), end="")
    elif args.json:
        print(json.dumps([to_data(row) for row in rows], indent=1))
    else:
        print(summary_table(frame).drop(columns=["run"]).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0
