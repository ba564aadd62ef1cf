"""What giving a .py its weights costs the inspect job: none, an upload's bytes, or a local file's path.

    python benchmarks/weights_load.py [--width 2048] [--layers 6] [--repeats 3]

The page holds an upload in the server's job-file store and hands it to each job as a file ("held file"); the
bytes case is the same weights sent inside the job's JSON, as the first version of the Weights uploader did.
A .py builds an MLP of `layers` square Linear layers of `width` (6 x 2048 x 2048: 25M parameters, a 100 MB state
dict); its state dict is saved once. Each job goes through the real worker pool (sandboxed where bubblewrap
works) with a fresh file (a comment line) so the result cache never answers; script mode, so the job is the
import, the build, the weights' load and the conversion. The path case mounts the weights read-only into the
sandbox (as `tsviz FILE --weights W` does): its bytes never travel in the job. Medians of the repeats, seconds.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

MODEL = '''import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, width: int = {width}, layers: int = {layers}):
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(width, width) for _ in range(layers)])

    def forward(self, x):
        return self.layers(x)
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch
    from torch import nn

    folder = Path(tempfile.mkdtemp(prefix="tsviz-weights-bench-"))
    model = nn.Sequential(*[nn.Linear(args.width, args.width) for _ in range(args.layers)])
    buffer = io.BytesIO()
    torch.save({f"layers.{k}": v for k, v in model.state_dict().items()}, buffer)
    weights = buffer.getvalue()
    (folder / "mlp.pth").write_bytes(weights)
    from tsviz.client import sandbox

    os.environ[sandbox.WEIGHTS_ENV] = str(folder / "mlp.pth")  # before the pool starts: its sandbox mounts it
    from tsviz import client
    from tsviz.client import files
    from tsviz.model.types import InspectRequest

    source = MODEL.format(width=args.width, layers=args.layers)
    info = (folder / "mlp.pth").stat()
    cases = {
        "no weights": {},
        "upload (bytes)": dict(weights=weights, weights_name="mlp.pth"),
        "upload (held file)": dict(weights_file=files.hold(weights, "weights.bin"), weights_name="mlp.pth"),
        "local file (path)": dict(weights_path=str(folder / "mlp.pth"), weights_name="mlp.pth",
                                  weights_stamp=f"{info.st_size}:{info.st_mtime_ns}"),
    }
    print(f"{sandbox.isolation()}\nMLP {args.layers} x {args.width}^2: {sum(p.numel() for p in model.parameters()):,} "
          f"parameters, state dict {len(weights) / 2**20:.0f} MB")
    client.ping()  # the pool warm first
    run = 0
    for name, fields in cases.items():
        times = []
        for _ in range(args.repeats):
            run += 1
            request = InspectRequest("mlp.py", f"{source}# run {run}\n".encode(), **fields)
            start = time.perf_counter()
            result = client.run("inspect", request)
            times.append(time.perf_counter() - start)
            assert result.error is None, result.error
            assert (result.weights is None) == (not fields), result.weights
        print(f"{name:18s} {statistics.median(times):6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
