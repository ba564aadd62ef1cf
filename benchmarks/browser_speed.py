"""Graph page speed in a real browser (headless Chromium, 1400x900), against the real app.

    python benchmarks/browser_speed.py [--repeats 3]

Per repeat, a fresh app (cold caches, worker started by the first page):
- choose the ResNet-style sample in the sidebar: time until its graph is drawn (cold: the worker converts it);
- choose another sample, then the ResNet-style one again: time until drawn (cached);
- double-click `layer1.forward()`: time until the submodule's graph is drawn;
- double-click `0.forward()` (a residual block), then click its `aten::relu`: time until its line is
  highlighted in the source;
- choose the 12-layer transformer encoder: time until its default view is drawn (cold), then open every level
  down to multi-head attention (encoder, layer 0, self_attn), timing each.
Prints the median of each over the repeats.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # tests/support

from playwright.sync_api import sync_playwright  # noqa: E402
from support.app_process import running_app  # noqa: E402


def pick_sample(page, label: str) -> None:
    page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name=label, exact=True).click()


def pick_submodule(page, path: str, type_: str) -> None:
    """Open `path` with the graph page's submodule picker, as a user with a long list does: type to filter it,
    then click the option. The list holds every submodule (123 for the 12-layer encoder) and draws only the rows
    in view, scrolled to the open one: an option further down is not in the page until the list is scrolled or
    filtered, so a click on it by name alone can wait for ever."""
    picker = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").first
    picker.click()
    page.keyboard.type(path)
    page.get_by_role("option", name=f"{path} · {type_}", exact=True).click()


def timed(action, done, target=None) -> float:
    """Seconds from `action` to `done`. A `target` to click is first hovered, outside the timing: Playwright
    waits until an element has stopped moving before it clicks, and a graph just drawn is still being fitted
    into view, which cost up to 0.4 s of waiting that is no part of the page's answer to the click."""
    if target is not None:
        target.hover()
    start = time.perf_counter()
    action()
    done()
    return time.perf_counter() - start


def one_run(browser, url: str) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    page.wait_for_selector("svg g.node", timeout=180_000)  # the default sample
    node = lambda text: page.locator("svg g.node", has_text=text).first  # noqa: E731
    t = {}
    t["ResNet-style sample, cold"] = timed(lambda: pick_sample(page, "resnet style"),
                                           lambda: node("layer1.forward()").wait_for(timeout=120_000))
    pick_sample(page, "feed forward")
    node("input").wait_for(timeout=60_000)
    page.get_by_text("feed_forward.py ·").wait_for(timeout=60_000)
    t["ResNet-style sample, cached"] = timed(lambda: pick_sample(page, "resnet style"),
                                             lambda: node("layer1.forward()").wait_for(timeout=60_000))
    t["open layer1"] = timed(lambda: node("layer1.forward()").dblclick(),
                             lambda: node("0.forward()").wait_for(timeout=60_000), node("layer1.forward()"))
    t["open layer1.0"] = timed(lambda: node("0.forward()").dblclick(),
                               lambda: node("aten::relu").wait_for(timeout=60_000), node("0.forward()"))
    t["select a node (source line lit)"] = timed(
        lambda: node("aten::relu").click(),
        lambda: page.locator(".tsviz-code div.hl", has_text="self.bn1(self.conv1(x))").first.wait_for(timeout=60_000),
        node("aten::relu"))
    t["12-layer encoder, cold"] = timed(lambda: pick_sample(page, "transformer 12 layers"),
                                        lambda: node("encoder.forward()").wait_for(timeout=180_000))
    t["open encoder (12 layers)"] = timed(lambda: node("encoder.forward()").dblclick(),
                                          lambda: node("layers.11.forward()").wait_for(timeout=60_000),
                                          node("encoder.forward()"))
    search = page.get_by_placeholder("conv2d · L20 · layer1 · x.1")
    t["search (moves the view)"] = timed(lambda: (search.fill("layers.0"), search.press("Enter")),
                                         lambda: page.locator("svg g.node.tsviz-match").first.wait_for(timeout=60_000))
    page.locator(".tsviz-graph").evaluate("e => e.scrollIntoView({block: 'end'})")  # the whole viewer on screen
    t["open layer 0"] = timed(lambda: node("layers.0.forward()").dblclick(),
                              lambda: node("self._sa_block()").wait_for(timeout=60_000), node("layers.0.forward()"))
    t["open self_attn (submodule picker)"] = timed(
        lambda: pick_submodule(page, "encoder.layers.0.self_attn", "MultiheadAttention"),
        lambda: node("prim::If").wait_for(timeout=60_000))
    page.close()
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        for _ in range(args.repeats):
            with running_app() as (url, _process):
                runs.append(one_run(browser, url))
        browser.close()
    print(f"median of {args.repeats} runs, each on a freshly started app (seconds):")
    for name in runs[0]:
        values = [r[name] for r in runs]
        print(f"  {name:30s} {statistics.median(values):6.2f}   (runs: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
