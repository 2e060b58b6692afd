"""bot.storage: the shared contract on both backends, then SQLite's durability and URLs.

Time is a fake clock handed to the store, so TTL tests advance it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.errors import ConfigError
from bot.storage import KeyValue, MemoryStore, SQLiteStore, open_store, storage_url
from bot.storage import sqlite as sqlite_module
from bot.storage.base import PURGE_EVERY
from tests.conftest import ROOT

MISSING = object()
T0 = 1_700_000_000.0


class FakeClock:
    """A wall clock that moves only when told to."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[MemoryStore | SQLiteStore]:
    """Each shared test runs once per backend."""
    opened: MemoryStore | SQLiteStore
    if request.param == "memory":
        opened = MemoryStore(clock=clock)
    else:
        opened = await SQLiteStore.open(tmp_path / "store.db", clock=clock)
    yield opened
    await opened.close()


async def is_file(path: Path) -> bool:
    """``path.is_file()`` off the loop (blockbuster fails a stat on it)."""
    return await asyncio.to_thread(path.is_file)


async def count_rows(path: Path) -> int:
    """Rows in the file, expired or not, through a connection of its own."""
    async with aiosqlite.connect(path) as conn, conn.execute("SELECT count(*) FROM kv") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


# --- the shared contract ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"city": "Paris", "temps": [1.5, -3], "ok": True, "none": None, "nested": {"a": {}}},
        ["a", 1, 2.25, False, None, []],
        "héllo 🌍 \x00 'quoted' \"double\"",
        "",
        0,
        -(2**62),
        3.141592653589793,
        True,
        False,
    ],
    ids=["dict", "list", "str", "empty-str", "zero", "big-int", "float", "true", "false"],
)
async def test_json_values_round_trip(store: MemoryStore | SQLiteStore, value: Any) -> None:
    await store.set("ns", "k", value)
    got = await store.get("ns", "k")
    assert got == value and type(got) is type(value)


async def test_stored_none_is_told_from_missing_key_by_a_sentinel_default(
    store: MemoryStore | SQLiteStore,
) -> None:
    await store.set("ns", "nothing", None)
    assert await store.get("ns", "nothing", MISSING) is None
    assert await store.get("ns", "absent", MISSING) is MISSING
    assert await store.get("ns", "absent") is None
    assert await store.get("ns", "absent", 42) == 42
    assert await store.keys("ns") == ["nothing"]


async def test_values_come_back_as_json_gives_them_and_as_copies(
    store: MemoryStore | SQLiteStore,
) -> None:
    original = {"pair": (1, 2), 7: "seven"}
    await store.set("ns", "k", original)
    got = await store.get("ns", "k")
    assert got == {"pair": [1, 2], "7": "seven"}
    got["pair"].append(3)
    original["pair"] = (9,)
    assert await store.get("ns", "k") == {"pair": [1, 2], "7": "seven"}


async def test_set_overwrites_value_and_ttl(
    store: MemoryStore | SQLiteStore, clock: FakeClock
) -> None:
    await store.set("ns", "k", "first", ttl=5)
    await store.set("ns", "k", {"second": 2})
    clock.advance(3600)
    assert await store.get("ns", "k") == {"second": 2}
    await store.set("ns", "k", "third", ttl=10)
    clock.advance(11)
    assert await store.get("ns", "k", MISSING) is MISSING


async def test_delete_says_whether_the_key_existed(store: MemoryStore | SQLiteStore) -> None:
    await store.set("ns", "k", 1)
    assert await store.delete("ns", "k") is True
    assert await store.get("ns", "k", MISSING) is MISSING
    assert await store.delete("ns", "k") is False
    assert await store.delete("never", "k") is False


async def test_keys_by_prefix_are_sorted_and_literal(store: MemoryStore | SQLiteStore) -> None:
    names = ["b:2", "b:10", "a", "b:1", "B:1", "b_x", "bx", "b%", "é", "z", "b:", "b:\x00"]
    for name in reversed(names):
        await store.set("ns", name, name)
    await store.set("other", "b:3", 3)
    assert await store.keys("ns") == sorted(names)
    assert await store.keys("ns", "b:") == ["b:", "b:\x00", "b:1", "b:10", "b:2"]
    # no SQL wildcards and no case folding: _ and % are plain characters
    assert await store.keys("ns", "b_") == ["b_x"]
    assert await store.keys("ns", "b%") == ["b%"]
    assert await store.keys("ns", "B") == ["B:1"]
    assert await store.keys("ns", "nope") == []
    assert await store.keys("empty") == []


async def test_ttl_expires_on_the_injected_clock(
    store: MemoryStore | SQLiteStore, clock: FakeClock
) -> None:
    await store.set("ns", "short", "s", ttl=10)
    await store.set("ns", "long", "l", ttl=0.5 * 3600)
    await store.set("ns", "forever", "f")
    clock.advance(9.9)
    assert await store.get("ns", "short") == "s"
    assert await store.keys("ns") == ["forever", "long", "short"]
    clock.advance(0.2)
    assert await store.get("ns", "short", MISSING) is MISSING
    assert await store.keys("ns") == ["forever", "long"]
    assert await store.delete("ns", "short") is False
    clock.advance(3600)
    assert await store.keys("ns") == ["forever"]


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf")])
async def test_ttl_must_be_positive_and_finite(
    store: MemoryStore | SQLiteStore, ttl: float
) -> None:
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        await store.set("ns", "k", 1, ttl=ttl)
    assert await store.get("ns", "k", MISSING) is MISSING


async def test_ttl_must_be_a_number(store: MemoryStore | SQLiteStore) -> None:
    with pytest.raises(TypeError, match="ttl must be a number"):
        await store.set("ns", "k", 1, ttl="10")  # type: ignore[arg-type]


def _circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    ("value", "culprit"),
    [
        ({"tags": {"a", "b"}}, "builtins.set"),
        ([1, object()], "builtins.object"),
        (b"bytes", "builtins.bytes"),
        ({(1, 2): "tuple key"}, "keys must be str"),
        (float("nan"), "Out of range float"),
        (_circular(), "Circular reference"),
    ],
    ids=["set", "object", "bytes", "tuple-key", "nan", "circular"],
)
async def test_non_json_value_is_a_type_error_naming_key_and_culprit_and_writes_nothing(
    store: MemoryStore | SQLiteStore, value: Any, culprit: str
) -> None:
    await store.set("ns", "kept", "old")
    for key in ("kept", "new"):
        with pytest.raises(TypeError) as caught:
            await store.set("ns", key, value)
        assert f"store key {key!r}" in str(caught.value)
        assert "not JSON-serialisable" in str(caught.value) and culprit in str(caught.value)
    assert await store.get("ns", "kept") == "old"
    assert await store.keys("ns") == ["kept"]


async def test_two_views_with_the_same_key_are_isolated(store: MemoryStore | SQLiteStore) -> None:
    weather, quotes = KeyValue(store, "weather"), KeyValue(store, "quotes")
    await weather.set("last", "Paris")
    await quotes.set("last", {"text": "hi"})
    assert await weather.get("last") == "Paris"
    assert await quotes.get("last") == {"text": "hi"}
    assert await weather.keys() == ["last"] and await quotes.keys() == ["last"]
    assert await quotes.delete("last") is True
    assert await weather.get("last") == "Paris"
    assert await quotes.get("last") is None


ODD_KEYS = ["../weather/last", "weather\x00last", "weather:last", "weather/last", "", "%", "\\"]


async def test_odd_keys_cannot_reach_another_namespace(store: MemoryStore | SQLiteStore) -> None:
    weather, evil = KeyValue(store, "weather"), KeyValue(store, "evil")
    await weather.set("last", "Paris")
    for key in ODD_KEYS:
        assert await evil.get(key, MISSING) is MISSING
        assert await evil.delete(key) is False
        await evil.set(key, f"evil {key}")
    assert await weather.get("last") == "Paris"
    assert await weather.keys() == ["last"]
    assert await evil.keys() == sorted(ODD_KEYS)
    for key in ODD_KEYS:
        assert await evil.get(key) == f"evil {key}"
    # a namespace that merely starts like another is another namespace
    assert await KeyValue(store, "weathe").keys() == []
    assert await KeyValue(store, "weather\x00").keys() == []


async def test_keys_and_namespaces_must_be_text(store: MemoryStore | SQLiteStore) -> None:
    with pytest.raises(TypeError, match="key must be a str, not int"):
        await store.set("ns", 1, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="namespace must be a str"):
        await store.get(None, "k")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="namespace must not be empty"):
        await store.keys("")
    with pytest.raises(ValueError, match="lone surrogate"):
        await store.set("ns", "\udc80", 1)
    with pytest.raises(ValueError, match="namespace must not be empty"):
        KeyValue(store, "")


async def test_200_concurrent_writers_and_readers_each_see_their_value(
    store: MemoryStore | SQLiteStore,
) -> None:
    view = KeyValue(store, "load")

    async def write_then_read(i: int) -> Any:
        await view.set(f"k{i:03}", {"i": i, "pad": "x" * i})
        return await view.get(f"k{i:03}")

    got = await asyncio.gather(*(write_then_read(i) for i in range(200)))
    assert got == [{"i": i, "pad": "x" * i} for i in range(200)]
    assert await view.keys() == [f"k{i:03}" for i in range(200)]
    # and mixed: overwrites, reads and deletes racing on the same keys
    await asyncio.gather(
        *(view.set(f"k{i:03}", -i) for i in range(0, 200, 2)),
        *(view.delete(f"k{i:03}") for i in range(1, 200, 2)),
        *(view.get(f"k{i:03}") for i in range(200)),
    )
    assert await view.keys() == [f"k{i:03}" for i in range(0, 200, 2)]
    values = await asyncio.gather(*(view.get(f"k{i:03}") for i in range(0, 200, 2)))
    assert values == [-i for i in range(0, 200, 2)]


async def test_a_closed_store_refuses_every_call(store: MemoryStore | SQLiteStore) -> None:
    await store.set("ns", "k", 1)
    await store.close()
    await store.close()  # idempotent
    for call in (
        store.get("ns", "k"),
        store.set("ns", "k", 2),
        store.delete("ns", "k"),
        store.keys("ns"),
    ):
        with pytest.raises(RuntimeError, match="store is closed"):
            await call


async def test_expired_entries_are_purged_on_request_and_now_and_then(
    store: MemoryStore | SQLiteStore, clock: FakeClock
) -> None:
    await store.set("ns", "a", 1, ttl=1)
    await store.set("ns", "b", 2, ttl=1)
    await store.set("ns", "c", 3)
    clock.advance(2)
    assert await store.purge() == 2
    assert await store.purge() == 0
    assert await store.get("ns", "c") == 3
    # a write after the purge interval sweeps on its own: nothing left for purge()
    await store.set("ns", "d", 4, ttl=1)
    clock.advance(PURGE_EVERY + 1)
    await store.set("ns", "e", 5)
    assert await store.purge() == 0
    assert await store.keys("ns") == ["c", "e"]


# --- SQLite: the file, its pragmas, durability ----------------------------------------


async def test_sqlite_uses_wal_synchronous_full_and_a_busy_timeout(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "p.db", busy_timeout=7.5)
    try:
        conn = store._conn  # the store's own connection: synchronous is per connection
        answers = {}
        for pragma in ("journal_mode", "synchronous", "busy_timeout"):
            async with conn.execute(f"PRAGMA {pragma}") as cursor:
                row = await cursor.fetchone()
            assert row is not None
            answers[pragma] = row[0]
        assert answers == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 7500}
        assert conn.in_transaction is False  # autocommit: nothing left pending
    finally:
        await store.close()


async def test_sqlite_data_and_ttl_survive_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "reopen.db"
    clock = FakeClock()
    store = await SQLiteStore.open(path, clock=clock)
    await store.set("ns", "plain", {"kept": True})
    await store.set("ns", "hour", "h", ttl=3600)
    await store.set("ns", "minute", "m", ttl=60)
    await store.close()

    clock.advance(120)  # the minute key expired while the bot was down
    store = await SQLiteStore.open(path, clock=clock)
    try:
        assert await store.get("ns", "plain") == {"kept": True}
        assert await store.get("ns", "hour") == "h"
        assert await store.get("ns", "minute", MISSING) is MISSING
    finally:
        await store.close()
    assert await count_rows(path) == 2  # the opening purge deleted the expired row

    clock.advance(3600)
    store = await SQLiteStore.open(path, clock=clock)
    try:
        assert await store.keys("ns") == ["plain"]
    finally:
        await store.close()


async def test_sqlite_creates_the_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "bot.db"
    store = await SQLiteStore.open(path)
    await store.set("ns", "k", 1)
    await store.close()
    assert await is_file(path)


async def test_two_sqlite_stores_on_one_file_write_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first, second = await SQLiteStore.open(path), await SQLiteStore.open(path)
    try:
        await asyncio.gather(
            *(first.set("one", f"k{i}", i) for i in range(100)),
            *(second.set("two", f"k{i}", i) for i in range(100)),
        )
        assert len(await second.keys("one")) == 100
        assert len(await first.keys("two")) == 100
    finally:
        await first.close()
        await second.close()


async def test_a_returned_write_survives_sigkill(tmp_path: Path, bot_env: dict[str, str]) -> None:
    path = tmp_path / "durable" / "bot.db"
    value = {"answer": 42, "when": "before the kill"}
    seed = await SQLiteStore.open(path)
    await seed.set("durable", "doomed", "the child deletes this")
    await seed.close()
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "tests" / "storage_child.py"), str(path), "k", json.dumps(value),
        env=bot_env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 30)  # type: ignore[union-attr]
        assert line == b"written\n", (line, await child.stderr.read())  # type: ignore[union-attr]
        assert await is_file(Path(f"{path}-wal"))  # the child really is in WAL mode, store open
    finally:
        child.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), 30) == -signal.SIGKILL
    store = await SQLiteStore.open(path)
    try:
        assert await store.get("durable", "k") == value
        assert await store.keys("durable") == ["k"]  # the delete held too
    finally:
        await store.close()


# --- STORAGE_URL and opening failures -------------------------------------------------


async def test_open_store_memory_url() -> None:
    store = await open_store("memory://")
    assert isinstance(store, MemoryStore)
    await store.set("ns", "k", 1)
    assert await store.get("ns", "k") == 1
    await store.close()


@pytest.fixture
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path (a sync fixture: changing directory stats, which blockbuster refuses)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def test_open_store_sqlite_relative_and_absolute_paths(in_tmp_path: Path) -> None:
    tmp_path = in_tmp_path
    relative = await open_store("sqlite:///rel/dir/r.db")
    absolute = await open_store(f"sqlite:///{tmp_path}/abs/a.db")  # → sqlite:////tmp/...
    for store in (relative, absolute):
        assert isinstance(store, SQLiteStore)
        await store.set("ns", "k", 1)
        await store.close()
    assert await is_file(tmp_path / "rel" / "dir" / "r.db")
    assert await is_file(tmp_path / "abs" / "a.db")


@pytest.mark.parametrize(
    "url",
    [
        "postgres://db/bot",
        "sqlite://",
        "sqlite:///",
        "sqlite://host/bot.db",
        "sqlite:bot.db",
        "memory://extra",
        "memory",
        "./data/bot.db",
        "",
    ],
)
async def test_bad_storage_url_is_a_config_error_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        await open_store(url)
    assert caught.value.variable == "STORAGE_URL"
    message = str(caught.value)
    assert message.startswith("STORAGE_URL: ") and "\n" not in message
    assert repr(url) in message
    if not url.startswith(("sqlite:/", "memory://")):
        assert "known: memory://, redis://, rediss://, sqlite://" in message


async def test_a_storage_url_error_never_shows_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        await open_store("nosuch://user:hunter22@db.internal:5432/bot")
    assert "hunter22" not in str(caught.value)
    assert "'nosuch://***@db.internal:5432/bot'" in str(caught.value)


async def test_unusable_sqlite_location_is_one_config_error_line(tmp_path: Path) -> None:
    await asyncio.to_thread((tmp_path / "a-file").write_text, "not a directory")
    with pytest.raises(ConfigError) as caught:
        await open_store(f"sqlite:///{tmp_path}/a-file/sub/bot.db", variable="DATA_DIR")
    assert caught.value.variable == "DATA_DIR"
    assert str(caught.value).startswith("DATA_DIR: cannot open the SQLite store ")
    assert "a-file" in str(caught.value) and "\n" not in str(caught.value)


async def test_corrupt_sqlite_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    await asyncio.to_thread(path.write_bytes, b"this is not a database, just text. " * 200)
    with pytest.raises(ConfigError, match=r"STORAGE_URL: cannot open .*not a database"):
        await open_store(f"sqlite:///{path}")


async def test_store_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    async with aiosqlite.connect(path) as conn:
        await conn.execute(f"PRAGMA user_version = {sqlite_module.SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="newer than this botloop understands"):
        await open_store(f"sqlite:///{path}")


async def test_default_url_puts_botloop_db_in_data_dir(tmp_path: Path) -> None:
    url = storage_url("", str(tmp_path / "data"))
    assert url == f"sqlite:///{tmp_path}/data/botloop.db"
    store = await open_store(url)
    await store.close()
    assert await is_file(tmp_path / "data" / "botloop.db")


@pytest.mark.parametrize(
    ("url", "data_dir", "expected"),
    [
        ("", "./data", "sqlite:///./data/botloop.db"),
        ("", "/var/lib/bot/", "sqlite:////var/lib/bot/botloop.db"),
        ("", "/", "sqlite:////botloop.db"),
        ("  ", "data", "sqlite:///data/botloop.db"),
        ("memory://", "./data", "memory://"),
        (" sqlite:///x.db ", "./data", "sqlite:///x.db"),
    ],
)
def test_storage_url_applies_the_data_dir_default(url: str, data_dir: str, expected: str) -> None:
    assert storage_url(url, data_dir) == expected


def test_storage_url_needs_a_data_dir_when_url_is_empty() -> None:
    with pytest.raises(ConfigError) as caught:
        storage_url("", " ")
    assert caught.value.variable == "DATA_DIR"
