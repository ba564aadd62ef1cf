"""tsviz deploy: the model run by Python, by a C++ program on LibTorch and by ONNX Runtime, side by side: outputs
checked against Python's, latency, throughput with T threads at once, and the C++ project to take home."""
from __future__ import annotations

import sys
from typing import Any

from tsviz.cli.common import print_json, request_of, run
from tsviz.client import runner
from tsviz.model.deploy import DeployRequest, DeployResult
from tsviz.model.errors import InputError
from tsviz.report import views


def deploy(args: Any) -> int:
    if args.threads < 1 or args.threads > 64:
        raise InputError(f"--threads {args.threads} is not between 1 and 64", file=str(args.file),
                         hint="e.g. --threads 4")
    if args.atol < 0 or args.rtol < 0:
        raise InputError(f"--atol {args.atol:g} --rtol {args.rtol:g}: a tolerance cannot be negative",
                         file=str(args.file), hint="e.g. --atol 1e-4 --rtol 1e-3")
    request = DeployRequest(request_of(args), threads=args.threads, onnx=not args.no_onnx, atol=args.atol,
                            rtol=args.rtol)
    built = runner.prepare()  # outside the sandbox: it compiles tsviz's own runner.cpp, once per machine
    if built.ok and not built.cached:
        print(f"tsviz: built the C++ runner in {built.seconds:.1f} s (cached for later runs)", file=sys.stderr)
    result: DeployResult = run(args, "deploy", request)
    if args.json:
        return print_json(views.deploy_data(result))
    print(f"{result.filename}: inputs {', '.join(result.inputs)}; C++ runner: {result.build_note}")
    for row in views.deploy_rows(result):
        print(f"  {row['rung']:<20} {'ok' if row['ok'] else 'NO':<3} diff {_num(row['max abs diff'], '.1e'):>8}  "
              f"median {_num(row['median ms'], '.3f'):>8} ms  p90 {_num(row['p90 ms'], '.3f'):>8} ms  "
              f"{row['throughput']}")
        if row["reason"]:
            print(f"      {row['reason']}")
    for note in result.notes:
        print(f"note: {note}")
    print(f"build it yourself, beside runner.cpp and CMakeLists.txt:\n{result.build_commands}")
    return 0


def _num(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)
