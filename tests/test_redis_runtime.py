"""The bot on a real Redis: a Redis outage at run time costs only the handlers that
use the store (a clear answer), and the bot recovers when Redis returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import Context, Plugin
from tests.helpers import running
from tests.redis_server import RedisServer


def counter() -> Plugin:
    plugin = Plugin("counter")

    @plugin.command
    async def count(ctx: Context) -> None:
        await ctx.reply(f"count {await ctx.store.incr('n')}")

    @plugin.command
    async def hello(ctx: Context) -> None:
        await ctx.reply("hello")

    return plugin


async def test_an_outage_answers_clearly_and_the_bot_recovers(tmp_path: Path) -> None:
    server = await asyncio.to_thread(RedisServer, tmp_path)  # its own: stopped and restarted
    await asyncio.to_thread(server.start)
    try:
        async with running(counter(), storage_url=server.url) as (adapter, _):
            adapter.say("!count")
            await adapter.wait_for(1)
            await asyncio.to_thread(server.stop)  # Redis goes away
            adapter.say("!count")
            adapter.say("!hello")  # needs no store
            await adapter.wait_for(3, timeout=20)
            await asyncio.to_thread(server.start)  # and comes back, on the same port
            adapter.say("!count")
            await adapter.wait_for(4, timeout=20)
    finally:
        await asyncio.to_thread(server.stop)
    texts = [s.text for s in adapter.sent]
    assert texts[0] == "count 1"
    assert sorted(texts[1:3]) == sorted(
        ["The bot's store is unreachable right now; try again soon.", "hello"]
    )
    assert texts[3] == "count 1"  # a fresh server (no persistence): counting again


@pytest.mark.parametrize("scheme", ["redis", "rediss"])
def test_both_schemes_are_registered(scheme: str) -> None:
    from importlib import metadata

    names = {ep.name for ep in metadata.entry_points(group="botloop.stores")}
    assert scheme in names
