"""Headless Chromium for the browser tests: Debian's chromium, driven by Playwright, launched one way."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}


def playwright() -> Any:
    """Playwright's sync_playwright, or the calling test module skipped where there is no chromium (on CI a
    missing chromium is an error: the test command installs it with apt-get)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("chromium is missing: the test command installs it with apt-get")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api").sync_playwright


def launch(p: Any) -> Any:
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def upload_file(page: Any, url: str, path: Any) -> None:
    """Open the app, wait for the opening sample's graph, switch the sidebar to uploads and give it `path` (once the
    uploader is there: the switch is a rerun)."""
    page.goto(url)
    page.wait_for_selector("svg g.node", timeout=90_000)
    page.get_by_text("Upload a file").click()
    page.get_by_text("Choose a file, or go back").wait_for(timeout=30_000)
    page.locator("input[type=file]").first.set_input_files(str(path))
