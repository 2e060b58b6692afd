"""Checks and cooldowns on handlers, through the real runtime (``bot.testing.Harness``),
and the cooldown's sliding window on its own with explicit clock values."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from bot import ChannelRef, ConfigError, Context, Plugin, User
from bot.config import Settings
from bot.errors import PluginError
from bot.model import Message, ReactionAdded
from bot.plugin.guards import (
    Cooldown,
    CooldownSpec,
    check,
    cooldown,
    guards_of,
    is_admin,
    is_direct,
    requires,
    wait_text,
)
from bot.testing import Harness, Sent

ALICE = User("u1", "alice")  # the harness's default user
BOB = User("u2", "bob")


def texts(sent: list[Sent]) -> list[str]:
    return [s.text for s in sent]


def one_refusal(sent: list[Sent]) -> str:
    """The text of the one ephemeral answer in ``sent``."""
    assert len(sent) == 1, texts(sent)
    assert sent[0].reply.ephemeral, sent[0]
    return sent[0].text


def guarded(decorate: Callable[[Callable[..., object]], object]) -> tuple[Plugin, list[str]]:
    """Plugin ``g`` whose command ``cmd`` is wrapped by ``decorate``; the list records
    who ran it."""
    plugin = Plugin("g")
    ran: list[str] = []

    @plugin.command
    @decorate  # type: ignore[misc]
    async def cmd(ctx: Context) -> None:
        assert ctx.author is not None
        ran.append(ctx.author.name)
        await ctx.reply("ran")

    return plugin, ran


# Admins


async def test_is_admin_lets_a_listed_user_run_the_command() -> None:
    plugin, ran = guarded(requires(is_admin))
    async with Harness(plugin, admins="test:u1") as bot:
        assert await bot.ask("!cmd") == "ran"
    assert ran == ["alice"]


async def test_is_admin_refuses_others_without_running_the_handler() -> None:
    plugin, ran = guarded(requires(is_admin))
    async with Harness(plugin, admins="test:u1") as bot:
        sent = await bot.say("!cmd", user=BOB)
    assert one_refusal(sent) == "Only admins can use `!cmd`."
    assert ran == []


async def test_is_admin_matches_the_platform_as_well_as_the_id() -> None:
    plugin, ran = guarded(requires(is_admin))
    async with Harness(plugin, admins="discord:u1,TEST:u9") as bot:
        sent = await bot.say("!cmd")  # u1 on platform "test", listed only on discord
    assert one_refusal(sent) == "Only admins can use `!cmd`."
    assert ran == []


async def test_is_admin_refuses_everyone_when_no_admins_are_configured() -> None:
    plugin, ran = guarded(requires(is_admin))
    async with Harness(plugin) as bot:
        sent = await bot.say("!cmd")
    assert one_refusal(sent) == "Only admins can use `!cmd`."
    assert ran == []


@pytest.mark.parametrize("value", ["discord123", "discord:", ":123", "slack:U1,oops"])
def test_malformed_bot_admins_is_a_config_error_naming_it(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"BOT_ADMINS": value})
    assert caught.value.variable == "BOT_ADMINS"
    assert "platform:id" in str(caught.value)


def test_bot_admins_reads_platform_id_pairs() -> None:
    settings = Settings.from_env({"BOT_ADMINS": " discord:123 , Slack:U456 ,"})
    assert settings.admin_ids == {("discord", "123"), ("slack", "U456")}


# Direct messages


async def test_is_direct_runs_in_a_direct_message_and_refuses_in_a_channel() -> None:
    plugin, ran = guarded(requires(is_direct))
    async with Harness(plugin) as bot:
        refused = await bot.say("!cmd")
        assert await bot.ask("!cmd", direct=True) == "ran"
    assert one_refusal(refused) == "`!cmd` works only in a direct message to me."
    assert ran == ["alice"]


# Custom predicates


async def test_a_bare_async_predicate_answers_the_generic_refusal() -> None:
    async def is_bob(ctx: Context) -> bool:
        return ctx.author is not None and ctx.author.id == BOB.id

    plugin, ran = guarded(requires(is_bob))
    async with Harness(plugin) as bot:
        refused = await bot.say("!cmd")
        assert await bot.ask("!cmd", user=BOB) == "ran"
    assert one_refusal(refused) == "You can't use `!cmd` here."
    assert ran == ["bob"]


async def test_check_carries_a_custom_refusal_naming_the_command() -> None:
    async def in_ops(ctx: Context) -> bool:
        return ctx.channel is not None and ctx.channel.id == "ops"

    plugin, ran = guarded(requires(check(in_ops, "Only in #ops: {command}")))
    async with Harness(plugin) as bot:
        refused = await bot.say("!cmd")
        assert await bot.ask("!cmd", channel="ops") == "ran"
    assert one_refusal(refused) == "Only in #ops: `!cmd`"
    assert ran == ["alice"]


async def test_a_predicate_sees_the_context_of_the_message() -> None:
    seen: list[tuple[str, str, str]] = []

    async def look(ctx: Context) -> bool:
        assert ctx.author is not None and ctx.channel is not None
        seen.append((ctx.platform, ctx.author.id, ctx.channel.id))
        return True

    plugin, ran = guarded(requires(look))
    async with Harness(plugin) as bot:
        await bot.ask("!cmd", user=BOB, channel="room")
    assert seen == [("test", "u2", "room")]
    assert ran == ["bob"]


def test_a_sync_predicate_is_refused_when_decorating() -> None:
    def sync(ctx: Context) -> bool:
        return True

    with pytest.raises(PluginError, match="must be an async def"):
        requires(sync)  # type: ignore[arg-type]
    with pytest.raises(PluginError, match="must be an async def"):
        check(sync, "nope")  # type: ignore[arg-type]


# Stacking


async def test_checks_run_in_order_and_the_first_failure_answers() -> None:
    asked: list[str] = []

    def pred(name: str, answer: bool) -> Callable[[Context], object]:
        async def predicate(ctx: Context) -> bool:
            asked.append(name)
            return answer

        return predicate

    plugin = Plugin("g")
    ran: list[str] = []

    @plugin.command
    @requires(check(pred("a", True), "a says no"))  # type: ignore[arg-type]
    @requires(
        check(pred("b", False), "b says no"),  # type: ignore[arg-type]
        check(pred("c", False), "c says no"),  # type: ignore[arg-type]
    )
    async def cmd(ctx: Context) -> None:
        ran.append("cmd")

    async with Harness(plugin) as bot:
        sent = await bot.say("!cmd")
    assert one_refusal(sent) == "b says no"
    assert asked == ["a", "b"]  # top-down, and c never asked
    assert ran == []


async def test_a_user_refused_by_a_check_spends_no_cooldown() -> None:
    allowed = False

    async def gate(ctx: Context) -> bool:
        return allowed

    plugin, ran = guarded(lambda f: requires(gate)(cooldown(1, 60)(f)))  # type: ignore[arg-type]
    async with Harness(plugin) as bot:
        refused = await bot.say("!cmd")
        allowed = True
        first = await bot.ask("!cmd")
        second = await bot.say("!cmd")
    assert one_refusal(refused) == "You can't use `!cmd` here."
    assert first == "ran"
    assert re.fullmatch(r"Slow down: try `!cmd` again in \d+ s\.", one_refusal(second))
    assert ran == ["alice"]


async def test_wrong_arguments_spend_no_cooldown() -> None:
    plugin = Plugin("g")

    @plugin.command
    @cooldown(1, 60)
    async def roll(ctx: Context, sides: int) -> None:
        await ctx.reply(f"rolled a d{sides}")

    async with Harness(plugin) as bot:
        typo = await bot.ask("!roll six")
        first = await bot.ask("!roll 6")
        second = await bot.ask("!roll 6")
    assert "Usage: !roll <sides>" in typo
    assert first == "rolled a d6"  # the typo did not use up the one call a minute
    assert second.startswith("Slow down: try `!roll` again in ")


@pytest.mark.parametrize("above", [True, False], ids=["above", "below"])
async def test_guards_work_above_or_below_the_command_decorator(above: bool) -> None:
    plugin = Plugin("g")
    ran: list[str] = []

    async def cmd(ctx: Context) -> None:
        ran.append("cmd")
        await ctx.reply("ran")

    if above:
        requires(is_admin)(cooldown(1, 60)(plugin.command(cmd)))
    else:
        plugin.command(requires(is_admin)(cooldown(1, 60)(cmd)))
    async with Harness(plugin, admins="test:u1") as bot:
        refused = await bot.say("!cmd", user=BOB)
        assert await bot.ask("!cmd") == "ran"
        slow = await bot.say("!cmd")
    assert one_refusal(refused) == "Only admins can use `!cmd`."
    assert one_refusal(slow).startswith("Slow down: try `!cmd` again in ")
    assert ran == ["cmd"]


def test_guards_stacked_with_the_decorator_syntax_in_either_order() -> None:
    plugin = Plugin("g")

    @requires(is_admin)
    @plugin.command
    @cooldown(2, 5, scope="channel")
    async def cmd(ctx: Context) -> None: ...

    checks, spec = guards_of(cmd)
    assert checks == (is_admin,)
    assert spec == CooldownSpec(2, 5.0, "channel")
    assert [c.func for c in plugin.commands] == [cmd]


# Cooldowns through the runtime


async def test_cooldown_refuses_the_third_call_once_and_runs_nothing() -> None:
    plugin, ran = guarded(cooldown(2, 10))
    async with Harness(plugin) as bot:
        first = await bot.ask("!cmd")
        second = await bot.ask("!cmd")
        third = await bot.say("!cmd")
        fourth = await bot.say("!cmd")  # still blocked: no second refusal
    assert [first, second] == ["ran", "ran"]
    found = re.fullmatch(r"Slow down: try `!cmd` again in (\d+) s\.", one_refusal(third))
    assert found is not None, third
    assert 1 <= int(found[1]) <= 10
    assert fourth == []
    assert ran == ["alice", "alice"]


async def test_user_cooldown_leaves_other_users_alone() -> None:
    plugin, ran = guarded(cooldown(1, 10, scope="user"))
    async with Harness(plugin) as bot:
        assert await bot.ask("!cmd") == "ran"
        assert one_refusal(await bot.say("!cmd")).startswith("Slow down")
        assert await bot.ask("!cmd", user=BOB) == "ran"
        assert await bot.ask("!cmd", user=BOB, channel="elsewhere") != "ran"  # per user
    assert ran == ["alice", "bob"]


async def test_channel_cooldown_is_shared_in_a_channel_and_apart_across_channels() -> None:
    plugin, ran = guarded(cooldown(1, 10, scope="channel"))
    async with Harness(plugin) as bot:
        assert await bot.ask("!cmd") == "ran"
        assert one_refusal(await bot.say("!cmd", user=BOB)).startswith("Slow down")
        assert await bot.ask("!cmd", user=BOB, channel="other") == "ran"
    assert ran == ["alice", "bob"]


async def test_global_cooldown_is_shared_by_everyone_everywhere() -> None:
    plugin, ran = guarded(cooldown(1, 10, scope="global"))
    async with Harness(plugin) as bot:
        assert await bot.ask("!cmd") == "ran"
        assert one_refusal(await bot.say("!cmd", user=BOB, channel="other")).startswith("Slow down")
    assert ran == ["alice"]


async def test_the_window_frees_after_per_seconds_and_a_new_block_is_told_again() -> None:
    per = 0.2
    plugin, ran = guarded(cooldown(1, per))
    async with Harness(plugin) as bot:
        assert await bot.ask("!cmd") == "ran"
        assert one_refusal(await bot.say("!cmd")) == "Slow down: try `!cmd` again in 1 s."
        await asyncio.sleep(per * 3)  # the passing of time is the point here
        assert await bot.ask("!cmd") == "ran"
        assert one_refusal(await bot.say("!cmd")).startswith("Slow down")
    assert ran == ["alice", "alice"]


async def test_each_handler_has_its_own_cooldown() -> None:
    plugin = Plugin("g")

    @plugin.command
    @cooldown(1, 10)
    async def one(ctx: Context) -> None:
        await ctx.reply("one")

    @plugin.command
    @cooldown(1, 10)
    async def two(ctx: Context) -> None:
        await ctx.reply("two")

    async with Harness(plugin) as bot:
        assert await bot.ask("!one") == "one"
        assert await bot.ask("!two") == "two"
        assert one_refusal(await bot.say("!one")).startswith("Slow down: try `!one`")


async def test_each_harness_starts_with_fresh_cooldowns() -> None:
    plugin, ran = guarded(cooldown(1, 60))
    async with Harness(plugin) as bot:
        assert await bot.ask("!cmd") == "ran"
    async with Harness(plugin) as bot:
        assert await bot.ask("!cmd") == "ran"
    assert ran == ["alice", "alice"]


@pytest.mark.parametrize(
    ("rate", "per", "scope"),
    [(0, 1, "user"), (1.5, 1, "user"), (1, 0, "user"), (1, -1, "user"), (1, 1, "guild")],
)
def test_bad_cooldown_arguments_fail_at_decoration(rate: float, per: float, scope: str) -> None:
    with pytest.raises(PluginError, match="cooldown"):
        cooldown(rate, per, scope=scope)  # type: ignore[arg-type]


# Listeners and event handlers: skipped silently


async def test_a_listener_with_a_failed_check_is_skipped_silently() -> None:
    plugin = Plugin("g")
    heard: list[str] = []

    async def never(ctx: Context) -> bool:
        return False

    @plugin.on_message(r"hello")
    @requires(never)
    async def blocked(ctx: Context) -> None:
        heard.append("blocked")
        await ctx.reply("blocked ran")

    @plugin.on_message(r"hello")
    async def open_(ctx: Context) -> None:
        heard.append("open")
        await ctx.reply("open ran")

    async with Harness(plugin) as bot:
        assert await bot.ask("hello there") == "open ran"
    assert heard == ["open"]


async def test_a_listener_over_its_cooldown_is_skipped_silently() -> None:
    plugin = Plugin("g")

    @plugin.on_message(r"hello")
    @cooldown(1, 60)
    async def greet(ctx: Context) -> None:
        await ctx.reply("hi")

    async with Harness(plugin) as bot:
        assert await bot.ask("hello") == "hi"
        assert await bot.say("hello") == []


async def test_an_event_handler_with_a_channel_cooldown_counts_per_channel() -> None:
    plugin = Plugin("g")

    @plugin.on_event("reaction_added")
    @cooldown(1, 60, scope="channel")
    async def starred(ctx: Context, event: ReactionAdded) -> None:
        await ctx.reply(f"star in {event.channel.id}")

    def reaction(channel: str, user: User) -> ReactionAdded:
        return ReactionAdded("test", ChannelRef("test", channel), user, "m1", "⭐")

    async with Harness(plugin) as bot:
        assert texts(await bot.emit(reaction("a", ALICE))) == ["star in a"]
        assert await bot.emit(reaction("a", BOB)) == []  # same channel: silent
        assert texts(await bot.emit(reaction("b", BOB))) == ["star in b"]


async def test_an_event_handler_with_a_user_cooldown_counts_the_reacting_user() -> None:
    plugin = Plugin("g")

    @plugin.on_event("reaction_added")
    @cooldown(1, 60)
    async def starred(ctx: Context, event: ReactionAdded) -> None:
        await ctx.reply(f"star by {event.user.name}")

    room = ChannelRef("test", "room")
    async with Harness(plugin) as bot:
        assert texts(await bot.emit(ReactionAdded("test", room, ALICE, "m1", "⭐"))) == [
            "star by alice"
        ]
        assert await bot.emit(ReactionAdded("test", room, ALICE, "m2", "⭐")) == []
        assert texts(await bot.emit(ReactionAdded("test", room, BOB, "m3", "⭐"))) == [
            "star by bob"
        ]


# Cooldown on its own: exact arithmetic with explicit clock values


def test_cooldown_hit_is_a_sliding_window() -> None:
    cd = Cooldown(CooldownSpec(2, 10.0, "user"))
    assert cd.hit("k", 0.0) == 0.0
    assert cd.hit("k", 1.0) == 0.0
    assert cd.hit("k", 2.0) == 8.0  # the run at 0 frees its slot at 10
    assert cd.hit("k", 9.5) == 0.5  # refusals take no slot
    assert cd.hit("other", 9.5) == 0.0  # keys are apart
    assert cd.hit("k", 10.0) == 0.0  # the run at 0 left the window
    assert cd.hit("k", 10.5) == 0.5  # 1 and 10 are in it; 1 leaves at 11
    assert cd.hit("k", 11.0) == 0.0


def test_first_refusal_is_true_once_per_blocked_stretch() -> None:
    cd = Cooldown(CooldownSpec(1, 10.0, "user"))
    cd.hit("k", 0.0)
    wait = cd.hit("k", 2.0)
    assert wait == 8.0
    assert cd.first_refusal("k", 2.0, wait) is True
    assert cd.first_refusal("k", 5.0, cd.hit("k", 5.0)) is False
    assert cd.first_refusal("k", 9.9, cd.hit("k", 9.9)) is False
    assert cd.first_refusal("other", 9.9, 1.0) is True  # its own stretch
    assert cd.hit("k", 10.0) == 0.0  # free again
    assert cd.first_refusal("k", 10.5, cd.hit("k", 10.5)) is True  # a new stretch is news


def test_cooldown_forgets_idle_keys_so_memory_follows_the_active_users() -> None:
    cd = Cooldown(CooldownSpec(1, 10.0, "user"))
    for i in range(10_000):
        cd.hit(i, 0.0)
    cd.first_refusal(0, 1.0, cd.hit(0, 1.0))
    cd.hit("recent", 8.0)  # 10_000 keys: not yet over the bound
    assert len(cd._hits) == 10_001
    cd.hit("new", 12.0)  # over the bound: the keys idle for `per` go
    assert set(cd._hits) == {"recent", "new"}
    assert cd._told == {}
    assert cd.hit("recent", 12.0) == 6.0  # a live window survives the sweep


def test_cooldown_keys_by_scope() -> None:
    here = ChannelRef("test", "here")
    msg = Message("test", here, ALICE, "!cmd", id="1")
    reaction = ReactionAdded("test", here, BOB, "1", "⭐")
    user = Cooldown(CooldownSpec(1, 1.0, "user"))
    channel = Cooldown(CooldownSpec(1, 1.0, "channel"))
    everyone = Cooldown(CooldownSpec(1, 1.0, "global"))
    assert user.key(msg) == ("test", "u1")
    assert user.key(reaction) == ("test", "u2")
    assert channel.key(msg) == channel.key(reaction) == ("test", "here")
    elsewhere = Message("discord", ChannelRef("discord", "9"), User("7", "carol"), "!cmd", id="2")
    assert everyone.key(msg) == everyone.key(reaction) == everyone.key(elsewhere)
    assert user.key(elsewhere) == ("discord", "7") != user.key(msg)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.01, "in 1 s"), (1.0, "in 1 s"), (1.2, "in 2 s"), (119.5, "in 2 min"), (600, "in 10 min")],
)
def test_wait_text_rounds_up(seconds: float, text: str) -> None:
    assert wait_text(seconds) == text
