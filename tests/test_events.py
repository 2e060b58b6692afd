"""Events beyond messages (reactions, joins, ready) and slash-style invocations, through a
real Runtime on a MemoryAdapter."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest

from bot import ChannelRef, Context, Plugin, User
from bot.errors import PluginError
from bot.model import BotReady, Invocation, MemberJoined, ReactionAdded
from tests.helpers import running

BOB = User("u2", "bob")


def watcher(seen: list[object]) -> Plugin:
    plugin = Plugin("watch")

    @plugin.on_event("reaction_added")
    async def reacted(ctx: Context, event: ReactionAdded) -> None:
        seen.append(event)
        await ctx.reply(f"{event.user.name} reacted {event.emoji} on {event.message_id}")

    @plugin.on_event("member_joined")
    async def joined(ctx: Context, event: MemberJoined) -> None:
        seen.append(event)
        assert ctx.author == event.user
        await ctx.reply(f"welcome {event.user.name}")

    @plugin.on_event("bot_ready")
    async def ready(ctx: Context, event: BotReady) -> None:
        seen.append(event)

    return plugin


async def test_bot_ready_reaches_its_handler_at_start() -> None:
    seen: list[object] = []
    async with running(watcher(seen)) as (adapter, _):
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
    assert seen == [BotReady("memory", adapter.me)]


async def test_reaction_and_join_reach_typed_handlers_and_replies_go_to_their_channel() -> None:
    seen: list[object] = []
    room = ChannelRef("memory", "room")
    async with running(watcher(seen)) as (adapter, _):
        adapter.emit(ReactionAdded("memory", room, BOB, "m7", "👍"))
        adapter.emit(MemberJoined("memory", BOB, room))
        sent = await adapter.wait_for(2)
    assert sorted(s.text for s in sent) == ["bob reacted 👍 on m7", "welcome bob"]
    assert {s.channel for s in sent} == {room}
    assert all(s.reply_to is None for s in sent)


async def test_reactions_by_bots_are_ignored_like_their_messages() -> None:
    seen: list[object] = []
    async with running(watcher(seen)) as (adapter, _):
        adapter.emit(ReactionAdded("memory", adapter.channel, adapter.me, "m1", "👍"))
        adapter.say("!ping")  # something that does answer, to know the event was processed
        await asyncio.sleep(0.05)
    assert not [e for e in seen if isinstance(e, ReactionAdded)]


async def test_a_failing_event_handler_is_logged_and_answers_in_the_channel() -> None:
    plugin = Plugin("boom")

    @plugin.on_event("member_joined")
    async def joined(ctx: Context, event: MemberJoined) -> None:
        raise RuntimeError("kaput")

    room = ChannelRef("memory", "room")
    async with running(plugin) as (adapter, _):
        adapter.emit(MemberJoined("memory", BOB, room))
        sent = await adapter.wait_for(1)
    assert "failed" in sent[0].text
    assert sent[0].channel == room


def test_unknown_event_kind_fails_at_decoration() -> None:
    plugin = Plugin("x")
    with pytest.raises(PluginError, match="on_message"):
        plugin.on_event("message")
    with pytest.raises(PluginError, match="reaction_added"):
        plugin.on_event("reaction")


def test_ctx_message_on_an_event_handler_says_what_to_read_instead() -> None:
    from bot.plugin.wiring import Mount

    ctx = Context(BotReady("memory", BOB), None, Mount("x", None, None), None)  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match=r"ctx\.event"):
        _ = ctx.message
    assert ctx.author is None and ctx.channel is None


# Invocations (slash commands): options by name, or argument text


def forecaster() -> Plugin:
    plugin = Plugin("wx")

    @plugin.command
    async def forecast(
        ctx: Context, city: str, days: int = 1, unit: Literal["c", "f"] = "c", *more: str
    ) -> None:
        await ctx.reply(f"{city}|{days}|{unit}|{','.join(more)}")

    @plugin.command
    async def say(ctx: Context, *, text: str) -> None:
        await ctx.reply(text)

    return plugin


async def test_invocation_with_named_options_converts_each_value() -> None:
    async with running(forecaster()) as (adapter, _):
        inv = Invocation("forecast", options={"city": "New York", "days": 3, "more": "Oslo Rome"})
        adapter.say("/forecast", invocation=inv)
        sent = await adapter.wait_for(1)
    assert sent[0].text == "New York|3|c|Oslo,Rome"


async def test_invocation_with_argument_text_parses_like_a_message() -> None:
    async with running(forecaster()) as (adapter, _):
        adapter.invoke("forecast", '"New York" 2 f')
        adapter.invoke("say", "  keep   spacing ")
        sent = await adapter.wait_for(2)
    assert sorted(s.text for s in sent) == ["New York|2|f|", "keep   spacing"]


async def test_invocation_with_bad_options_answers_the_slash_usage_ephemerally() -> None:
    async with running(forecaster()) as (adapter, _):
        adapter.say(
            "/forecast", invocation=Invocation("forecast", options={"city": "X", "days": "soon"})
        )
        sent = await adapter.wait_for(1)
    assert "days must be a whole number" in sent[0].text
    assert "Usage: /forecast <city>" in sent[0].text
    assert sent[0].reply.ephemeral


async def test_invocations_skip_listeners_and_unknown_names_get_a_hint() -> None:
    plugin = forecaster()
    heard: list[str] = []

    @plugin.on_message(r"forecast")
    async def listen(ctx: Context) -> None:
        heard.append(ctx.message.text)

    async with running(plugin) as (adapter, _):
        adapter.invoke("forecats", "Paris")
        sent = await adapter.wait_for(1)
    assert "Did you mean `!forecast`" in sent[0].text
    assert heard == []
