"""Plugins' setup and teardown hooks and their scheduled jobs, under a real Runtime:
hooks around the event stream, jobs posting with ``ctx.send``, failures logged and
contained, nothing left running after shutdown, and the store the runtime opens."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import ChannelRef, Context, Plugin
from bot.adapters.memory import MemoryAdapter
from bot.errors import PluginError
from bot.logging import event_id
from bot.model import BotReady, Sink
from bot.storage import open_store
from bot.testing import Harness
from tests.helpers import LogWatch, running, watch

GENERAL = ChannelRef("test", "general")
LIMIT = 5.0  # how long to wait for something expected within a few job intervals
FAST = 0.05  # seconds between runs of the fast jobs


@pytest.fixture
def lifespan_log() -> Iterator[LogWatch]:
    yield from watch("bot.lifespan")


@pytest.fixture
def scheduler_log() -> Iterator[LogWatch]:
    yield from watch("bot.scheduler")


class Ticks:
    """What a job saw, with a way to await the n-th run."""

    def __init__(self) -> None:
        self.runs = 0
        self._changed = asyncio.Event()

    def tick(self) -> int:
        self.runs += 1
        self._changed.set()
        return self.runs

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(LIMIT):
            while self.runs < count:
                self._changed.clear()
                await self._changed.wait()


class ClosingAdapter(MemoryAdapter):
    """A memory adapter that notes in ``journal`` when the runtime closes it."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__("test")
        self.journal = journal

    async def close(self) -> None:
        self.journal.append("adapter closed")
        await super().close()


def other_tasks() -> set[asyncio.Task[object]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


# Setup


async def test_setup_runs_before_the_first_event() -> None:
    plugin = Plugin("seed")
    seen_at_ready: list[object] = []

    @plugin.setup
    async def fill(ctx: Context) -> None:
        assert ctx.event is None
        await asyncio.sleep(FAST)  # a slow setup still finishes before any event
        await ctx.store.set("greeting", "hello from setup")

    @plugin.on_event("bot_ready")
    async def ready(ctx: Context, event: BotReady) -> None:
        seen_at_ready.append(await ctx.store.get("greeting"))

    @plugin.command
    async def greet(ctx: Context) -> None:
        await ctx.reply(await ctx.store.get("greeting", "not set up"))

    async with Harness(plugin) as bot:
        assert await bot.ask("!greet") == "hello from setup"
        assert await bot.store_of("seed").get("greeting") == "hello from setup"
    assert seen_at_ready == ["hello from setup"]


def broken_and_fine(journal: list[str]) -> tuple[Plugin, Plugin]:
    broken = Plugin("broken")

    @broken.setup
    async def connect(ctx: Context) -> None:
        raise RuntimeError("database unreachable")

    @broken.command
    async def fragile(ctx: Context) -> None:
        journal.append("fragile ran")

    @broken.on_message("anything")
    async def overhear(ctx: Context) -> None:
        journal.append("broken listener ran")

    @broken.every(hours=1)
    async def poll(ctx: Context) -> None:
        journal.append("broken job ran")

    @broken.teardown
    async def close(ctx: Context) -> None:
        journal.append("broken teardown ran")

    fine = Plugin("fine")

    @fine.command
    async def sturdy(ctx: Context) -> None:
        await ctx.reply("sturdy")

    return broken, fine


async def test_a_failing_setup_unloads_only_that_plugin(lifespan_log: LogWatch) -> None:
    journal: list[str] = []
    async with Harness(*broken_and_fine(journal)) as bot:
        unknown = await bot.ask("!fragile", direct=True)
        assert await bot.ask("!sturdy") == "sturdy"
        assert await bot.say("anything") == []  # its listener is gone too (journal below)
        help_text = await bot.ask("!help")
        assert [j.name for j in bot.runtime.scheduler.jobs] == []  # type: ignore[union-attr]
        with pytest.raises(KeyError, match=r"broken\.poll"):
            await bot.run_job("broken.poll")
    assert unknown.startswith("I don't know `fragile`.")
    assert "!fragile" not in help_text and "!sturdy" in help_text
    assert journal == []  # nor its teardown at shutdown
    (record,) = lifespan_log.matching("plugin broken unloaded")
    assert record.levelno == logging.ERROR
    assert "database unreachable" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


async def test_a_setup_that_hangs_is_stopped_by_the_timeout_and_unloads(
    lifespan_log: LogWatch,
) -> None:
    plugin = Plugin("stuck")

    @plugin.setup
    async def forever(ctx: Context) -> None:
        await asyncio.Event().wait()

    @plugin.command
    async def stuck(ctx: Context) -> None:
        await ctx.reply("stuck ran")

    async with asyncio.timeout(LIMIT), Harness(plugin, handler_timeout=0.1) as bot:
        assert await bot.say("!stuck") == []
    (record,) = lifespan_log.matching("plugin stuck unloaded")
    assert record.exc_info is not None and record.exc_info[0] is TimeoutError


# Teardown


async def test_teardown_runs_in_reverse_load_order_and_can_still_post() -> None:
    journal: list[str] = []
    first, second = Plugin("first"), Plugin("second")

    @first.teardown
    async def bye_first(ctx: Context) -> None:
        assert ctx.event is None
        journal.append("first teardown")
        await ctx.send("test:general", "first says bye")

    @second.teardown
    async def bye_second(ctx: Context) -> None:
        journal.append("second teardown")
        await ctx.send(GENERAL, "second says bye")

    @second.command
    async def slow(ctx: Context) -> None:
        await asyncio.sleep(FAST)
        journal.append("slow finished")

    adapter = ClosingAdapter(journal)
    async with running(first, second, adapter=adapter):
        adapter.say("!slow")  # still in flight when the input ends
    assert journal == ["slow finished", "second teardown", "first teardown", "adapter closed"]
    assert [(s.channel, s.text) for s in adapter.sent] == [
        (GENERAL, "second says bye"),
        (GENERAL, "first says bye"),
    ]


async def test_a_failing_teardown_is_logged_and_shutdown_completes(
    lifespan_log: LogWatch,
) -> None:
    journal: list[str] = []
    first, second = Plugin("first"), Plugin("second")

    @first.teardown
    async def fine(ctx: Context) -> None:
        journal.append("first teardown")

    @second.teardown
    async def boom(ctx: Context) -> None:
        raise RuntimeError("could not flush")

    adapter = ClosingAdapter(journal)
    # running() asserts the runtime's exit code is 0.
    async with running(first, second, adapter=adapter):
        pass
    assert journal == ["first teardown", "adapter closed"]
    (record,) = lifespan_log.matching("plugin second: teardown failed")
    assert record.levelno == logging.ERROR and "could not flush" in record.getMessage()


# Jobs under the real runtime


async def test_a_setup_hooks_event_id_does_not_tag_the_adapters_logs() -> None:
    plugin = Plugin("seed")

    @plugin.setup
    async def fill(ctx: Context) -> None:
        assert ctx.event_id.startswith("setup-")

    class Tagged(MemoryAdapter):
        seen = "unset"

        async def run(self, sink: Sink) -> None:
            Tagged.seen = event_id.get()
            await super().run(sink)

    async with running(plugin, adapter=Tagged("test")):
        pass
    assert Tagged.seen == ""


async def test_an_every_job_runs_again_and_again_and_posts_to_a_channel() -> None:
    plugin = Plugin("beat")
    ticks = Ticks()

    @plugin.every(seconds=FAST)
    async def tick(ctx: Context) -> None:
        assert ctx.event is None and ctx.platform == ""
        await ctx.send("test:general", f"tick {ticks.tick()}")

    adapter = MemoryAdapter("test")
    async with running(plugin, adapter=adapter):
        sent = await adapter.wait_for(3, timeout=LIMIT)
    assert [s.text for s in sent[:3]] == ["tick 1", "tick 2", "tick 3"]
    assert {s.channel for s in sent} == {GENERAL}
    assert all(s.reply_to is None for s in sent)


async def test_a_job_that_raises_is_logged_and_runs_again(scheduler_log: LogWatch) -> None:
    plugin = Plugin("beat")
    ticks = Ticks()

    @plugin.every(seconds=FAST)
    async def flaky(ctx: Context) -> None:
        if ticks.tick() == 1:
            raise RuntimeError("feed unreachable")
        await ctx.send("test:general", "recovered")

    adapter = MemoryAdapter("test")
    async with running(plugin, adapter=adapter):
        sent = await adapter.wait_for(1, timeout=LIMIT)
    assert sent[0].text == "recovered"
    (record,) = scheduler_log.matching("job beat.flaky failed")
    assert record.levelno == logging.ERROR
    assert "RuntimeError: feed unreachable" in record.getMessage()
    assert record.exc_info is not None


async def test_overlapping_runs_are_skipped_not_stacked(scheduler_log: LogWatch) -> None:
    plugin = Plugin("beat")
    ticks = Ticks()
    release = asyncio.Event()
    running_now = peak = 0

    @plugin.every(seconds=FAST, first=0)
    async def slow(ctx: Context) -> None:
        nonlocal running_now, peak
        running_now += 1
        peak = max(peak, running_now)
        try:
            if ticks.tick() == 1:
                await release.wait()  # this run spans several ticks
        finally:
            running_now -= 1

    async with running(plugin):
        await ticks.wait_for(1)
        await scheduler_log.wait_for("job beat.slow still running; skipped", count=3)
        assert ticks.runs == 1
        release.set()
        await ticks.wait_for(2)
    assert peak == 1
    assert all(r.levelno == logging.WARNING for r in scheduler_log.matching("still running"))


async def test_jobs_stop_at_shutdown_and_leave_no_task() -> None:
    plugin = Plugin("beat")
    ticks = Ticks()
    slow_started = asyncio.Event()
    cancelled: list[str] = []

    @plugin.every(seconds=FAST)
    async def quick(ctx: Context) -> None:
        ticks.tick()

    @plugin.every(seconds=3600, first=0)
    async def endless(ctx: Context) -> None:
        slow_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("endless")
            raise

    assert other_tasks() == set()
    async with running(plugin, shutdown_grace=0.1):
        await ticks.wait_for(2)
        async with asyncio.timeout(LIMIT):
            await slow_started.wait()
    assert other_tasks() == set()
    assert cancelled == ["endless"]
    runs = ticks.runs
    await asyncio.sleep(FAST * 4)  # nothing left to tick: the count must not move
    assert ticks.runs == runs


async def test_harness_run_job_runs_a_job_once_on_demand() -> None:
    plugin = Plugin("digest")
    ticks = Ticks()

    @plugin.every(hours=1)
    async def daily(ctx: Context) -> None:
        count = await ctx.store.get("runs", 0) + 1
        await ctx.store.set("runs", count)
        ticks.tick()
        await ctx.send("test:general", f"digest #{count}")

    async with Harness(plugin) as bot:
        first = await bot.run_job("digest.daily")
        second = await bot.run_job("digest.daily")
        assert await bot.store_of("digest").get("runs") == 2
    assert [(s.channel, s.text) for s in first] == [(GENERAL, "digest #1")]
    assert [s.text for s in second] == ["digest #2"]
    assert ticks.runs == 2


async def test_a_job_cannot_reply_and_is_told_to_use_send() -> None:
    plugin = Plugin("digest")
    errors: list[Exception] = []

    @plugin.every(hours=1)
    async def daily(ctx: Context) -> None:
        try:
            await ctx.reply("hi")
        except PluginError as exc:
            errors.append(exc)
        try:
            ctx.message  # noqa: B018
        except AttributeError as exc:
            errors.append(exc)

    async with Harness(plugin) as bot:
        assert await bot.run_job("digest.daily") == []
    assert [type(e) for e in errors] == [PluginError, AttributeError]
    assert "use ctx.send" in str(errors[0])
    assert "a job or a hook has no message" in str(errors[1])


async def test_a_job_sending_to_a_platform_that_is_not_running_is_refused() -> None:
    plugin = Plugin("digest")
    errors: list[PluginError] = []

    @plugin.every(hours=1)
    async def daily(ctx: Context) -> None:
        try:
            await ctx.send("slack:C1", "hi")
        except PluginError as exc:
            errors.append(exc)

    async with Harness(plugin) as bot:
        assert await bot.run_job("digest.daily") == []
    assert len(errors) == 1 and "slack" in str(errors[0])


async def test_a_job_over_its_own_timeout_is_stopped_and_logged(scheduler_log: LogWatch) -> None:
    plugin = Plugin("digest")

    @plugin.every(hours=1, timeout=0.1)
    async def hangs(ctx: Context) -> None:
        await asyncio.Event().wait()

    async with Harness(plugin) as bot:
        async with asyncio.timeout(LIMIT):
            await bot.run_job("digest.hangs")
    (record,) = scheduler_log.matching("job digest.hangs failed")
    assert "TimeoutError" in record.getMessage()


@pytest.mark.parametrize("expression", ["61 * * * *", "* * *", "*/0 * * * *", "@sometimes"])
def test_a_malformed_cron_expression_fails_at_decoration(expression: str) -> None:
    plugin = Plugin("c")
    with pytest.raises(PluginError, match="cron expression"):

        @plugin.cron(expression)
        async def job(ctx: Context) -> None: ...

    assert plugin.jobs == []


def test_a_sync_job_or_hook_is_refused() -> None:
    plugin = Plugin("c")

    def sync(ctx: Context) -> None: ...

    for decorate in (plugin.every(seconds=1), plugin.cron("@daily"), plugin.setup, plugin.teardown):
        with pytest.raises(PluginError, match="must be an async def"):
            decorate(sync)  # type: ignore[arg-type]


# The store the runtime opens


def memo() -> Plugin:
    plugin = Plugin("memo")

    @plugin.command
    async def remember(ctx: Context, text: str) -> None:
        await ctx.store.set("last", text)
        await ctx.reply("noted")

    return plugin


async def test_the_runtime_opens_the_sqlite_store_of_storage_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"  # tmp_path is absolute: sqlite:////tmp/...
    adapter = MemoryAdapter("test")
    async with running(memo(), adapter=adapter, storage_url=url):
        adapter.say("!remember tulips")
        await adapter.wait_for(1)
    store = await open_store(url)
    try:
        assert await store.get("memo", "last") == "tulips"
    finally:
        await store.close()


async def test_without_storage_url_the_store_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    adapter = MemoryAdapter("test")
    data = tmp_path / "data"
    async with running(memo(), adapter=adapter, storage_url="", data_dir=str(data)):
        adapter.say("!remember roses")
        await adapter.wait_for(1)
    store = await open_store(f"sqlite:///{data}/botloop.db")
    try:
        assert await store.get("memo", "last") == "roses"
    finally:
        await store.close()
