"""How long the Passes, Archive and Migrate pages wait for the worker, per sample.

    python benchmarks/analysis_speed.py [--repeats 3]

Each job goes through the real worker pool (sandboxed where bubblewrap works), and each run's file is made
unique (a comment line) so the result cache never answers. "passes" runs the whole default pipeline,
"archive" loads the sample's saved script-mode archive and reads its report (as an upload of it would),
"migrate" climbs the migration ladder (script, three torch.export attempts, draft_export; no AOTInductor).
Also printed: the size of each job's JSON answer, which the dashboard parses.
Medians of the repeats, in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from tsviz import client
from tsviz.client import sandbox
from tsviz.model.jsonio import to_data
from tsviz.model.types import InspectRequest, MigrateRequest, PassRequest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
MODELS = ("feed_forward.py", "resnet_style.py", "transformer_encoder.py", "transformer_12_layers.py")


def request(name: str, run: int) -> InspectRequest:
    return InspectRequest(name, (SAMPLES / name).read_bytes() + f"\n# run {run}\n".encode())


def jobs_for(name: str, run: int) -> dict:
    """Job name -> a function that runs it once and returns its result."""
    archive = client.files.read(client.run("inspect", request(name, run)).archive)  # made outside the timing
    return {
        "passes": lambda: client.run("passes", PassRequest(request(name, run))),
        # as an upload of it: the page's limits
        "archive": lambda: client.run("inspect", InspectRequest(f"{name}.pt", archive)),
        "migrate": lambda: client.run("migrate", MigrateRequest(request(name, run))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"isolation: {sandbox.isolation()}")
    client.warm_up()
    client.ping()  # the pool is up
    print(f"{'model':26s} {'job':8s} {'median s':>9s} {'runs':>22s} {'answer MB':>10s}")
    for name in MODELS:
        times: dict[str, list[float]] = {}
        sizes: dict[str, float] = {}
        for run in range(args.repeats):
            for job, go in jobs_for(name, run).items():
                start = time.perf_counter()
                result = go()
                times.setdefault(job, []).append(time.perf_counter() - start)
                sizes[job] = len(json.dumps(to_data(result, bytes_as=lambda b: "x" * (len(b) * 4 // 3)))) / 1e6
        for job, values in times.items():
            runs = ", ".join(f"{v:.2f}" for v in values)
            print(f"{name:26s} {job:8s} {statistics.median(values):9.2f} {runs:>22s} {sizes[job]:10.2f}")


if __name__ == "__main__":
    main()
