"""The real discord.py client, driven by our adapter under a real Runtime, against the fake
Discord over loopback: what the bot reads from the gateway and what it puts on the wire."""

from __future__ import annotations

import asyncio

import pytest

from bot import Card, Context, Field, Plugin, Reply
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.settings import DiscordSettings
from bot.errors import ConfigError
from bot.model import BotReady, MemberJoined, ReactionAdded
from tests.discord_helpers import discord_bot
from tests.fakes.discord import (
    BOB,
    BOT_ID,
    BOT_ROLE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    OTHER_BOT,
    ROLE_ID,
    THREAD_ID,
    FakeDiscord,
    make_token,
)

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"


def weather() -> Plugin:
    plugin = Plugin("weather")

    @plugin.command(help="weather CITY — current conditions")
    async def weather(ctx: Context, city: str, days: int = 1) -> None:
        await ctx.reply(f"{city}: sunny for {days} day(s)")

    @plugin.command(help="A card")
    async def card(ctx: Context) -> None:
        fields = (Field("Temp", "21 °C"), Field("Wind", "5 km/h", inline=False))
        await ctx.reply(
            Card("Paris", url="https://example.org/paris", description="Sunny", fields=fields,
                 footer="fake data", colour=0x3498DB, image="https://example.org/sun.png")
        )  # fmt: skip

    @plugin.command(help="Echo the text as is")
    async def say(ctx: Context, *, text: str) -> None:
        await ctx.reply(text)

    @plugin.command(help="Echo, allowed to ping")
    async def announce(ctx: Context, *, text: str) -> None:
        await ctx.reply(Reply(text, allow_mentions=True))

    @plugin.command(help="A long answer")
    async def long(ctx: Context, size: int) -> None:
        await ctx.reply("\n".join(f"line {i:04d} " + "x" * 40 for i in range(size // 50)))

    @plugin.command(help="Slow lookup")
    async def slow(ctx: Context, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await ctx.reply(f"done after {seconds:g}")

    @plugin.command(help="Fails")
    async def boom(ctx: Context) -> None:
        raise RuntimeError("kaboom")

    @plugin.command(help="React, type, edit")
    async def busy(ctx: Context) -> None:
        await ctx.react("👍")
        async with ctx.typing():
            ref = await ctx.reply("working…")
        await ctx.edit(ref, "done")

    return plugin


# --- Connection -----------------------------------------------------------------------------


async def test_identify_asks_for_the_intents_and_the_compression_discord_py_wants(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, weather()):
        pass
    query = fake.gateway_queries[0]
    assert query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    intents = fake.identifies[0]["intents"]
    guilds, members, guild_messages, guild_reactions = 1 << 0, 1 << 1, 1 << 9, 1 << 10
    dm_messages, dm_reactions, message_content = 1 << 12, 1 << 13, 1 << 15
    wanted = guilds | guild_messages | guild_reactions | dm_messages | dm_reactions
    assert intents & (wanted | message_content) == wanted | message_content
    assert not intents & members  # privileged; only with DISCORD_MEMBERS_INTENT
    assert fake.heartbeats >= 1  # discord.py beats at once on HELLO


async def test_bot_ready_carries_the_bot_identity(fake: FakeDiscord) -> None:
    plugin = Plugin("ready")
    seen: asyncio.Queue[BotReady] = asyncio.Queue()

    @plugin.on_event("bot_ready")
    async def ready(ctx: Context, event: BotReady) -> None:
        seen.put_nowait(event)

    async with discord_bot(fake, plugin):
        event = await asyncio.wait_for(seen.get(), 10)
    assert event.platform == "discord"
    assert event.me.id == str(BOT_ID) and event.me.is_bot


# --- Messages in, replies out ---------------------------------------------------------------


async def test_prefix_command_replies_referencing_the_message(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        mid = await fake.say("!weather Paris 2")
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert post.json["content"] == "Paris: sunny for 2 day(s)"
    assert post.json["message_reference"]["message_id"] == mid
    assert post.json["message_reference"]["channel_id"] == CHANNEL_ID
    assert post.json["message_reference"]["fail_if_not_exists"] is False
    # Echoed text can never mass-ping: no everyone, no roles unless a plugin opts in.
    assert post.json["allowed_mentions"] == {"parse": ["users"], "replied_user": True}


@pytest.mark.parametrize("mention", [f"<@{BOT_ID}>", f"<@!{BOT_ID}>", f"<@&{BOT_ROLE_ID}>"])
async def test_a_mention_is_a_command_without_prefix(fake: FakeDiscord, mention: str) -> None:
    async with discord_bot(fake, weather()):
        await fake.say(f"{mention} weather Oslo")
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert post.json["content"] == "Oslo: sunny for 1 day(s)"


async def test_a_mention_of_another_role_is_not_a_mention_of_the_bot(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say(f"<@&{ROLE_ID}> weather Oslo")
        await fake.say("!weather Bergen")  # answered: so the first one had its chance
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert post.json["content"] == "Bergen: sunny for 1 day(s)"


async def test_a_direct_message_is_a_command_without_prefix(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("weather Rome", channel_id=DM_CHANNEL_ID, guild=False)
        (post,) = await fake.wait_requests("POST", rf"/channels/{DM_CHANNEL_ID}/messages")
    assert post.json["content"] == "Rome: sunny for 1 day(s)"


async def test_a_message_in_a_thread_is_answered_in_the_thread(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!weather Lima", channel_id=THREAD_ID)
        (post,) = await fake.wait_requests("POST", rf"/channels/{THREAD_ID}/messages")
    assert post.json["content"] == "Lima: sunny for 1 day(s)"


async def test_messages_from_bots_are_ignored(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!weather Bot-town", author=OTHER_BOT)
        await fake.say("!weather Human-town")
        # The bot's message is dispatched first, on the same connection: had it been
        # taken as a command, its reply would have started first too.
        await fake.wait_requests("POST", MESSAGES)
    assert [r.json["content"] for r in fake.requests_to("POST", MESSAGES)] == [
        "Human-town: sunny for 1 day(s)"
    ]


async def test_a_card_becomes_an_embed(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!card")
        (post,) = await fake.wait_requests("POST", MESSAGES)
    (embed,) = post.json["embeds"]
    assert embed["title"] == "Paris" and embed["url"] == "https://example.org/paris"
    assert embed["description"] == "Sunny"
    assert embed["color"] == 0x3498DB
    assert embed["footer"] == {"text": "fake data"}
    assert embed["image"] == {"url": "https://example.org/sun.png"}
    assert embed["fields"] == [
        {"name": "Temp", "value": "21 °C", "inline": True},
        {"name": "Wind", "value": "5 km/h", "inline": False},
    ]


async def test_mass_pings_need_the_plugin_to_opt_in(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!say @everyone look")
        await fake.wait_requests("POST", MESSAGES, 1)
        await fake.say("!announce @everyone look")
        first, second = await fake.wait_requests("POST", MESSAGES, 2)
    assert first.json["content"] == "@everyone look"
    assert first.json["allowed_mentions"]["parse"] == ["users"]
    assert set(second.json["allowed_mentions"]["parse"]) == {"everyone", "users", "roles"}


async def test_a_2500_character_reply_is_split_on_lines(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        mid = await fake.say("!long 2500")
        first, second = await fake.wait_requests("POST", MESSAGES, 2)
    assert len(first.json["content"]) <= 2000 and len(second.json["content"]) <= 2000
    assert first.json["content"].startswith("line 0000")
    assert second.json["content"].startswith("line ")  # cut between lines
    joined = first.json["content"] + "\n" + second.json["content"]
    assert joined.count("line ") == 50
    assert first.json["message_reference"]["message_id"] == mid
    assert "message_reference" not in second.json  # only the first one replies


async def test_a_very_long_reply_is_sent_as_a_file(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!long 9000")
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert post.json["content"] == "The answer is long, so here it is as a file."
    ((name, data),) = post.files
    assert name == "reply.md"
    assert data.decode().count("line ") == 180


async def test_react_typing_and_edit(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        mid = await fake.say("!busy")
        (patch,) = await fake.wait_requests("PATCH", rf"{MESSAGES}/\d+")
    (put,) = fake.requests_to("PUT", rf"{MESSAGES}/{mid}/reactions/.+/@me")
    assert "%F0%9F%91%8D" in put.path or "👍" in put.path
    assert fake.requests_to("POST", rf"/channels/{CHANNEL_ID}/typing")
    (post,) = fake.requests_to("POST", MESSAGES)
    assert post.json["content"] == "working…"
    assert patch.json["content"] == "done"


async def test_a_crashing_handler_answers_the_apology_and_the_bot_goes_on(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!boom")
        await fake.wait_requests("POST", MESSAGES, 1)
        await fake.say("!weather Paris")
        first, second = await fake.wait_requests("POST", MESSAGES, 2)
    assert first.json["content"] == "Sorry, `!boom` failed. The error has been logged."
    assert second.json["content"] == "Paris: sunny for 1 day(s)"


async def test_a_429_is_waited_out_and_the_reply_still_delivered(fake: FakeDiscord) -> None:
    fake.rate_limit("POST", MESSAGES, retry_after=0.3)
    async with discord_bot(fake, weather()):
        await fake.say("!weather Paris")
        limited, delivered = await fake.wait_requests("POST", MESSAGES, 2)
    assert limited.json == delivered.json
    assert delivered.json["content"] == "Paris: sunny for 1 day(s)"
    assert delivered.at - limited.at >= 0.3 * 0.9  # discord.py slept retry_after first


async def test_a_dropped_gateway_resumes_and_the_bot_still_answers(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather()):
        await fake.say("!weather Before")
        await fake.wait_requests("POST", MESSAGES, 1)
        await fake.drop()
        await fake.say("!weather During")  # sent while disconnected: replayed on RESUME
        await fake.wait_session(2)
        await fake.say("!weather After")
        posts = await fake.wait_requests("POST", MESSAGES, 3)
    (resume,) = fake.resumes
    assert resume["session_id"] == "session-1"
    assert resume["seq"] >= 3  # READY, GUILD_CREATE and the first message were seen
    assert len(fake.identifies) == 1  # resumed, not a new session
    assert sorted(p.json["content"].split(":")[0] for p in posts) == ["After", "Before", "During"]


# --- Other events ---------------------------------------------------------------------------


def watcher(seen: asyncio.Queue[object]) -> Plugin:
    plugin = Plugin("watch")

    @plugin.on_event("reaction_added")
    async def reacted(ctx: Context, event: ReactionAdded) -> None:
        seen.put_nowait(event)
        await ctx.reply(f"{event.user.name} reacted {event.emoji}")

    @plugin.on_event("member_joined")
    async def joined(ctx: Context, event: MemberJoined) -> None:
        seen.put_nowait(event)
        await ctx.reply(f"Welcome, {event.user.name}!")

    return plugin


async def test_a_reaction_reaches_reaction_added(fake: FakeDiscord) -> None:
    seen: asyncio.Queue[object] = asyncio.Queue()
    async with discord_bot(fake, watcher(seen)):
        await fake.react(4242, "🎉")
        event = await asyncio.wait_for(seen.get(), 10)
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert isinstance(event, ReactionAdded)
    assert event.message_id == "4242" and event.emoji == "🎉"
    assert event.user.id == BOB["id"] and not event.user.is_bot
    assert event.channel.id == str(CHANNEL_ID)
    assert post.json["content"] == f"{event.user.name} reacted 🎉"


async def test_a_member_join_reaches_member_joined_with_the_members_intent(
    fake: FakeDiscord,
) -> None:
    seen: asyncio.Queue[object] = asyncio.Queue()
    async with discord_bot(fake, watcher(seen), environ={"DISCORD_MEMBERS_INTENT": "1"}):
        await fake.member_join(BOB)
        event = await asyncio.wait_for(seen.get(), 10)
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert isinstance(event, MemberJoined)
    # In the server's system channel, where Discord posts its own welcome.
    assert event.user.id == BOB["id"] and event.channel is not None
    assert event.channel.id == str(CHANNEL_ID)
    assert post.json["content"] == f"Welcome, {event.user.name}!"
    assert fake.identifies[0]["intents"] & (1 << 1)  # GUILD_MEMBERS asked for


async def test_reply_thread_true_starts_a_thread_on_the_message(fake: FakeDiscord) -> None:
    plugin = Plugin("threads")

    @plugin.command(help="Answer in a thread")
    async def discuss(ctx: Context) -> None:
        await ctx.reply("let's talk here", thread=True)

    async with discord_bot(fake, plugin):
        mid = await fake.say("!discuss")
        (start,) = await fake.wait_requests("POST", rf"{MESSAGES}/{mid}/threads")
        (post,) = await fake.wait_requests("POST", r"/channels/\d+/messages")
    assert start.json["name"] == "!discuss"
    assert post.path != MESSAGES.replace("\\", "")  # posted in the new thread, not the channel
    assert post.json["content"] == "let's talk here"
    assert "message_reference" not in post.json


async def test_sharded_settings_identify_with_the_shard(fake: FakeDiscord) -> None:
    async with discord_bot(fake, weather(), environ={"DISCORD_SHARD_COUNT": "1"}):
        await fake.say("!weather Shardville")
        (post,) = await fake.wait_requests("POST", MESSAGES)
    assert fake.identifies[0]["shard"] == [0, 1]
    assert post.json["content"] == "Shardville: sunny for 1 day(s)"


# --- Settings Discord refuses ---------------------------------------------------------------


def bare_adapter(fake: FakeDiscord, **environ: str) -> DiscordAdapter:
    return DiscordAdapter(DiscordSettings.from_env(fake.environ(**environ)), ready_timeout=0.05)


async def test_a_rejected_token_is_a_config_error_from_run(fake: FakeDiscord) -> None:
    adapter = bare_adapter(fake, DISCORD_TOKEN=make_token(42))
    try:
        with pytest.raises(ConfigError) as caught:
            await asyncio.wait_for(adapter.run(lambda event: None), 10)
    finally:
        await adapter.close()
    assert str(caught.value) == "DISCORD_TOKEN: rejected by Discord (401 Unauthorized)"
    assert not fake.gateway_queries  # never got as far as the gateway


@pytest.mark.parametrize(
    ("members", "variable", "named"),
    [("0", "DISCORD_TOKEN", "Message Content"), ("1", "DISCORD_MEMBERS_INTENT", "Server Members")],
)
async def test_privileged_intents_refused_is_a_config_error_naming_them(
    fake: FakeDiscord, members: str, variable: str, named: str
) -> None:
    fake.refuse_privileged = True
    adapter = bare_adapter(fake, DISCORD_MEMBERS_INTENT=members)
    try:
        with pytest.raises(ConfigError) as caught:
            await asyncio.wait_for(adapter.run(lambda event: None), 10)
    finally:
        await adapter.close()
    assert caught.value.variable == variable
    assert named in caught.value.problem and "developer portal" in caught.value.problem
