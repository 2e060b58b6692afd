"""Running a real Runtime with the real DiscordAdapter against the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import discord

from bot import Plugin
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.settings import DiscordSettings
from bot.config import Settings
from bot.core import Runtime
from tests.fakes.discord import FakeDiscord
from tests.helpers import registry_of

# Short enough for a fast suite, long enough (50x an immediate answer here) that an
# immediate answer never races it on a loaded machine.
DEFER_AFTER = 0.5


@contextlib.asynccontextmanager
async def discord_bot(
    fake: FakeDiscord,
    *plugins: Plugin,
    environ: dict[str, str] | None = None,
    defer_after: float = DEFER_AFTER,
    **settings: Any,
) -> AsyncIterator[DiscordAdapter]:
    """A Runtime whose one adapter is Discord, connected to ``fake``; stopped on exit."""
    registry = registry_of(*plugins)
    discord_settings = DiscordSettings.from_env(fake.environ(**(environ or {})))
    adapter = DiscordAdapter(
        discord_settings, list(registry.infos()), defer_after=defer_after, ready_timeout=0.05
    )
    settings.setdefault("storage_url", "memory://")
    runtime = Runtime(replace(Settings(), **settings), registry, [adapter])
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    task = asyncio.create_task(runtime.run())
    try:
        await fake.wait_session()
        yield adapter
    finally:
        runtime.request_stop()
        try:
            assert await asyncio.wait_for(task, 15) == 0
        finally:
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
