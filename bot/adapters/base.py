"""What the runtime needs of every platform: the Adapter protocol, what it lends an
adapter before it runs (:class:`Host`), and how an adapter is found and built
(:class:`AdapterFactory`, registered under the ``botloop.adapters`` entry points)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import aiohttp

from bot.config import Settings
from bot.model import CommandInfo, Outlet, Sink
from bot.web.routes import WebRoutes

ENTRY_POINT_GROUP = "botloop.adapters"


@dataclass(frozen=True, slots=True)
class Host:
    """What the runtime lends every adapter: its shared HTTP session, its web server,
    where an adapter that is reached over HTTP adds its routes, and ``once``: a lock
    for work only one of several processes sharing a store should do (None when the
    bot runs alone). ``async with host.once("discord-sync", ttl=120):`` raises
    :class:`~bot.errors.LockTaken` at once when another process holds it."""

    http: aiohttp.ClientSession
    web: WebRoutes
    once: Callable[[str, float], AbstractAsyncContextManager[None]] | None = None


class Adapter(Outlet, Protocol):
    """A connection to one platform.

    ``attach`` comes first, before the web server starts: an adapter takes the
    shared session and adds any routes it serves. ``run`` connects and pumps
    events into ``sink`` until the platform is done (the console's input ends) or
    ``close`` is called; it raises :class:`~bot.errors.AdapterError` when it cannot
    go on. Replies keep working between ``run`` returning and ``close``, so
    in-flight handlers can finish. ``is_ready`` is what ``/readyz`` reports: True
    while connected and able to take events, False while connecting or reconnecting.

    It pushes ``Message`` (with ``invocation`` for a slash command),
    ``ReactionAdded``, ``MemberJoined``, ``BotReady`` and ``Action`` (a click, a
    choice, a form sent) events. An Action is the adapter's to acknowledge in
    time: the sink returns the tasks it started, and one that ends without
    answering leaves the adapter to acknowledge silently.
    """

    @property
    def is_ready(self) -> bool: ...

    def attach(self, host: Host) -> None: ...

    async def run(self, sink: Sink) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class BuildArgs:
    """What a factory builds an adapter from: the framework's settings, the
    environment (for the adapter's own settings) and every command (for platforms
    that register slash commands)."""

    settings: Settings
    environ: Mapping[str, str]
    commands: Sequence[CommandInfo]


class AdapterFactory(Protocol):
    """An entry point of group ``botloop.adapters``, named after the adapter.

    Importing it must stay cheap: the platform library is imported by ``build``
    only, so an adapter that is not configured costs nothing.
    """

    def configured(self, environ: Mapping[str, str]) -> bool:
        """Whether ``BOT_ADAPTERS=auto`` should run it (its credentials are set)."""
        ...

    def build(self, args: BuildArgs) -> Adapter:
        """The adapter, its settings read and checked (ConfigError naming the variable)."""
        ...


@runtime_checkable
class Identifies(Protocol):
    """A factory that can ask its platform who the bot is (``bot check --online``)."""

    async def identify(self, args: BuildArgs, http: aiohttp.ClientSession) -> str:
        """``"discord: as botloop (id 123)"``; ConfigError when the platform rejects the
        credentials, AdapterError when it cannot be reached."""
        ...
