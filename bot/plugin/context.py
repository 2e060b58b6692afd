"""``Context``: everything a handler may touch, for one event, on any platform."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Mapping
from contextlib import AbstractAsyncContextManager
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp

from bot.errors import PluginError
from bot.http import Result, gather
from bot.http.fetch import Params
from bot.model import (
    Action,
    BotReady,
    Card,
    ChannelRef,
    CommandInfo,
    Event,
    Form,
    Message,
    MessageRef,
    Outlet,
    Reply,
    User,
)
from bot.plugin import actions, asking
from bot.plugin.progress import Progress
from bot.plugin.wiring import Mount, RouteInfo, Services
from bot.storage import KeyValue

if TYPE_CHECKING:
    from bot.plugin.registry import Plugin

T = TypeVar("T")


class Context:
    """Handed to every handler as its first argument.

    It speaks the neutral model only; ``ctx.raw`` is the platform payload for the
    rare case the model leaves something out. A command or ``on_message`` handler
    has ``ctx.message``; an ``on_event`` handler gets its event as ``ctx.event``
    (and as its second argument). A scheduled job or a setup/teardown hook has no
    event (``ctx.event`` is None): it posts with ``ctx.send(channel, ...)``.
    """

    __slots__ = (
        "_log",
        "arg",
        "args",
        "event",
        "event_id",
        "mount",
        "outlet",
        "result",
        "route",
        "services",
        "task",
    )

    def __init__(
        self,
        event: Event | None,
        outlet: Outlet | None,
        mount: Mount,
        services: Services,
        route: RouteInfo | None = None,
        arg: Any = None,
        event_id: str = "",
    ) -> None:
        self.event = event
        self.outlet = outlet
        self.mount = mount
        self.services = services
        self.route = route
        """What runs: ``kind``, ``plugin`` and ``label`` (a middleware reads it)."""
        self.arg = arg  # what the route matched: argument text, regex groups, a request
        self.args: tuple[list[Any], dict[str, Any]] | None = None  # parsed arguments
        self.result: Any = None  # what a webhook handler answered
        self.event_id = event_id
        self.task: asyncio.Task[None] | None = None  # the dispatcher's task running it
        self._log: logging.LoggerAdapter[logging.Logger] | None = None

    def of(self, plugin: Plugin | str) -> Context:
        """This event as ``plugin`` sees it: its settings, store and state.

        A middleware with ``scope="all"`` wraps other plugins' handlers, so its
        ``ctx`` is theirs; ``ctx.of(plugin).config`` reaches its own settings.
        """
        name = plugin if isinstance(plugin, str) else plugin.name
        mount = self.services.mounts.get(name)
        if mount is None:
            raise PluginError(f"ctx.of: no plugin {name!r} is loaded")
        other = Context(self.event, self.outlet, mount, self.services, self.route, self.arg)
        other.event_id = self.event_id
        return other

    @property
    def command(self) -> CommandInfo | None:
        """The command being run (name, usage, help); None for other handlers."""
        info = getattr(self.route, "info", None)
        return info if isinstance(info, CommandInfo) else None

    # What the handler reads.
    @property
    def message(self) -> Message:
        """The message that triggered a command or ``on_message`` handler."""
        if not isinstance(self.event, Message):
            if self.event is None:
                raise AttributeError("ctx.message: a job or a hook has no message")
            raise AttributeError(
                f"ctx.message: this handler runs on {self.event.kind}, not a message; "
                "read ctx.event instead"
            )
        return self.event

    @property
    def author(self) -> User | None:
        """Who sent the message (or reacted, or joined); None for bot_ready."""
        event = self.event
        if isinstance(event, Message):
            return event.author
        return None if event is None or isinstance(event, BotReady) else event.user

    @property
    def channel(self) -> ChannelRef | None:
        """Where a reply goes; None when the event happened nowhere in particular."""
        event = self.event
        return None if event is None or isinstance(event, BotReady) else event.channel

    @property
    def platform(self) -> str:
        """The event's platform; empty for a job or a hook."""
        return self.event.platform if self.event else ""

    @property
    def raw(self) -> Any:
        """The platform's own payload for this event (escape hatch; not portable)."""
        return self.event.raw if self.event else None

    @property
    def store(self) -> KeyValue:
        """This plugin's key-value store (``await ctx.store.set("k", v, ttl=60)``);
        other plugins' keys are out of its reach."""
        if self.services.store is None:
            raise PluginError("ctx.store: this bot runs without a store")
        return KeyValue(self.services.store, self.mount.name)

    @property
    def state(self) -> SimpleNamespace:
        """This plugin's own objects from setup to teardown (``ctx.state.client = ...``
        in a setup hook, read in handlers); each loaded copy of a plugin has its own."""
        return self.mount.state

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
            channel = self.channel
            extra = {
                "plugin": self.mount.name,
                "platform": self.platform,
                "channel": channel.id if channel else "",
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
        reply = Reply(value) if type(value) is str else Reply.of(value)
        if options:
            reply = dataclasses.replace(reply, **options)
        if reply.components:
            reply = await self._bind(reply)
        event = self.event
        outlet = self.outlet
        # The common case first: a tuple isinstance costs half a union's.
        if outlet is not None and (type(event) is Message or isinstance(event, Action)):
            return await outlet.send(event.channel, reply, reply_to=event)
        channel = self.channel
        if channel is None:
            what = f"a {event.kind} event" if event else "a job or hook"
            raise PluginError(f"ctx.reply: {what} has no channel to answer in; use ctx.send")
        return await self._outlet().send(channel, reply)

    async def send(
        self, channel: str | ChannelRef, value: str | Reply | Card, **options: Any
    ) -> MessageRef:
        """Post to a channel: a ChannelRef, ``"platform:id"`` (``"slack:C0123"``, as a
        setting would hold it), or a bare id on the event's own platform."""
        target = self._channel(channel)
        reply = await self._prepared(value, options)
        return await self._outlet(target.platform).send(target, reply)

    async def _prepared(self, value: str | Reply | Card, options: dict[str, Any]) -> Reply:
        """What ``send``, ``edit`` and ``update`` post: a Reply with ``options`` applied
        and its components' ids set."""
        reply = Reply.of(value)
        if options:
            reply = dataclasses.replace(reply, **options)
        return await self._bind(reply) if reply.components else reply

    async def _bind(self, reply: Reply) -> Reply:
        """Give each component its id: this plugin, its action, its value."""
        return await actions.bind(reply, self.mount.name, self.services.store)

    def _channel(self, channel: str | ChannelRef) -> ChannelRef:
        if isinstance(channel, ChannelRef):
            return channel
        platform, sep, ident = channel.partition(":")
        if sep:  # platform ids hold no colon: "x:y" always names a platform
            return ChannelRef(platform, ident)
        if self.event is not None:
            return ChannelRef(self.event.platform, channel)
        if len(self.services.outlets) == 1:
            return ChannelRef(next(iter(self.services.outlets)), channel)
        raise PluginError(f"ctx.send: say which platform {channel!r} is on, as platform:id")

    def _outlet(self, platform: str | None = None) -> Outlet:
        """The adapter for ``platform``, by default the one the event came from."""
        if self.outlet is not None and platform in (None, self.outlet.platform):
            return self.outlet
        outlet = self.services.outlets.get(platform) if platform else None
        if outlet is None:
            raise PluginError(f"no adapter for platform {platform!r} is running")
        return outlet

    async def react(self, emoji: str) -> None:
        """React to the triggering message with ``emoji``."""
        await self._outlet().react(self.message, emoji)

    async def edit(self, ref: MessageRef, value: str | Reply | Card, **options: Any) -> MessageRef:
        """Replace a message the bot sent (``ref`` from ``ctx.reply``) with new content.

        Where the platform cannot edit, the new content is posted as a new message.
        """
        reply = await self._prepared(value, options)
        return await self._outlet(ref.channel.platform).edit(ref, reply)

    # Interactive: answering a click, forms, conversations.
    async def update(self, value: str | Reply | Card, **options: Any) -> MessageRef:
        """In an ``on_action`` handler: replace the message the clicked component was
        on (its buttons included: give new ones, or none to remove them)."""
        event = self.event
        if not isinstance(event, Action):
            raise PluginError("ctx.update: only a click has a message to update; use ctx.edit")
        return await self._update(event, await self._prepared(value, options))

    async def _update(self, click: Action, reply: Reply) -> MessageRef:
        """Replace the message ``click`` was on with a ready ``reply`` (also for
        ``ctx.choose``); an adapter written before interactions edits it instead."""
        outlet = self._outlet()
        update = getattr(outlet, "update", None)
        if update is not None:
            ref: MessageRef = await update(click, reply)
            return ref
        if click.message is not None:
            return await outlet.edit(click.message, reply)
        return await outlet.send(click.channel, reply, reply_to=click)

    async def ask(self, question: str | Reply, *, timeout: float = 60) -> str | None:
        """Post ``question`` and return the text of the asker's next message in this
        channel (and thread), which no command sees; None after ``timeout`` seconds,
        with a note saying so. While it waits the handler's own timeout is paused."""
        return await asking.ask(self, question, timeout)

    async def choose(
        self, question: str, choices: list[str] | tuple[str, ...], *, timeout: float = 60
    ) -> str | None:
        """Ask ``question`` with one button per choice (a select past five); the
        chosen string, or None after ``timeout`` seconds. Only the asker's click
        counts; the buttons are disabled once it is answered or over."""
        return await asking.choose(self, question, choices, timeout)

    async def confirm(
        self, question: str, *, yes: str = "Yes", no: str = "No", timeout: float = 60
    ) -> bool:
        """``ctx.choose(question, [yes, no])`` as a bool; no answer is no."""
        return await asking.choose(self, question, [yes, no], timeout) == yes

    async def form(self, form: Form, *, timeout: float = 300) -> dict[str, str] | None:
        """Ask for ``form``'s fields: a modal where the platform opens one (in answer
        to a slash command or a click, as the handler's first answer), else field by
        field in the channel. The answers by field name (optional ones left empty
        are ""), or None if the user did not finish within ``timeout`` seconds."""
        return await asking.form(self, form, timeout)

    def typing(self) -> AbstractAsyncContextManager[None]:
        """``async with ctx.typing():`` shows a typing indicator while long work runs."""
        channel = self.channel
        if channel is None:
            raise PluginError("ctx.typing: this handler has no channel")
        return self._outlet().typing(channel)

    async def gather(
        self, *awaitables: Awaitable[T], limit: int | None = None, timeout: float | None = None
    ) -> list[Result[T]]:
        """Run lookups concurrently; one :class:`~bot.http.Result` each, in order.

        Per-item errors and timeouts are reported, never raised, and never cancel
        the other lookups. ``limit``: how many at once; ``timeout``: seconds each.
        """
        return await gather(*awaitables, limit=limit, timeout=timeout)

    async def fetch_json(
        self,
        url: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        cache_ttl: float = 0,
        service: str | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """GET ``url`` (with query ``params``) and return its JSON.

        Retries connection errors, 5xx and 429 with backoff (``retries``, default
        ``BOT_HTTP_RETRIES``), honouring Retry-After; at most ``BOT_HTTP_PER_HOST``
        requests to one host at once; ``timeout`` seconds per try (default
        ``BOT_HTTP_TIMEOUT``); ``cache_ttl``: seconds to remember the answer, so the
        same lookup again makes no request. A failure raises :class:`~bot.FetchError`
        (a timeout :class:`~bot.FetchTimeout`) whose text a user can read, naming
        ``service`` (default: the host). ``missing_ok``: a 404 returns None instead.
        """
        fetcher = self.services.fetcher
        if fetcher is None:
            raise PluginError("ctx.fetch_json: this bot runs without a fetcher")
        return await fetcher.json(
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            retries=retries,
            cache_ttl=cache_ttl,
            service=service,
            missing_ok=missing_ok,
        )

    def progress(self, total: int, label: str, *, interval: float = 1.0) -> Progress:
        """``async with ctx.progress(len(urls), "Checking sites") as progress:`` posts
        "Checking sites… 0/12", counts up as ``progress.advance()`` is called (or
        ``progress.track(aw)`` awaited), editing at most once per ``interval`` s;
        ``await progress.finish(answer)`` turns the status into the answer. Where the
        platform cannot edit, a typing indicator shows instead.
        """
        outlet = self._outlet()
        edit = outlet.edit if outlet.can_edit else None
        return Progress(self.reply, edit, self.typing, total, label, interval)
