"""``Context``: everything a handler may touch, for one event, on any platform."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from bot.http import Result, gather
from bot.model import Card, ChannelRef, CommandInfo, Message, MessageRef, Outlet, Reply, User

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Services:
    """What every context shares: the HTTP session and the bot's identity."""

    http: aiohttp.ClientSession
    prefix: str
    bot_name: str


@dataclass(frozen=True, slots=True)
class Mount:
    """A loaded plugin as the runtime holds it: its settings and its logger."""

    name: str
    config: Any
    logger: logging.Logger


class Context:
    """Handed to every handler as its first argument.

    It speaks the neutral model only; ``ctx.raw`` is the platform payload for the
    rare case the model leaves something out.
    """

    __slots__ = ("_log", "command", "event_id", "message", "mount", "outlet", "services")

    def __init__(
        self,
        message: Message,
        outlet: Outlet,
        mount: Mount,
        services: Services,
        command: CommandInfo | None = None,
        event_id: str = "",
    ) -> None:
        self.message = message
        self.outlet = outlet
        self.mount = mount
        self.services = services
        self.command = command
        self.event_id = event_id
        self._log: logging.LoggerAdapter[logging.Logger] | None = None

    # What the handler reads.
    @property
    def author(self) -> User:
        """Who sent the message."""
        return self.message.author

    @property
    def channel(self) -> ChannelRef:
        return self.message.channel

    @property
    def platform(self) -> str:
        return self.message.platform

    @property
    def raw(self) -> Any:
        """The platform's own payload for this event (escape hatch; not portable)."""
        return self.message.raw

    @property
    def config(self) -> Any:
        """This plugin's settings (``WEATHER_UNITS`` → ``ctx.config.units``)."""
        return self.mount.config

    @property
    def http(self) -> aiohttp.ClientSession:
        """The shared HTTP session: default timeout and a User-Agent naming the bot."""
        return self.services.http

    @property
    def prefix(self) -> str:
        return self.services.prefix

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        """A logger tagged with plugin, platform, channel and event id."""
        if self._log is None:
            extra = {
                "plugin": self.mount.name,
                "platform": self.message.platform,
                "channel": self.message.channel.id,
                "event": self.event_id,
            }
            self._log = logging.LoggerAdapter(self.mount.logger, extra)
        return self._log

    # What the handler does.
    async def reply(self, value: str | Reply | Card, **options: Any) -> MessageRef:
        """Answer where the message came from (its thread included).

        ``value``: text in the Markdown subset, a Card, or a full Reply. ``options``
        override Reply fields: ``ephemeral=True``, ``thread=True``, ``card=…``.
        """
        reply = Reply.of(value)
        if options:
            reply = dataclasses.replace(reply, **options)
        return await self.outlet.send(self.message.channel, reply, reply_to=self.message)

    async def send(
        self, channel: str | ChannelRef, value: str | Reply | Card, **options: Any
    ) -> MessageRef:
        """Post to another channel of the same platform (by id or ChannelRef)."""
        if isinstance(channel, str):
            channel = ChannelRef(self.message.platform, channel)
        reply = Reply.of(value)
        if options:
            reply = dataclasses.replace(reply, **options)
        return await self.outlet.send(channel, reply)

    async def react(self, emoji: str) -> None:
        """React to the triggering message with ``emoji``."""
        await self.outlet.react(self.message, emoji)

    def typing(self) -> AbstractAsyncContextManager[None]:
        """``async with ctx.typing():`` shows a typing indicator while long work runs."""
        return self.outlet.typing(self.message.channel)

    async def gather(
        self, *awaitables: Awaitable[T], limit: int | None = None, timeout: float | None = None
    ) -> list[Result[T]]:
        """Run lookups concurrently; one :class:`~bot.http.Result` each, in order.

        Per-item errors and timeouts are reported, never raised, and never cancel
        the other lookups. ``limit``: how many at once; ``timeout``: seconds each.
        """
        return await gather(*awaitables, limit=limit, timeout=timeout)
