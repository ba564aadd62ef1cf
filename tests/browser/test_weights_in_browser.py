"""A .py and its trained weights uploaded in a real headless Chromium: the second uploader takes them, the graph
page says what loaded and names the constructor value for a shape that differs."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.app_process import running_app
from support.weights_models import NET, saved, trained

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: the test command installs it with apt-get")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


def test_weights_uploaded_beside_a_py_are_loaded_and_their_mismatch_named(tmp_path: Path) -> None:
    (tmp_path / "net.py").write_text(NET)
    (tmp_path / "small_head.pth").write_bytes(saved(trained(num_classes=10).state_dict()))
    with running_app() as (url, _process), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.wait_for_selector("svg g.node", timeout=90_000)  # the sample, drawn first
        page.get_by_text("Upload a file").click()
        page.get_by_text("Choose a file, or go back").wait_for(timeout=30_000)  # the uploader, after the rerun
        page.locator("input[type=file]").first.set_input_files(str(tmp_path / "net.py"))
        page.get_by_text("net.py · Net · script").wait_for(timeout=90_000)
        weights = page.locator('[data-testid="stFileUploader"]', has_text="Weights (optional)")
        weights.locator("input[type=file]").set_input_files(str(tmp_path / "small_head.pth"))
        page.get_by_text("Weights: 2 of 4 tensors loaded from small_head.pth").wait_for(timeout=90_000)
        page.get_by_text("1000×8 in the model: num_classes=10?").first.wait_for(timeout=30_000)
        page.get_by_text("What did not fit: 2 of another shape").wait_for(timeout=30_000)
        browser.close()
