"""The command line: tsviz inspect | diff | bench | report | passes | archive | migrate | render | serve.

Every command runs its job through the same sandboxed worker as the dashboard (tsviz.client), with the same
limits and messages: a file given here is as contained as one uploaded to the page. `--in-process` runs the
job here instead, for debugging one's own file. A user error exits 2 with one line on stderr.

One module per command group: common (running a job, the request, JSON), inspect (inspect, render, report),
compare (diff), bench, archive (archive, passes), migrate, serve; commands holds the table and `main`; parser
the arguments. This file only hands `main` on.
"""
from tsviz.cli.commands import main

__all__ = ["main"]
