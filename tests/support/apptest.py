"""Streamlit AppTest helpers shared by the page tests."""
from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from support.samples import ROOT


def shown(markdown: str) -> str:
    """Markdown as the page shows it: the escapes tsviz puts before markdown's characters taken off."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def upload(name: str, data: bytes, mime: str = "application/octet-stream") -> AppTest:
    """The app opened, 'Upload a file' picked, and `data` uploaded as `name`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    return at.file_uploader(key="upload").set_value((name, data, mime)).run()
