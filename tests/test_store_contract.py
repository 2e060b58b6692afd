"""One contract for every store backend: the atomic primitives several processes can
rely on (incr, claim, release, lock) and publish/subscribe, run against each."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import LockTaken
from bot.storage import KeyValue, MemoryStore, SQLiteStore, Store, open_store
from tests.conftest import ROOT
from tests.redis_server import RedisServer

_prefixes = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer
) -> AsyncIterator[Store]:
    if request.param == "memory":
        opened: Store = MemoryStore()
    elif request.param == "sqlite":
        opened = await SQLiteStore.open(tmp_path / "kv.db")
    else:  # a prefix of its own: the tests share one server
        opened = await open_store(redis_server.url, name=f"t{next(_prefixes)}")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(params=["memory", "sqlite"])
async def timed(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Clock]]:
    clock = Clock()
    if request.param == "memory":
        opened: Store = MemoryStore(clock=clock)
    else:
        opened = await SQLiteStore.open(tmp_path / "kv.db", clock=clock)
    try:
        yield opened, clock
    finally:
        await opened.close()


async def test_incr_never_loses_an_increment_under_100_concurrent_tasks(store: Store) -> None:
    kv = KeyValue(store, "counter")
    results = await asyncio.gather(*(kv.incr("hits") for _ in range(100)))
    assert sorted(results) == list(range(1, 101))  # each saw its own count
    assert await kv.get("hits") == 100
    assert await kv.incr("hits", 5) == 105
    assert await kv.incr("hits", -10) == 95


async def test_incr_ttl_starts_with_the_window_and_a_non_count_is_refused(
    timed: tuple[Store, Clock],
) -> None:
    store, clock = timed
    kv = KeyValue(store, "window")
    assert await kv.incr("w", ttl=10) == 1
    clock.now += 6
    assert await kv.incr("w", ttl=10) == 2  # the window does not move
    clock.now += 5
    assert await kv.incr("w", ttl=10) == 1  # expired: a new window
    await kv.set("name", "ada")
    with pytest.raises(TypeError):
        await kv.incr("name")
    assert await kv.get("name") == "ada"
    with pytest.raises(TypeError):
        await kv.incr("w", 1.5)  # type: ignore[arg-type]


async def test_claim_is_true_for_exactly_one_caller_until_it_expires(
    timed: tuple[Store, Clock],
) -> None:
    store, clock = timed
    kv = KeyValue(store, "dedupe")
    won = await asyncio.gather(*(kv.claim("event-42", ttl=60) for _ in range(50)))
    assert won.count(True) == 1
    assert not await KeyValue(store, "dedupe").claim("event-42", ttl=60)
    assert await KeyValue(store, "other").claim("event-42", ttl=60)  # namespaces apart
    clock.now += 61
    assert await kv.claim("event-42", ttl=60)


async def test_release_deletes_only_while_the_value_is_still_the_holders(store: Store) -> None:
    assert await store.claim("ns", "k", "token-a", ttl=60)
    assert not await store.release("ns", "k", "token-b")
    assert await store.get("ns", "k") == "token-a"
    assert await store.release("ns", "k", "token-a")
    assert await store.get("ns", "k") is None


async def test_a_lock_admits_one_holder_at_a_time(store: Store) -> None:
    kv = KeyValue(store, "sync")
    inside = 0
    most = 0

    async def work() -> None:
        nonlocal inside, most
        async with kv.lock("job", ttl=10):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(work() for _ in range(8)))
    assert most == 1
    assert await kv.keys() == []  # locks are not the plugin's keys
    async with kv.lock("job", ttl=10):
        with pytest.raises(LockTaken, match="`job` is busy"):
            async with kv.lock("job", ttl=10, wait=0):
                pass
    async with kv.lock("job", ttl=10, wait=0):  # released on exit
        pass


async def test_a_lock_whose_holder_died_expires(timed: tuple[Store, Clock]) -> None:
    store, clock = timed
    assert await store.claim("sync\x00locks", "job", "dead-holder", ttl=30)  # never released
    kv = KeyValue(store, "sync")
    with pytest.raises(LockTaken):
        async with kv.lock("job", ttl=30, wait=0):
            pass
    clock.now += 31
    async with kv.lock("job", ttl=30, wait=0):
        pass


async def test_publish_reaches_the_channels_subscribers_only(store: Store) -> None:
    mine, theirs = KeyValue(store, "a"), KeyValue(store, "b")
    assert await mine.publish("news", 1) == 0  # nobody listening yet
    async with mine.subscribe("news") as news, theirs.subscribe("news") as other:
        assert await mine.publish("news", {"n": 2}) == 1
        assert await asyncio.wait_for(news.get(), 5) == {"n": 2}
        assert await theirs.publish("news", "theirs") == 1
        # Another plugin's channel of the same name got only its own message.
        assert await asyncio.wait_for(other.get(), 5) == "theirs"
    assert await mine.publish("news", 3) == 0  # unsubscribed on exit


def test_a_sqlite_counter_never_loses_an_increment_across_2_processes(tmp_path: Path) -> None:
    """100 concurrent tasks in each of 2 processes, one SQLite file: 200."""
    script = textwrap.dedent(f"""
        import asyncio
        from bot.storage import KeyValue, SQLiteStore

        async def main():
            store = await SQLiteStore.open({str(tmp_path / "shared.db")!r})
            kv = KeyValue(store, "counter")
            await asyncio.gather(*(kv.incr("hits") for _ in range(100)))
            await store.close()

        asyncio.run(main())
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()

    async def total() -> int:
        store = await SQLiteStore.open(tmp_path / "shared.db")
        try:
            value: int = await KeyValue(store, "counter").get("hits")
            return value
        finally:
            await store.close()

    assert asyncio.run(total()) == 200


async def test_redis_ttls_windows_and_dead_locks_expire_on_its_own_clock(
    redis_server: RedisServer,
) -> None:
    store = await open_store(redis_server.url, name=f"t{next(_prefixes)}")
    try:
        kv = KeyValue(store, "w")
        assert await kv.incr("n", ttl=0.3) == 1
        assert await kv.incr("n", ttl=0.3) == 2
        assert await kv.claim("once", ttl=0.3)
        assert not await kv.claim("once", ttl=0.3)
        assert await store.claim("w\x00locks", "job", "dead-holder", ttl=0.3)
        await asyncio.sleep(0.4)
        assert await kv.incr("n", ttl=0.3) == 1  # a new window
        assert await kv.claim("once", ttl=0.3)
        async with kv.lock("job", ttl=5, wait=0):
            pass
    finally:
        await store.close()


async def test_two_bots_on_one_redis_keep_their_keys_apart(redis_server: RedisServer) -> None:
    first = await open_store(redis_server.url, name="first-bot")
    second = await open_store(redis_server.url, name="second-bot")
    try:
        await KeyValue(first, "notes").set("k", 1)
        assert await KeyValue(second, "notes").get("k") is None
        assert await KeyValue(second, "notes").keys() == []
    finally:
        await first.close()
        await second.close()


def test_a_redis_counter_never_loses_an_increment_across_2_processes(
    redis_server: RedisServer,
) -> None:
    """The counter of the issue: 100 concurrent tasks in each of 2 processes, one Redis."""
    name = f"t{next(_prefixes)}"
    script = textwrap.dedent(f"""
        import asyncio
        from bot.storage import KeyValue, open_store

        async def main():
            store = await open_store({redis_server.url!r}, name={name!r})
            kv = KeyValue(store, "counter")
            await asyncio.gather(*(kv.incr("hits") for _ in range(100)))
            await store.close()

        asyncio.run(main())
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()

    async def total() -> int:
        store = await open_store(redis_server.url, name=name)
        try:
            value: int = await KeyValue(store, "counter").get("hits")
            return value
        finally:
            await store.close()

    assert asyncio.run(total()) == 200
