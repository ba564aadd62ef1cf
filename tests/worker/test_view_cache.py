"""The start cache (tsviz/client/startcache.py) and the opening view made ahead (tsviz/ui/opening.py), through the
real sandboxed worker: a server started again gets the same view from disk as a fresh run, without the worker."""
from __future__ import annotations

from dataclasses import replace

import pytest

from tsviz import client
from tsviz.client import files, sandbox, startcache

pytestmark = pytest.mark.skipif(not sandbox.status().works, reason="needs the bubblewrap sandbox")


@pytest.fixture
def start_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(startcache.ENV, str(tmp_path / "start"))
    client.clear_cache()
    yield tmp_path / "start"
    client.clear_cache()


def opening_view():
    """What the graph page draws first: the result, the folded module graph's DOT and its SVG."""
    from tsviz.ui import opening
    from tsviz.ui.walk import _walk_dot, _walk_graph, result_key
    from tsviz.ui.widgets import walk_svg

    request = opening.opening_request()
    result = client.run("inspect", request, persist=True)
    key = result_key(request)
    dot = _walk_dot(result, key, "graph", "", True, "")
    return result, dot, walk_svg(dot, len(_walk_graph(result, key, "graph", "", True, "").nodes))


def test_a_second_start_finds_the_same_view_on_disk_without_the_worker(start_cache) -> None:
    fresh, fresh_dot, fresh_svg = opening_view()
    assert client.last_worker()  # made by the worker
    assert len(list(start_cache.glob("*/*/answer.json"))) == 1
    client.clear_cache()  # a new server: nothing in memory, the store's files gone with it
    files.path(fresh.archive).unlink()
    again, dot, svg = opening_view()
    assert client.last_worker() == {}  # from disk
    assert again == fresh and dot == fresh_dot and svg == fresh_svg
    assert files.read(again.archive)[:2] == b"PK"  # the converted archive came back with it, for its download


def test_a_damaged_entry_is_a_miss_and_the_job_runs(start_cache) -> None:
    fresh, _, _ = opening_view()
    client.clear_cache()
    for answer in start_cache.glob("*/*/answer.json"):
        answer.write_bytes(b'{"ok": [')
    again, _, _ = opening_view()
    assert client.last_worker()  # run again: the same view (the archive's bytes are torch.jit.save's own each time)
    assert replace(again, archive=fresh.archive) == fresh


def test_prepare_now_fills_the_caches_the_page_reads(start_cache) -> None:
    from tsviz.ui import opening
    from tsviz.ui.widgets import walk_svg

    opening.prepare_now()
    assert opening.ready.is_set() and walk_svg.cache.size() > 0
    opening_view()
    assert client.last_worker() == {}  # the page's first run finds the conversion in memory
