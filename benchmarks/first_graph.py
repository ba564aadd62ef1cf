"""The first graph, as a new user meets it: `tsviz serve` started, a fresh Chromium page opened, the graph drawn.

    python benchmarks/first_graph.py [--runs 3] [--netron PATH] [--no-pages] [--fresh-cache]

Each run starts `python -m tsviz serve --no-browser --port P` (the opening sample) and a fresh headless Chromium
page (1400x900, its own context: no cache) the moment /_stcore/health answers, and splits the time to the drawn
graph (the first `svg g.node` of the graph viewer) into:

- process start → health: the command until /_stcore/health answers;
- HTML + static assets: the page opened until its websocket is open (Streamlit's HTML, JS and CSS);
- websocket open → first script run: until the server's first message of the run (new_session);
- script run: until the run's script_finished message (imports, the job, layout, SVG, widgets);
- graph visible: from then until the graph's first node is in the page (negative: drawn before the run ended).

The browser side is timed in the page (performance.now() at the websocket's open and each message, and a
MutationObserver for the graph); the messages' types are read from their protobufs. Then, on the same page, each
other page's first view: click its link in the sidebar → its content (Trace vs script's output table, Benchmarks'
form, Passes', Archive's, Migrate's and Deploy's tables). Prints medians of the runs.

A second fresh server per run gives "page opened → graph drawn" for a first visitor who comes once the server has
settled (--settle seconds after health, 10 by default, as benchmarks/large_archives.py waits).

Netron (`--netron PATH`, its executable: `python -m venv /work/netron-venv && /work/netron-venv/bin/pip install
netron==9.3.3`; it is a requirement of this benchmark only): the same sample scripted and saved with torch.jit.save,
`netron FILE --port P` started and a fresh page opened on it at once; start → graph drawn (its `#canvas g.node`,
its cookie notice accepted inside the timing, as a person must), in the same run; the ratio is printed. Without the
option (or the file) that part is skipped with a note.

The start cache (tsviz/client/startcache.py) makes a later start find the opening sample's view on disk;
--fresh-cache points each server at an empty one (every start is a first start on this machine).
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SAMPLE = ROOT / "sample_models" / "data_dependent_if.py"
GRAPH = ".tsviz-graph svg g.node"
# each page's first view: the link in the sidebar, then what shows its content has come
PAGES = {
    "Trace vs script": "text=Outputs on",
    "Benchmarks": "button:has-text('Run benchmark')",
    "Passes": "[data-testid=stMain] [data-testid=stDataFrame]",
    "Archive": "[data-testid=stMain] [data-testid=stDataFrame]",
    "Migrate": "[data-testid=stMain] [data-testid=stDataFrame]",
    "Deploy": "[data-testid=stMain] [data-testid=stDataFrame]",
}
# In the page: epoch milliseconds of the websocket's creation and open, of each message (with its size), and of
# the first node of a drawn graph.
PROBE = """
(() => {
  const t = window.__tsviz = { messages: [] };
  const now = () => performance.timeOrigin + performance.now();
  const Original = window.WebSocket;
  window.WebSocket = class extends Original {
    constructor(...args) {
      super(...args);
      if (String(args[0]).includes('/_stcore/stream')) {
        t.created = t.created || now();
        this.addEventListener('open', () => { t.open = t.open || now(); });
        this.addEventListener('message', () => t.messages.push(now()));
      }
    }
  };
  // the viewer draws in its component's shadow root, out of a MutationObserver's sight: looked for every 10 ms
  const find = (root) => root.querySelector('.tsviz-graph svg g.node') ||
    [...root.querySelectorAll('*')].some((e) => e.shadowRoot && find(e.shadowRoot));
  const poll = setInterval(() => { if (find(document)) { t.graph = now(); clearInterval(poll); } }, 10);
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_until(url: str, process: subprocess.Popen, timeout: float = 120.0) -> float:
    """Epoch seconds when `url` first answered (polled every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"nothing answered at {url}")
        time.sleep(0.01)
    return time.time()


def message_types(frames: list[bytes]) -> list[str]:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    types = []
    for frame in frames:
        try:
            types.append(ForwardMsg.FromString(frame).WhichOneof("type") or "")
        except Exception:  # noqa: BLE001 - a frame that is not a ForwardMsg
            types.append("")
    return types


def serve(env: dict[str, str], root: Path) -> tuple[subprocess.Popen, str, float, float]:
    """(process, url, epoch seconds at the command, epoch seconds at health): the tsviz of `root`'s checkout."""
    port = free_port()
    started = time.time()
    log = tempfile.NamedTemporaryFile(prefix="tsviz-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "tsviz", "serve", "--no-browser", "--port", str(port)],
                               cwd=root, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log.name
    url = f"http://127.0.0.1:{port}"
    return process, url, started, wait_until(f"{url}/_stcore/health", process)


def stop(process: subprocess.Popen) -> float:
    """Stop the server; how long after its start its log said the opening view was ready (nan: it did not)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log = getattr(process, "log", "")
    if not log:
        return float("nan")
    said = re.search(r"the opening view is ready \(([0-9.]+) s", Path(log).read_text(errors="replace"))
    os.unlink(log)
    return float(said.group(1)) if said else float("nan")


def prime(timeout: float = 240.0) -> None:
    """An untimed start, left until it has made every view it makes ahead: the start cache then holds this tree's
    opening view, as after any earlier start (a source file edited since, by anyone, makes it a new tsviz)."""
    process = serve({}, ROOT)[0]
    deadline = time.monotonic() + timeout
    while "first views are ready" not in Path(process.log).read_text(errors="replace"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    stop(process)


def open_page(browser, url: str) -> tuple[object, object, dict]:
    """A fresh context and page on `url`, timed: (context, page, phases in seconds from the page opened)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(PROBE)
    page = context.new_page()
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f if isinstance(f, bytes)
                                                                                   else f.encode()))
            if "/_stcore/stream" in ws.url else None)
    opened = time.time()
    page.goto(url)
    page.wait_for_selector(GRAPH, timeout=180_000)
    page.wait_for_function("() => window.__tsviz.graph")
    probe = page.evaluate("() => window.__tsviz")
    deadline = time.monotonic() + 60
    types = message_types(frames)
    while "script_finished" not in types and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        types = message_types(frames)
    times = [m / 1000 for m in page.evaluate("() => window.__tsviz.messages")]
    runs = types.count("new_session")
    first = times[types.index("new_session")]
    finished = times[types.index("script_finished")]
    phases = {
        "HTML + static assets": probe["open"] / 1000 - opened,
        "websocket open → first script run": first - probe["open"] / 1000,
        "script run": finished - first,
        "graph visible": probe["graph"] / 1000 - finished,
        "page opened → graph drawn": probe["graph"] / 1000 - opened,
        "script runs on opening": runs,
    }
    return context, page, phases


def page_views(page) -> dict[str, float]:
    """Click each page's link, time until its content is in the page."""
    seconds = {}
    for label, content in PAGES.items():
        link = page.locator("[data-testid=stSidebar]").get_by_role("link", name=label, exact=True)
        link.hover()
        start = time.perf_counter()
        link.click()
        page.get_by_role("heading").filter(has_text=label.split()[0]).first.wait_for(timeout=180_000)
        page.locator(content).first.wait_for(timeout=180_000)
        seconds[f"{label}: click → content"] = time.perf_counter() - start
    return seconds


def tsviz_run(browser, env: dict[str, str], pages: bool, settle: float, root: Path = ROOT) -> dict[str, float]:
    process, url, started, healthy = serve(env, root)
    try:
        context, page, phases = open_page(browser, url)
        figures = {"process start → health": healthy - started, **phases,
                   "tsviz serve → graph drawn": healthy - started + phases["page opened → graph drawn"]}
        if pages:
            figures.update(page_views(page))
        context.close()
    finally:
        figures["opening view ready, s after start (nan: none)"] = stop(process)
    process, url, started, healthy = serve(env, root)  # a first visitor once the server has settled
    try:
        time.sleep(settle)
        context, _page, phases = open_page(browser, url)
        for name in ("HTML + static assets", "script run", "graph visible", "page opened → graph drawn"):
            figures[f"{settle:.0f} s after health: {name}"] = phases[name]
        context.close()
    finally:
        stop(process)
    return figures


def save_archive(folder: Path) -> Path:
    """The opening sample scripted and saved with torch.jit.save (what Netron is shown)."""
    import torch

    spec = importlib.util.spec_from_file_location("sample", SAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = folder / f"{SAMPLE.stem}.pt"
    torch.jit.save(torch.jit.script(module.model().eval()), str(path))
    return path


def netron_run(browser, netron: Path, archive: Path) -> float:
    """Seconds from `netron FILE` to its graph drawn in a fresh page opened as soon as it answers."""
    port = free_port()
    started = time.time()
    process = subprocess.Popen([str(netron), str(archive), "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        url = f"http://localhost:{port}/"
        wait_until(url, process)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(url)
        page.get_by_text("Accept", exact=True).click(timeout=120_000)  # its cookie notice
        page.wait_for_selector("#canvas g.node", timeout=120_000)
        seconds = time.time() - started
        context.close()
        return seconds
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--netron", type=Path, default=None, help="Netron's executable (netron==9.3.3)")
    parser.add_argument("--no-pages", action="store_true", help="skip each page's first view")
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--fresh-cache", action="store_true", help="an empty start cache for every server")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout (git worktree add DIR COMMIT), run in turn with this one: before/after")
    args = parser.parse_args()
    runs, netron, base = [], [], []
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        archive = save_archive(Path(scratch)) if args.netron else None
        if not args.fresh_cache:
            prime()
        for i in range(args.runs):
            env = {"TSVIZ_START_CACHE": str(Path(scratch) / f"cache-{i}")} if args.fresh_cache else {}
            if args.baseline:
                base.append(tsviz_run(browser, env, not args.no_pages, args.settle, args.baseline))
            runs.append(tsviz_run(browser, env, not args.no_pages, args.settle))
            if args.netron and args.netron.exists():
                netron.append(netron_run(browser, args.netron, archive))
        browser.close()
    load = os.getloadavg()
    print(f"median of {args.runs} fresh starts, {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} "
          f"{load[2]:.1f} (seconds):")
    for name in runs[0]:
        values = [r[name] for r in runs]
        before = f"   before: {statistics.median(b.get(name, math.nan) for b in base):6.2f}" if base else ""
        print(f"  {name:45s} {statistics.median(values):6.2f}   (runs: {', '.join(f'{v:.2f}' for v in values)})"
              + before)
    if not args.netron or not args.netron.exists():
        print("Netron: skipped (give --netron PATH to its executable; pip install netron==9.3.3 into a venv of its "
              "own)")
        return
    ours = statistics.median(r["tsviz serve → graph drawn"] for r in runs)
    theirs = statistics.median(netron)
    print(f"  {'netron FILE → graph drawn':45s} {theirs:6.2f}   (runs: {', '.join(f'{v:.2f}' for v in netron)})")
    print(f"tsviz serve → graph drawn / netron FILE → graph drawn: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
