"""Scenario 6, Slack: ack latency while every handler sleeps (see bench/platforms.py).

One runtime with both Slack adapters, Socket Mode and HTTP mode, on the fake
Slack of tests/fakes in this process. ``/nap`` commands go one at a time, each
timed from the moment the fake sends the envelope (Socket Mode) or the client
posts the signed form (HTTP mode) until the ack envelope or the HTTP 200 is back.
No command waits for the one before to be handled, so the handlers pile up: up to
2 × N asleep at once (BOT_MAX_CONCURRENCY is raised so that all of them start; the
default of 100 would queue the later ones, after their acks). Then each handler
replies "awake" in the channel it was asked in, and every reply is checked.

Floors, on a second fake Slack: a bare websocket client that acks each envelope
as it arrives, and a bare aiohttp server that checks the signature and answers 200.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from unittest import mock

import aiohttp
from aiohttp import web

from bench.checks import expect
from bench.harness import alternate, on_adapters, percentile
from bench.table import Figures
from bot import Context, Plugin
from tests.fakes.slack import SIGNING_SECRET, FakeSlack, adapter_for, form, sign

PATIENCE = 60.0  # seconds for a phase before its acks or replies count as lost
WARM_UP = 5  # commands per contender before the measured ones (the first opens connections)


def measure(n: int, nap: float) -> Figures:
    """``n`` commands per mode, whose handlers sleep ``nap`` seconds."""
    # slack_sdk sends everything through HTTP(S)_PROXY when set, and ignores NO_PROXY.
    proxies = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
    with mock.patch.dict(os.environ):
        for key in proxies:
            os.environ.pop(key, None)
        return asyncio.run(_measure(n, nap))


class Naps:
    """The /nap handlers: how many started and finished, and what they answered."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = self.finished = 0

    def plugin(self) -> Plugin:
        plugin = Plugin("nap", help="A command whose handler sleeps")

        @plugin.command
        async def nap(ctx: Context) -> None:
            self.started += 1
            await asyncio.sleep(self.seconds)
            self.finished += 1
            await ctx.reply("awake")

        return plugin


@asynccontextmanager
async def bare_socket_mode(slack: FakeSlack) -> AsyncIterator[None]:
    """The least a Socket Mode app can do: read each envelope, send its ack."""
    async with aiohttp.ClientSession() as http:
        url = slack.url.replace("http://", "ws://") + "/socket"
        async with http.ws_connect(url) as ws:

            async def ack_all() -> None:
                async for msg in ws:
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        envelope = json.loads(msg.data)
                        if "envelope_id" in envelope:
                            await ws.send_str(json.dumps({"envelope_id": envelope["envelope_id"]}))

            reader = asyncio.create_task(ack_all())
            await slack.wait_for(lambda: slack.connections == 1)
            try:
                yield
            finally:
                reader.cancel()


@asynccontextmanager
async def bare_events_server() -> AsyncIterator[str]:
    """The least an HTTP-mode app can do: check the signature, answer 200. Its URL."""
    secret = SIGNING_SECRET.encode()

    async def events(request: web.Request) -> web.Response:
        body = await request.text()
        ts = request.headers["X-Slack-Request-Timestamp"]
        digest = hmac.new(secret, f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(f"v0={digest}", request.headers["X-Slack-Signature"]):
            return web.Response(status=401)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()


async def socket_acks(slack: FakeSlack, count: int, channels: Iterator[str]) -> list[float]:
    """Send ``count`` /nap commands one at a time; each one's ack latency in ms."""
    latencies = []
    async with asyncio.timeout(PATIENCE):
        for _ in range(count):
            body = slack.command_body("/nap", "", channel=next(channels))
            eid = await slack.send_envelope("slash_commands", body)
            latencies.append((await slack.wait_ack(eid, PATIENCE)).latency * 1000)
    return latencies


async def http_acks(
    http: aiohttp.ClientSession, url: str, slack: FakeSlack, count: int, channels: Iterator[str]
) -> list[float]:
    """POST ``count`` signed /nap commands one at a time; each one's time to the 200 in ms."""
    latencies = []
    async with asyncio.timeout(PATIENCE):
        for _ in range(count):
            body = form(slack.command_body("/nap", "", channel=next(channels)))
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            start = time.monotonic()  # the clock FakeSlack times Socket Mode acks with
            async with http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                latencies.append((time.monotonic() - start) * 1000)
            expect(resp.status == 200, f"HTTP mode: status {resp.status}, expected 200")
    return latencies


def channel_names(prefix: str, used: list[str] | None = None) -> Iterator[str]:
    """A new channel per command (so that each reply shows which command it answers),
    noted in ``used``."""
    i = 0
    while True:
        name = f"{prefix}{i:05d}"
        if used is not None:
            used.append(name)
        yield name
        i += 1


async def _measure(n: int, nap: float) -> Figures:
    naps = Naps(nap)
    got: dict[str, list[float]] = {k: [] for k in ("socket", "socket_floor", "http", "http_floor")}
    asked: list[str] = []  # the channels the bot was asked in, one per command
    bot_channels = channel_names("C", asked)
    floor_channels = channel_names("F")
    async with FakeSlack() as slack, FakeSlack() as floor_slack:
        socket, http_mode = adapter_for(slack, "socket"), adapter_for(slack, "http")
        most = 2 * (n + WARM_UP)  # every handler may start at once
        async with (
            on_adapters(socket, http_mode, plugins=(naps.plugin(),), max_concurrency=most),
            bare_socket_mode(floor_slack),
            bare_events_server() as floor_url,
            aiohttp.ClientSession() as client,
        ):
            assert http_mode.web is not None
            url = f"http://127.0.0.1:{http_mode.web.port}/slack/events"

            async def bot_socket(k: int) -> None:
                got["socket"] += await socket_acks(slack, k, bot_channels)

            async def floor_socket(k: int) -> None:
                got["socket_floor"] += await socket_acks(floor_slack, k, floor_channels)

            async def bot_http(k: int) -> None:
                got["http"] += await http_acks(client, url, slack, k, bot_channels)

            async def floor_http(k: int) -> None:
                got["http_floor"] += await http_acks(client, floor_url, slack, k, floor_channels)

            steps = [bot_socket, floor_socket, bot_http, floor_http]
            await alternate(steps, WARM_UP, chunks=1)
            got = {k: [] for k in got}
            await alternate(steps, n)
            asleep = naps.started - naps.finished
            # Every ack is in; now every handler must wake and answer where it was asked.
            await slack.wait_calls("chat.postMessage", len(asked), timeout=nap + PATIENCE)
            await asyncio.sleep(0.1)  # a reply too many would arrive now
    posts = slack.calls_of("chat.postMessage")
    expect(len(posts) == len(asked), f"Slack: {len(posts)} replies to {len(asked)} commands")
    wrong = [c.args.get("text") for c in posts if c.args.get("text") != "awake"]
    expect(not wrong, f"Slack: expected every reply to be 'awake', got {wrong[:3]!r}")
    channels = sorted(str(c.args.get("channel")) for c in posts)
    expect(channels == sorted(asked), "Slack: the replies are not one per command, where asked")
    return {
        **{f"{k}_p50": percentile(v, 50) for k, v in got.items()},
        **{f"{k}_p99": percentile(v, 99) for k, v in got.items()},
        "asleep": asleep,
    }
