"""The process-wide aiohttp ClientSession: one per process, opened and closed by the runtime."""

from __future__ import annotations

import aiohttp

from bot._version import __version__
from bot.http.guard import GuardedConnector


def user_agent(bot_name: str, contact: str = "") -> str:
    """A User-Agent naming the bot, the framework and how to reach the operator,
    as API providers ask for (Wikimedia's policy requires the contact)."""
    reach = f"; +{contact}" if contact else ""
    return f"{bot_name} (botloop/{__version__}; aiohttp/{aiohttp.__version__}{reach})"


def create_session(
    bot_name: str,
    timeout: float,
    connections: int = 100,
    contact: str = "",
    *,
    guarded: bool = False,
    allow_private: bool = False,
) -> aiohttp.ClientSession:
    """A session with a total timeout on every request and the bot's User-Agent.

    Must be called with the event loop running. ``connections`` caps the pool in
    all (0: no cap); per-host limits belong to the fetcher, which can start a
    request's timeout once it has a slot, not while it queues. ``guarded``: connect
    only to public addresses (see :mod:`bot.http.guard`), private ones too with
    ``allow_private``; the plugins' session is, the platforms' is not.
    """
    connector = (
        GuardedConnector(allow_private=allow_private, limit=connections, limit_per_host=0)
        if guarded
        else aiohttp.TCPConnector(limit=connections, limit_per_host=0)
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent(bot_name, contact)},
        raise_for_status=False,
    )
