"""The dashboard as a child process on a free local port: for the browser tests and the load benchmark."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tsviz.client.sandbox import ROOT


@contextmanager
def running_app(timeout_s: float = 120.0, address: str = "127.0.0.1", env: dict[str, str] | None = None,
                local_file: str = "") -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` on `address` (loopback unless told) and a free port, with `env` added to its
    environment (or, given a `local_file`, `python -m tsviz FILE --no-browser`); yields (url, process) once
    /_stcore/health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if local_file:
        command = [sys.executable, "-m", "tsviz", local_file, "--no-browser", "--port", str(port), "--address",
                   address]
    else:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                   "--server.address", address, "--server.headless", "true"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{'127.0.0.1' if address == '0.0.0.0' else address}:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while not healthy(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the app did not start on {url}")
            time.sleep(0.25)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False
