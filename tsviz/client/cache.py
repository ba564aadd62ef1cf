"""Finished jobs remembered by a hash of the job (the file's bytes and every option): a rerun costs nothing."""
from __future__ import annotations

import threading
from collections import OrderedDict


class Cache:
    """Finished jobs by content hash (results and errors), least recently used out first."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 512 * 2**20) -> None:
        self._items: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries, self.max_bytes = max_entries, max_bytes

    def get(self, key: str) -> object | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: str, outcome: object, size: int) -> None:
        with self._lock:
            self._items[key] = (outcome, size)
            while len(self._items) > self.max_entries or sum(s for _, s in self._items.values()) > self.max_bytes:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
