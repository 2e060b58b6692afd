"""The process-wide aiohttp ClientSession: one per process, opened and closed by the runtime."""

from __future__ import annotations

import aiohttp

from bot._version import __version__


def user_agent(bot_name: str) -> str:
    """A User-Agent naming the bot and the framework, as API providers ask for."""
    return f"{bot_name} (botloop/{__version__}; aiohttp/{aiohttp.__version__})"


def create_session(bot_name: str, timeout: float) -> aiohttp.ClientSession:
    """A session with a total timeout on every request and the bot's User-Agent.

    Must be called with the event loop running. The connector keeps its default
    pool (100 connections); per-host limits are the caller's to set per request.
    """
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent(bot_name)},
        raise_for_status=False,
    )
