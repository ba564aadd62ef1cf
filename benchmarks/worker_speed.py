"""Worker speed: a job in a fresh child of the warm fork server vs a fresh sandboxed interpreter per job.

    python benchmarks/worker_speed.py [--repeats 20]

Both go through the same sandbox (where bubblewrap works) and the same limits. "ping" is an empty job:
the cost of the queue, the fork, the limits, the clean-up and the JSON round trip. "inspect" converts the
feed-forward sample in script mode (made unique per run, so the result cache never answers).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tsviz import client
from tsviz.client import pool, sandbox
from tsviz.model.jobs import Limits
from tsviz.model.jsonio import to_data
from tsviz.model.types import InspectRequest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_models" / "feed_forward.py"


def inspect_request(i: int) -> InspectRequest:
    return InspectRequest("feed_forward.py", SAMPLE.read_bytes() + f"# run {i}\n".encode())


def warm(kind: str, i: int) -> float:
    start = time.perf_counter()
    if kind == "ping":
        client.ping()
    else:
        client.run("inspect", inspect_request(i))
    return time.perf_counter() - start


def fresh(kind: str, i: int) -> float:
    """The old way: start a sandboxed interpreter (it imports torch), run the one job, stop it."""
    job = (
        {"job": "ping", "request": None}
        if kind == "ping"
        else {"job": "inspect", "request": to_data(inspect_request(i))}
    )
    job["memory_mb"] = Limits().memory_mb
    start = time.perf_counter()
    server = pool._Server(sandboxed=True)
    try:
        header, _ = server.run(job, Limits())
        assert header["status"] == "done", header
    finally:
        server.stop()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"isolation: {sandbox.isolation()}")
    client.warm_up()
    client.ping()  # the pool is up
    print(f"{'job':8s} {'warm fork server':>18s} {'fresh interpreter':>18s}   (median of {args.repeats}, seconds)")
    for kind in ("ping", "inspect"):
        warm_times = [warm(kind, i) for i in range(args.repeats)]
        fresh_times = [fresh(kind, 1000 + i) for i in range(max(3, args.repeats // 4))]
        print(f"{kind:8s} {statistics.median(warm_times):18.4f} {statistics.median(fresh_times):18.4f}")
    pool.shared_pool().shutdown()


if __name__ == "__main__":
    main()
