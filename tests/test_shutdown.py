"""Stopping the Runtime in-process: draining, cancelling, and adapters that fail."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace

import pytest

from bot import Context, Plugin
from bot.adapters.base import Host
from bot.adapters.memory import MemoryAdapter
from bot.config import Settings
from bot.core import Runtime
from bot.errors import AdapterError, ConfigError
from bot.model import ChannelRef, Message, MessageRef, Reply, Sink
from tests.helpers import registry_of, running


class FailingAdapter:
    """An adapter whose connection fails at once."""

    platform = "failing"

    def __init__(self, error: Exception | None = None) -> None:
        self.closed = False
        self.error = error or AdapterError("cannot connect")

    is_ready = False

    def attach(self, host: Host) -> None:
        pass

    async def run(self, sink: Sink) -> None:
        await asyncio.sleep(0)
        raise self.error

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | None = None
    ) -> MessageRef:
        raise AssertionError("a failed adapter must not be asked to send")

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        raise AssertionError("a failed adapter must not be asked to edit")

    async def react(self, message: Message, emoji: str) -> None:
        raise AssertionError("a failed adapter must not be asked to react")

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        return self._typing()

    @asynccontextmanager
    async def _typing(self) -> AsyncIterator[None]:
        yield

    async def close(self) -> None:
        self.closed = True


class Events(list[str]):
    """What the handlers did, in order; ``started`` is set when a nap begins."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()

    async def nap_started(self) -> None:
        async with asyncio.timeout(5):
            await self.started.wait()


def sleeper(events: Events) -> Plugin:
    plugin = Plugin("sleepy")

    @plugin.command
    async def nap(ctx: Context, seconds: float) -> None:
        events.append("started")
        events.started.set()
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        events.append("finished")
        await ctx.reply(f"slept {seconds:g}")

    @plugin.command
    async def hi(ctx: Context) -> None:
        events.append("hi")
        await ctx.reply("hi")

    return plugin


def runtime_for(plugin: Plugin, *adapters: object, **settings: object) -> Runtime:
    settings.setdefault("storage_url", "memory://")
    return Runtime(replace(Settings(), **settings), registry_of(plugin), adapters)  # type: ignore[arg-type]


async def napping(
    seconds: float, **settings: object
) -> tuple[Events, MemoryAdapter, Runtime, asyncio.Task[int]]:
    """A running bot whose `!nap seconds` handler has started."""
    events = Events()
    adapter = MemoryAdapter()
    runtime = runtime_for(sleeper(events), adapter, **settings)
    task = asyncio.create_task(runtime.run())
    await adapter.ready()
    adapter.say(f"!nap {seconds:g}")
    await events.nap_started()
    return events, adapter, runtime, task


async def test_stop_lets_a_handler_in_flight_finish_and_reply() -> None:
    events, adapter, runtime, task = await napping(0.3)
    runtime.request_stop()
    assert await asyncio.wait_for(task, 10) == 0
    assert events == ["started", "finished"]
    assert [s.text for s in adapter.sent] == ["slept 0.3"]


async def test_stop_cancels_handlers_still_running_after_the_grace_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events, adapter, runtime, task = await napping(30, shutdown_grace=0.2)
    started = time.perf_counter()
    runtime.request_stop()
    assert await asyncio.wait_for(task, 10) == 0
    assert time.perf_counter() - started < 5
    assert events == ["started", "cancelled"]
    assert adapter.sent == []
    assert any("cancelled 1 handler" in r.getMessage() for r in caplog.records)


async def test_second_stop_request_skips_the_grace_period() -> None:
    events, _, runtime, task = await napping(30, shutdown_grace=30)
    started = time.perf_counter()
    runtime.request_stop()
    await asyncio.sleep(0.05)
    runtime.request_stop()
    assert await asyncio.wait_for(task, 10) == 0
    assert time.perf_counter() - started < 5
    assert events == ["started", "cancelled"]


async def test_a_handler_cancelled_before_it_started_does_not_hold_up_the_stop() -> None:
    events, adapter, runtime, task = await napping(30, shutdown_grace=30)
    adapter.say("!hi")  # its task is made, but has not run a step yet...
    runtime.request_stop()
    runtime.request_stop()  # ...when the second stop request cancels it
    assert await asyncio.wait_for(task, 10) == 0
    assert events == ["started", "cancelled"]
    assert adapter.sent == []


async def test_a_handler_stopped_by_shutdown_gets_no_timeout_apology() -> None:
    events = Events()
    plugin = Plugin("stubborn")

    @plugin.command
    async def linger(ctx: Context) -> None:
        events.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            await asyncio.sleep(0.3)  # cleaning up past its 0.1 s limit
            raise

    adapter = MemoryAdapter()
    runtime = runtime_for(plugin, adapter, shutdown_grace=0, handler_timeout=0.1)
    task = asyncio.create_task(runtime.run())
    await adapter.ready()
    adapter.say("!linger")
    await events.nap_started()
    runtime.request_stop()
    assert await asyncio.wait_for(task, 10) == 0
    assert events == ["cancelled"]
    assert adapter.sent == []


async def test_messages_after_a_stop_request_are_not_dispatched() -> None:
    events, adapter, runtime, task = await napping(0.2)
    runtime.request_stop()
    adapter.say("!hi")
    assert await asyncio.wait_for(task, 10) == 0
    assert "hi" not in events
    assert [s.text for s in adapter.sent] == ["slept 0.2"]


async def test_failing_adapter_is_logged_and_the_others_keep_answering(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = Events()
    failing, memory = FailingAdapter(), MemoryAdapter()
    runtime = runtime_for(sleeper(events), failing, memory)
    task = asyncio.create_task(runtime.run())
    await memory.ready()
    await asyncio.sleep(0.05)  # let the failing adapter fail first
    memory.say("!hi")
    sent = await memory.wait_for(1)
    assert sent[0].text == "hi"
    memory.finish()
    assert await asyncio.wait_for(task, 10) == 0
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "failing" in record.getMessage()
    assert "cannot connect" in record.getMessage()
    assert record.exc_info is not None
    assert failing.closed


async def test_run_returns_1_when_the_only_adapter_fails() -> None:
    runtime = runtime_for(sleeper(Events()), FailingAdapter())
    assert await asyncio.wait_for(runtime.run(), 10) == 1


async def test_run_returns_0_when_the_input_ends() -> None:
    adapter = MemoryAdapter()
    runtime = runtime_for(sleeper(Events()), adapter)
    task = asyncio.create_task(runtime.run())
    await adapter.ready()
    adapter.say("!nap 0.1")
    adapter.finish()
    assert await asyncio.wait_for(task, 10) == 0
    assert [s.text for s in adapter.sent] == ["slept 0.1"]


async def test_a_rejected_credential_stops_everything_and_is_raised_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rejected = FailingAdapter(ConfigError("DISCORD_TOKEN", "rejected by the platform (401)"))
    memory = MemoryAdapter()
    runtime = runtime_for(sleeper(Events()), rejected, memory)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        await asyncio.wait_for(runtime.run(), 10)  # the memory adapter alone would never end
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "DISCORD_TOKEN" in record.getMessage()
    assert record.exc_info is None
    assert rejected.closed


async def test_the_startup_heap_is_frozen_while_running_and_released_after() -> None:
    """Startup objects live as long as the bot: the collector skips them while it runs,
    and they are handed back once it stops (tests run many runtimes in one process)."""
    async with running():
        await asyncio.sleep(0)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
