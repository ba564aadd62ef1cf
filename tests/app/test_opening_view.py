"""The opening view made ahead at server start (tsviz/ui/opening.py) is the one the pages ask for on a first visit:
the same requests, so the first visitor's jobs are answered from the caches it filled."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from support.samples import ROOT

from tsviz.model.errors import TsvizError


@pytest.fixture
def asked(monkeypatch) -> list[tuple[str, object]]:
    """Every job a page asks for, none run (each answers with an error, so the page stops there)."""
    from tsviz.ui import jobs

    calls = []

    def record(name, request=None, **_kw):
        calls.append((name, request))
        raise TsvizError("not run in this test")

    monkeypatch.setattr(jobs, "run_job", record)
    return calls


def first_visit(page: str = "") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page:
        at.switch_page(page)
    return at.run()


def test_the_graph_page_asks_for_the_opening_request(asked) -> None:
    from tsviz.ui import opening

    first_visit()
    assert [request for name, request in asked if name == "inspect"] == [opening.opening_request()]


@pytest.mark.parametrize("page, job", [("pages/2_Trace_vs_script.py", "diff"), ("pages/4_Passes.py", "passes"),
                                       ("pages/6_Migrate.py", "migrate")])
def test_each_page_asks_for_what_is_made_ahead(asked, page, job) -> None:
    from tsviz.ui import opening

    first_visit(page)
    ahead = dict(opening.other_requests(opening.opening_request()))
    assert [request for name, request in asked if name == job] == [ahead[job]]


@pytest.mark.parametrize("kind", ["archive", "py", "py with weights"])
def test_tsviz_file_opens_on_the_request_made_ahead(asked, monkeypatch, tmp_path, kind) -> None:
    import torch
    from torch import nn

    from tsviz.client import sandbox
    from tsviz.ui import opening

    if kind == "archive":
        path = tmp_path / "model.pt"
        torch.jit.save(torch.jit.script(nn.Linear(3, 3)), str(path))
    else:
        path = tmp_path / "net.py"
        path.write_bytes((ROOT / "sample_models" / "feed_forward.py").read_bytes())
    if kind == "py with weights":
        torch.save({"w": torch.zeros(2)}, str(tmp_path / "w.pth"))
        monkeypatch.setenv(sandbox.WEIGHTS_ENV, str(tmp_path / "w.pth"))
    monkeypatch.setenv(sandbox.LOCAL_ENV, str(path))
    first_visit()
    assert [request for name, request in asked if name == "inspect"] == [opening.local_request(str(path))]
