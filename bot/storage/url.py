"""``STORAGE_URL`` → a :class:`~bot.storage.base.Store`, so a backend is a setting, not code.

The URL's scheme names an opener registered under the ``botloop.stores`` entry
points; the built-in ones are registered the same way (see pyproject.toml)::

    sqlite:///data/bot.db     a file, relative to the working directory
    sqlite:////var/bot.db     an absolute path (the fourth slash starts it)
    memory://                 nothing kept after the process ends

    redis://host:6379/0       Redis, shared by every process (botloop[redis]; rediss:// for TLS)

A third-party store is a package with an entry point ``scheme = "pkg.mod:open"``,
where ``async def open(url, *, variable, clock, name) -> Store`` raises ConfigError
naming ``variable`` when the URL is wrong or the store cannot be opened; ``name``
is the bot's (``BOT_NAME``), for a store shared by several bots to keep them apart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from importlib import metadata
from typing import Protocol

from bot.errors import ConfigError
from bot.storage.base import Clock, Store

ENTRY_POINT_GROUP = "botloop.stores"
DEFAULT_FILE = "botloop.db"


class StoreOpener(Protocol):
    def __call__(self, url: str, *, variable: str, clock: Clock, name: str) -> Awaitable[Store]: ...


def storage_url(url: str, data_dir: str) -> str:
    """``url`` itself, or when it is empty the SQLite file ``botloop.db`` in ``data_dir``."""
    url = url.strip()
    if url:
        return url
    data_dir = data_dir.strip()
    if not data_dir:
        raise ConfigError("DATA_DIR", "must not be empty (default ./data)")
    # "/var/bot" → sqlite:////var/bot/botloop.db; "./data" → sqlite:///./data/botloop.db
    return f"sqlite:///{data_dir.rstrip('/')}/{DEFAULT_FILE}"


def store_schemes() -> dict[str, metadata.EntryPoint]:
    """Every registered store, by URL scheme."""
    return {ep.name.lower(): ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


async def open_store(
    url: str, *, variable: str = "STORAGE_URL", clock: Clock = time.time, name: str = "botloop"
) -> Store:
    """Open the store ``url`` names; ConfigError naming ``variable`` if it is wrong or unusable.

    Pass ``variable="DATA_DIR"`` when the url came from :func:`storage_url`'s default,
    so an unwritable or corrupt data directory names the setting the operator chose.
    An error shows the URL without its user info: that may hold a password.
    """
    url = url.strip()
    scheme, sep, _ = url.partition("://")
    schemes = await asyncio.to_thread(store_schemes)  # reads package metadata from disk
    known = ", ".join(f"{name}://" for name in sorted(schemes)) or "none (is botloop installed?)"
    if not sep or not scheme:
        raise ConfigError(variable, f"expected scheme://…, got {shown(url)!r}; known: {known}")
    entry = schemes.get(scheme.lower())
    if entry is None:
        raise ConfigError(variable, f"unsupported storage URL {shown(url)!r}; known: {known}")
    opener: StoreOpener = await asyncio.to_thread(entry.load)  # imports read files too
    return await opener(url, variable=variable, clock=clock, name=name)


def shown(url: str) -> str:
    """``url`` fit for a log line: ``redis://:secret@host`` → ``redis://***@host``."""
    scheme, sep, rest = url.partition("://")
    where, at, tail = rest.partition("@")
    if sep and at and "/" not in where:
        return f"{scheme}://***@{tail}"
    return url
