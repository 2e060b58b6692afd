"""The Discord adapter: a discord.py client inside our event loop.

discord.py does the gateway (heartbeats, reconnects, RESUME), REST rate limits
and the object model; this module wires its events to the sink and renders
neutral replies back. ``Client.run`` would own the loop, so the client is started
with ``async with client`` + ``login`` + ``connect`` (PLATFORMS.md), by
:mod:`bot.adapters.discord.connection`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import discord

from bot.adapters.base import Host
from bot.adapters.discord import convert
from bot.adapters.discord.connection import apply_endpoints, build_client, login, serve
from bot.adapters.discord.render import render, render_form
from bot.adapters.discord.respond import Responder, embeds_of, files_of, mentions_of, view_of
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.discord.slash import command_payloads, unchanged
from bot.errors import AdapterError, LockTaken
from bot.http.backoff import FIRST_DELAY
from bot.logging import redact
from bot.model import (
    Action,
    BotReady,
    ChannelRef,
    CommandInfo,
    Form,
    Message,
    MessageRef,
    Reply,
    Sink,
)

log = logging.getLogger("bot.adapters.discord")

SYNC_TIMEOUT = 60.0


class DiscordAdapter:
    """Connects to Discord and serves every command as prefix, mention, DM and slash command.

    ``defer_after``: seconds before an unanswered interaction is deferred (Discord
    allows 3). ``ready_timeout``: discord.py's wait for the last GUILD_CREATE before
    it reports ready.
    """

    platform = "discord"
    can_edit = True

    def __init__(
        self,
        settings: DiscordSettings,
        commands: Sequence[CommandInfo] = (),
        *,
        defer_after: float = 2.0,
        ready_timeout: float = 2.0,
        retry_first: float = FIRST_DELAY,
    ) -> None:
        self._settings = settings
        self._token = settings.require_token()
        redact.add([self._token.reveal()])
        self._payloads = command_payloads(commands)
        self._defer_after = defer_after
        self._ready_timeout = ready_timeout
        self._retry_first = retry_first  # seconds before the first retry of a failed login
        self._client: discord.Client | None = None
        self._sink: Sink | None = None
        self._responders: dict[int, Responder] = {}  # by interaction id
        self._sent_by: dict[str, Responder] = {}  # interaction message id → its responder
        self._tasks: set[asyncio.Task[Any]] = set()
        self._announced = False
        self._connected = False  # a gateway session is up (READY or RESUMED seen)
        self._once: Callable[[str, float], AbstractAsyncContextManager[None]] | None = None

    # --- Lifecycle --------------------------------------------------------------------------

    def attach(self, host: Host) -> None:
        """Only the lock for the slash-command sync, which one process of several does;
        discord.py keeps its own HTTP session, for its rate limits."""
        self._once = host.once

    @property
    def is_ready(self) -> bool:
        client = self._client
        return self._connected and client is not None and not client.is_closed()

    async def run(self, sink: Sink) -> None:
        """Log in, register slash commands when they changed, and serve until closed."""
        self._sink = sink
        apply_endpoints(self._settings)
        client = self._client = build_client(self._settings, self._ready_timeout)
        self._wire(client)
        async with client:
            await login(client, self._settings, self._token.reveal(), self._retry_first)
            self._spawn(self._sync_once(client), "discord-sync")
            await serve(client, self._settings, self._retry_first)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for responder in self._responders.values():
            responder.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self._client is not None:
            await self._client.close()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- Events in --------------------------------------------------------------------------

    def _wire(self, client: discord.Client) -> None:
        # discord.py calls the client's on_<event> attributes; `event` sets them by name.
        @client.event
        async def on_ready() -> None:
            assert client.user is not None
            self._connected = True
            if self._announced:
                log.info("discord: new gateway session as %s", client.user)
                return
            self._announced = True
            log.info("discord: connected as %s (id %s)", client.user, client.user.id)
            self._emit(BotReady(convert.PLATFORM, convert.user_of(client.user), raw=client))

        @client.event
        async def on_resumed() -> None:
            self._connected = True
            log.info("discord: gateway session resumed")

        @client.event
        async def on_disconnect() -> None:
            self._connected = False
            if not client.is_closed():
                log.info("discord: gateway connection lost; discord.py reconnects")

        @client.event
        async def on_message(msg: discord.Message) -> None:
            if client.user is not None and msg.author.id != client.user.id:
                self._emit(convert.message_of(msg, client.user.id))

        @client.event
        async def on_raw_reaction_add(event: discord.RawReactionActionEvent) -> None:
            who = event.member or client.get_user(event.user_id)
            me = client.user.id if client.user else 0
            where = client.get_channel(event.channel_id)
            self._emit(convert.reaction_of(event, who, where, me))

        @client.event
        async def on_member_join(member: discord.Member) -> None:
            self._emit(convert.member_joined_of(member))

        @client.event
        async def on_interaction(interaction: discord.Interaction[Any]) -> None:
            event = convert.invocation_of(interaction) or convert.action_of(interaction)
            if event is None:
                return
            self._prune()
            responder = self._responders[interaction.id] = Responder(interaction, self._defer_after)
            handlers = self._emit(event)
            # Discord wants a last word even from a handler that said nothing: see settle.
            self._spawn(self._settle(responder, handlers), f"discord-settle:{interaction.id}")

    def _emit(self, event: Any) -> tuple[asyncio.Task[None], ...]:
        return self._sink(event) if self._sink is not None else ()

    @staticmethod
    async def _settle(responder: Responder, handlers: tuple[asyncio.Task[None], ...]) -> None:
        if handlers:
            await asyncio.wait(handlers)
        await responder.settle()

    def _prune(self) -> None:
        """Forget interactions whose token has expired (15 minutes)."""
        for key, responder in list(self._responders.items()):
            if responder.expired():
                responder.cancel()
                del self._responders[key]
        live = set(self._responders.values())
        self._sent_by = {k: r for k, r in self._sent_by.items() if r in live}

    # --- Slash commands ---------------------------------------------------------------------

    async def _sync_once(self, client: discord.Client) -> None:
        """Sync the slash commands; with several processes, in one of them only."""
        if self._once is None:
            await self._sync_commands(client)
            return
        try:
            async with self._once("discord-slash-sync", SYNC_TIMEOUT + 30):
                await self._sync_commands(client)
        except LockTaken:
            log.info("discord: another process is syncing the slash commands")

    async def _sync_commands(self, client: discord.Client) -> None:
        """Bulk-overwrite the slash commands, to the dev guild or globally, only when
        Discord's set differs: restarts must not spend the daily command budget."""
        http = client.http
        app_id = int(self._settings.application_id or client.application_id or 0)
        guild = self._settings.dev_guild
        where = f"guild {guild}" if guild else "global"
        try:
            async with asyncio.timeout(SYNC_TIMEOUT):
                current: Any
                if guild:
                    current = await http.get_guild_commands(app_id, int(guild))
                else:
                    current = await http.get_global_commands(app_id)
                if unchanged(self._payloads, current):
                    log.info(
                        "discord: %d slash commands (%s) unchanged", len(self._payloads), where
                    )
                    return
                if guild:
                    await http.bulk_upsert_guild_commands(app_id, int(guild), self._payloads)
                else:
                    await http.bulk_upsert_global_commands(app_id, self._payloads)
        except (discord.HTTPException, TimeoutError) as exc:
            log.error("discord: could not register slash commands (%s): %s", where, exc)
            return
        log.info("discord: registered %d slash commands (%s)", len(self._payloads), where)

    # --- Replies out ------------------------------------------------------------------------

    @property
    def client(self) -> discord.Client:
        if self._client is None:
            raise AdapterError("the discord adapter is not running")
        return self._client

    def _messageable(self, channel: ChannelRef) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(channel.thread or channel.id))

    def _responder(self, trigger: Message | Action | None) -> Responder | None:
        """The live response to a slash command or a click, if ``trigger`` is one."""
        if isinstance(trigger, Action) and trigger.key.isdigit():
            return self._responders.get(int(trigger.key))
        if isinstance(trigger, Message) and trigger.invocation is not None:
            return self._responders.get(int(trigger.id))
        return None

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        responder = self._responder(reply_to)
        if responder is not None:
            ident = await responder.send(reply)
            self._sent_by[ident] = responder
            return MessageRef(channel, ident)
        target: discord.abc.Messageable = self._messageable(channel)
        reference = None
        if (
            isinstance(reply_to, Message)
            and reply_to.invocation is None
            and reply_to.platform == self.platform
        ):
            trigger = reply_to.raw
            if reply.thread and isinstance(trigger, discord.Message) and trigger.guild is not None:
                if not isinstance(trigger.channel, discord.Thread):
                    target = await self._start_thread(trigger)
                    channel = ChannelRef(self.platform, channel.id, thread=str(target.id))
            else:
                reference = discord.MessageReference(
                    message_id=int(reply_to.id),
                    channel_id=int(channel.thread or channel.id),
                    fail_if_not_exists=False,
                )
        first: discord.Message | None = None
        for out in render(reply):
            sent = await target.send(
                out.content or None,
                embeds=embeds_of(out),
                files=files_of(out),
                allowed_mentions=mentions_of(reply),
                reference=reference if first is None else None,  # type: ignore[arg-type]
                view=view_of(out) if out.components else None,  # type: ignore[arg-type]
            )
            first = first or sent
        assert first is not None
        return MessageRef(channel, str(first.id))

    async def _start_thread(self, trigger: discord.Message) -> discord.Thread:
        name = (trigger.content.strip() or "reply")[:100]  # thread names: 1–100 characters
        return await trigger.create_thread(name=name)

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        responder = self._sent_by.get(ref.id)
        if responder is not None:
            return MessageRef(ref.channel, await responder.edit(ref.id, reply))
        first, *rest = render(reply)
        message = self._messageable(ref.channel).get_partial_message(int(ref.id))
        await message.edit(
            content=first.content,
            embeds=embeds_of(first),
            allowed_mentions=mentions_of(reply),
            view=view_of(first),
        )
        for out in rest:  # an edit is one message: what does not fit follows it
            await self.send(ref.channel, Reply(out.content, allow_mentions=reply.allow_mentions))
        return ref

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        """Replace the clicked message: through the interaction while it lives (its
        response, or an edit of the original), else by editing the message."""
        ref = action.message
        responder = self._responder(action)
        if responder is not None and not responder.expired():
            message = None
            if ref is not None:
                message = self._messageable(ref.channel).get_partial_message(int(ref.id))
            await responder.update(reply, message)
            return ref or MessageRef(action.channel, "")
        if ref is not None:
            return await self.edit(ref, reply)
        return await self.send(action.channel, reply, reply_to=action)

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        """A modal, where the trigger is an interaction that has not been answered yet."""
        responder = self._responder(trigger)
        if responder is None or responder.expired():
            return False
        return await responder.open_form(render_form(form, form_id))

    async def react(self, message: Message, emoji: str) -> None:
        if message.invocation is not None:
            log.debug("a slash command has no message to react to; %s not added", emoji)
            return
        partial = self._messageable(message.channel).get_partial_message(int(message.id))
        await partial.add_reaction(emoji)

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        return self._typing(channel)

    @asynccontextmanager
    async def _typing(self, channel: ChannelRef) -> AsyncIterator[None]:
        # discord.py's Typing posts the indicator now and again every 5 s until exit.
        async with self._messageable(channel).typing():
            yield
