"""What the in-process scenarios share: a real Runtime on a stamping adapter, the
floor it is compared with, and drivers that feed both the same way.

A reply is stamped where it would go to the network: on entry to the adapter's
``send`` for botloop, in the handler for the floor. Everything after the stamp
(waking the driver) is outside the measured latency for both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import Any

from bench.checks import BenchError, expect
from bot import Plugin
from bot.adapters.base import Adapter
from bot.adapters.memory import MemoryAdapter
from bot.config import Settings
from bot.core import Registry, Runtime
from bot.core.builtins import help_plugin
from bot.model import Action, ChannelRef, Message, MessageRef, Reply
from bot.web import WebSettings
from tests.helpers import ready_plugin

PATIENCE = 30.0  # seconds to wait for a reply before calling it lost


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))
    return ordered[rank]


class Stamps:
    """Arrival times and texts of replies; lets a driver wait for the n-th one."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.texts: list[str] = []
        self.window: asyncio.Semaphore | None = None
        self._target = 0
        self._waiter: asyncio.Future[float] | None = None

    def add(self, text: str) -> None:
        now = time.perf_counter()  # first: the stamp is the moment the reply left
        self.times.append(now)
        self.texts.append(text)
        if self.window is not None:
            self.window.release()
        waiter = self._waiter
        if waiter is not None and len(self.times) >= self._target and not waiter.done():
            waiter.set_result(now)

    def until(self, count: int) -> asyncio.Future[float]:
        """A future set to the arrival time of the ``count``-th reply since the last reset."""
        self._target = count
        self._waiter = asyncio.get_running_loop().create_future()
        if len(self.times) >= count:
            self._waiter.set_result(self.times[count - 1])
        return self._waiter

    async def wait(self, arrived: asyncio.Future[float], timeout: float = PATIENCE) -> float:
        """Await a future from :meth:`until`; a reply that never comes is a BenchError.
        (Its timer is armed inside the caller's window: for 0.1 s figures, not µs ones.)"""
        with lost_reply(timeout):
            async with asyncio.timeout(timeout):
                return await arrived

    def take(self, count: int, text: str, what: str) -> list[float]:
        """Check that exactly ``count`` replies all say ``text``; return their times, reset."""
        expect(len(self.texts) == count, f"{what}: {len(self.texts)} replies, expected {count}")
        wrong = [t for t in self.texts if t != text]
        expect(not wrong, f"{what}: expected every reply to be {text!r}, got {wrong[:3]!r}")
        times = self.times
        self.times, self.texts = [], []
        return times


class StampingAdapter(MemoryAdapter):
    """The in-memory adapter, with ``send`` stamping each reply instead of keeping it."""

    def __init__(self) -> None:
        super().__init__("bench")
        self.stamps = Stamps()
        self.answered: list[str] = []  # ids of the messages replied to

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        self.stamps.add(reply.text)
        self.answered.append(reply_to.id if reply_to is not None else "")
        return MessageRef(channel, "sent")

    def take(self, count: int, text: str, what: str) -> list[float]:
        """:meth:`Stamps.take`, also checking each message got its own reply."""
        expect(len(set(self.answered)) == count, f"{what}: replies not one per message")
        self.answered = []
        return self.stamps.take(count, text, what)


Handler = Callable[[str], Coroutine[Any, Any, None]]


class Floor:
    """The least an asyncio bot can do per message: prefix check, dict lookup (of the
    first word), one task for the handler's coroutine, and the reply appended."""

    def __init__(self, handlers: dict[str, Callable[[Floor, str], Coroutine[Any, Any, None]]]):
        self.stamps = Stamps()
        self._handlers = handlers
        self._create_task = asyncio.get_running_loop().create_task

    def say(self, text: str) -> None:
        if text.startswith("!"):
            parts = text[1:].split(None, 1)
            handler = self._handlers.get(parts[0]) if parts else None
            if handler is not None:
                self._create_task(handler(self, text))

    def reply(self, text: str) -> None:
        self.stamps.add(text)


def registry_of(*plugins: Plugin) -> Registry:
    """A registry as the cli builds one: the built-in help first, then the plugins."""
    registry = Registry()
    registry.add(help_plugin(registry), {})
    for plugin in plugins:
        registry.add(plugin, {})
    return registry


@asynccontextmanager
async def running(
    *plugins: Plugin, adapter: StampingAdapter | None = None, **settings: Any
) -> AsyncIterator[StampingAdapter]:
    """A real Runtime (default settings unless given) on a StampingAdapter (or ``adapter``)."""
    adapter = adapter or StampingAdapter()
    settings.setdefault("storage_url", "memory://")  # no plugin here stores anything
    settings.setdefault("http_allow_private", True)  # the lookup servers are on 127.0.0.1
    runtime = Runtime(replace(Settings(), **settings), registry_of(*plugins), [adapter])
    task = asyncio.create_task(runtime.run())
    ready = asyncio.ensure_future(adapter.ready())
    await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():  # the runtime ended before it started: say why, never hang
        ready.cancel()
        raise BenchError(f"the runtime stopped before it started: {task.exception()!r}")
    try:
        yield adapter
    finally:
        adapter.finish()
        code = await asyncio.wait_for(task, 30)
    expect(code == 0, f"the runtime exited with {code}")


@asynccontextmanager
async def on_adapters(
    *adapters: Adapter, plugins: tuple[Plugin, ...], **settings: Any
) -> AsyncIterator[None]:
    """A real Runtime (default settings unless given) on real platform adapters, from
    the moment each has announced BotReady until it has stopped and exited 0."""
    ready = asyncio.Event()
    registry = registry_of(*plugins, ready_plugin(ready, len(adapters)))
    settings.setdefault("storage_url", "memory://")  # no plugin here stores anything
    web = WebSettings(host="127.0.0.1", port=0)  # Slack HTTP mode, on a free loopback port
    runtime = Runtime(replace(Settings(), **settings), registry, list(adapters), web=web)
    task = asyncio.create_task(runtime.run())
    try:
        try:
            async with asyncio.timeout(PATIENCE):
                await ready.wait()
        except TimeoutError:
            raise BenchError(f"the adapters were not ready after {PATIENCE:g} s") from None
        yield
    finally:
        runtime.request_stop()
        code = await asyncio.wait_for(task, 60)
    expect(code == 0, f"the runtime exited with {code}")


async def one_at_a_time(
    say: Callable[[str], object], stamps: Stamps, text: str, n: int
) -> list[float]:
    """Send ``text`` ``n`` times, each after the previous reply; the latencies in µs."""
    latencies = []
    base = len(stamps.times)
    # One deadline for the whole phase: a timer per message would sit inside the
    # measured window.
    with lost_reply(PATIENCE + n * 1e-3):
        async with asyncio.timeout(PATIENCE + n * 1e-3):
            for i in range(1, n + 1):
                arrived = stamps.until(base + i)
                start = time.perf_counter()
                say(text)
                latencies.append((await arrived - start) * 1e6)
    return latencies


async def in_flight(
    say: Callable[[str], object], stamps: Stamps, text: str, n: int, window: int
) -> float:
    """Send ``text`` ``n`` times keeping ``window`` unanswered; messages per second."""
    stamps.window = slots = asyncio.Semaphore(window)
    done = stamps.until(len(stamps.times) + n)
    start = time.perf_counter()
    try:
        with lost_reply(PATIENCE + n * 1e-3):
            async with asyncio.timeout(PATIENCE + n * 1e-3):
                for _ in range(n):
                    await slots.acquire()
                    say(text)
                end = await done
    finally:
        stamps.window = None
    return n / (end - start)


@contextmanager
def lost_reply(seconds: float) -> Iterator[None]:
    """Turn the phase's TimeoutError into a BenchError that says what went wrong."""
    try:
        yield
    except TimeoutError:
        raise BenchError(f"replies missing after {seconds:g} s") from None


async def alternate(
    steps: Sequence[Callable[[int], Awaitable[None]]], total: int, chunks: int = 4
) -> None:
    """Run each step ``chunks`` times on ``total // chunks`` items, taking turns, so that
    drift in the machine's speed hits every contender alike."""
    size = max(1, total // chunks)
    for _ in range(chunks):
        for step in steps:
            await step(size)
