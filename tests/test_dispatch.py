"""Dispatch through a real Runtime on a MemoryAdapter: matching, arguments, the error
boundary, timeouts, concurrency and everything a handler reaches through ``ctx``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time

import pytest
from aiohttp import web

from bot import Card, ChannelRef, Context, Field, Plugin, Reply, User, UserError
from bot.errors import PluginError
from bot.testing import Harness
from tests.helpers import running


def greeter() -> Plugin:
    """``hi <name>`` (alias ``hello``) and ``mark``, a reply-only marker command."""
    plugin = Plugin("t")

    @plugin.command(aliases=["hello"])
    async def hi(ctx: Context, name: str) -> None:
        await ctx.reply(f"hi {name}")

    @plugin.command
    async def mark(ctx: Context) -> None:
        await ctx.reply("mark")

    return plugin


# Recognising a command


async def test_command_with_the_prefix_is_handled() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("!hi bob")
        sent = await adapter.wait_for(1)
    assert [s.text for s in sent] == ["hi bob"]


async def test_custom_prefix_replaces_the_default() -> None:
    async with running(greeter(), prefix="?") as (adapter, _):
        adapter.say("!hi bob")
        adapter.say("?hi ann")
        await adapter.wait_for(1)
    assert [s.text for s in adapter.sent] == ["hi ann"]


async def test_mention_needs_no_prefix() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("hi bob", mentioned=True)
        sent = await adapter.wait_for(1)
    assert sent[0].text == "hi bob"


async def test_direct_message_needs_no_prefix() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("hi bob", is_direct=True)
        sent = await adapter.wait_for(1)
    assert sent[0].text == "hi bob"


async def test_channel_message_without_prefix_or_mention_is_not_a_command() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("hi bob")
        adapter.say("!mark")
        await adapter.wait_for(1)
    assert [s.text for s in adapter.sent] == ["mark"]


async def test_alias_runs_the_command() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("!hello bob")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "hi bob"


async def test_command_name_is_case_insensitive() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("!HI Bob")
        adapter.say("!Hello Ann")
        sent = await adapter.wait_for(2)
    assert sorted(s.text for s in sent) == ["hi Ann", "hi Bob"]


# Bots


async def test_messages_from_bots_are_ignored_by_default() -> None:
    robot = User("b1", "robot", is_bot=True)
    async with running(greeter()) as (adapter, _):
        adapter.say("!hi bob", user=robot)
        adapter.say("!mark")
        await adapter.wait_for(1)
    assert [s.text for s in adapter.sent] == ["mark"]


async def test_messages_from_bots_are_handled_when_not_ignored() -> None:
    robot = User("b1", "robot", is_bot=True)
    async with running(greeter(), ignore_bots=False) as (adapter, _):
        adapter.say("!hi bob", user=robot)
        sent = await adapter.wait_for(1)
    assert sent[0].text == "hi bob"


# Listeners


def thanker(seen: list[dict[str, str]]) -> Plugin:
    plugin = Plugin("thanks")

    @plugin.on_message(r"(?i)\bthanks?,? (?P<who>\w+)(?: for (?P<what>\w+))?")
    async def thanks(ctx: Context, **groups: str) -> None:
        seen.append(groups)
        await ctx.reply(f"you're welcome, {groups['who']}")

    return plugin


async def test_listener_gets_named_groups_as_keyword_arguments() -> None:
    seen: list[dict[str, str]] = []
    async with running(thanker(seen)) as (adapter, _):
        adapter.say("well, thanks bob for everything")
        sent = await adapter.wait_for(1)
    assert seen == [{"who": "bob", "what": "everything"}]
    assert sent[0].text == "you're welcome, bob"


async def test_listener_is_not_passed_unmatched_optional_groups() -> None:
    seen: list[dict[str, str]] = []
    async with running(thanker(seen)) as (adapter, _):
        adapter.say("thanks bob")
        await adapter.wait_for(1)
    assert seen == [{"who": "bob"}]


async def test_listener_can_declare_only_the_groups_it_needs() -> None:
    plugin = Plugin("l")

    @plugin.on_message(r"^roll (?P<sides>\d+)(?: times (?P<times>\d+))?$")
    async def roll(ctx: Context, sides: str, times: str = "1") -> None:
        await ctx.reply(f"{times}d{sides}")

    async with running(plugin) as (adapter, _):
        adapter.say("roll 6")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "1d6"


async def test_listener_also_sees_command_messages() -> None:
    plugin = Plugin("both")

    @plugin.command
    async def ask(ctx: Context) -> None:
        await ctx.reply("command ran")

    @plugin.on_message(r"ask")
    async def noticed(ctx: Context) -> None:
        await ctx.reply("listener ran")

    async with running(plugin) as (adapter, _):
        adapter.say("!ask")
    assert sorted(s.text for s in adapter.sent) == ["command ran", "listener ran"]


# Arguments


def adder(calls: list[int]) -> Plugin:
    plugin = Plugin("math")

    @plugin.command
    async def double(ctx: Context, n: int) -> None:
        calls.append(n)
        await ctx.reply(str(2 * n))

    return plugin


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("!double x", "n must be a whole number, not 'x'"),
        ("!double", "missing n"),
        ("!double 1 2", "too many arguments: '2'"),
    ],
)
async def test_bad_arguments_answer_with_the_usage_line(text: str, problem: str) -> None:
    calls: list[int] = []
    async with running(adder(calls)) as (adapter, _):
        adapter.say(text)
        sent = await adapter.wait_for(1)
    assert sent[0].text == f"{problem}\nUsage: !double <n>"
    assert calls == []


async def test_good_arguments_are_converted() -> None:
    calls: list[int] = []
    async with running(adder(calls)) as (adapter, _):
        adapter.say("!double 21")
        sent = await adapter.wait_for(1)
    assert calls == [21]
    assert sent[0].text == "42"


async def test_usage_line_uses_the_configured_prefix() -> None:
    async with running(adder([]), prefix="?") as (adapter, _):
        adapter.say("?double")
        sent = await adapter.wait_for(1)
    assert sent[0].text.endswith("\nUsage: ?double <n>")


# The error boundary


def faulty() -> Plugin:
    plugin = Plugin("faulty")

    @plugin.command
    async def boom(ctx: Context) -> None:
        raise RuntimeError("kaput")

    @plugin.command
    async def city(ctx: Context) -> None:
        raise UserError("No such city")

    @plugin.command
    async def mark(ctx: Context) -> None:
        await ctx.reply("mark")

    return plugin


async def test_handler_exception_answers_with_an_apology_naming_the_command() -> None:
    async with running(faulty()) as (adapter, _):
        adapter.say("!boom")
        sent = await adapter.wait_for(1)
    assert "Sorry" in sent[0].text
    assert "`!boom`" in sent[0].text
    assert "kaput" not in sent[0].text


async def test_handler_exception_is_logged_with_its_traceback_and_plugin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running(faulty()) as (adapter, _):
        adapter.say("!boom")
        await adapter.wait_for(1)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    record = errors[0]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert record.plugin == "faulty"  # type: ignore[attr-defined]
    assert record.name == "plugins.faulty"


async def test_bot_keeps_answering_after_a_handler_fails() -> None:
    async with running(faulty()) as (adapter, _):
        adapter.say("!boom")
        await adapter.wait_for(1)
        adapter.say("!mark")
        sent = await adapter.wait_for(2)
    assert sent[1].text == "mark"


async def test_user_error_is_answered_verbatim_and_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running(faulty()) as (adapter, _):
        adapter.say("!city")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "No such city"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_framework_answers_are_ephemeral_replies_to_the_trigger() -> None:
    async with running(faulty()) as (adapter, _):
        msg = adapter.say("!city")
        sent = await adapter.wait_for(1)
    assert sent[0].reply.ephemeral
    assert sent[0].reply_to is msg


# Timeouts


def sleepers() -> Plugin:
    plugin = Plugin("slow")

    @plugin.command
    async def nap(ctx: Context) -> None:
        await asyncio.sleep(10)
        await ctx.reply("woke up")

    @plugin.command
    async def fake(ctx: Context) -> None:
        raise TimeoutError

    return plugin


async def test_handler_over_the_timeout_is_stopped_with_an_apology() -> None:
    started = time.perf_counter()
    async with running(sleepers(), handler_timeout=0.2) as (adapter, _):
        adapter.say("!nap")
        sent = await adapter.wait_for(1)
    assert "took too long" in sent[0].text
    assert "`!nap`" in sent[0].text
    assert [s.text for s in adapter.sent] == [sent[0].text]
    assert time.perf_counter() - started < 5


async def test_timeout_error_raised_by_the_handler_is_a_failure_not_a_timeout() -> None:
    async with running(sleepers(), handler_timeout=5) as (adapter, _):
        adapter.say("!fake")
        sent = await adapter.wait_for(1)
    assert "failed" in sent[0].text
    assert "took too long" not in sent[0].text


async def test_a_handler_may_set_its_own_timeout(caplog: pytest.LogCaptureFixture) -> None:
    plugin = Plugin("own")

    @plugin.command(timeout=0.1)
    async def quick(ctx: Context) -> None:
        await asyncio.sleep(10)

    @plugin.command(timeout=5)
    async def patient(ctx: Context) -> None:
        await asyncio.sleep(0.3)
        await ctx.reply("done waiting")

    async with running(plugin, handler_timeout=0.2) as (adapter, _):
        adapter.say("!quick")
        adapter.say("!patient")
        sent = await adapter.wait_for(2)
    texts = [s.text for s in sent]
    assert "done waiting" in texts  # 0.3 s is over the global 0.2 s, under its own 5 s
    assert any("`!quick` took too long" in t for t in texts)
    assert any("timed out after 0.1 s" in r.getMessage() for r in caplog.records)


async def test_a_timeout_is_logged_with_its_limit(caplog: pytest.LogCaptureFixture) -> None:
    async with running(sleepers(), handler_timeout=0.2) as (adapter, _):
        adapter.say("!nap")
        await adapter.wait_for(1)
    assert any("!nap timed out after 0.2 s" in r.getMessage() for r in caplog.records)
    assert not any("failed" in r.getMessage() for r in caplog.records)


async def test_a_handlers_own_asyncio_timeout_is_a_failure_not_a_timeout() -> None:
    plugin = Plugin("own")

    @plugin.command
    async def lookup(ctx: Context) -> None:
        async with asyncio.timeout(0.05):  # as an HTTP client's timeout would
            await asyncio.sleep(10)

    async with running(plugin, handler_timeout=5) as (adapter, _):
        adapter.say("!lookup")
        sent = await adapter.wait_for(1)
    assert "`!lookup` failed" in sent[0].text


async def test_a_handler_may_clean_up_when_stopped_for_time() -> None:
    plugin = Plugin("tidy")

    @plugin.command
    async def long(ctx: Context) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await ctx.reply("cleaning up")
            raise

    async with running(plugin, handler_timeout=0.1) as (adapter, _):
        adapter.say("!long")
        sent = await adapter.wait_for(2)
    assert sent[0].text == "cleaning up"
    assert "`!long` took too long" in sent[1].text


async def test_a_handler_that_swallows_the_stop_may_go_on_but_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugin = Plugin("stubborn")

    @plugin.command
    async def stubborn(ctx: Context) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(10)
        await asyncio.sleep(0)  # the task is not left cancelled: it may go on awaiting
        await ctx.reply("carried on")

    async with running(plugin, handler_timeout=0.1) as (adapter, _):
        adapter.say("!stubborn")
        sent = await adapter.wait_for(2)
    assert [s.text for s in sent] == [
        "carried on",
        "Sorry, `!stubborn` took too long and was stopped.",
    ]
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "!stubborn ignored its cancellation at the deadline" in messages


async def test_handlers_timed_out_in_a_row_each_get_their_apology() -> None:
    async with running(sleepers(), handler_timeout=0.1) as (adapter, _):
        for _ in range(3):
            adapter.say("!nap")
            await asyncio.sleep(0.03)
        sent = await adapter.wait_for(3)
    assert [s.text for s in sent] == ["Sorry, `!nap` took too long and was stopped."] * 3


def test_timeout_must_be_positive() -> None:
    with pytest.raises(PluginError, match="timeout"):
        Plugin("p").command(timeout=0)


# Unknown commands


async def test_unknown_command_when_mentioned_suggests_a_close_match() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("mrak", mentioned=True)
        sent = await adapter.wait_for(1)
    assert "Did you mean `!mark`" in sent[0].text
    assert "!help" in sent[0].text


async def test_unknown_command_in_a_dm_suggests_a_close_match() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("!mrak", is_direct=True)
        sent = await adapter.wait_for(1)
    assert "Did you mean `!mark`" in sent[0].text
    assert "`!help`" in sent[0].text


async def test_unknown_command_without_a_close_match_only_points_to_help() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("xyzzy", is_direct=True)
        sent = await adapter.wait_for(1)
    assert "Did you mean" not in sent[0].text
    assert "`!help`" in sent[0].text


async def test_bare_mention_is_greeted_with_a_pointer_to_help() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("", mentioned=True)
        sent = await adapter.wait_for(1)
    assert sent[0].text == "Hi! Try `!help` to see what I can do."


async def test_unknown_prefixed_command_in_a_channel_gets_no_reply() -> None:
    async with running(greeter()) as (adapter, _):
        adapter.say("!mrak")
        adapter.say("!mark")
        await adapter.wait_for(1)
    assert [s.text for s in adapter.sent] == ["mark"]


# Concurrency


async def test_handlers_run_concurrently() -> None:
    plugin = Plugin("c")

    @plugin.command
    async def nap(ctx: Context, n: int) -> None:
        await asyncio.sleep(0.2)
        await ctx.reply(str(n))

    async with running(plugin) as (adapter, _):
        started = time.perf_counter()
        for n in range(100):
            adapter.say(f"!nap {n}")
        sent = await adapter.wait_for(100)
        elapsed = time.perf_counter() - started
    assert sorted(int(s.text) for s in sent) == list(range(100))
    assert elapsed < 2.0


async def test_max_concurrency_bounds_handlers_running_at_once() -> None:
    plugin = Plugin("c")
    running_now = 0
    peak = 0

    @plugin.command
    async def work(ctx: Context) -> None:
        nonlocal running_now, peak
        running_now += 1
        peak = max(peak, running_now)
        await asyncio.sleep(0.05)
        running_now -= 1
        await ctx.reply("done")

    async with running(plugin, max_concurrency=5) as (adapter, _):
        for _ in range(20):
            adapter.say("!work")
        sent = await adapter.wait_for(20)
    assert len(sent) == 20
    assert peak == 5


async def test_slow_handler_does_not_delay_a_later_fast_one() -> None:
    plugin = Plugin("c")

    @plugin.command
    async def slow(ctx: Context) -> None:
        await asyncio.sleep(1)
        await ctx.reply("slow")

    @plugin.command
    async def fast(ctx: Context) -> None:
        await ctx.reply("fast")

    async with running(plugin) as (adapter, _):
        adapter.say("!slow")
        adapter.say("!fast")
        await adapter.wait_for(1)
        assert [s.text for s in adapter.sent] == ["fast"]
        sent = await adapter.wait_for(2)
    assert [s.text for s in sent] == ["fast", "slow"]


# What ctx offers


async def test_reply_with_a_card() -> None:
    card = Card(title="Oslo", fields=(Field("Temp", "3 °C"),))
    plugin = Plugin("r")

    @plugin.command
    async def show(ctx: Context) -> None:
        await ctx.reply(card)

    async with running(plugin) as (adapter, _):
        adapter.say("!show")
        sent = await adapter.wait_for(1)
    assert sent[0].reply == Reply(card=card)


async def test_reply_with_a_full_reply_keeps_its_options() -> None:
    plugin = Plugin("r")

    @plugin.command
    async def secret(ctx: Context) -> None:
        await ctx.reply(Reply("psst", ephemeral=True))

    async with running(plugin) as (adapter, _):
        adapter.say("!secret")
        sent = await adapter.wait_for(1)
    assert sent[0].reply == Reply("psst", ephemeral=True)


async def test_reply_options_override_reply_fields() -> None:
    plugin = Plugin("r")

    @plugin.command
    async def secret(ctx: Context) -> None:
        await ctx.reply("x", ephemeral=True, thread=True)

    async with running(plugin) as (adapter, _):
        adapter.say("!secret")
        sent = await adapter.wait_for(1)
    assert sent[0].reply == Reply("x", ephemeral=True, thread=True)


async def test_reply_answers_the_triggering_message_in_its_channel() -> None:
    async with running(greeter()) as (adapter, _):
        msg = adapter.say("!mark", channel=ChannelRef("memory", "elsewhere", thread="t1"))
        sent = await adapter.wait_for(1)
    assert sent[0].reply_to is msg
    assert sent[0].channel == ChannelRef("memory", "elsewhere", thread="t1")


async def test_send_posts_to_another_channel_of_the_platform() -> None:
    plugin = Plugin("r")

    @plugin.command
    async def announce(ctx: Context) -> None:
        await ctx.send("other-channel", "x")

    async with running(plugin) as (adapter, _):
        adapter.say("!announce")
        sent = await adapter.wait_for(1)
    assert sent[0].channel == ChannelRef("memory", "other-channel")
    assert sent[0].text == "x"
    assert sent[0].reply_to is None


async def test_react_reacts_to_the_triggering_message() -> None:
    plugin = Plugin("r")

    @plugin.command
    async def like(ctx: Context) -> None:
        await ctx.react("👍")
        await ctx.reply("done")

    async with running(plugin) as (adapter, _):
        msg = adapter.say("!like")
        await adapter.wait_for(1)
    assert adapter.reactions == [(msg, "👍")]


async def test_typing_shows_an_indicator() -> None:
    plugin = Plugin("r")

    @plugin.command
    async def think(ctx: Context) -> None:
        async with ctx.typing():
            await asyncio.sleep(0)
        await ctx.reply("done")

    async with running(plugin) as (adapter, _):
        assert adapter.typing_count == 0
        adapter.say("!think")
        await adapter.wait_for(1)
    assert adapter.typing_count == 1


async def test_gather_reports_each_outcome() -> None:
    plugin = Plugin("g")

    async def ok() -> str:
        return "fine"

    async def bad() -> str:
        raise ValueError("nope")

    async def hang() -> str:
        await asyncio.sleep(10)
        return "late"

    @plugin.command
    async def fan(ctx: Context) -> None:
        results = await ctx.gather(bad(), hang(), ok(), timeout=0.1)
        parts = []
        for r in results:
            if r.ok:
                parts.append(f"ok:{r.value}")
            elif r.timed_out:
                parts.append("timeout")
            else:
                parts.append(f"error:{type(r.error).__name__}")
        await ctx.reply(" ".join(parts))

    async with running(plugin) as (adapter, _):
        adapter.say("!fan")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "error:ValueError timeout ok:fine"


async def test_ctx_log_records_carry_plugin_platform_channel_and_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    plugin = Plugin("chatty")

    @plugin.command
    async def talk(ctx: Context) -> None:
        ctx.log.info("talking")
        await ctx.reply(ctx.event_id)

    async with running(plugin) as (adapter, _):
        adapter.say("!talk")
        sent = await adapter.wait_for(1)
    [record] = [r for r in caplog.records if r.getMessage() == "talking"]
    assert record.name == "plugins.chatty"
    assert record.plugin == "chatty"  # type: ignore[attr-defined]
    assert record.platform == "memory"  # type: ignore[attr-defined]
    assert record.channel == "general"  # type: ignore[attr-defined]
    assert record.event == sent[0].text  # type: ignore[attr-defined]
    assert record.event != ""  # type: ignore[attr-defined]


async def test_each_event_gets_its_own_event_id() -> None:
    plugin = Plugin("ids")

    @plugin.command
    async def which(ctx: Context) -> None:
        await ctx.reply(ctx.event_id)

    async with running(plugin) as (adapter, _):
        adapter.say("!which")
        adapter.say("!which")
        sent = await adapter.wait_for(2)
    assert len({s.text for s in sent}) == 2


async def test_ctx_config_is_the_plugins_own_settings() -> None:
    plugin = Plugin("weather")

    @plugin.command
    async def units(ctx: Context) -> None:
        await ctx.reply(ctx.config.units)

    environ = {"WEATHER_UNITS": "imperial", "OTHER_UNITS": "metric"}
    async with running(plugin, environ=environ) as (adapter, _):
        adapter.say("!units")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "imperial"


async def test_ctx_http_sends_a_user_agent_naming_botloop() -> None:
    async def echo_agent(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("User-Agent", ""))

    app = web.Application()
    app.router.add_get("/ua", echo_agent)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        plugin = Plugin("web")

        @plugin.command
        async def agent(ctx: Context) -> None:
            async with ctx.http.get(f"http://127.0.0.1:{port}/ua") as resp:
                await ctx.reply(await resp.text())

        async with running(plugin, name="testbot") as (adapter, _):
            adapter.say("!agent")
            sent = await adapter.wait_for(1)
    finally:
        await runner.cleanup()
    assert re.search(r"\bbotloop/\S+", sent[0].text)
    assert sent[0].text.startswith("testbot ")


async def test_a_cancelled_inner_task_is_a_failure_the_user_hears_of(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugin = Plugin("inner")

    @plugin.command
    async def lookup(ctx: Context) -> None:
        inner = asyncio.ensure_future(asyncio.sleep(5))
        asyncio.get_running_loop().call_later(0.01, inner.cancel)
        await inner  # raises CancelledError: neither the deadline nor a shutdown

    async with running(plugin) as (adapter, _):
        adapter.say("!lookup")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "Sorry, `!lookup` failed. The error has been logged."
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "!lookup failed: CancelledError" in error.getMessage()


async def test_an_unknown_command_is_quoted_short_and_help_says_the_same() -> None:
    async with Harness(greeter()) as bot:
        long = await bot.ask("x" * 5000, direct=True)
        assert long == f"I don't know `{'x' * 39}…`. Try `!help`."
        assert (
            await bot.ask("hii", direct=True)
            == "I don't know `hii`. Did you mean `!hi`? Try `!help`."
        )
        assert await bot.ask("!help hii") == "I don't know `hii`. Did you mean `!hi`? Try `!help`."


async def test_a_handler_that_swallows_its_deadline_and_runs_on_is_reported_at_the_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugin = Plugin("stubborn")
    finished = asyncio.Event()

    @plugin.command(timeout=0.1)
    async def stubborn(ctx: Context) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(10)
        await asyncio.sleep(1.5)  # long after its deadline
        await ctx.reply("late result")
        finished.set()

    async with running(plugin) as (adapter, _):
        started = time.monotonic()
        adapter.say("!stubborn")
        first = await adapter.wait_for(1)
        told_after = time.monotonic() - started
        assert not finished.is_set()  # told while the handler still runs
        await adapter.wait_for(2)
    assert [s.text for s in adapter.sent] == [
        "Sorry, `!stubborn` took too long and was stopped.",
        "late result",
    ]  # and no second apology when it ends
    assert first[0].text.startswith("Sorry") and told_after < 1.5
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert messages.count("!stubborn ignored its cancellation at the deadline") == 1
