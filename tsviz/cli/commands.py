"""`main`: the command table (one function per sub-command, from its command group's module), the jobs each
command's worker preloads, and the one place a user error becomes exit status 2 with one line on stderr."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from tsviz import client
from tsviz.cli import archive, bench, compare, deploy, inspect, migrate, serve
from tsviz.cli.parser import build_parser
from tsviz.client import sandbox
from tsviz.model.errors import TsvizError
from tsviz.model.project import is_source

COMMANDS = {
    "serve": serve.serve,
    "inspect": inspect.inspect,
    "diff": compare.diff,
    "bench": bench.bench,
    "report": inspect.report,
    "passes": archive.passes,
    "archive": archive.archive,
    "migrate": migrate.migrate,
    "render": inspect.render,
    "deploy": deploy.deploy,
}
JOBS_OF = {"inspect": ("inspect",), "diff": ("diff",), "bench": ("bench", "devices"), "report": ("inspect", "diff"),
           "passes": ("passes",), "archive": ("inspect", "weights"), "migrate": ("migrate",), "render": ("inspect",),
           "deploy": ("deploy",), "serve": ()}  # () : every job


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-") and Path(argv[0]).is_file():
        argv = ["serve", *argv]  # `tsviz FILE`, as `netron FILE`
    args = build_parser().parse_args(argv)
    file = getattr(args, "file", None)
    if args.command != "serve" and isinstance(file, Path) and file.is_file() and is_source(file):
        os.environ[sandbox.LOCAL_ENV] = str(file.resolve())  # its project is what this command's sandbox mounts
    weights = getattr(args, "weights", None)
    if isinstance(weights, Path) and weights.is_file():
        os.environ[sandbox.WEIGHTS_ENV] = str(weights.resolve())  # mounted read-only beside the model file
    client.preload(JOBS_OF[args.command])  # the worker starts with only what this command runs
    try:
        return COMMANDS[args.command](args)
    except TsvizError as e:
        print(f"tsviz: error: {e.one_line()}", file=sys.stderr)
        return 2
