"""Slash commands end to end: registration from @plugin.command, and interactions answered
immediately, after an automatic defer, ephemerally and with follow-ups."""

from __future__ import annotations

import asyncio
from typing import Literal

from bot import Context, Plugin, Reply
from tests.discord_helpers import DEFER_AFTER, discord_bot
from tests.fakes.discord import APP_ID, GUILD_ID, FakeDiscord

GLOBAL = rf"/applications/{APP_ID}/commands"
CALLBACK = r"/interactions/(\d+)/([^/]+)/callback"


def forecast() -> Plugin:
    plugin = Plugin("wx")

    @plugin.command(help="Forecast for a city\nMore text that Discord never sees.")
    async def forecast(
        ctx: Context, city: str, days: int = 1, unit: Literal["c", "f"] = "c", *more: str
    ) -> None:
        await ctx.reply(f"{city}|{days}|{unit}|{','.join(more)}")

    @plugin.command(help="Slow lookup")
    async def slow(ctx: Context, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await ctx.reply(f"done after {seconds:g}")

    @plugin.command(help="Secret answer, then a public one")
    async def twice(ctx: Context, loud: bool = False) -> None:
        await ctx.reply("just for you", ephemeral=True)
        await ctx.reply(f"for everyone (loud={loud})")

    return plugin


async def test_commands_are_registered_globally_from_the_signatures(fake: FakeDiscord) -> None:
    async with discord_bot(fake, forecast()):
        (put,) = await fake.wait_requests("PUT", GLOBAL)
    by_name = {c["name"]: c for c in put.json}
    assert set(by_name) == {"help", "forecast", "slow", "twice"}
    cmd = by_name["forecast"]
    assert cmd["type"] == 1 and cmd["description"] == "Forecast for a city"
    assert [(o["name"], o["type"], o["required"]) for o in cmd["options"]] == [
        ("city", 3, True),
        ("days", 4, False),
        ("unit", 3, False),
        ("more", 3, False),  # *more: one free-text option
    ]
    assert cmd["options"][2]["choices"] == [
        {"name": "c", "value": "c"},
        {"name": "f", "value": "f"},
    ]
    assert by_name["twice"]["options"][0]["type"] == 5  # boolean
    assert by_name["slow"]["options"][0]["type"] == 10  # number


async def test_a_dev_guild_gets_the_commands_instead(fake: FakeDiscord) -> None:
    async with discord_bot(fake, forecast(), environ={"DISCORD_DEV_GUILD": str(GUILD_ID)}):
        await fake.wait_requests("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert not fake.requests_to("PUT", GLOBAL)


async def test_a_second_start_with_the_same_commands_does_not_register_again(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, forecast()):
        await fake.wait_requests("PUT", GLOBAL)
    async with discord_bot(fake, forecast()):
        await fake.wait_requests("GET", GLOBAL, 2)
    assert len(fake.requests_to("PUT", GLOBAL)) == 1
    # A changed set is registered again.
    extra = forecast()

    @extra.command(help="New")
    async def new(ctx: Context) -> None: ...

    async with discord_bot(fake, extra):
        await fake.wait_requests("PUT", GLOBAL, 2)


async def test_a_slash_command_is_answered_through_the_interaction(fake: FakeDiscord) -> None:
    async with discord_bot(fake, forecast()):
        iid, token = await fake.interact("forecast", {"city": "New York", "days": 3, "more": "x y"})
        (callback,) = await fake.wait_requests("POST", rf"/interactions/{iid}/{token}/callback")
    assert callback.json["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE, within the 3 s
    assert callback.json["data"]["content"] == "New York|3|c|x,y"
    assert callback.json["data"]["allowed_mentions"] == {"parse": ["users"], "replied_user": True}
    assert not fake.requests_to("POST", r"/channels/\d+/messages")  # no channel message
    assert len(fake.requests_to("POST", CALLBACK)) == 1  # and nothing more once it is done


async def test_a_slow_handler_is_deferred_then_its_reply_fills_the_response(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, forecast()):
        iid, token = await fake.interact("slow", {"seconds": DEFER_AFTER * 2})
        (callback,) = await fake.wait_requests("POST", rf"/interactions/{iid}/{token}/callback")
        assert callback.json["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking…"
        (edit,) = await fake.wait_requests(
            "PATCH", rf"/webhooks/{APP_ID}/{token}/messages/@original"
        )
    assert edit.json["content"] == f"done after {DEFER_AFTER * 2:g}"
    assert not fake.requests_to("DELETE", rf"/webhooks/{APP_ID}/{token}/messages/@original")


def silent() -> Plugin:
    plugin = Plugin("silent")

    @plugin.command(help="Work a while, then say nothing")
    async def mute(ctx: Context, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)
        ctx.log.info("did the work, said nothing")

    return plugin


async def test_a_handler_that_answers_nothing_after_a_defer_leaves_no_thinking(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, silent()):
        iid, token = await fake.interact("mute", {"seconds": DEFER_AFTER * 2})
        await fake.wait_requests("DELETE", rf"/webhooks/{APP_ID}/{token}/messages/@original")
    (callback,) = fake.requests_to("POST", rf"/interactions/{iid}/{token}/callback")
    assert callback.json["type"] == 5  # "thinking…", then taken away once the handler ended


async def test_a_quick_handler_that_answers_nothing_still_closes_the_interaction(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, silent()):
        iid, token = await fake.interact("mute")
        (callback,) = await fake.wait_requests("POST", rf"/interactions/{iid}/{token}/callback")
    assert callback.json["type"] == 4
    assert callback.json["data"]["content"] == "Done."
    assert callback.json["data"]["flags"] & 64  # only the user who asked sees it


async def test_a_bad_argument_answers_the_usage_ephemerally(fake: FakeDiscord) -> None:
    async with discord_bot(fake, forecast()):
        iid, token = await fake.interact("forecast", {"city": "Oslo", "unit": "kelvin"})
        (callback,) = await fake.wait_requests("POST", rf"/interactions/{iid}/{token}/callback")
    data = callback.json["data"]
    assert data["flags"] & 64  # EPHEMERAL
    assert "unit must be one of c | f" in data["content"]
    assert "Usage: /forecast <city>" in data["content"]


async def test_ephemeral_first_reply_then_a_public_follow_up(fake: FakeDiscord) -> None:
    async with discord_bot(fake, forecast()):
        iid, token = await fake.interact("twice", {"loud": True})
        (followup,) = await fake.wait_requests("POST", rf"/webhooks/{APP_ID}/{token}")
    (callback,) = fake.requests_to("POST", rf"/interactions/{iid}/{token}/callback")
    assert callback.json["data"]["content"] == "just for you"
    assert callback.json["data"]["flags"] & 64
    assert followup.json["content"] == "for everyone (loud=True)"
    assert not followup.json.get("flags", 0) & 64


async def test_an_ephemeral_reply_after_a_defer_replaces_the_public_placeholder(
    fake: FakeDiscord,
) -> None:
    plugin = Plugin("quiet")

    @plugin.command(help="Slow and private")
    async def quiet(ctx: Context) -> None:
        await asyncio.sleep(DEFER_AFTER * 2)
        await ctx.reply(Reply("psst", ephemeral=True))

    async with discord_bot(fake, plugin):
        iid, token = await fake.interact("quiet")
        (followup,) = await fake.wait_requests("POST", rf"/webhooks/{APP_ID}/{token}")
    (callback,) = fake.requests_to("POST", rf"/interactions/{iid}/{token}/callback")
    assert callback.json["type"] == 5
    assert fake.requests_to("DELETE", rf"/webhooks/{APP_ID}/{token}/messages/@original")
    assert followup.json["content"] == "psst" and followup.json["flags"] & 64
