"""The storage contract: a namespaced async key-value :class:`Store` and the
per-plugin :class:`KeyValue` view of it, plus the checks every backend shares.

Values are JSON: a backend keeps the JSON text, so every backend gives back what
``json.loads(json.dumps(value))`` would (a tuple comes back as a list, an int dict
key as a string) and a returned value is a fresh copy the caller may mutate.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from bot.errors import LockTaken
from bot.storage.broker import Subscription

Clock = Callable[[], float]
"""Seconds since the epoch; ``time.time`` in production, a settable fake in tests."""

# Expired entries are invisible at once; a write also deletes them at most this often
# (seconds of the store's clock), besides the sweep when a store opens.
PURGE_EVERY = 60.0


class Store(Protocol):
    """An async key-value backend; every key lives in a namespace (a plugin's name).

    ``get`` answers ``default`` for a missing or expired key, so a stored ``None``
    is told apart from a missing key by passing a sentinel default::

        MISSING = object()
        if await store.get("weather", "home", MISSING) is MISSING: ...

    ``set`` replaces the value and its TTL (``ttl=None``: no expiry). An expired
    key is invisible to every method at once and purged later. ``shared``: several
    bot processes (dynos) may use this store at once, so what one handles the
    others must not handle again (Redis: yes; memory and SQLite: no).
    """

    shared: bool

    async def get(self, namespace: str, key: str, default: Any = None) -> Any:
        """The value of ``key`` in ``namespace``, or ``default`` if missing or expired."""

    async def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` (JSON-serialisable, else TypeError and nothing is written)."""

    async def delete(self, namespace: str, key: str) -> bool:
        """Remove the key; True if it existed (and had not expired)."""

    async def keys(self, namespace: str, prefix: str = "") -> list[str]:
        """The live keys of ``namespace`` starting with ``prefix``, sorted."""

    async def incr(self, namespace: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        """Add ``by`` to the whole number at ``key`` (missing or expired: 0) and return
        the sum, atomically, also across processes sharing the store. ``ttl`` applies
        when the key is created, so a window starts at its first count. A value that
        is not a whole number raises TypeError and is left alone."""

    async def claim(self, namespace: str, key: str, value: Any = True, *, ttl: float) -> bool:
        """Set ``key`` to ``value`` for ``ttl`` seconds only if it is missing or expired:
        True for exactly one of any number of concurrent callers."""

    async def release(self, namespace: str, key: str, value: Any) -> bool:
        """Delete ``key`` only while it still holds ``value`` (a lock's token): True if so."""

    async def publish(self, channel: str, data: Any) -> int:
        """Send ``data`` (JSON) to the channel's subscribers; how many received it."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """``async with store.subscribe(ch) as messages: async for data in messages:``."""

    async def close(self) -> None:
        """Release the backend; idempotent. Any later call raises RuntimeError."""


class KeyValue:
    """One plugin's corner of the store: ``ctx.store``.

    It is bound to a single namespace; a key is only ever a key (``"../other"`` or
    a key holding NUL stays inside this namespace), so plugins cannot read or
    overwrite each other's data. Values must be JSON-serialisable. ::

        visits = await ctx.store.get(f"visits:{user}", 0)
        await ctx.store.set(f"visits:{user}", visits + 1)
        await ctx.store.set("forecast:Paris", data, ttl=600)  # gone after 10 minutes
    """

    __slots__ = ("_namespace", "_store")

    def __init__(self, store: Store, namespace: str) -> None:
        check_name("namespace", namespace)
        self._store = store
        self._namespace = namespace

    @property
    def namespace(self) -> str:
        return self._namespace

    async def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when it is missing or expired."""
        return await self._store.get(self._namespace, key, default)

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``; with ``ttl`` it expires after that many seconds."""
        await self._store.set(self._namespace, key, value, ttl=ttl)

    async def delete(self, key: str) -> bool:
        """Remove ``key``; True if it existed."""
        return await self._store.delete(self._namespace, key)

    async def keys(self, prefix: str = "") -> list[str]:
        """This plugin's live keys starting with ``prefix``, sorted."""
        return await self._store.keys(self._namespace, prefix)

    async def incr(self, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        """Add ``by`` to the count at ``key`` and return it, never losing an increment
        to a concurrent one (other tasks, other processes on a shared store)."""
        return await self._store.incr(self._namespace, key, by, ttl=ttl)

    async def claim(self, key: str, *, ttl: float) -> bool:
        """True for exactly one caller until ``key`` expires (handle something once)."""
        return await self._store.claim(self._namespace, key, ttl=ttl)

    @asynccontextmanager
    async def lock(self, key: str, *, ttl: float, wait: float | None = None) -> AsyncIterator[None]:
        """Hold ``key`` while the block runs: ``async with ctx.store.lock("sync", ttl=60):``.

        ``wait``: seconds to wait for it (None: as long as it takes; 0: not at all),
        then :class:`LockTaken`. It is released on exit, and expires after ``ttl`` if
        its holder dies, so a crashed process never holds it for good.
        """
        # Locks live in a namespace of their own, so keys() never lists them.
        namespace = f"{self._namespace}\x00locks"
        token = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline = None if wait is None else loop.time() + wait
        pause = 0.01
        while not await self._store.claim(namespace, key, token, ttl=ttl):
            if deadline is not None and loop.time() >= deadline:
                raise LockTaken(f"`{key}` is busy elsewhere; try again in a moment.")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        try:
            yield
        finally:
            await self._store.release(namespace, key, token)

    async def publish(self, channel: str, data: Any) -> int:
        """Send ``data`` to this plugin's subscribers of ``channel``."""
        return await self._store.publish(f"{self._namespace}:{channel}", data)

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """This plugin's messages on ``channel``, from now on."""
        return self._store.subscribe(f"{self._namespace}:{channel}")

    def __repr__(self) -> str:
        return f"KeyValue(namespace={self._namespace!r})"


def check_name(what: str, name: str) -> None:
    """A namespace or key must be a str SQLite can store as UTF-8 text (no lone surrogates)."""
    if not isinstance(name, str):
        raise TypeError(f"store {what} must be a str, not {type(name).__name__}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"store {what} {name!r} is not valid text (lone surrogate)") from None
    if what == "namespace" and not name:
        raise ValueError("store namespace must not be empty")


def check_call(closed: bool, namespace: str, key: str) -> None:
    """What every store call checks first: the store is open, the names are usable."""
    if closed:
        raise RuntimeError("store is closed")
    check_name("namespace", namespace)
    check_name("key", key)


def encode(key: str, value: Any) -> str:
    """``value`` as compact JSON text, or a TypeError naming ``key`` and the culprit.

    NaN and infinities are refused too (they are not JSON, and other backends would
    reject them), as are circular structures.
    """

    def refuse(obj: object) -> Any:
        raise TypeError(f"found a {type(obj).__module__}.{type(obj).__qualname__}")

    try:
        return json.dumps(value, default=refuse, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        # TypeError: our hook, or json on a dict key such as a tuple; ValueError: NaN or
        # a circular reference; RecursionError: nesting deeper than the interpreter allows.
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise TypeError(f"store key {key!r}: value is not JSON-serialisable: {reason}") from None


def decode(text: str) -> Any:
    return json.loads(text)


def expiry(ttl: float | None, now: float) -> float | None:
    """The wall-clock time ``ttl`` seconds after ``now``; ValueError unless ttl is > 0."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise TypeError(f"store ttl must be a number of seconds, not {type(ttl).__name__}")
    if not (ttl > 0 and math.isfinite(ttl)):
        raise ValueError(f"store ttl must be a positive number of seconds, got {ttl!r}")
    return now + ttl


def live(expires_at: float | None, now: float) -> bool:
    return expires_at is None or expires_at > now
