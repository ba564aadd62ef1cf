"""Load: 8 browser sessions at once against the real app, one of them uploading a file that hangs.

    python benchmarks/load.py [--sessions 8] [--bad hang|crash] [--no-nice-browsers] [--screenshots DIR] [--verbose]
    python benchmarks/load.py --class 30     a class: 30 sessions, each uploading its own small residual network

Starts `streamlit run app.py`, opens one page to warm the worker, then opens N headless Chromium sessions
(cold caches) and, once all show the default sample, has them upload at once: different sample models, and
for the last one a file that hangs at import (or segfaults). Each waits for its graph, or its error.
Meanwhile /_stcore/health is polled every 50 ms from a separate process. Prints, per session, the time from
upload to graph (or error) and whether it saw the "Waiting for the worker" notice; the health-check latencies
while the browsers open the app and while the jobs run; worker processes left after the run; and the
server's memory after the first page and after the run. The browsers run at nice 19 by default, as if they
were on the users' machines rather than on the server's two cores.

`--class N`: N sessions, each uploading a file of its own (the ResNet-style sample with the student's number in
a comment, so no two are the same job and the cache answers none of them), nothing that hangs.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support

from playwright.async_api import async_playwright  # noqa: E402
from support.app_process import running_app  # noqa: E402
from support.processes import job_processes  # noqa: E402

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


PROBE = """
import sys, time, urllib.request
url = sys.argv[1]
while True:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as answer:
            ok = answer.status == 200
    except OSError:
        ok = False
    print(f"{time.time():.3f} {time.perf_counter() - start if ok else -1:.5f}", flush=True)
    time.sleep(0.05)
"""


class HealthProbe:
    """GET /_stcore/health every 50 ms from a process of its own (so this script's own work cannot slow it)."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", PROBE, url], stdout=subprocess.PIPE, text=True)

    def stop(self) -> list[tuple[float, float]]:
        """(time, latency in seconds) per probe; a failed probe has latency inf."""
        self.process.terminate()
        out, _ = self.process.communicate()
        probes = [tuple(map(float, line.split())) for line in out.splitlines() if line.strip()]
        return [(t, lat if lat >= 0 else float("inf")) for t, lat in probes]


async def session(browser, url: str, path: Path, expect: str, shots: Path | None, together: asyncio.Barrier,
                  marks: dict) -> dict:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    opened = time.time()
    await page.goto(url)
    await page.wait_for_selector("svg g.node", timeout=120_000)  # the default sample, already converted
    await page.get_by_text("Upload a file").click()
    if await together.wait() == 0:  # every session has its page: now all upload at once
        marks["uploads"] = time.time()
    start, uploaded = time.perf_counter(), time.time()
    await page.locator("input[type=file]").set_input_files(str(path))
    saw_queue = False
    while True:
        text = await page.locator("section.main, [data-testid=stMain]").first.inner_text()
        if "Waiting for the worker" in text and not saw_queue:
            saw_queue = True
            if shots is not None:
                await page.screenshot(path=str(shots / f"{path.stem}-waiting.png"))
        if expect in text and (expect != f"{path.name} ·" or await page.locator("svg g.node").count()):
            break
        if time.perf_counter() - start > 240:
            raise TimeoutError(f"{path.name}: nothing after 240 s")
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - start
    if shots is not None:
        await page.screenshot(path=str(shots / f"{path.stem}.png"))
    await context.close()
    return {"file": path.name, "seconds": seconds, "saw_queue": saw_queue, "events": (opened, uploaded, time.time())}


async def drive(url: str, files: list[tuple[Path, str]], shots: Path | None, pid: int,
                marks: dict) -> tuple[list[dict], float]:
    """Warm up with one page, note the server's memory, then run every session at once."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                          args=CHROMIUM_ARGS)
        warm = await browser.new_page()
        await warm.goto(url)
        await warm.wait_for_selector("svg g.node", timeout=180_000)
        await warm.close()
        before = rss_mb(pid)
        marks["open"] = time.time()
        together = asyncio.Barrier(len(files))
        results = await asyncio.gather(*(session(browser, url, path, expect, shots, together, marks)
                                         for path, expect in files))
        marks["end"] = time.time()
        await browser.close()
        return list(results), before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--bad", choices=sorted(BAD), default="hang")
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--nice-browsers", action=argparse.BooleanOptionalAction, default=True,
                        help="run the browsers at nice 19, as if they were on the users' own machines (default)")
    parser.add_argument("--verbose", action="store_true", help="when each session opened, uploaded and finished")
    parser.add_argument("--class", dest="students", type=int, default=0, metavar="N",
                        help="a class of N sessions, each uploading its own small residual network")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp, running_app() as (url, process):
        files = []
        if args.students:  # each student's own file: the same network, a different job
            source = (SAMPLES / "resnet_style.py").read_text()
            for i in range(args.students):
                path = Path(tmp) / f"student_{i + 1:02d}_resnet.py"
                path.write_text(f"{source}\n# student {i + 1}\n")
                files.append((path, f"{path.name} ·"))
            bad_name = ""
        else:
            for name in GOOD[: args.sessions - 1]:
                shutil.copy(SAMPLES / name, Path(tmp) / name)
                files.append((Path(tmp) / name, f"{name} ·"))
            bad_name, bad_source, bad_expect = BAD[args.bad]
            (Path(tmp) / bad_name).write_text(bad_source)
            files.append((Path(tmp) / bad_name, bad_expect))

        probe = HealthProbe(url)
        time.sleep(1)
        if args.nice_browsers:  # the browsers (children of this script from here on) yield the CPU to the server
            os.nice(19)
        start = time.perf_counter()
        marks: dict = {}
        results, before = asyncio.run(drive(url, files, args.screenshots, process.pid, marks))
        wall = time.perf_counter() - start
        time.sleep(3)  # sessions closed: let the server drop them
        probes = probe.stop()
        after = rss_mb(process.pid)
        leftovers = job_processes(under=process.pid)

    print(f"{len(files)} sessions at once, " + (f"one uploading {bad_name} ({args.bad})" if bad_name else
          "each uploading its own file") + f"; wall {wall:.1f} s")
    t0 = probes[0][0]
    for r in sorted(results, key=lambda r: r["seconds"]):
        opened, uploaded, done = (t - t0 for t in r["events"])
        steps = f"  [opened {opened:.1f}, uploaded {uploaded:.1f}, done {done:.1f} s into the run]"
        print(
            f"  {r['file']:22s} {r['seconds']:6.2f} s from upload to {'error' if r['file'] == bad_name else 'graph'}"
            f"{'  (saw: waiting for the worker)' if r['saw_queue'] else ''}"
            f"{steps if args.verbose else ''}"
        )
    phases = [
        (f"{len(files)} cold browsers open the app", marks["open"], marks["uploads"]),
        ("all upload at once, until the last answer", marks["uploads"], marks["end"]),
    ]
    for label, begin, end in phases:
        lat = sorted(x * 1000 for t, x in probes if begin <= t <= end)
        ok = [x for x in lat if x != float("inf")]
        print(f"health check while {label} ({end - begin:.1f} s): {len(lat)} probes, {len(lat) - len(ok)} failed, "
              f"median {statistics.median(ok):.1f} ms, p99 {ok[int(0.99 * (len(ok) - 1))]:.1f} ms, max {ok[-1]:.1f} ms")
        slow = [(t - t0, x * 1000) for t, x in probes if begin <= t <= end and x > 0.1]
        if slow and args.verbose:
            print("  over 100 ms (s into the run: ms): " + ", ".join(f"{t:.1f}: {x:.0f}" for t, x in slow[:40]))
    print(f"worker processes left after the run: {len(leftovers)}")
    print(f"server memory (RSS): {before:.0f} MB after the first page, {after:.0f} MB after the run")


if __name__ == "__main__":
    main()
