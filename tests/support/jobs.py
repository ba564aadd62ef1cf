"""Jobs of the job table through the real sandboxed worker, by name, as the pages and the command line run them."""
from __future__ import annotations

from tsviz import client
from tsviz.model.jobs import Limits


def run_inspect(request, limits: Limits | None = None, **options):
    return client.run("inspect", request, limits=limits, **options)


def run_diff(request, limits: Limits | None = None, **options):
    return client.run("diff", request, limits=limits, **options)
