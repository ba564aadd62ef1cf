"""Large archives: `tsviz FILE` against Netron on the same real-size TorchScript files, in the same run.

    python -m venv --system-site-packages .bench && .bench/bin/pip install transformers netron
    .bench/bin/python benchmarks/large_archives.py [--cache DIR] [--repeats 3]

The archives are built here from configs with random weights (no download): BERT-base and GPT-2 traced with
`transformers` (torchscript=True), and a scripted 12-layer, 768-wide nn.TransformerEncoder. For each file, each
viewer is started on it (not timed), then a fresh headless Chromium page opens it and the time until its graph is
drawn is measured (median of the repeats). For tsviz also: the dashboard process's memory (RSS) before the page and
its peak after, and the worker's peak (the largest job child seen, polled every 50 ms).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def build(cache: Path) -> list[Path]:
    import torch
    from torch import nn
    from transformers import BertConfig, BertModel, GPT2Config, GPT2Model

    class Hidden(nn.Module):
        """The model's last hidden state as a plain tensor (transformers returns an output object otherwise)."""

        def __init__(self, model: nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=ids, use_cache=False, return_dict=False)[0]

    cache.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    ids = torch.randint(0, 1000, (1, 128))
    makers = {
        "bert_base.pt": lambda: torch.jit.trace(BertModel(BertConfig(torchscript=True)).eval(), (ids,), strict=False),
        "gpt2.pt": lambda: torch.jit.trace(Hidden(GPT2Model(GPT2Config(torchscript=True))).eval(), (ids,),
                                           strict=False),
        "encoder_12x768.pt": lambda: torch.jit.script(nn.TransformerEncoder(
            nn.TransformerEncoderLayer(768, 12, 3072, batch_first=True), 12, enable_nested_tensor=False).eval()),
    }
    paths = []
    for name, make in makers.items():
        path = cache / name
        if not path.exists():
            with torch.no_grad():
                torch.jit.save(make(), str(path))
        paths.append(path)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url}")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parents[int(name)] = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


class WorkerPeak(threading.Thread):
    """The largest RSS of any process under the server (its fork servers' job children) while it runs."""

    def __init__(self, server: int) -> None:
        super().__init__(daemon=True)
        self.server, self.peak, self.stop = server, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max([self.peak] + [rss_mb(p) for p in descendants(self.server)])
            time.sleep(0.05)


def time_page(url: str, selector: str, consent: str = "") -> float:
    """Seconds from opening `url` until `selector` is drawn (clicking the `consent` button on the way, inside the
    timing, as a person must)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        start = time.perf_counter()
        page.goto(url)
        if consent:
            page.get_by_text(consent, exact=True).click(timeout=300_000)
        page.wait_for_selector(selector, timeout=300_000)
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def tsviz_run(path: Path) -> tuple[float, float, float, float]:
    """(seconds to the drawn graph, server RSS before the page, server peak RSS, worker peak RSS), MB."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tsviz", str(path), "--no-browser", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health")
        time.sleep(10)  # the worker pool, started with the server, has imported torch and every job's modules
        before = rss_mb(server.pid)
        peak = WorkerPeak(server.pid)
        peak.start()
        seconds = time_page(f"http://127.0.0.1:{port}/", "svg g.node")
        peak.stop.set()
        return seconds, before, rss_mb(server.pid, "VmHWM"), peak.peak
    finally:
        server.terminate()
        server.wait()


def netron_run(path: Path) -> float:
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "netron"), str(path), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{port}/")
        return time_page(f"http://localhost:{port}/", "#canvas g.node", consent="Accept")  # its cookie notice
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tsviz-large-archives"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="one archive's name (bert_base.pt, gpt2.pt, encoder_12x768.pt)")
    args = parser.parse_args()
    paths = [p for p in build(args.cache) if not args.only or p.name == args.only]
    print("| archive | size | tsviz: page to graph | Netron: page to graph | dashboard RSS before → peak | "
          "worker peak RSS |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        runs = [tsviz_run(path) for _ in range(args.repeats)]
        netron = [netron_run(path) for _ in range(args.repeats)]
        seconds = statistics.median(r[0] for r in runs)
        before = statistics.median(r[1] for r in runs)
        peak = statistics.median(r[2] for r in runs)
        worker = statistics.median(r[3] for r in runs)
        print(f"| {path.name} | {path.stat().st_size / 1e6:.0f} MB | {seconds:.2f} s | "
              f"{statistics.median(netron):.2f} s | {before:.0f} → {peak:.0f} MB | {worker:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
