"""Small builders shared by the in-process tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from bot import BotReady, Context, Plugin
from bot.adapters.memory import MemoryAdapter
from bot.config import Settings
from bot.core import Registry, Runtime
from bot.core.builtins import help_plugin


def registry_of(*plugins: Plugin, environ: Mapping[str, str] | None = None) -> Registry:
    registry = Registry()
    registry.add(help_plugin(registry), environ or {})
    for plugin in plugins:
        registry.add(plugin, environ or {})
    return registry


@contextlib.asynccontextmanager
async def running(
    *plugins: Plugin,
    adapter: MemoryAdapter | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[MemoryAdapter, Runtime]]:
    """A real Runtime on a MemoryAdapter, stopped (and drained) on exit.

    ``environ`` feeds the plugins' settings (``WEATHER_UNITS`` → ``ctx.config.units``).
    """
    adapter = adapter or MemoryAdapter()
    registry = registry_of(*plugins, environ=environ)
    settings.setdefault("storage_url", "memory://")
    settings.setdefault("http_allow_private", True)  # the fakes live on 127.0.0.1
    runtime = Runtime(replace(Settings(), **settings), registry, [adapter])
    task = asyncio.create_task(runtime.run())
    ready = asyncio.ensure_future(adapter.ready())
    await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():  # the runtime ended before the adapter started: say why
        ready.cancel()
        raise AssertionError(f"the runtime stopped before it started: {task.result()!r}")
    try:
        yield adapter, runtime
    finally:
        adapter.finish()
        assert await asyncio.wait_for(task, 30) == 0


class LogWatch(logging.Handler):
    """Records of one logger, with a way to await one that says something."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._changed.set()

    def matching(self, text: str, level: int | None = None) -> list[logging.LogRecord]:
        """The records saying ``text`` (at exactly ``level``, when given)."""
        return [r for r in self.records if text in r.getMessage() and level in (None, r.levelno)]

    async def wait_for(
        self, text: str, count: int = 1, level: int | None = None, limit: float = 5.0
    ) -> None:
        async with asyncio.timeout(limit):
            while len(self.matching(text, level)) < count:
                self._changed.clear()
                await self._changed.wait()


def watch(name: str) -> Iterator[LogWatch]:
    """Yield a LogWatch on logger ``name`` at DEBUG; for a fixture's ``yield from``."""
    handler = LogWatch()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def ready_plugin(ready: asyncio.Event, adapters: int) -> Plugin:
    """Sets ``ready`` once ``adapters`` BotReady events have arrived: every platform
    adapter is connected (the Slack tests and the platform benchmarks wait on it)."""
    plugin = Plugin("ready")
    seen: list[BotReady] = []

    @plugin.on_event("bot_ready")
    async def on_ready(ctx: Context, event: BotReady) -> None:
        seen.append(event)
        if len(seen) == adapters:
            ready.set()

    return plugin


def free_port() -> int:
    """A loopback port nothing listens on (free when asked; a test binds it soon after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def until_logged(
    caplog: pytest.LogCaptureFixture, text: str, limit: float = 10.0
) -> list[str]:
    """Wait until a captured record says ``text``; the messages that do, in order."""
    # caplog has nothing to await on: look again every 20 ms.
    async with asyncio.timeout(limit):
        while True:
            found = [r.getMessage() for r in caplog.records if text in r.getMessage()]
            if found:
                return found
            await asyncio.sleep(0.02)
