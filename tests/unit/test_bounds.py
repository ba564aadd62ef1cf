"""The server's state is bounded: one waiting job per session page, a queue that turns the excess away, caches
bounded by bytes, untrusted text escaped for markdown. No worker needed: the servers here are stand-ins."""
from __future__ import annotations

import re
import threading
import time

import pytest

from tsviz.client import pool
from tsviz.client.cache import Cache, memo
from tsviz.model.errors import WorkerError
from tsviz.model.jobs import Limits
from tsviz.ui.text import code, plain

GATE = threading.Event()


STARTED: list[str] = []  # the jobs the stand-in servers took, in order


class StandInServer:
    """Holds its job until GATE opens."""

    def run(self, job: dict, limits: Limits, inputs: dict | None = None) -> pool.Reply:
        STARTED.append(job["job"])
        GATE.wait(10)
        return {"status": "done", "job": job["job"]}, b"{}", None

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        pass


def start_job(one: pool.Pool, name: str, owner: str | None, into: dict, background: bool = False) -> threading.Thread:
    def go() -> None:
        try:
            into[name] = one.run({"job": name}, Limits(), "m.py", None, owner, background=background)[0]["job"]
        except WorkerError as e:
            into[name] = e.one_line()
    thread = threading.Thread(target=go)
    thread.start()
    return thread


def waiting(one: pool.Pool, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(one._queue) != count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(one._queue) == count


def test_a_page_keeps_one_waiting_job_and_a_full_queue_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_Server", lambda sandboxed, gpu=False: StandInServer())
    monkeypatch.setattr(pool, "MAX_WAITING", 2)
    GATE.clear()
    one, said = pool.Pool(size=1), {}
    threads = [start_job(one, "running", "session-a:graph", said)]
    time.sleep(0.2)
    threads.append(start_job(one, "older", "session-b:graph", said))
    waiting(one, 1)
    threads.append(start_job(one, "other page", "session-b:passes", said))
    waiting(one, 2)
    threads.append(start_job(one, "newer", "session-b:graph", said))  # the queue is full: refused outright
    threads[-1].join(5)
    assert said["newer"] == ("m.py: the worker's queue is full: 2 jobs are waiting (the server is busy; try again in "
                             "a minute)")
    threads.append(start_job(one, "newest", "session-c:graph", said))
    threads[-1].join(5)
    assert "queue is full" in said["newest"]

    monkeypatch.setattr(pool, "MAX_WAITING", 24)
    threads.append(start_job(one, "latest", "session-b:graph", said))  # takes the older one's place
    threads[1].join(5)
    assert said["older"] == "m.py: a newer job from the same page took this one's place in the queue"
    GATE.set()
    for thread in threads:
        thread.join(5)
    assert said["running"] == "running" and said["other page"] == "other page" and said["latest"] == "latest"


def test_the_servers_own_background_jobs_wait_for_every_users_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "_Server", lambda sandboxed, gpu=False: StandInServer())
    GATE.clear()
    STARTED.clear()
    one, said = pool.Pool(size=2), {}
    threads = [start_job(one, "visitor", "session-a:graph", said)]
    deadline = time.monotonic() + 5
    while not STARTED and time.monotonic() < deadline:
        time.sleep(0.01)
    threads.append(start_job(one, "made ahead", None, said, background=True))
    waiting(one, 1)
    time.sleep(0.6)  # a second server is free, yet the background job waits while a user's job runs
    assert STARTED == ["visitor"]
    threads.append(start_job(one, "next visitor", "session-b:graph", said))  # queued after it, served before it
    threads[-1].join(0.5)
    assert STARTED == ["visitor", "next visitor"]
    GATE.set()
    for thread in threads:
        thread.join(5)
    assert STARTED == ["visitor", "next visitor", "made ahead"]
    assert said == {"visitor": "visitor", "next visitor": "next visitor", "made ahead": "made ahead"}
    assert one._users_running == 0 and one._taken == 0


def test_caches_are_bounded_by_bytes() -> None:
    cache = Cache(max_entries=100, max_bytes=1000)
    for i in range(5):
        cache.put(f"k{i}", i, 300)
    assert [cache.get(f"k{i}") for i in range(5)] == [None, None, 2, 3, 4] and cache.size() == 900
    cache.put("huge", "x", 5000)  # larger than the whole cache: not kept, nothing pushed out
    assert cache.get("huge") is None and cache.size() == 900
    cache.put("k3", 3, 100)
    assert cache.size() == 700

    calls = []

    @memo(100, key=lambda text: text, size=len)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper() * 10
    shout("abc"), shout("abc"), shout("defgh"), shout("abc"), shout("ijklmnop"), shout("abc")
    assert calls == ["abc", "defgh", "ijklmnop", "abc"]  # 30 + 50 bytes fit; with 80 more, the oldest go


@pytest.mark.parametrize("text", ["[here](javascript:alert(1))", "![p](data:image/png;base64,xyz)", "**bold** _it_",
                                  ":red[alarm] :material/warning:", "$x^2$", "<b>hi</b> &amp;", "# heading\n- item",
                                  "`code` and ``more``"])
def test_plain_escapes_every_markdown_construct(text: str) -> None:
    shown = plain(text)
    assert not re.search(r"(?<!\\)[\[\]()*_:$<>&#`!-]", shown), shown  # every special character escaped
    assert re.sub(r"\\(.)", r"\1", shown).replace("  \n", "\n") == text  # and read back as typed


def test_bare_links_become_code_and_code_spans_hold_any_backticks() -> None:
    assert plain("see www.evil.example, or http://e.x/p.png).") == \
        "see ` www.evil.example `\\, or ` http://e.x/p.png `\\)\\."
    assert code("a``b") == "``` a``b ```" and code("aten::add") == "` aten::add `"
