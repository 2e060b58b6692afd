"""An in-memory adapter: messages in by method call, replies kept in a list.

For tests, benchmarks and the plugin-author harness; it has no I/O at all.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from bot.adapters.base import Host
from bot.model import (
    BotReady,
    ChannelRef,
    Event,
    Invocation,
    Message,
    MessageRef,
    Reply,
    Sink,
    User,
)


@dataclass(frozen=True, slots=True)
class Sent:
    """One reply the bot sent: where, what, and in answer to which message."""

    channel: ChannelRef
    reply: Reply
    reply_to: Message | None
    ref: MessageRef

    @property
    def text(self) -> str:
        return self.reply.text


class MemoryAdapter:
    """Feed it messages with :meth:`say`; read the bot's answers from :attr:`sent`."""

    def __init__(
        self, platform: str = "memory", *, channel: str = "general", can_edit: bool = True
    ) -> None:
        self.platform = platform
        self.can_edit = can_edit  # False plays a platform that cannot edit messages
        self.channel = ChannelRef(platform, channel)
        self.user = User("u1", "alice")
        self.me = User("bot", "botloop", is_bot=True)
        self.sent: list[Sent] = []
        self.edits: list[tuple[MessageRef, Reply]] = []
        self.reactions: list[tuple[Message, str]] = []
        self.typing_count = 0
        self._sink: Sink | None = None
        self._closed = asyncio.Event()
        self._ready = asyncio.Event()
        self._ids = itertools.count(1)
        self._new = asyncio.Condition()

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set() and not self._closed.is_set()

    def attach(self, host: Host) -> None:
        """Nothing to take: no network."""

    async def run(self, sink: Sink) -> None:
        """Accept messages until :meth:`finish` or :meth:`close`."""
        self._sink = sink
        sink(BotReady(self.platform, self.me))
        self._ready.set()
        await self._closed.wait()

    async def ready(self) -> None:
        """Wait until the runtime has started this adapter."""
        await self._ready.wait()

    def say(
        self,
        text: str,
        *,
        user: User | None = None,
        channel: ChannelRef | None = None,
        mentioned: bool = False,
        is_direct: bool = False,
        invocation: Invocation | None = None,
    ) -> Message:
        """Deliver one message to the bot, as its platform would."""
        msg = Message(
            self.platform,
            channel or self.channel,
            user or self.user,
            text,
            id=str(next(self._ids)),
            mentioned=mentioned,
            is_direct=is_direct,
            invocation=invocation,
        )
        self.emit(msg)
        return msg

    def invoke(self, name: str, args: str = "", *, user: User | None = None) -> Message:
        """Run a command the way a slash command does: ``invoke("weather", "Paris")``."""
        return self.say(f"/{name} {args}".strip(), user=user, invocation=Invocation(name, args))

    def emit(self, event: Event) -> None:
        """Deliver any neutral event (a reaction, a join…) to the bot."""
        assert self._sink is not None, "the adapter is not running yet"
        self._sink(event)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Sent]:
        """Wait until at least ``count`` replies have been sent; return them all."""
        async with asyncio.timeout(timeout), self._new:
            await self._new.wait_for(lambda: len(self.sent) >= count)
        return self.sent

    def finish(self) -> None:
        """End the input, as EOF does for the console: the runtime drains and stops."""
        self._closed.set()

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | None = None
    ) -> MessageRef:
        ref = MessageRef(channel, f"sent-{next(self._ids)}")
        self.sent.append(Sent(channel, reply, reply_to, ref))
        async with self._new:
            self._new.notify_all()
        return ref

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        if not self.can_edit:  # as the Outlet contract says: post it anew
            return await self.send(ref.channel, reply)
        self.edits.append((ref, reply))
        return ref

    async def react(self, message: Message, emoji: str) -> None:
        self.reactions.append((message, emoji))

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        return self._typing()

    @asynccontextmanager
    async def _typing(self) -> AsyncIterator[None]:
        self.typing_count += 1
        yield

    async def close(self) -> None:
        self._closed.set()
