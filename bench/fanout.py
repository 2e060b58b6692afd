"""Scenario 4: one command making 100 lookups with ``ctx.fetch_json`` through
``ctx.gather`` against a local API (another process) answering each in 50 ms,
against a bare ``asyncio.gather`` of the same requests on one aiohttp session.

The raised-limit bot lets all 100 run at once (``BOT_HTTP_PER_HOST=100``, no cap
on connections), as the floor does; the default bot keeps ``BOT_HTTP_PER_HOST=10``,
so its figure shows what politeness to one API costs: ten rounds of 50 ms.
Keep-alive connections are warm in every counted round (the first one is not
counted), so the raised figure is also compared with the 50 ms ideal.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp

from bench.checks import expect
from bench.harness import StampingAdapter, running
from bench.lookup_server import DELAY
from bench.servers import serving
from bench.sizes import Size
from bench.table import Figures, Goal, Row
from bot import Context, Plugin
from bot.http.session import user_agent

LOOKUPS = 100
ROUNDS = {"full": 10, "quick": 5, "tiny": 1}
EXPECTED = f"{LOOKUPS}/{LOOKUPS} ok, sum {sum(range(LOOKUPS))}"

ROWS = (
    Row(f"{LOOKUPS} lookups, limit raised", "ms", "raised", "floor", Goal("<=", 1.1)),
    Row(f"{LOOKUPS} lookups, limit raised, vs 50 ms", "ms", "raised", "ideal", Goal("<=", 1.3)),
    Row(f"{LOOKUPS} lookups, default BOT_HTTP_PER_HOST=10", "ms", "default", "floor"),
    Row(f"2 commands × {LOOKUPS} at once, default per-host limit", "ms", "twice", "floor_twice"),
)


async def lookup(http: aiohttp.ClientSession, base: str, i: int) -> int:
    """The floor's lookup: a bare GET and JSON decode."""
    async with http.get(f"{base}/item/{i}") as resp:
        resp.raise_for_status()
        value: int = (await resp.json())["i"]
        return value


def fan_plugin(base: str) -> Plugin:
    plugin = Plugin("fan", help="One command, a hundred lookups")

    @plugin.command
    async def fan(ctx: Context) -> None:
        results = await ctx.gather(*(ctx.fetch_json(f"{base}/item/{i}") for i in range(LOOKUPS)))
        ok = [r.value["i"] for r in results if r.ok and r.value is not None]
        await ctx.reply(f"{len(ok)}/{LOOKUPS} ok, sum {sum(ok)}")

    return plugin


def floor_session() -> aiohttp.ClientSession:
    """The floor's session: no limit on connections, like the raised-limit bot."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
        timeout=aiohttp.ClientTimeout(total=10.0),
        headers={"User-Agent": user_agent("floor")},
    )


def measure(size: Size) -> Figures:
    with serving("bench.lookup_server") as port:
        return asyncio.run(_measure(f"http://127.0.0.1:{port}", ROUNDS[size]))


async def _bot_round(bot: StampingAdapter, commands: int) -> float:
    done = bot.stamps.until(commands)
    start = time.perf_counter()
    for _ in range(commands):
        bot.say("!fan")
    end = await bot.stamps.wait(done)
    bot.take(commands, EXPECTED, "fan-out")
    return (end - start) * 1000


async def _floor_round(http: aiohttp.ClientSession, base: str, count: int) -> float:
    start = time.perf_counter()
    got = await asyncio.gather(*(lookup(http, base, i % LOOKUPS) for i in range(count)))
    elapsed = (time.perf_counter() - start) * 1000
    expect(sorted(got) == sorted(i % LOOKUPS for i in range(count)), "floor: wrong answers")
    return elapsed


async def _measure(base: str, rounds: int) -> Figures:
    got: dict[str, list[float]] = {}
    async with (
        running(fan_plugin(base), http_per_host=LOOKUPS, http_connections=0) as raised,
        running(fan_plugin(base)) as default,
        floor_session() as http,
    ):
        for i in range(rounds + 1):  # the first round opens the connections: not counted
            figures = {
                "raised": await _bot_round(raised, 1),
                "default": await _bot_round(default, 1),
                "floor": await _floor_round(http, base, LOOKUPS),
                "twice": await _bot_round(default, 2),
                "floor_twice": await _floor_round(http, base, 2 * LOOKUPS),
            }
            if i:
                for key, value in figures.items():
                    got.setdefault(key, []).append(value)
    return {k: statistics.median(v) for k, v in got.items()} | {"ideal": DELAY * 1000}
