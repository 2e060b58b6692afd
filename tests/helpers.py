"""Small builders shared by the in-process tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from bot import Plugin
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
    runtime = Runtime(replace(Settings(), **settings), registry, [adapter])
    task = asyncio.create_task(runtime.run())
    await adapter.ready()
    try:
        yield adapter, runtime
    finally:
        adapter.finish()
        assert await asyncio.wait_for(task, 30) == 0
