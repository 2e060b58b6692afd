"""Scenario 8: what the web chat costs a bot that is not using it.

Two runtimes alternate ``!ping`` on a stamping adapter, both with their web server
listening (as on a PaaS, which also serves /metrics and counts each event for it):
one with nothing more, one that also runs the web chat adapter with a tab connected
and idle. The chat should cost the message path nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp

from bench.checks import BenchError, expect
from bench.dispatch import ping_plugin
from bench.harness import StampingAdapter, alternate, one_at_a_time, percentile, registry_of
from bench.sizes import Size
from bench.table import Figures, Goal, Row
from bot.adapters.web.adapter import WebChatAdapter
from bot.adapters.web.settings import WebChatSettings
from bot.config import Settings
from bot.core import Runtime
from bot.web import WebSettings

MESSAGES = {"full": 20_000, "quick": 2_000, "tiny": 40}
WARM_UP = {"full": 1_000, "quick": 200, "tiny": 10}

ROWS = (
    Row("!ping p50, web chat loaded and idle vs not", "µs", "web_p50", "plain_p50",
        Goal("<=", 1.1)),
)  # fmt: skip


def measure(size: Size) -> Figures:
    return asyncio.run(_measure(MESSAGES[size], WARM_UP[size]))


@asynccontextmanager
async def _bot(with_chat: bool) -> AsyncIterator[StampingAdapter]:
    adapter = StampingAdapter()
    adapters: list[StampingAdapter | WebChatAdapter] = [adapter]
    if with_chat:
        adapters.append(WebChatAdapter(WebChatSettings()))
    runtime = Runtime(
        replace(Settings(), storage_url="memory://"),
        registry_of(ping_plugin()),
        adapters,  # type: ignore[arg-type]  # both are adapters
        web=WebSettings(host="127.0.0.1", port=0),
    )
    task = asyncio.create_task(runtime.run())
    ready = asyncio.ensure_future(adapter.ready())
    await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        raise BenchError(f"the runtime stopped before it started: {task.exception()!r}")
    try:
        if with_chat:
            assert runtime.web is not None
            url = f"http://127.0.0.1:{runtime.web.port}/chat/ws"
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
                welcome = await ws.receive_json()
                expect(welcome["type"] == "welcome", "the web chat did not welcome the tab")
                yield adapter  # with a tab connected, doing nothing
        else:
            yield adapter
    finally:
        runtime.request_stop()
        code = await asyncio.wait_for(task, 30)
    expect(code == 0, f"the runtime exited with {code}")


async def _measure(n: int, warm: int) -> Figures:
    async with _bot(False) as plain, _bot(True) as web:
        latency: dict[str, list[float]] = {"plain": [], "web": []}

        async def plain_ping(k: int) -> None:
            latency["plain"] += await one_at_a_time(plain.say, plain.stamps, "!ping", k)
            plain.take(k, "pong", "!ping alone")

        async def web_ping(k: int) -> None:
            latency["web"] += await one_at_a_time(web.say, web.stamps, "!ping", k)
            web.take(k, "pong", "!ping beside the web chat")

        await alternate([plain_ping, web_ping], warm, chunks=1)
        latency = {"plain": [], "web": []}
        await alternate([plain_ping, web_ping], n)
    return {
        "plain_p50": percentile(latency["plain"], 50),
        "web_p50": percentile(latency["web"], 50),
    }
