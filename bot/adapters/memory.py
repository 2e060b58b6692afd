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
    Action,
    BotReady,
    Button,
    ChannelRef,
    Event,
    Form,
    Invocation,
    Message,
    MessageRef,
    Reply,
    Select,
    Sink,
    User,
)


@dataclass(frozen=True, slots=True)
class Sent:
    """One reply the bot sent: where, what, and in answer to which message or click.
    ``replaces``: the message it took the place of (``ctx.update`` of a click)."""

    channel: ChannelRef
    reply: Reply
    reply_to: Message | Action | None
    ref: MessageRef
    replaces: MessageRef | None = None

    @property
    def text(self) -> str:
        return self.reply.text


@dataclass(frozen=True, slots=True)
class Opened:
    """A form the bot opened as a modal, in answer to ``trigger``."""

    trigger: Message | Action
    form: Form
    form_id: str


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
        self.shown: dict[str, Sent] = {}  # message id → what it shows now (edits applied)
        self.forms: list[Opened] = []
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
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        ref = MessageRef(channel, f"sent-{next(self._ids)}")
        await self._record(Sent(channel, reply, reply_to, ref))
        return ref

    async def _record(self, sent: Sent) -> None:
        self.sent.append(sent)
        self.shown[sent.ref.id] = sent
        async with self._new:
            self._new.notify_all()

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        if not self.can_edit:  # as the Outlet contract says: post it anew
            return await self.send(ref.channel, reply)
        self.edits.append((ref, reply))
        old = self.shown.get(ref.id)
        self.shown[ref.id] = Sent(ref.channel, reply, old.reply_to if old else None, ref)
        return ref

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        """The click's message, replaced: recorded as a reply that ``replaces`` it."""
        ref = action.message or MessageRef(action.channel, f"sent-{next(self._ids)}")
        self.edits.append((ref, reply))
        await self._record(Sent(ref.channel, reply, action, ref, replaces=ref))
        return ref

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        """Modals open in answer to a slash command or a click, as on Discord and Slack."""
        if isinstance(trigger, Message) and trigger.invocation is None:
            return False
        self.forms.append(Opened(trigger, form, form_id))
        async with self._new:
            self._new.notify_all()
        return True

    def component(self, wanted: str) -> tuple[Sent, Button | Select, str | None]:
        """The newest shown component whose label or action is ``wanted`` (a select's
        option label or value too): the message, the component, the option value."""
        for sent in reversed(list(self.shown.values())):
            for row in sent.reply.components:
                for comp in row:
                    if isinstance(comp, Button) and wanted in (comp.label, comp.action):
                        return sent, comp, None
                    if isinstance(comp, Select):
                        for option in comp.choices:
                            if wanted in (option.label, option.value):
                                return sent, comp, option.value
                        if wanted == comp.action:
                            return sent, comp, None
        raise LookupError(f"no button or option {wanted!r} is shown")

    def click(
        self, wanted: str, *, user: User | None = None, values: tuple[str, ...] = ()
    ) -> Action:
        """Click the newest button labelled (or with action) ``wanted``, or choose the
        option so labelled in a select, as the platform would deliver it."""
        sent, comp, value = self.component(wanted)
        if comp.disabled:
            raise LookupError(f"{wanted!r} is disabled")
        chosen = values or ((value,) if value is not None else ())
        action = Action(
            self.platform,
            sent.channel,
            user or self.user,
            comp.id,
            values=chosen,
            message=sent.ref,
            key=f"click-{next(self._ids)}",
        )
        self.emit(action)
        return action

    def submit(self, fields: dict[str, str], *, user: User | None = None) -> Action:
        """Submit the form opened last, with ``fields`` by field name."""
        if not self.forms:
            raise LookupError("no form is open")
        opened = self.forms[-1]
        trigger = opened.trigger
        who = trigger.author if isinstance(trigger, Message) else trigger.user
        action = Action(
            self.platform,
            trigger.channel,
            user or who,
            opened.form_id,
            fields=dict(fields),
            key=f"submit-{next(self._ids)}",
        )
        self.emit(action)
        return action

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
