"""The process-wide aiohttp ClientSession: one per process, opened and closed by the runtime."""

from __future__ import annotations

import aiohttp

from bot._version import __version__


def user_agent(bot_name: str) -> str:
    """A User-Agent naming the bot and the framework, as API providers ask for."""
    return f"{bot_name} (botloop/{__version__}; aiohttp/{aiohttp.__version__})"


def create_session(bot_name: str, timeout: float, connections: int = 100) -> aiohttp.ClientSession:
    """A session with a total timeout on every request and the bot's User-Agent.

    Must be called with the event loop running. ``connections`` caps the pool in
    all (0: no cap); per-host limits belong to the fetcher, which can start a
    request's timeout once it has a slot, not while it queues.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0),
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent(bot_name)},
        raise_for_status=False,
    )
