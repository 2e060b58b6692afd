"""Scenario 3: 100 messages at once whose handler awaits 0.1 s must all be answered
after about 0.1 s, not 100 × 0.1 s: no message waits behind another's handler."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.checks import expect
from bench.harness import Floor, running
from bench.sizes import Size
from bench.table import Figures, Goal, Row
from bot import Context, Plugin

AT_ONCE = 100
NAP = 0.1
ROUNDS = {"full": 5, "quick": 3, "tiny": 1}

ROWS = (
    Row(f"{AT_ONCE}th reply vs {NAP:g} s", "ms", "last", "nap", Goal("<=", 1.05)),
    Row(f"{AT_ONCE}th reply vs bare asyncio", "ms", "last", "floor_last"),
    Row("1st reply", "ms", "first", "floor_first"),
)


def nap_plugin() -> Plugin:
    plugin = Plugin("nap", help="A handler that waits on something slow")

    @plugin.command
    async def nap(ctx: Context) -> None:
        await asyncio.sleep(NAP)
        await ctx.reply("awake")

    return plugin


async def floor_nap(floor: Floor, text: str) -> None:
    await asyncio.sleep(NAP)
    floor.reply("awake")


def measure(size: Size) -> Figures:
    return asyncio.run(_measure(ROUNDS[size]))


async def _measure(rounds: int) -> Figures:
    got: dict[str, list[float]] = {"first": [], "last": [], "floor_first": [], "floor_last": []}
    async with running(nap_plugin()) as bot:
        floor = Floor({"nap": floor_nap})
        for _ in range(rounds):
            done = bot.stamps.until(AT_ONCE)
            start = time.perf_counter()
            for _ in range(AT_ONCE):
                bot.say("!nap")
            await bot.stamps.wait(done)
            times = bot.take(AT_ONCE, "awake", "botloop")
            got["first"].append((times[0] - start) * 1000)
            got["last"].append((times[-1] - start) * 1000)

            done = floor.stamps.until(AT_ONCE)
            start = time.perf_counter()
            for _ in range(AT_ONCE):
                floor.say("!nap")
            await floor.stamps.wait(done)
            times = floor.stamps.take(AT_ONCE, "awake", "floor")
            got["floor_first"].append((times[0] - start) * 1000)
            got["floor_last"].append((times[-1] - start) * 1000)
    expect(all(x >= NAP * 1000 for x in got["first"]), "a reply came before the handler's nap")
    figures = {k: statistics.median(v) for k, v in got.items()}
    figures["nap"] = NAP * 1000
    return figures
