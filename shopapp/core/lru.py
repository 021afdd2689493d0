"""The embedded default's in-process cache: a real least-recently-used bound.

Flask-Caching's SimpleCache, once full, sorts every entry by expiry on each insert to drop the oldest
(thousands of product pages: a sort per page rendered). This one keeps its entries in use order: a hit
moves the entry to the end, an insert drops the least recently used one from the front, both O(1).
Production shares one cache between web processes instead (RedisCache on REDIS_URL, shopapp/config.py).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from time import time
from typing import Any

from flask import Flask
from flask_caching.backends.simplecache import SimpleCache


class LRUCache(SimpleCache):
    """SimpleCache bounded to `threshold` entries by recency of use; expired entries read as missing."""

    def __init__(self, threshold: int = 500, default_timeout: int = 300, **kwargs: Any) -> None:
        super().__init__(threshold=threshold, default_timeout=default_timeout, **kwargs)
        self._cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    @classmethod
    def factory(cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> LRUCache:
        kwargs.update(threshold=config["CACHE_THRESHOLD"])
        return cls(*args, **kwargs)

    def _live(self, key: str) -> tuple[float, bytes] | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry[0] != 0 and entry[0] <= time():
            del self._cache[key]
            return None
        return entry

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return None
            self._cache.move_to_end(key)
            return self.serializer.loads(entry[1])

    def set(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> bool:
        with self._lock:
            self._cache[key] = (self._normalize_timeout(timeout), self.serializer.dumps(value))
            self._cache.move_to_end(key)
            while len(self._cache) > self._threshold:
                self._cache.popitem(last=False)
            return True

    def add(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            return self.set(key, value, timeout)

    def has(self, key: str) -> bool:
        with self._lock:
            return self._live(key) is not None


class NearCache:
    """A least-recently-used map kept in one process, in front of the shared cache: no serialisation,
    O(1). Bounded by its number of entries and by the bytes of the pages it holds (each `set` says its
    entry's size). An entry either never changes under its key (pages keyed by the version of their data)
    or carries the deadline of its shared copy (`time()` seconds), after which it reads as missing."""

    def __init__(self, entries: int, max_bytes: int | None = None) -> None:
        self._entries = max(0, entries)
        self._max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[str, tuple[Any, float | None, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, deadline, size = item
            if deadline is not None and deadline <= time():
                del self._items[key]
                self._bytes -= size
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: Any, deadline: float | None = None, size: int = 0) -> None:
        with self._lock:
            replaced = self._items.pop(key, None)
            if replaced is not None:
                self._bytes -= replaced[2]
            if not self._entries or (self._max_bytes is not None and size > self._max_bytes):
                return  # not kept (and no older value left under its key)
            self._items[key] = (value, deadline, size)
            self._bytes += size
            while len(self._items) > self._entries or (self._max_bytes is not None and self._bytes > self._max_bytes):
                _key, (_value, _deadline, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def peek(self, key: str) -> Any:
        """The value under `key` as `get` gives it, without making it the most recently used."""
        with self._lock:
            item = self._items.get(key)
            return None if item is None or (item[1] is not None and item[1] <= time()) else item[0]

    def change(self, key: str, how: Callable[[Any], Any]) -> Any:
        """Under the lock, the value held under `key` becomes `how(value)`, in its place in the use order (a
        value brought up to date is not a use), with the size it had; `how` returning None drops it. Returns
        the new value (None when nothing was held, or when dropped)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value = how(item[0])
            if value is None:
                del self._items[key]
                self._bytes -= item[2]
            else:
                self._items[key] = (value, item[1], item[2])
            return value

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
