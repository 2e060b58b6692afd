"""Routes and the pipeline: middlewares (a plugin's own and scope="all"), their order,
short-circuits, errors inside them, what ``ctx.route`` tells, and the stage list."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import CallNext, Context, Plugin, cooldown, is_admin, requires
from bot.core.pipeline import stages
from bot.core.routes import CommandRoute
from bot.errors import PluginError
from bot.testing import Harness


def commands(log: list[str]) -> Plugin:
    plugin = Plugin("work")

    @plugin.command
    async def job(ctx: Context, n: int) -> None:
        log.append(f"job {n}")
        await ctx.reply(f"done {n}")

    @plugin.on_message(r"^hello")
    async def greet(ctx: Context) -> None:
        log.append("greet")

    return plugin


def wrapper(name: str, log: list[str], *, scope: str = "plugin") -> Plugin:
    plugin = Plugin(name)

    @plugin.middleware(scope=scope)  # type: ignore[arg-type]
    async def around(ctx: Context, call_next: CallNext) -> None:
        route = ctx.route
        assert route is not None
        log.append(f"{name} before {route.kind} {route.plugin} {route.label}")
        await call_next(ctx)
        log.append(f"{name} after")

    return plugin


async def test_scope_all_wraps_every_plugins_handlers_in_load_order() -> None:
    log: list[str] = []
    outer, inner = wrapper("outer", log, scope="all"), wrapper("inner", log, scope="all")
    async with Harness(outer, inner, commands(log)) as bot:
        assert await bot.ask("!job 3") == "done 3"
        await bot.say("hello there")
    assert log == [
        "outer before command work !job",
        "inner before command work !job",
        "job 3",
        "inner after",
        "outer after",
        "outer before pattern work work.greet",
        "inner before pattern work work.greet",
        "greet",
        "inner after",
        "outer after",
    ]


async def test_a_plugins_own_middleware_wraps_only_its_handlers() -> None:
    log: list[str] = []
    work = commands(log)

    @work.middleware
    async def own(ctx: Context, call_next: CallNext) -> None:
        log.append("own")
        await call_next(ctx)

    other = Plugin("other")

    @other.command
    async def ping(ctx: Context) -> None:
        await ctx.reply("pong")

    async with Harness(work, other) as bot:
        assert await bot.ask("!ping") == "pong"
        assert log == []
        await bot.ask("!job 1")
    assert log == ["own", "job 1"]


async def test_a_middleware_can_refuse_by_answering_and_not_calling_next() -> None:
    log: list[str] = []
    gate = Plugin("gate")

    @gate.middleware(scope="all")
    async def closed(ctx: Context, call_next: CallNext) -> None:
        if ctx.route is not None and ctx.route.kind == "command":
            await ctx.reply("closed for maintenance")
            return
        await call_next(ctx)

    async with Harness(gate, commands(log)) as bot:
        assert await bot.ask("!job 2") == "closed for maintenance"
        await bot.say("hello")
    assert log == ["greet"]  # the pattern route was let through


async def test_a_middleware_that_raises_is_caught_by_the_boundary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    broken = Plugin("broken")

    @broken.middleware(scope="all")
    async def crash(ctx: Context, call_next: CallNext) -> None:
        raise RuntimeError("middleware bug")

    async with Harness(broken, commands(log)) as bot:
        assert await bot.ask("!job 1") == "Sorry, `!job` failed. The error has been logged."
        assert await bot.ask("!job 2") == "Sorry, `!job` failed. The error has been logged."
    assert log == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "middleware bug" in errors[0].getMessage() and errors[0].exc_info is not None


async def test_scope_all_runs_before_checks_and_own_after_parse_and_cooldown() -> None:
    log: list[str] = []
    plugin = Plugin("guarded")

    @plugin.command
    @requires(is_admin)
    @cooldown(1, 60)
    async def deploy(ctx: Context, env: str) -> None:
        log.append(f"deploy {env}")

    @plugin.middleware
    async def own(ctx: Context, call_next: CallNext) -> None:
        log.append(f"own sees {ctx.args}")
        await call_next(ctx)

    async with Harness(wrapper("audit", log, scope="all"), plugin, admins="test:u1") as bot:
        await bot.say("!deploy", user="u1")  # usage: parse refuses, own never runs
        await bot.say("!deploy prod", user="intruder")  # the check refuses
        await bot.say("!deploy prod", user="u1")
        await bot.say("!deploy prod", user="u1")  # the cooldown refuses
    assert log == [
        "audit before command guarded !deploy",  # the UsageError passes through it
        "audit before command guarded !deploy",
        "audit after",
        "audit before command guarded !deploy",
        "own sees (['prod'], {})",
        "deploy prod",
        "audit after",
        "audit before command guarded !deploy",
        "audit after",
    ]


async def test_a_middleware_sees_the_timeout_stop_its_handler() -> None:
    seen: list[str] = []
    plugin = Plugin("slow")

    @plugin.command(timeout=0.05)
    async def nap(ctx: Context) -> None:
        await asyncio.sleep(5)

    @plugin.middleware
    async def watch(ctx: Context, call_next: CallNext) -> None:
        try:
            await call_next(ctx)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async with Harness(plugin) as bot:
        assert await bot.ask("!nap") == "Sorry, `!nap` took too long and was stopped."
    assert seen == ["cancelled"]


async def test_ctx_of_reaches_the_middlewares_own_settings() -> None:
    from dataclasses import dataclass

    @dataclass
    class Config:
        banner: str = "hi"

    plugin = Plugin("banner", config=Config)

    @plugin.middleware(scope="all")
    async def add(ctx: Context, call_next: CallNext) -> None:
        await ctx.reply(ctx.of(plugin).config.banner)
        await call_next(ctx)

    async with Harness(plugin, commands([]), env={"BANNER_BANNER": "welcome"}) as bot:
        replies = await bot.say("!job 1")
    assert [r.text for r in replies] == ["welcome", "done 1"]


def test_stages_are_named_and_left_out_where_not_needed() -> None:
    async def boundary(ctx: Context, call_next: CallNext) -> None: ...

    plugin = Plugin("p")

    @plugin.command
    async def ping(ctx: Context) -> None: ...

    @plugin.command
    @requires(is_admin)
    @cooldown(1, 5)
    async def deploy(ctx: Context, env: str) -> None: ...

    from bot.plugin.wiring import Mount

    mount = Mount("p", None, logging.getLogger("p"))
    ping_route, deploy_route = (CommandRoute(c, mount) for c in plugin.commands)
    assert [n for n, _ in stages(ping_route, boundary)] == ["boundary", "parse"]
    assert [n for n, _ in stages(deploy_route, boundary, shared=[boundary], debug=True)] == [
        "boundary",
        "timing",
        "middleware test_pipeline.boundary",
        "checks",
        "parse",
        "cooldown",
    ]


def test_middleware_must_be_async_and_scope_known() -> None:
    plugin = Plugin("p")
    with pytest.raises(PluginError, match="async def"):
        plugin.middleware(lambda ctx, call_next: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(PluginError, match="scope"):
        plugin.middleware(scope="everyone")  # type: ignore[arg-type]
