"""``bot.testing``: the Harness a plugin author tests with, and the ``fake_api`` fixture
(registered through botloop's pytest11 entry point) their lookups run against."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot import Card, ChannelRef, Context, Field, Plugin, User
from bot.errors import ConfigError
from bot.model import MemberJoined, ReactionAdded
from bot.testing import FakeAPI, Harness, Recorded, Respond

BOB = User("u2", "bob")


def echo() -> Plugin:
    plugin = Plugin("echo")

    @plugin.command
    async def say(ctx: Context, *words: str) -> None:
        await ctx.reply(" ".join(words))

    @plugin.command
    async def later(ctx: Context) -> None:
        await asyncio.sleep(0.05)  # settle must wait for this
        await ctx.reply("done waiting")

    @plugin.command
    async def twice(ctx: Context) -> None:
        await ctx.reply("one")
        await ctx.reply("two")

    @plugin.command
    async def quiet(ctx: Context) -> None:
        pass

    @plugin.command
    async def spawn(ctx: Context) -> None:
        await ctx.reply("first, right away")
        await asyncio.sleep(0.05)
        await ctx.reply("second, later", ephemeral=True)

    @plugin.command
    async def who(ctx: Context) -> None:
        assert ctx.author is not None and ctx.channel is not None
        where = "dm" if ctx.message.is_direct else ctx.channel.id
        await ctx.reply(f"{ctx.author.name} in {where}")

    @plugin.command
    async def thumbs(ctx: Context) -> None:
        await ctx.react("👍")

    @plugin.on_event("reaction_added")
    async def reacted(ctx: Context, event: ReactionAdded) -> None:
        await asyncio.sleep(0.02)
        await ctx.reply(f"{event.user.name} reacted {event.emoji}")

    @plugin.every(hours=1)
    async def hourly(ctx: Context) -> None:
        await asyncio.sleep(0.02)
        await ctx.send("test:general", "hourly post")

    return plugin


# Delivering and reading replies


async def test_say_returns_the_replies_of_the_handlers_it_started() -> None:
    async with Harness(echo()) as bot:
        sent = await bot.say("!say hello there")
        assert [s.text for s in sent] == ["hello there"]
        assert sent[0].channel == ChannelRef("test", "general")
        assert sent[0].reply_to is not None and sent[0].reply_to.text == "!say hello there"
        assert [s.text for s in await bot.say("!twice")] == ["one", "two"]
        assert await bot.say("no command here") == []
        assert [s.text for s in bot.sent] == ["hello there", "one", "two"]


async def test_say_waits_for_a_handler_that_sleeps_before_replying() -> None:
    async with Harness(echo()) as bot:
        assert [s.text for s in await bot.say("!later")] == ["done waiting"]
        sent = await bot.say("!spawn")
    assert [(s.text, s.reply.ephemeral) for s in sent] == [
        ("first, right away", False),
        ("second, later", True),
    ]


async def test_say_as_another_user_in_another_channel_or_a_dm() -> None:
    async with Harness(echo()) as bot:
        assert await bot.ask("!who") == "alice in general"
        assert await bot.ask("!who", user=BOB, channel="ops") == "bob in ops"
        assert await bot.ask("who", direct=True) == "alice in dm"  # no prefix needed in a DM
        assert await bot.ask("who", mentioned=True) == "alice in general"


async def test_reactions_are_recorded() -> None:
    async with Harness(echo()) as bot:
        assert await bot.say("!thumbs") == []
    [(message, emoji)] = bot.reactions
    assert (message.text, emoji) == ("!thumbs", "👍")


async def test_invoke_runs_a_slash_command() -> None:
    async with Harness(echo()) as bot:
        sent = await bot.invoke("say", "from a slash")
        assert [s.text for s in sent] == ["from a slash"]
        assert [s.text for s in await bot.invoke("later")] == ["done waiting"]
        assert [s.text for s in await bot.invoke("who", user=BOB)] == ["bob in general"]


async def test_emit_returns_the_replies_of_event_handlers() -> None:
    room = ChannelRef("test", "room")
    async with Harness(echo()) as bot:
        sent = await bot.emit(ReactionAdded("test", room, BOB, "m1", "🎉"))
        assert [(s.channel, s.text) for s in sent] == [(room, "bob reacted 🎉")]
        assert await bot.emit(MemberJoined("test", BOB, room)) == []  # nobody listens


async def test_run_job_returns_what_the_job_posted() -> None:
    async with Harness(echo()) as bot:
        sent = await bot.run_job("echo.hourly")
        with pytest.raises(KeyError, match=r"echo\.nope"):
            await bot.run_job("echo.nope")
    assert [(s.channel, s.text) for s in sent] == [(ChannelRef("test", "general"), "hourly post")]


async def test_ask_fails_clearly_on_no_reply() -> None:
    async with Harness(echo()) as bot:
        with pytest.raises(AssertionError) as caught:
            await bot.ask("!quiet")
    assert str(caught.value) == "expected one reply to '!quiet', got 0: []"


async def test_ask_fails_clearly_on_two_replies() -> None:
    async with Harness(echo()) as bot:
        with pytest.raises(AssertionError) as caught:
            await bot.ask("!twice")
    assert str(caught.value) == "expected one reply to '!twice', got 2: ['one', 'two']"


async def test_framework_settings_are_passed_by_field_name() -> None:
    async with Harness(echo(), prefix="?") as bot:
        assert await bot.say("!say hi") == []
        assert await bot.ask("?say hi") == "hi"


async def test_a_failing_handler_answers_and_the_harness_keeps_going() -> None:
    plugin = Plugin("oops")

    @plugin.command
    async def boom(ctx: Context) -> None:
        raise RuntimeError("kaput")

    @plugin.command
    async def fine(ctx: Context) -> None:
        await ctx.reply("fine")

    async with Harness(plugin) as bot:
        assert await bot.ask("!boom") == "Sorry, `!boom` failed. The error has been logged."
        assert await bot.ask("!fine") == "fine"


# Settings and storage


@dataclass(frozen=True)
class WeatherConfig:
    units: str = "metric"
    days: int = 1


def weather() -> Plugin:
    plugin = Plugin("weather", config=WeatherConfig)

    @plugin.command
    async def units(ctx: Context) -> None:
        await ctx.reply(f"{ctx.config.units} for {ctx.config.days} day(s)")

    @plugin.command
    async def visits(ctx: Context) -> None:
        count = await ctx.store.get("visits", 0) + 1
        await ctx.store.set("visits", count)
        await ctx.reply(str(count))

    return plugin


async def test_env_feeds_plugin_settings() -> None:
    async with Harness(weather()) as bot:
        assert await bot.ask("!units") == "metric for 1 day(s)"
    async with Harness(weather(), env={"WEATHER_UNITS": "imperial", "WEATHER_DAYS": "3"}) as bot:
        assert await bot.ask("!units") == "imperial for 3 day(s)"


def test_a_bad_plugin_setting_in_env_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        Harness(weather(), env={"WEATHER_DAYS": "many"})
    assert caught.value.variable == "WEATHER_DAYS"


async def test_store_of_seeds_and_reads_a_plugins_store() -> None:
    async with Harness(weather(), echo()) as bot:
        await bot.store_of("weather").set("visits", 41)
        assert await bot.ask("!visits") == "42"
        assert await bot.store_of("weather").get("visits") == 42
        assert await bot.store_of("echo").get("visits") is None  # another plugin's corner
        assert await bot.store_of("weather").keys() == ["visits"]


async def test_each_harness_starts_with_an_empty_store() -> None:
    async with Harness(weather()) as bot:
        assert await bot.ask("!visits") == "1"
    async with Harness(weather()) as bot:
        assert await bot.ask("!visits") == "1"


# fake_api


def fetcher(api: FakeAPI) -> Plugin:
    """``!get PATH`` answers the status and body of a GET to the fake; ``!many N PATH``
    fires N at once (``!many N PATH L``: at most L at a time)."""
    plugin = Plugin("fetch")

    async def get(ctx: Context, path: str) -> str:
        async with ctx.http.get(api.url + path) as resp:
            return f"{resp.status} {await resp.text()}"

    @plugin.command
    async def fetch(ctx: Context, path: str) -> None:
        await ctx.reply(await get(ctx, path))

    @plugin.command
    async def many(ctx: Context, n: int, path: str, limit: int = 0) -> None:
        results = await ctx.gather(*(get(ctx, path) for _ in range(n)), limit=limit or None)
        await ctx.reply(", ".join(r.value.split()[0] for r in results if r.ok))

    return plugin


async def test_fake_api_answers_a_routed_path(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/v1/weather", Respond(json={"temp": 21}))
    async with Harness(fetcher(fake_api)) as bot:
        assert await bot.ask("!fetch /v1/weather") == '200 {"temp": 21}'
    assert fake_api.url.startswith("http://127.0.0.1:")


async def test_fake_api_plays_a_sequence_and_repeats_the_last(fake_api: FakeAPI) -> None:
    fake_api.route(
        "GET",
        "/v1/forecast",
        Respond(429, text="slow down", headers={"Retry-After": "1"}),
        Respond(json={"ok": True}),
    )
    async with aiohttp.ClientSession() as session:
        async with session.get(fake_api.url + "/v1/forecast") as resp:
            assert (resp.status, resp.headers["Retry-After"], await resp.text()) == (
                429,
                "1",
                "slow down",
            )
        for _ in range(2):
            async with session.get(fake_api.url + "/v1/forecast") as resp:
                assert resp.status == 200
                assert resp.content_type == "application/json"
                assert await resp.json() == {"ok": True}
    assert fake_api.count("/v1/forecast") == 3


async def test_fake_api_delays_an_answer(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/slow", Respond(json=1, delay=0.2))
    async with aiohttp.ClientSession() as session:
        begun = time.monotonic()
        async with session.get(fake_api.url + "/slow") as resp:
            assert await resp.json() == 1
        assert time.monotonic() - begun >= 0.2
        with pytest.raises(asyncio.TimeoutError):
            async with session.get(
                fake_api.url + "/slow", timeout=aiohttp.ClientTimeout(total=0.05)
            ):
                pass


async def test_fake_api_records_method_path_query_headers_and_body(fake_api: FakeAPI) -> None:
    fake_api.route("POST", "/v1/items", Respond(201, json={"id": 7}))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            fake_api.url + "/v1/items",
            params={"dry": "no", "tag": "x y"},
            json={"name": "tulip"},
            headers={"X-Key": "k1"},
        ) as resp:
            assert resp.status == 201
        async with session.get(fake_api.url + "/v1/items") as resp:
            assert resp.status == 404  # routed for POST only
    post, get = fake_api.requests
    assert isinstance(post, Recorded)
    assert (post.method, post.path, dict(post.query)) == (
        "POST",
        "/v1/items",
        {"dry": "no", "tag": "x y"},
    )
    assert json.loads(post.body) == {"name": "tulip"}
    assert post.headers["X-Key"] == "k1"
    assert (get.method, get.body) == ("GET", b"")
    assert fake_api.count("/v1/items") == 2
    assert fake_api.count("/v1/items", "POST") == 1
    assert fake_api.count("/v1/items", "post") == 1  # as route() takes it, any case
    assert fake_api.count("/v1/other") == 0


async def test_fake_api_sees_the_bots_user_agent(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/ua", Respond(text="ok"))
    async with Harness(fetcher(fake_api), name="testbot") as bot:
        assert await bot.ask("!fetch /ua") == "200 ok"
    assert fake_api.requests[0].headers["User-Agent"].startswith("testbot (botloop/")
    assert "+" not in fake_api.requests[0].headers["User-Agent"]  # no contact given


async def test_the_operators_contact_goes_in_the_user_agent(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/ua", Respond(text="ok"))
    async with Harness(fetcher(fake_api), contact="ops@example.org") as bot:
        await bot.ask("!fetch /ua")
    assert fake_api.requests[0].headers["User-Agent"].endswith("; +ops@example.org)")


async def test_fake_api_unrouted_path_is_404_and_recorded(fake_api: FakeAPI) -> None:
    async with Harness(fetcher(fake_api)) as bot:
        assert await bot.ask("!fetch /nowhere?x=1") == '404 {"error": "not found"}'
    [request] = fake_api.requests
    assert (request.method, request.path, dict(request.query)) == ("GET", "/nowhere", {"x": "1"})


def hold_until(api: FakeAPI, count: int) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A route handler that answers nobody until ``count`` requests are in flight."""
    enough = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        if api.in_flight >= count:
            enough.set()
        async with asyncio.timeout(5):  # fail, rather than hang, if they never overlap
            await enough.wait()
        await asyncio.sleep(0.01)  # let any extra request in, to be counted
        return web.Response(text="held")

    return handler


async def test_fake_api_measures_the_peak_in_flight(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/held", handler=hold_until(fake_api, 5))
    async with Harness(fetcher(fake_api)) as bot:
        assert await bot.ask("!many 5 /held") == ", ".join(["200"] * 5)
    assert fake_api.peak_in_flight == 5
    assert fake_api.in_flight == 0


async def test_fake_api_shows_a_concurrency_limit_is_kept(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/held", handler=hold_until(fake_api, 2))
    async with Harness(fetcher(fake_api)) as bot:
        assert await bot.ask("!many 6 /held 2") == ", ".join(["200"] * 6)
    assert fake_api.peak_in_flight == 2
    assert fake_api.count("/held") == 6


async def test_sequential_requests_peak_at_one(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/one", Respond(text="x", delay=0.01))
    async with Harness(fetcher(fake_api)) as bot:
        for _ in range(3):
            assert await bot.ask("!fetch /one") == "200 x"
    assert fake_api.peak_in_flight == 1


def test_route_needs_answers_or_a_handler() -> None:
    api = FakeAPI()
    with pytest.raises(ValueError, match="either answers or a handler"):
        api.route("GET", "/x")

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response()

    with pytest.raises(ValueError, match="either answers or a handler"):
        api.route("GET", "/x", Respond(), handler=handler)


async def test_the_fixture_is_a_fresh_running_server(fake_api: FakeAPI) -> None:
    assert fake_api.requests == [] and fake_api.peak_in_flight == 0
    async with aiohttp.ClientSession() as session, session.get(fake_api.url + "/") as resp:
        assert resp.status == 404


async def test_ask_card_returns_the_one_card_and_fails_on_plain_text() -> None:
    plugin = Plugin("cards")

    @plugin.command
    async def show(ctx: Context) -> None:
        await ctx.reply(Card(title="Oslo", fields=(Field("Temp", "-3 °C"),)))

    @plugin.command
    async def plain(ctx: Context) -> None:
        await ctx.reply("no card here")

    async with Harness(plugin) as bot:
        card = await bot.ask_card("!show")
        assert (card.title, card.fields[0].value) == ("Oslo", "-3 °C")
        with pytest.raises(AssertionError, match="expected one card in answer to '!plain'"):
            await bot.ask_card("!plain")


async def test_say_takes_a_user_id_string_and_a_channel_id_string() -> None:
    plugin = Plugin("who")

    @plugin.command
    async def whoami(ctx: Context) -> None:
        assert ctx.author is not None and ctx.channel is not None
        await ctx.reply(f"{ctx.author.id} in {ctx.channel.id}")

    async with Harness(plugin) as bot:
        assert await bot.ask("!whoami", user="other", channel="ops") == "other in ops"
        with pytest.raises(TypeError, match="user must be a User or a user id string"):
            await bot.say("!whoami", user=42)  # type: ignore[arg-type]
