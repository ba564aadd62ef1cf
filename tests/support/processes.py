"""Processes running a tsviz job, found in /proc: the tests and the load benchmark check none is left."""
from __future__ import annotations

import os


def job_processes(under: int | None = None) -> list[int]:
    """Processes running a job, or left over by one: every child of a fork server, and what they started.

    Idle fork servers have no children, so after every job this is empty (tests and the load benchmark check it).
    `under` limits the search to the descendants of one process (this one, or the app's), so other tsviz
    instances on the machine do not count; without it, a server orphaned to init counts too.
    """
    parents: dict[int, int] = {}
    servers = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
                if b"tsviz.worker.forkserver" in argv and not argv[0].endswith(b"bwrap"):  # bwrap's argv names it too
                    servers.add(int(name))
        except (OSError, ValueError, IndexError):
            continue
    found = {pid for pid, parent in parents.items()
             if parent in servers or (under is None and pid in servers and parent == 1)}
    found |= _descendants(found, parents)
    return sorted(found & ({under} | _descendants({under}, parents)) if under is not None else found)


def _descendants(roots: set[int], parents: dict[int, int]) -> set[int]:
    found: set[int] = set()
    frontier = set(roots)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found
