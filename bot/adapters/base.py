"""The Adapter protocol: what the runtime needs of every platform."""

from __future__ import annotations

from typing import Protocol

from bot.model import Outlet, Sink


class Adapter(Outlet, Protocol):
    """A connection to one platform.

    ``run`` connects and pumps events into ``sink`` until the platform is done
    (the console's input ends) or ``close`` is called; it raises
    :class:`~bot.errors.AdapterError` when it cannot go on. Replies keep working
    between ``run`` returning and ``close``, so in-flight handlers can finish.

    An adapter is built (``bot.cli.ADAPTERS``) with its own settings and the list
    of every command (``CommandInfo``), from which it registers slash commands
    where its platform has them. It pushes ``Message`` (with ``invocation`` for a
    slash command), ``ReactionAdded``, ``MemberJoined`` and ``BotReady`` events.
    """

    async def run(self, sink: Sink) -> None: ...

    async def close(self) -> None: ...
