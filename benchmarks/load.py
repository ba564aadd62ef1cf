"""Load: 8 browser sessions at once against the real app, one of them uploading a file that hangs.

    python benchmarks/load.py [--sessions 8] [--bad hang|crash] [--screenshots DIR]

Starts `streamlit run app.py`, opens one page to warm the worker, then drives N headless Chromium sessions at
once. Each uploads a different sample model (the bad one a file that hangs at import, or segfaults) and waits
for its graph, or for its error. Meanwhile /_stcore/health is polled every 50 ms. Prints, per session, the time
from upload to graph (or error) and whether it saw the "Waiting for the worker" notice; the health-check
latencies; worker processes left after the run; and the server's memory before and after.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import async_playwright  # noqa: E402

from tsviz.app_process import running_app  # noqa: E402
from tsviz.jobs import job_processes  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
GOOD = ["feed_forward.py", "free_functions.py", "hybrid.py", "len_vs_shape.py", "loop_over_dim.py",
        "recurrent_cell.py", "resnet_style.py", "device_baked.py"]
BAD = {
    "hang": ("hangs.py", "import time\n\nwhile True:\n    time.sleep(0.01)\n", "timed out after"),
    "crash": ("crashes.py", "import ctypes\n\nctypes.string_at(0)\n", "crashed (SIGSEGV)"),
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class HealthProbe(threading.Thread):
    """GET /_stcore/health every 50 ms; keeps each latency (a failure counts as infinite)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.latencies, self.done = url, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as answer:
                    ok = answer.status == 200
            except OSError:
                ok = False
            self.latencies.append(time.perf_counter() - start if ok else float("inf"))
            self.done.wait(0.05)


async def session(browser, url: str, path: Path, expect: str, shots: Path | None) -> dict:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_selector("svg g.node", timeout=120_000)  # the default sample, already converted
    await page.get_by_text("Upload a file").click()
    start = time.perf_counter()
    await page.locator("input[type=file]").set_input_files(str(path))
    saw_queue = False
    while True:
        text = await page.locator("section.main, [data-testid=stMain]").first.inner_text()
        saw_queue = saw_queue or "Waiting for the worker" in text
        if expect in text and (expect != f"{path.name} ·" or await page.locator("svg g.node").count()):
            break
        if time.perf_counter() - start > 240:
            raise TimeoutError(f"{path.name}: nothing after 240 s")
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - start
    if shots is not None:
        await page.screenshot(path=str(shots / f"{path.stem}.png"))
    await context.close()
    return {"file": path.name, "seconds": seconds, "saw_queue": saw_queue}


async def drive(url: str, files: list[tuple[Path, str]], shots: Path | None, pid: int) -> tuple[list[dict], float]:
    """Warm up with one page, note the server's memory, then run every session at once."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                          args=CHROMIUM_ARGS)
        warm = await browser.new_page()
        await warm.goto(url)
        await warm.wait_for_selector("svg g.node", timeout=180_000)
        await warm.close()
        before = rss_mb(pid)
        results = await asyncio.gather(*(session(browser, url, path, expect, shots) for path, expect in files))
        await browser.close()
        return list(results), before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--bad", choices=sorted(BAD), default="hang")
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp, running_app() as (url, process):
        files = []
        for name in GOOD[: args.sessions - 1]:
            shutil.copy(SAMPLES / name, Path(tmp) / name)
            files.append((Path(tmp) / name, f"{name} ·"))
        bad_name, bad_source, bad_expect = BAD[args.bad]
        (Path(tmp) / bad_name).write_text(bad_source)
        files.append((Path(tmp) / bad_name, bad_expect))

        probe = HealthProbe(url)
        probe.start()
        time.sleep(1)
        start = time.perf_counter()
        results, before = asyncio.run(drive(url, files, args.screenshots, process.pid))
        wall = time.perf_counter() - start
        time.sleep(3)  # sessions closed: let the server drop them
        probe.done.set()
        probe.join()
        after = rss_mb(process.pid)
        leftovers = job_processes()

    print(f"{len(files)} sessions at once, one uploading {bad_name} ({args.bad}); wall {wall:.1f} s")
    for r in sorted(results, key=lambda r: r["seconds"]):
        print(f"  {r['file']:22s} {r['seconds']:6.2f} s{'  (waited in the queue)' if r['saw_queue'] else ''}")
    lat = sorted(x * 1000 for x in probe.latencies)
    failed = sum(1 for x in lat if x == float("inf"))
    ok = [x for x in lat if x != float("inf")]
    print(f"health check: {len(lat)} probes, {failed} failed, median {statistics.median(ok):.1f} ms, "
          f"p99 {ok[int(0.99 * (len(ok) - 1))]:.1f} ms, max {ok[-1]:.1f} ms")
    print(f"worker processes left after the run: {len(leftovers)}")
    print(f"server memory (RSS): {before:.0f} MB after the first page, {after:.0f} MB after the run")

if __name__ == "__main__":
    main()
