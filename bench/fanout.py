"""Scenario 4: one command making 100 lookups through ``ctx.gather`` against a local
API (another process) answering each in 50 ms, against a bare ``asyncio.gather`` of
the same requests on one aiohttp session.

botloop's session keeps aiohttp's default connector: at most 100 connections in
all (``limit=100``) and no per-host cap (``limit_per_host=0``). botloop has no
setting to change them, so the raised-limit runs swap the Runtime's session
factory (:func:`bench.harness.session_factory`); that patch is what it takes today.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

from bench.checks import expect
from bench.harness import StampingAdapter, running
from bench.sizes import Size
from bench.table import Figures, Goal, Row
from bot import Context, Plugin
from bot.http.session import user_agent

ROOT = Path(__file__).resolve().parent.parent
LOOKUPS = 100
RAISED = 1000  # connector limit and limit_per_host in the raised-limit runs
ROUNDS = {"full": 10, "quick": 5, "tiny": 1}
EXPECTED = f"{LOOKUPS}/{LOOKUPS} ok, sum {sum(range(LOOKUPS))}"

ROWS = (
    Row(f"{LOOKUPS} lookups, limit raised", "ms", "raised", "floor", Goal("<=", 1.1)),
    Row(f"{LOOKUPS} lookups, default limit", "ms", "default", "floor"),
    Row(f"2 commands × {LOOKUPS} at once, default limit", "ms", "twice", "floor_twice"),
)


async def lookup(http: aiohttp.ClientSession, base: str, i: int) -> int:
    async with http.get(f"{base}/item/{i}") as resp:
        resp.raise_for_status()
        value: int = (await resp.json())["i"]
        return value


def fan_plugin(base: str) -> Plugin:
    plugin = Plugin("fan", help="One command, a hundred lookups")

    @plugin.command
    async def fan(ctx: Context) -> None:
        results = await ctx.gather(*(lookup(ctx.http, base, i) for i in range(LOOKUPS)))
        ok = [r.value for r in results if r.ok and r.value is not None]
        await ctx.reply(f"{len(ok)}/{LOOKUPS} ok, sum {sum(ok)}")

    return plugin


def raised_session(bot_name: str, timeout: float) -> aiohttp.ClientSession:
    """botloop's session (same timeouts and User-Agent) with the connector limits raised."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=RAISED, limit_per_host=RAISED),
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent(bot_name)},
    )


@contextmanager
def lookup_server() -> Iterator[str]:
    """Start the API in its own process; its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.lookup_server"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        expect(port.isdigit(), f"the lookup server did not start (said {port!r})")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def measure(size: Size) -> Figures:
    with lookup_server() as base:
        return asyncio.run(_measure(base, ROUNDS[size]))


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
        running(fan_plugin(base), session=raised_session) as raised,
        running(fan_plugin(base)) as default,
        raised_session("floor", 10.0) as http,
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
    return {k: statistics.median(v) for k, v in got.items()}
