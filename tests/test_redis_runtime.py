"""The bot on a real Redis: a Redis outage at run time costs only the handlers that
use the store (a clear answer), and the bot recovers when Redis returns."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from pathlib import Path

import pytest

from bot import Action, Context, Message, Plugin, User, cooldown
from bot.adapters.memory import MemoryAdapter
from tests.fakes.discord import FakeDiscord
from tests.helpers import running
from tests.redis_server import RedisServer

_bots = itertools.count(1)


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


async def test_two_bots_on_one_redis_answer_a_message_delivered_to_both_once(
    redis_server: RedisServer,
) -> None:
    """Two runtimes (two dynos) sharing a Redis store get the same delivery, as Slack
    retries or a rolling Discord deploy hand it to both: one answers."""
    name = f"dedupe{next(_bots)}"  # a prefix of its own on the shared test server
    settings = {"storage_url": redis_server.url, "name": name}

    def deliver(adapter: MemoryAdapter, ident: str) -> None:
        # The platform's id, given: the adapter's own counter also numbers its replies.
        adapter.emit(Message(adapter.platform, adapter.channel, adapter.user, "!hello", ident))

    async with (
        running(counter(), **settings) as (first, _),
        running(counter(), **settings) as (second, _),
    ):
        for adapter in (first, second):
            deliver(adapter, "1")  # the same platform id in the same channel
        await asyncio.sleep(0.3)
        deliver(first, "2")  # "2" to the first only, then to the second as well
        deliver(second, "2")
        deliver(second, "3")  # new to both
        await asyncio.sleep(0.3)
    assert len(first.sent) + len(second.sent) == 3
    assert {s.reply_to.id for s in first.sent + second.sent if s.reply_to} == {"1", "2", "3"}


async def test_without_a_shared_store_each_bot_answers() -> None:
    async with (
        running(counter()) as (first, _),
        running(counter()) as (second, _),
    ):
        first.say("!hello")
        second.say("!hello")
        await first.wait_for(1)
        await second.wait_for(1)


async def test_a_cooldown_counts_across_bots_sharing_redis(redis_server: RedisServer) -> None:
    plugin = Plugin("limited")

    @plugin.command
    @cooldown(1, 3600)  # hour windows: a test never straddles two
    async def deploy(ctx: Context) -> None:
        await ctx.reply("deploying")

    settings = {"storage_url": redis_server.url, "name": f"cooldown{next(_bots)}"}
    async with (
        running(plugin, **settings) as (first, _),
        running(plugin, **settings) as (second, _),
    ):
        first.say("!deploy")  # id "1": runs, and spends the one run of the window
        await first.wait_for(1)
        second.say("!other")  # id "1" on the second bot: spends its id, nothing else
        second.say("!deploy")  # id "2": a new message, on the other process
        await second.wait_for(1)
        second.say("!deploy")  # id "3": still refused, but told only once
        await asyncio.sleep(0.3)
    assert [s.text for s in first.sent] == ["deploying"]
    [refusal] = [s.text for s in second.sent]  # the window ends on the hour, for everyone
    assert re.fullmatch(r"Slow down: try `!deploy` again in \d+ (min|s)\.", refusal)


async def test_each_scheduled_run_happens_once_across_bots_sharing_redis(
    redis_server: RedisServer,
) -> None:
    """Two processes, one every-0.5 s job: the ticks fall on the same epoch grid in
    both, and each is run by one of them only."""
    runs: list[float] = []

    def ticking() -> Plugin:
        plugin = Plugin("ticker")

        @plugin.every(seconds=0.5)
        async def tick(ctx: Context) -> None:
            runs.append(time.time())

        return plugin

    settings = {"storage_url": redis_server.url, "name": f"jobs{next(_bots)}"}
    async with running(ticking(), **settings), running(ticking(), **settings):
        await asyncio.sleep(1.8)
    assert 1 <= len(runs) <= 4, runs  # 3 or 4 ticks in 1.8 s; 6 to 8 runs if both ran them
    gaps = [b - a for a, b in itertools.pairwise(sorted(runs))]
    assert all(gap > 0.1 for gap in gaps), gaps  # never two runs of one tick


async def test_slash_commands_are_synced_by_one_process_of_several(
    redis_server: RedisServer, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds the sync lock: this one connects and leaves the sync to it."""
    from bot.storage import open_store

    caplog.set_level("INFO", logger="bot.adapters.discord")
    from tests.discord_helpers import discord_bot

    name = f"slash{next(_bots)}"
    other = await open_store(redis_server.url, name=name)
    try:
        assert await other.claim("\x00adapters\x00locks", "discord-slash-sync", "x", ttl=60)
        async with discord_bot(fake, counter(), storage_url=redis_server.url, name=name):
            await asyncio.sleep(0.3)
    finally:
        await other.close()
    assert not fake.requests_to("GET", r"/applications/\d+/commands")
    assert not fake.requests_to("PUT", r"/applications/\d+/commands")
    assert "another process is syncing the slash commands" in caplog.text


async def test_alone_the_bot_syncs_its_slash_commands(fake: FakeDiscord) -> None:
    from tests.discord_helpers import discord_bot

    async with discord_bot(fake, counter()):
        await fake.wait_requests("PUT", r"/applications/\d+/commands")


async def test_redis_prefix_names_the_bots_keys(redis_server: RedisServer) -> None:
    from bot.storage import KeyValue, open_store

    prefix = f"pfx{next(_bots)}"
    async with running(counter(), storage_url=redis_server.url, redis_prefix=prefix) as (
        adapter,
        _,
    ):
        adapter.say("!count")
        await adapter.wait_for(1)
    store = await open_store(redis_server.url, name=prefix)
    try:
        assert await KeyValue(store, "counter").get("n") == 1
    finally:
        await store.close()


async def test_a_reaction_delivered_to_two_bots_is_handled_once(redis_server: RedisServer) -> None:
    from bot import ChannelRef, ReactionAdded, User

    seen: list[str] = []
    plugin = Plugin("reactions")

    @plugin.on_event("reaction_added")
    async def starred(ctx: Context, event: ReactionAdded) -> None:
        seen.append(event.emoji)

    settings = {"storage_url": redis_server.url, "name": f"react{next(_bots)}"}
    async with (
        running(plugin, **settings) as (first, _),
        running(plugin, **settings) as (second, _),
    ):
        channel = ChannelRef(first.platform, "general")
        star = ReactionAdded(first.platform, channel, User("u2", "bob"), "m1", "⭐")
        first.emit(star)
        second.emit(star)  # the same delivery, as a retry reaches the other dyno
        second.emit(ReactionAdded(first.platform, channel, User("u2", "bob"), "m1", "👍"))
        await asyncio.sleep(0.3)
    assert sorted(seen) == sorted(["⭐", "👍"])


def asking() -> Plugin:
    plugin = Plugin("asking")

    @plugin.command
    async def city(ctx: Context) -> None:
        await ctx.reply(f"city={await ctx.ask('Which city?', timeout=10)}")

    @plugin.command
    async def env(ctx: Context) -> None:
        await ctx.reply(f"env={await ctx.choose('Where?', ['staging', 'prod'], timeout=10)}")

    @plugin.command
    async def hello(ctx: Context) -> None:
        await ctx.reply("hello")

    return plugin


async def test_an_answer_that_reaches_another_process_is_handed_to_the_asker(
    redis_server: RedisServer,
) -> None:
    """The question is asked in the first process; the answer (a message, a click)
    arrives at the second, as a load balancer or Socket Mode may send it. The
    second hands it on and answers nothing; the first's handler gets it."""
    settings = {"storage_url": redis_server.url, "name": f"relay{next(_bots)}"}
    bob = User("u2", "bob")
    async with (
        running(asking(), **settings) as (first, _),
        running(asking(), **settings) as (second, _),
    ):
        first.say("!city")
        await first.wait_for(1)
        await asyncio.sleep(0.2)  # the second process hears of the question
        second.say("!hello", user=bob)  # someone else, meanwhile: an ordinary command
        second.say("Oslo")  # the asker's answer, at the other process
        await first.wait_for(2)
        await second.wait_for(1)

        first.say("!env")
        await first.wait_for(3)
        await asyncio.sleep(0.2)
        question = first.sent[2]
        buttons = question.reply.components[0]
        prod = buttons[1]
        click = Action(
            second.platform, question.channel, bob, prod.id, message=question.ref, key="c1"
        )
        second.emit(click)  # another user: refused where the click landed
        await second.wait_for(2)
        second.emit(Action(second.platform, question.channel, first.user, prod.id,
                           message=question.ref, key="c2"))  # fmt: skip
        await first.wait_for(5)
    assert [s.text for s in first.sent] == [
        "Which city?",
        "city=Oslo",
        "Where?",
        "Where?\n→ **prod**",  # the first updated the message it asked with
        "env=prod",
    ]
    assert first.sent[3].replaces == question.ref
    assert [s.text for s in second.sent] == ["hello", "This isn't yours to answer."]
    assert second.sent[1].reply.ephemeral
