"""What every browser test starts from: one app server per module and a fresh headless Chromium page per test."""
from __future__ import annotations

import pytest
from support.app_process import running_app
from support.browser import VIEWPORT, launch, playwright


@pytest.fixture(scope="module")
def server_url():
    with running_app() as (url, _process):
        yield url


@pytest.fixture
def page():
    with playwright()() as p:
        browser = launch(p)
        yield browser.new_page(viewport=VIEWPORT)
        browser.close()
