"""Scenario 7: what a click costs next to a command, and what waiting handlers cost.

Real path for a click: an Action into the Runtime's sink → Dispatcher (decode the
id, one dict lookup) → handler task (gate, deadline, boundary) → ctx.update →
the adapter's ``update``, stamped like ``send``. The asks: 1,000 users each run a
command that ``ctx.ask``s and waits; their RSS, and ``!ping``'s p50 with them
pending against a runtime with none.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
from pathlib import Path

from bench.dispatch import ping_plugin
from bench.harness import StampingAdapter, alternate, one_at_a_time, percentile, running
from bench.sizes import Size
from bench.table import Figures, Goal, Row
from bot import Context, Plugin, Reply
from bot.model import Action, MessageRef, User
from bot.plugin.actions import encode

MESSAGES = {"full": 20_000, "quick": 2_000, "tiny": 40}
WARM_UP = {"full": 1_000, "quick": 200, "tiny": 10}
ASKS = {"full": 1_000, "quick": 1_000, "tiny": 50}

ROWS = (
    Row("click → ctx.update p50 vs !ping p50", "µs", "click_p50", "command_p50", Goal("<=", 1.5)),
    Row(
        "!ping p50 with 1,000 asks pending vs none",
        "µs",
        "waiting_p50",
        "plain_p50",
        Goal("<=", 1.1),
    ),
    Row("RSS of 1,000 pending asks", "MB", "asks_mb", None, Goal("<=", 5.0, on="value")),
)


def tap_plugin() -> Plugin:
    plugin = Plugin("tap", help="A button whose click updates its message")

    @plugin.on_action("tap")
    async def tap(ctx: Context, value: str) -> None:
        await ctx.update("tapped")

    @plugin.command
    async def wait(ctx: Context) -> None:
        await ctx.ask("?", timeout=600)

    return plugin


class UpdatingAdapter(StampingAdapter):
    """The stamping adapter, stamping ``update`` (a click's answer) like ``send``."""

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        self.stamps.add(reply.text)
        self.answered.append(action.key)
        return action.message or MessageRef(action.channel, "")


def measure(size: Size) -> Figures:
    return asyncio.run(_measure(MESSAGES[size], WARM_UP[size], ASKS[size]))


def _rss() -> int:
    """Resident set size in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _measure(n: int, warm: int, asks: int) -> Figures:
    async with (
        running(ping_plugin(), tap_plugin(), adapter=UpdatingAdapter()) as bot,
        running(ping_plugin(), tap_plugin()) as plain,
        running(ping_plugin(), tap_plugin()) as waiting,
    ):
        ident = encode("tap", "tap", "v")
        ref = MessageRef(bot.channel, "m1")
        keys = itertools.count()

        def click(_: str) -> None:
            bot.emit(
                Action(bot.platform, bot.channel, bot.user, ident, (), ref, key=str(next(keys)))
            )

        # 1,000 users, each with a handler waiting for their answer.
        gc.collect()
        before = _rss()
        for i in range(asks):
            waiting.say("!wait", user=User(f"w{i}", f"w{i}"))
        await waiting.stamps.wait(waiting.stamps.until(asks))
        gc.collect()
        asks_mb = (_rss() - before) / 1e6 * (1_000 / asks)
        waiting.stamps.times, waiting.stamps.texts, waiting.answered = [], [], []

        latency: dict[str, list[float]] = {"command": [], "click": [], "plain": [], "waiting": []}

        async def command(k: int) -> None:
            latency["command"] += await one_at_a_time(bot.say, bot.stamps, "!ping", k)
            bot.take(k, "pong", "!ping")

        async def clicked(k: int) -> None:
            latency["click"] += await one_at_a_time(click, bot.stamps, "", k)
            bot.take(k, "tapped", "click")

        async def plain_ping(k: int) -> None:
            latency["plain"] += await one_at_a_time(plain.say, plain.stamps, "!ping", k)
            plain.take(k, "pong", "!ping, nobody waiting")

        async def waiting_ping(k: int) -> None:
            latency["waiting"] += await one_at_a_time(waiting.say, waiting.stamps, "!ping", k)
            waiting.take(k, "pong", "!ping, 1,000 waiting")

        steps = [command, clicked, plain_ping, waiting_ping]
        await alternate(steps, warm, chunks=1)
        latency = {key: [] for key in latency}
        await alternate(steps, n)
    return {
        "command_p50": percentile(latency["command"], 50),
        "click_p50": percentile(latency["click"], 50),
        "plain_p50": percentile(latency["plain"], 50),
        "waiting_p50": percentile(latency["waiting"], 50),
        "asks_mb": asks_mb,
    }
