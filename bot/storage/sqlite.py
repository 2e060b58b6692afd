"""The embedded default :class:`~bot.storage.base.Store`: one SQLite file through aiosqlite.

aiosqlite runs the one connection on its own thread and queues every call, so the
loop never waits on the disk and concurrent handlers are serialised for free.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import ConfigError
from bot.storage.base import PURGE_EVERY, Clock, check_call, decode, encode, expiry
from bot.storage.broker import LocalBroker, Subscription

log = logging.getLogger("bot.storage")

# Bumped with each schema change; a file from a newer botloop is refused, not misread.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,   -- JSON
    expires_at REAL,            -- time.time() seconds; NULL: never
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
"""

_UPSERT = (
    "INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (namespace, key)"
    " DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
)

_LIVE = "(expires_at IS NULL OR expires_at > ?)"

# One statement each, so atomic across every connection to the file (other
# processes included): SQLite runs a statement under its write lock.
_INCR = """
INSERT INTO kv (namespace, key, value, expires_at) VALUES (:ns, :key, :first, :expires)
ON CONFLICT (namespace, key) DO UPDATE SET
    value = CASE WHEN kv.expires_at IS NULL OR kv.expires_at > :now
                 THEN CAST(CAST(kv.value AS INTEGER) + :by AS TEXT) ELSE excluded.value END,
    expires_at = CASE WHEN kv.expires_at IS NULL OR kv.expires_at > :now
                      THEN kv.expires_at ELSE excluded.expires_at END
    WHERE json_type(kv.value) = 'integer'
       OR NOT (kv.expires_at IS NULL OR kv.expires_at > :now)
RETURNING value
"""
_CLAIM = """
INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
    WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?
RETURNING 1
"""


class SQLiteStore:
    """A store in one SQLite file: WAL journal, ``synchronous=FULL``, autocommit.

    Every ``set`` and ``delete`` is its own transaction, committed before the call
    returns; with ``synchronous=FULL`` the WAL is fsynced at that commit (sqlite.org,
    "PRAGMA synchronous"), so a write that returned is on disk: it survives a killed
    process, and a power cut as far as the disk honours fsync. WAL lets other
    connections (another process, a backup) read while we write; the busy timeout
    makes a second writer wait for the lock instead of failing at once.

    Open with ``await SQLiteStore.open(path)``, which creates the parent directory,
    and always ``close()``: aiosqlite's worker thread keeps the process alive until then.
    """

    shared = False  # one process's, or one machine's

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: Clock) -> None:
        self._conn = conn
        self._path = path
        self._clock = clock
        self._closed = False
        self._next_purge = clock() + PURGE_EVERY
        self._broker = LocalBroker()  # in this process only: SQLite carries no messages

    @classmethod
    async def open(
        cls, path: str | Path, *, clock: Clock = time.time, busy_timeout: float = 5.0
    ) -> SQLiteStore:
        """Open (or create) the store at ``path``; raises OSError or sqlite3.Error if it can't.

        The parent directory is created on a worker thread, not on the loop.
        """
        path = Path(path)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        # isolation_level=None: autocommit, so each statement commits as it ends.
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await _configure(conn, busy_timeout)
            store = cls(conn, path, clock)
            purged = await store.purge()
        except BaseException:
            await conn.close()
            raise
        log.info("store opened at %s (%d expired entries purged)", path, purged)
        return store

    @property
    def path(self) -> Path:
        return self._path

    async def get(self, namespace: str, key: str, default: Any = None) -> Any:
        self._check(namespace, key)
        sql = f"SELECT value FROM kv WHERE namespace = ? AND key = ? AND {_LIVE}"
        async with self._conn.execute(sql, (namespace, key, self._clock())) as cursor:
            row = await cursor.fetchone()
        return default if row is None else decode(row[0])

    async def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        self._check(namespace, key)
        now = self._clock()
        text, expires_at = encode(key, value), expiry(ttl, now)
        async with self._conn.execute(_UPSERT, (namespace, key, text, expires_at)):
            pass
        if now >= self._next_purge:
            await self.purge()

    async def delete(self, namespace: str, key: str) -> bool:
        self._check(namespace, key)
        now = self._clock()
        # RETURNING keeps the check and the delete one statement, hence one transaction;
        # fetching every row runs it to completion, which commits it.
        rows = await self._conn.execute_fetchall(
            "DELETE FROM kv WHERE namespace = ? AND key = ? RETURNING expires_at",
            (namespace, key),
        )
        return any(exp is None or exp > now for (exp,) in rows)

    async def incr(self, namespace: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        self._check(namespace, key)
        if type(by) is not int:
            raise TypeError(f"store incr takes a whole number, not {type(by).__name__}")
        now = self._clock()
        params = {"ns": namespace, "key": key, "first": str(by), "by": by, "now": now}
        rows = await self._conn.execute_fetchall(_INCR, params | {"expires": expiry(ttl, now)})
        if not rows:  # the WHERE kept a live value that is not a whole number
            raise TypeError(f"store key {key!r} does not hold a count")
        return int(next(iter(rows))[0])

    async def claim(self, namespace: str, key: str, value: Any = True, *, ttl: float) -> bool:
        self._check(namespace, key)
        now = self._clock()
        text, expires_at = encode(key, value), expiry(ttl, now)
        rows = await self._conn.execute_fetchall(_CLAIM, (namespace, key, text, expires_at, now))
        return bool(rows)

    async def release(self, namespace: str, key: str, value: Any) -> bool:
        self._check(namespace, key)
        sql = (
            f"DELETE FROM kv WHERE namespace = ? AND key = ? AND value = ? AND {_LIVE} RETURNING 1"
        )
        params = (namespace, key, encode(key, value), self._clock())
        return bool(await self._conn.execute_fetchall(sql, params))

    async def publish(self, channel: str, data: Any) -> int:
        self._check(channel, "")
        return self._broker.publish(channel, data)

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        self._check(channel, "")
        return self._broker.subscribe(channel)

    async def keys(self, namespace: str, prefix: str = "") -> list[str]:
        self._check(namespace, prefix)
        # Keys sort by their UTF-8 bytes (BINARY collation), the same order as Python's
        # str comparison, so the keys with this prefix are a run starting at the prefix.
        # (LIKE would be case-insensitive and treat % and _ as wildcards.)
        sql = f"SELECT key FROM kv WHERE namespace = ? AND key >= ? AND {_LIVE} ORDER BY key"
        found: list[str] = []
        async with self._conn.execute(sql, (namespace, prefix, self._clock())) as cursor:
            async for (key,) in cursor:
                if not key.startswith(prefix):
                    break
                found.append(key)
        return found

    async def purge(self) -> int:
        """Delete every expired row now; the number deleted."""
        if self._closed:
            raise RuntimeError("store is closed")
        now = self._clock()
        async with self._conn.execute("DELETE FROM kv WHERE expires_at <= ?", (now,)) as cursor:
            purged = cursor.rowcount
        self._next_purge = now + PURGE_EVERY
        if purged:
            log.debug("purged %d expired entries", purged)
        return purged

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._conn.close()

    def _check(self, namespace: str, key: str) -> None:
        check_call(self._closed, namespace, key)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self._path)!r})"


async def _configure(conn: aiosqlite.Connection, busy_timeout: float) -> None:
    """Pragmas, then the schema; raises sqlite3.DatabaseError for a file that isn't ours."""
    await _pragma(conn, f"busy_timeout = {int(busy_timeout * 1000)}")
    # WAL is refused on some file systems (and for in-memory databases): say so.
    mode = await _pragma(conn, "journal_mode = WAL")
    if str(mode).lower() != "wal":
        raise aiosqlite.OperationalError(f"cannot use WAL journal mode here (got {mode!r})")
    await _pragma(conn, "synchronous = FULL")
    version = await _pragma(conn, "user_version")
    if version > SCHEMA_VERSION:
        raise aiosqlite.DatabaseError(
            f"schema version {version} is newer than this botloop understands ({SCHEMA_VERSION})"
        )
    await conn.executescript(_SCHEMA)
    await _pragma(conn, f"user_version = {SCHEMA_VERSION}")


async def _pragma(conn: aiosqlite.Connection, pragma: str) -> Any:
    async with conn.execute(f"PRAGMA {pragma}") as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def open_url(
    url: str, *, variable: str, clock: Clock = time.time, name: str = ""
) -> SQLiteStore:
    """The ``sqlite`` entry point: ``sqlite:///relative.db`` or ``sqlite:////abs.db``."""
    # Like SQLAlchemy: sqlite:/// then the path, taken literally (no %-decoding).
    rest = url.partition("://")[2]
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
