"""`tsviz serve [FILE]` and `tsviz FILE`: the dashboard in this process, its worker pool started first (the first
graph does not wait for torch to import), on a local file when one is given: its path goes to the workers,
mounted read-only in their sandbox, never its bytes."""
from __future__ import annotations

import gc
import os
import threading
import webbrowser
from pathlib import Path

from streamlit import config as streamlit_config
from streamlit.web import bootstrap

from tsviz.client import sandbox

APP = Path(__file__).resolve().parents[2] / "app.py"


def serve(file: Path | None, port: int, address: str, open_browser: bool) -> None:
    if file is not None:
        os.environ[sandbox.LOCAL_ENV] = str(file.resolve())  # read by the sandbox and the sidebar
    sandbox.announce()
    # The opening view is made in the background from now on (from the start cache when this tsviz has made it
    # before), and the worker pool started (at once, or after the first graph when the view needs no worker); the
    # pages' heavy modules (pandas, plotly) follow (tsviz/ui/opening.py). Then everything imported so far is moved
    # out of the collector's reach.
    from tsviz.ui import opening

    opening.prepare()  # the opening sample, or the local file
    gc.collect()
    gc.freeze()
    flags = {"server_port": port, "server_address": address, "server_headless": True}
    streamlit_config._main_script_path = str(APP)  # the project's .streamlit/config.toml applies from any folder
    bootstrap.load_config_options(flag_options=flags)
    if open_browser:  # as `netron FILE` does (Streamlit's own opening would first ask for an e-mail address)
        threading.Timer(2.0, webbrowser.open, [f"http://{address}:{port}"]).start()
    bootstrap.run(str(APP), False, [], flags)
