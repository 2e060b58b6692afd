"""An in-memory :class:`~bot.storage.base.Store` for tests and the plugin test harness.

It keeps JSON text like the SQLite store, so a plugin sees the same values (and
the same errors) from both. Nothing survives the process.
"""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.errors import ConfigError
from bot.storage.base import PURGE_EVERY, Clock, check_call, decode, encode, expiry, live
from bot.storage.broker import LocalBroker, Subscription


class MemoryStore:
    """A dict per namespace of ``key -> (json text, expires_at or None)``."""

    shared = False  # one process's, or one machine's

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._data: dict[str, dict[str, tuple[str, float | None]]] = {}
        self._closed = False
        self._next_purge = clock() + PURGE_EVERY
        self._broker = LocalBroker()  # in this process only

    async def get(self, namespace: str, key: str, default: Any = None) -> Any:
        entry = self._entry(namespace, key)
        return default if entry is None else decode(entry[0])

    async def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        self._check(namespace, key)
        now = self._clock()
        entry = (encode(key, value), expiry(ttl, now))
        self._data.setdefault(namespace, {})[key] = entry
        if now >= self._next_purge:
            await self.purge()

    async def delete(self, namespace: str, key: str) -> bool:
        existed = self._entry(namespace, key) is not None
        self._data.get(namespace, {}).pop(key, None)
        return existed

    async def keys(self, namespace: str, prefix: str = "") -> list[str]:
        self._check(namespace, prefix)
        now = self._clock()
        entries = self._data.get(namespace, {})
        return sorted(
            k for k, (_, exp) in entries.items() if k.startswith(prefix) and live(exp, now)
        )

    async def incr(self, namespace: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        _check_step(by)
        entry = self._entry(namespace, key)  # no await until the write: atomic on the loop
        now = self._clock()
        if entry is None:
            total, expires_at = by, expiry(ttl, now)
        else:
            current = decode(entry[0])
            if type(current) is not int:
                raise TypeError(f"store key {key!r} holds {type(current).__name__}, not a count")
            total, expires_at = current + by, entry[1]
        self._data.setdefault(namespace, {})[key] = (str(total), expires_at)
        return total

    async def claim(self, namespace: str, key: str, value: Any = True, *, ttl: float) -> bool:
        if self._entry(namespace, key) is not None:
            return False
        entry = (encode(key, value), expiry(ttl, self._clock()))
        self._data.setdefault(namespace, {})[key] = entry
        return True

    async def release(self, namespace: str, key: str, value: Any) -> bool:
        entry = self._entry(namespace, key)
        if entry is None or entry[0] != encode(key, value):
            return False
        del self._data[namespace][key]
        return True

    async def publish(self, channel: str, data: Any) -> int:
        self._check(channel, "")
        return self._broker.publish(channel, data)

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        self._check(channel, "")
        return self._broker.subscribe(channel)

    async def close(self) -> None:
        self._closed = True

    async def purge(self) -> int:
        """Drop every expired entry now; the number dropped."""
        if self._closed:
            raise RuntimeError("store is closed")
        now = self._clock()
        dropped = 0
        for namespace, entries in list(self._data.items()):
            for key in [k for k, (_, exp) in entries.items() if not live(exp, now)]:
                del entries[key]
                dropped += 1
            if not entries:
                del self._data[namespace]
        self._next_purge = now + PURGE_EVERY
        return dropped

    def _entry(self, namespace: str, key: str) -> tuple[str, float | None] | None:
        """The live entry of ``key``; an expired one is dropped on the way."""
        self._check(namespace, key)
        entries = self._data.get(namespace, {})
        entry = entries.get(key)
        if entry is not None and not live(entry[1], self._clock()):
            del entries[key]
            return None
        return entry

    def _check(self, namespace: str, key: str) -> None:
        check_call(self._closed, namespace, key)

    def __repr__(self) -> str:
        return f"MemoryStore(namespaces={len(self._data)})"


async def open_url(
    url: str, *, variable: str, clock: Clock = time.time, name: str = ""
) -> MemoryStore:
    """The ``memory`` entry point: ``memory://``, nothing kept after the process ends."""
    if url.partition("://")[2]:
        raise ConfigError(variable, f"memory:// takes no path, got {url!r}")
    return MemoryStore(clock=clock)


def _check_step(by: int) -> None:
    if type(by) is not int:
        raise TypeError(f"store incr takes a whole number, not {type(by).__name__}")
