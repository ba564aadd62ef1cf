"""Bounded caches, least recently used out first, bounded by bytes as well as by entries: finished jobs by a hash
of the job (the file's bytes and every option), so a rerun costs nothing, and the pages' layouts and drawings."""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class Cache:
    """Values by key with their sizes; the least recently used go first once either bound is passed."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 2**20) -> None:
        self._items: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.max_entries, self.max_bytes = max_entries, max_bytes

    def get(self, key: str) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: str, value: object, size: int) -> None:
        """Keep `value` (about `size` bytes); one larger than the whole cache is not kept."""
        with self._lock:
            if key in self._items:
                self._bytes -= self._items.pop(key)[1]
            if size > self.max_bytes:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1][1]

    def size(self) -> int:
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def memo(max_bytes: int, key: Callable[..., str], size: Callable[[Any], int],
         max_entries: int = 256) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A function's results, shared by every session of the server, named by `key(*args)` and bounded by the
    bytes `size(result)` says they hold."""
    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        cache = Cache(max_entries, max_bytes)

        @functools.wraps(function)
        def call(*args: Any) -> Any:
            name = key(*args)
            found = cache.get(name)
            if found is None:
                found = function(*args)
                cache.put(name, found, size(found))
            return found

        call.cache = cache  # type: ignore[attr-defined]
        return call
    return wrap
