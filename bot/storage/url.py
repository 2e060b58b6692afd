"""``STORAGE_URL`` → a :class:`~bot.storage.base.Store`, so a backend is a setting, not code.

sqlite:///data/bot.db     a file, relative to the working directory
sqlite:////var/bot.db     an absolute path (the fourth slash starts it)
memory://                 nothing kept after the process ends
"""

from __future__ import annotations

import sqlite3
import time

from bot.errors import ConfigError
from bot.storage.base import Clock, Store
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SQLiteStore

SCHEMES = ("sqlite:///path", "memory://")

DEFAULT_FILE = "botloop.db"


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


async def open_store(url: str, *, variable: str = "STORAGE_URL", clock: Clock = time.time) -> Store:
    """Open the store ``url`` names; ConfigError naming ``variable`` if it is wrong or unusable.

    Pass ``variable="DATA_DIR"`` when the url came from :func:`storage_url`'s default,
    so an unwritable or corrupt data directory names the setting the operator chose.
    """
    scheme, sep, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if sep and scheme == "memory":
        if rest:
            raise ConfigError(variable, f"memory:// takes no path, got {url!r}")
        return MemoryStore(clock=clock)
    if sep and scheme == "sqlite":
        return await _open_sqlite(url, rest, variable, clock)
    raise ConfigError(
        variable, f"unsupported storage URL {url!r}; expected one of {', '.join(SCHEMES)}"
    )


async def _open_sqlite(url: str, rest: str, variable: str, clock: Clock) -> Store:
    # Like SQLAlchemy: sqlite:/// then the path, taken literally (no %-decoding).
    if not rest.startswith("/") or rest == "/":
        raise ConfigError(
            variable,
            f"expected sqlite:///relative/path.db or sqlite:////absolute/path.db, got {url!r}",
        )
    path = rest[1:]
    try:
        return await SQLiteStore.open(path, clock=clock)
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = exc.filename if isinstance(exc, OSError) and exc.filename else path
        raise ConfigError(variable, f"cannot open the SQLite store {where}: {reason}") from None
