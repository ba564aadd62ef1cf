"""The page's mode: script until script fails, then hybrid, unless the user picked the mode (AppTest)."""
from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest
from support.samples import ROOT

LAMBDA = (b"import torch\nfrom torch import nn\n\n\nclass Swish(nn.Module):\n    def __init__(self):\n"
          b"        super().__init__()\n        self.fc = nn.Linear(4, 4)\n"
          b"        self.act = lambda t: t * torch.sigmoid(t)\n\n    def forward(self, x):\n"
          b"        return self.act(self.fc(x))\n")
PLAIN = (b"import torch\nfrom torch import nn\n\n\nclass Tiny(nn.Module):\n    def __init__(self):\n"
         b"        super().__init__()\n        self.fc = nn.Linear(3, 3)\n\n    def forward(self, x):\n"
         b"        return torch.relu(self.fc(x))\n")


def upload(name: str, data: bytes, at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    return at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()


def shown(markdown: str) -> str:
    """Markdown as a reader sees it (text from a model is escaped)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def header(at: AppTest) -> str:
    return shown(at.header[0].value)


def test_a_file_that_does_not_script_opens_in_hybrid() -> None:
    at = upload("swish.py", LAMBDA)
    assert not at.exception and header(at) == "swish.py · Swish · hybrid"
    assert at.sidebar.radio(key="mode").value == "hybrid"


def test_script_picked_by_hand_shows_the_compile_error() -> None:
    at = upload("swish.py", LAMBDA)
    at.sidebar.radio(key="mode").set_value("script").run()
    assert not at.exception and at.sidebar.radio(key="mode").value == "script"
    assert any("self.act holds a lambda" in shown(e.value) for e in at.error)


def test_the_next_file_that_scripts_opens_in_script_again() -> None:
    at = upload("plain.py", PLAIN, upload("swish.py", LAMBDA))
    assert not at.exception and header(at) == "plain.py · Tiny · script"
