"""Scenarios 1 and 2: what dispatch costs per message, and whether it grows with commands.

Real path: StampingAdapter.say → Runtime's sink → Dispatcher (prefix, lookup,
listeners) → handler task (gate, timeout, error boundary) → ctx.reply → send.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable

from bench.harness import (
    Floor,
    StampingAdapter,
    alternate,
    in_flight,
    one_at_a_time,
    percentile,
    running,
)
from bench.sizes import Size
from bench.table import Figures, Goal, Row
from bot import CallNext, Context, Plugin

MESSAGES = {"full": 20_000, "quick": 2_000, "tiny": 40}
WARM_UP = {"full": 1_000, "quick": 200, "tiny": 10}
IN_FLIGHT = 100
MIDDLEWARES = 3
Step = Callable[[int], Awaitable[None]]

DISPATCH_ROWS = (
    Row("latency p50", "µs", "p50", "floor_p50", Goal("<=", 2.5)),
    Row("latency p99", "µs", "p99", "floor_p99"),
    Row(f"throughput, {IN_FLIGHT} in flight", "msg/s", "rate", "floor_rate", Goal(">=", 1 / 3)),
    Row(
        f"p50, {MIDDLEWARES} pass-through middlewares vs none",
        "µs",
        "p50_mw",
        "p50",
        Goal("<=", 1.3),
    ),
)

SCALING_ROWS = (
    Row("p50, 1 command + 20 listeners", "µs", "p50_1"),
    Row("p50, 50 commands vs 1", "µs", "p50_50", "p50_1"),
    Row("p50, 200 commands vs 1", "µs", "p50_200", "p50_1", Goal("<=", 1.1)),
)


def ping_plugin() -> Plugin:
    plugin = Plugin("bench", help="The benchmark's own ping: no clock reading, a fixed reply")

    @plugin.command
    async def ping(ctx: Context) -> None:
        await ctx.reply("pong")

    return plugin


def middleware_plugin(count: int) -> Plugin:
    """``count`` scope="all" middlewares that only ``await call_next(ctx)``."""
    plugin = Plugin("wrap", help="Middlewares that do nothing but pass the call on")
    for _ in range(count):

        async def through(ctx: Context, call_next: CallNext) -> None:
            await call_next(ctx)

        plugin.middleware(scope="all")(through)
    return plugin


async def floor_ping(floor: Floor, text: str) -> None:
    floor.reply("pong")


def measure_dispatch(size: Size) -> Figures:
    """Scenario 1: latency one message at a time, throughput with 100 in flight."""
    return asyncio.run(_dispatch(MESSAGES[size], WARM_UP[size]))


async def _dispatch(n: int, warm: int) -> Figures:
    async with (
        running(ping_plugin()) as bot,
        running(ping_plugin(), middleware_plugin(MIDDLEWARES)) as wrapped,
    ):
        floor = Floor({"ping": floor_ping})
        latency: dict[str, list[float]] = {"bot": [], "floor": [], "mw": []}
        rates: dict[str, list[float]] = {"bot": [], "floor": []}

        async def bot_latency(k: int) -> None:
            latency["bot"] += await one_at_a_time(bot.say, bot.stamps, "!ping", k)
            bot.take(k, "pong", "botloop, one at a time")

        async def mw_latency(k: int) -> None:
            latency["mw"] += await one_at_a_time(wrapped.say, wrapped.stamps, "!ping", k)
            wrapped.take(k, "pong", "botloop with middlewares, one at a time")

        async def floor_latency(k: int) -> None:
            latency["floor"] += await one_at_a_time(floor.say, floor.stamps, "!ping", k)
            floor.stamps.take(k, "pong", "floor, one at a time")

        async def bot_rate(k: int) -> None:
            rates["bot"].append(await in_flight(bot.say, bot.stamps, "!ping", k, IN_FLIGHT))
            bot.take(k, "pong", "botloop, in flight")

        async def floor_rate(k: int) -> None:
            rates["floor"].append(await in_flight(floor.say, floor.stamps, "!ping", k, IN_FLIGHT))
            floor.stamps.take(k, "pong", "floor, in flight")

        steps = [bot_latency, mw_latency, floor_latency, bot_rate, floor_rate]
        await alternate(steps, warm, chunks=1)
        latency = {"bot": [], "floor": [], "mw": []}
        rates = {"bot": [], "floor": []}
        await alternate(steps, n)
    return {
        "p50": percentile(latency["bot"], 50),
        "p99": percentile(latency["bot"], 99),
        "p50_mw": percentile(latency["mw"], 50),
        "floor_p50": percentile(latency["floor"], 50),
        "floor_p99": percentile(latency["floor"], 99),
        "rate": statistics.median(rates["bot"]),
        "floor_rate": statistics.median(rates["floor"]),
        "messages": len(latency["bot"]),
    }


COMMAND_COUNTS = (1, 50, 200)
LISTENERS = 20


def commands_plugin(count: int) -> Plugin:
    """``count`` commands ``c000``…, each answering its own name."""
    plugin = Plugin("many", help="Filler commands")
    for i in range(count):
        name = f"c{i:03d}"

        async def answer(ctx: Context, name: str = name) -> None:
            await ctx.reply(name)

        # Registered by name: the function's own name is the same for all of them.
        plugin.command(name)(answer)
    return plugin


def listeners_plugin() -> Plugin:
    """Twenty regex listeners of the kinds plugins use, none matching ``!c199``."""
    plugin = Plugin("listen", help="Listeners that never match the benchmark's messages")
    for i in range(LISTENERS):

        async def heard(ctx: Context, **groups: str) -> None:
            await ctx.reply("listener fired")  # the count check catches this

        plugin.on_message(rf"(?i)\b(?:topic{i}|subject{i})\b[:,]?\s*(?P<rest>.*)")(heard)
    return plugin


def measure_scaling(size: Size) -> Figures:
    """Scenario 2: p50 latency with 1, 50 and 200 commands, hitting the last one."""
    return asyncio.run(_scaling(MESSAGES[size], WARM_UP[size]))


async def _scaling(n: int, warm: int) -> Figures:
    latency: dict[int, list[float]] = {}
    async with (
        running(commands_plugin(1), listeners_plugin()) as one,
        running(commands_plugin(50), listeners_plugin()) as fifty,
        running(commands_plugin(200), listeners_plugin()) as many,
    ):
        bots = dict(zip(COMMAND_COUNTS, (one, fifty, many), strict=True))

        def step(count: int, bot: StampingAdapter, record: bool) -> Step:
            last = f"c{count - 1:03d}"

            async def run(k: int) -> None:
                got = await one_at_a_time(bot.say, bot.stamps, f"!{last}", k)
                bot.take(k, last, f"{count} commands")
                if record:
                    latency.setdefault(count, []).extend(got)

            return run

        await alternate([step(c, b, False) for c, b in bots.items()], warm, chunks=1)
        await alternate([step(c, b, True) for c, b in bots.items()], n)
    return {f"p50_{c}": percentile(v, 50) for c, v in latency.items()}
