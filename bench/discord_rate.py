"""Scenario 6, Discord: messages per second from gateway dispatch to REST send, and
where the bot process spends its time (see bench/platforms.py).

The fake Discord runs in its own process (bench/discord_server.py) and sends
``!ping`` as MESSAGE_CREATE, keeping 100 unanswered, timing from the first
dispatch to the n-th ``POST /channels/{id}/messages``; every reply must be
"pong", referencing its message. Three clients are connected to it at once and
take turns: botloop (a Runtime with the Discord adapter), discord.py alone (an
``on_message`` that sends the reply) and a raw aiohttp gateway + REST client
with no library. Then one more botloop burst runs under cProfile, to attribute
the bot process's busy time by file to botloop, discord.py, aiohttp, the asyncio
loop and the rest; stdlib functions and builtins count for whoever called them.
cProfile slows Python calls unevenly, so the shares come from that separate pass
and the rates from the unprofiled ones.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import statistics
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bench.checks import expect
from bench.dispatch import ping_plugin
from bench.harness import alternate, on_adapters
from bench.servers import serving
from bench.table import Figures
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.connection import intents_for
from bot.adapters.discord.settings import DiscordSettings
from tests.fakes.discord import make_token

ROOT = Path(__file__).resolve().parent.parent
IN_FLIGHT = 100
PATIENCE = 60.0  # seconds for a burst before its replies count as lost


def measure(n: int, warm: int, profiled: int) -> Figures:
    """``n`` messages per client in 4 turns, after ``warm`` each; ``profiled`` more to botloop."""
    with discord_endpoints_restored(), serving("bench.discord_server") as port:
        return asyncio.run(_measure(port, n, warm, profiled))


@contextmanager
def discord_endpoints_restored() -> Iterator[None]:
    """discord.py keeps its endpoints in class attributes: put them back afterwards."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


class Control:
    """Talks to the fake Discord's burst endpoint."""

    def __init__(self, http: aiohttp.ClientSession, port: int, token: str) -> None:
        self._http = http
        self.api = f"http://127.0.0.1:{port}/api/v10"
        self.gateway = f"ws://127.0.0.1:{port}/gateway"
        self._auth = {"Authorization": f"Bot {token}"}

    async def latest_session(self) -> str:
        async with self._http.get(f"{self.api}/bench/session", headers=self._auth) as resp:
            session: str = (await resp.json())["session"]
            return session

    async def burst(self, session: str, n: int, what: str) -> float:
        """``n`` !ping to ``session``, 100 unanswered at most; messages per second."""
        args = {"session": session, "n": n, "window": IN_FLIGHT, "text": "!ping",
                "expect": "pong", "patience": PATIENCE}  # fmt: skip
        async with self._http.post(f"{self.api}/bench/burst", json=args, headers=self._auth) as r:
            answer = await r.json()
        problems = answer["problems"]
        expect(not problems, f"Discord, {what}: {'; '.join(problems)}")
        return n / float(answer["seconds"])


@asynccontextmanager
async def botloop_discord(control: Control, token: str) -> AsyncIterator[str]:
    """A Runtime with the Discord adapter answering !ping; its gateway session."""
    environ = {"DISCORD_TOKEN": token, "DISCORD_API_BASE": control.api,
               "DISCORD_GATEWAY_URL": control.gateway}  # fmt: skip
    adapter = DiscordAdapter(DiscordSettings.from_env(environ), ready_timeout=0.05)
    async with on_adapters(adapter, plugins=(ping_plugin(),)):
        yield await control.latest_session()


@asynccontextmanager
async def discord_py_alone(control: Control, token: str) -> AsyncIterator[str]:
    """discord.py with the least a bot on it does: ``on_message`` sends the reply."""
    client = discord.Client(
        intents=intents_for(DiscordSettings()),
        chunk_guilds_at_startup=False,
        guild_ready_timeout=0.05,
        allowed_mentions=discord.AllowedMentions.none(),
    )

    @client.event
    async def on_message(msg: discord.Message) -> None:
        if client.user is not None and msg.author.id != client.user.id and msg.content == "!ping":
            await msg.channel.send("pong", reference=msg.to_reference(fail_if_not_exists=False))

    async with client:
        await client.login(token)
        connection = asyncio.create_task(client.connect(reconnect=False))
        try:
            async with asyncio.timeout(30):
                await client.wait_until_ready()
            yield await control.latest_session()
        finally:
            await client.close()
            await asyncio.wait({connection}, timeout=10)


class RawBot:
    """No library: a gateway reader (zlib-stream, as discord.py asks for) that posts
    each reply with aiohttp, one task per message."""

    def __init__(self, control: Control, token: str) -> None:
        self._control = control
        self._token = token
        self._auth = {"Authorization": f"Bot {token}"}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()
        self._me = ""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        url = f"{self._control.gateway}?v=10&encoding=json&compress=zlib-stream"
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as self._http,
            self._http.ws_connect(url, max_msg_size=0) as ws,
        ):
            reader = asyncio.create_task(self._read(ws))
            try:
                async with asyncio.timeout(30):
                    await self._ready.wait()
                yield await self._control.latest_session()
            finally:
                reader.cancel()
                await asyncio.gather(reader, *self._tasks, return_exceptions=True)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        inflate = zlib.decompressobj()
        buffer = bytearray()
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.BINARY:
                continue
            buffer.extend(msg.data)
            if not buffer.endswith(b"\x00\x00\xff\xff"):
                continue
            payload = json.loads(inflate.decompress(buffer))
            buffer.clear()
            op, kind, data = payload["op"], payload.get("t"), payload.get("d")
            if op == 10:
                identify = {
                    "token": self._token,
                    "intents": intents_for(DiscordSettings()).value,
                    "properties": {"os": "linux", "browser": "raw", "device": "raw"},
                }
                await ws.send_str(json.dumps({"op": 2, "d": identify}))
            elif kind == "READY":
                self._me = data["user"]["id"]
            elif kind == "GUILD_CREATE":
                self._ready.set()
            elif kind == "MESSAGE_CREATE":
                self._on_message(data)

    def _on_message(self, data: dict[str, Any]) -> None:
        if data["author"]["id"] != self._me and data["content"] == "!ping":
            task = asyncio.create_task(self._reply(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _reply(self, message: dict[str, Any]) -> None:
        channel = message["channel_id"]
        body = {"content": "pong", "allowed_mentions": {"parse": []},
                "message_reference": {"message_id": message["id"], "channel_id": channel,
                                      "fail_if_not_exists": False}}  # fmt: skip
        url = f"{self._control.api}/channels/{channel}/messages"
        async with self._http.post(url, json=body, headers=self._auth) as resp:
            resp.raise_for_status()
            await resp.json()


async def _measure(port: int, n: int, warm: int, profiled: int) -> Figures:
    token = make_token()
    rates: dict[str, list[float]] = {"discord": [], "dpy": [], "raw": []}
    async with aiohttp.ClientSession() as http:
        control = Control(http, port, token)
        async with botloop_discord(control, token) as bot:
            # One session per client; discord.py's endpoints are process-wide and
            # all three use the same fake, so they can be connected at once.
            async with (
                discord_py_alone(control, token) as dpy,
                RawBot(control, token).running() as raw,
            ):
                contenders = {"discord": bot, "dpy": dpy, "raw": raw}
                said = {"discord": "botloop", "dpy": "discord.py alone", "raw": "raw aiohttp"}
                for name, session in contenders.items():
                    await control.burst(session, warm, f"{said[name]}, warming up")

                def turn(name: str) -> Callable[[int], Any]:
                    async def step(k: int) -> None:
                        rates[name].append(await control.burst(contenders[name], k, said[name]))

                    return step

                await alternate([turn(name) for name in contenders], n)
            profile = cProfile.Profile()
            profile.enable()
            await control.burst(bot, profiled, "botloop, profiled")
            profile.disable()
    figures = {f"{k}_rate": statistics.median(v) for k, v in rates.items()}
    return figures | shares(pstats.Stats(profile))


Func = tuple[str, int, str]  # pstats' key: file, line, function name
GROUPS = (
    ("botloop", (f"{ROOT}/bot/",)),
    ("discord", ("/site-packages/discord/",)),
    ("aiohttp", ("/site-packages/aiohttp/", "/site-packages/yarl/", "/site-packages/multidict/",
                 "/site-packages/propcache/", "/site-packages/aiosignal/",
                 "/site-packages/frozenlist/")),
    ("asyncio", ("/asyncio/", "/selectors.py", "/socket.py")),
    ("other", (f"{ROOT}/bench/", f"{ROOT}/tests/")),
)  # fmt: skip
IDLE = "<method 'poll' of 'select.epoll' objects>"


def group_of(func: Func) -> str | None:
    """The group a function's own file belongs to; None for stdlib helpers and builtins,
    which count for their callers."""
    path = func[0]
    for group, parts in GROUPS:
        if any(part in path for part in parts):
            return group
    return None


def shares(stats: pstats.Stats) -> Figures:
    """Busy time by group, in % (time inside epoll's poll is idle, not busy)."""
    raw: dict[Func, tuple[int, int, float, float, dict[Func, tuple[int, int, float, float]]]]
    raw = stats.stats  # type: ignore[attr-defined]
    memo: dict[Func, dict[str, float]] = {}

    def weights(func: Func, depth: int) -> dict[str, float]:
        """How ``func``'s own time splits over the groups (fractions summing to 1)."""
        own = group_of(func)
        if own is not None:
            return {own: 1.0}
        if func in memo:
            return memo[func]
        callers = raw[func][4] if func in raw else {}
        total = sum(c[2] for c in callers.values())
        if depth > 8 or not callers or total <= 0:
            return {"other": 1.0}
        memo[func] = {"other": 1.0}  # a guard against cycles while this one is computed
        split: dict[str, float] = {}
        for caller, figures in callers.items():
            for group, w in weights(caller, depth + 1).items():
                split[group] = split.get(group, 0.0) + w * figures[2] / total
        memo[func] = split
        return split

    busy: dict[str, float] = {group: 0.0 for group, _ in GROUPS}
    idle = 0.0
    for func, (_, _, own_time, _, _) in raw.items():
        if func[2] == IDLE:
            idle += own_time
            continue
        for group, w in weights(func, 0).items():
            busy[group] += w * own_time
    total = sum(busy.values())
    figures = {f"share_{group}": 100 * t / total for group, t in busy.items()}
    figures["busy"] = 100 * total / (total + idle)
    return figures
