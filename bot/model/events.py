"""Incoming traffic in neutral form: who said what, where."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

# How a frozen dataclass's __init__ stores a field past its raising __setattr__ (as
# the generated one does), bound once: the generated code looks it up per field.
frozen_set = object.__setattr__


def slot_setters(cls: type, *names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """The ``__set__`` of ``cls``'s slots ``names``: storing a field of a frozen slotted
    class through them costs half of ``object.__setattr__``, which looks the slot up
    by name each time. For the classes made per message (Message, Reply)."""
    return tuple(cls.__dict__[name].__set__ for name in names)


@dataclass(frozen=True, slots=True)
class User:
    """A chat user. ``id`` is the platform's stable id; ``name`` is for display only."""

    id: str
    name: str
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """Where a message lives: a channel, and a thread inside it when there is one."""

    platform: str
    id: str
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot has sent, so that it can be edited or reacted to later."""

    channel: ChannelRef
    id: str


@dataclass(frozen=True, slots=True, init=False)
class Message:
    """A chat message, as every adapter delivers it.

    ``text`` has the leading mention of the bot already removed (``mentioned`` says
    it was there). ``raw`` is the platform payload, an escape hatch for the rare
    plugin that needs what the neutral model leaves out. ``invocation`` is set
    when the message is a slash command rather than typed text. ``received_at``
    (``time.monotonic()``) is when the adapter made it, unless given.
    """

    kind: ClassVar[str] = "message"
    platform: str
    channel: ChannelRef
    author: User
    text: str
    id: str = ""
    mentioned: bool = False
    is_direct: bool = False
    raw: Any = field(default=None, repr=False, compare=False)
    received_at: float = field(default_factory=time.monotonic, repr=False, compare=False)
    invocation: Invocation | None = None

    # Written out because one is made per incoming message: the __init__ dataclass
    # generates for a frozen class costs ~6x this one (see slot_setters).
    def __init__(
        self,
        platform: str,
        channel: ChannelRef,
        author: User,
        text: str,
        id: str = "",
        mentioned: bool = False,
        is_direct: bool = False,
        raw: Any = None,
        received_at: float | None = None,
        invocation: Invocation | None = None,
    ) -> None:
        _m_platform(self, platform)
        _m_channel(self, channel)
        _m_author(self, author)
        _m_text(self, text)
        _m_id(self, id)
        _m_mentioned(self, mentioned)
        _m_is_direct(self, is_direct)
        _m_raw(self, raw)
        _m_received_at(self, time.monotonic() if received_at is None else received_at)
        _m_invocation(self, invocation)

    @property
    def thread(self) -> str | None:
        """The thread the message was posted in, if any."""
        return self.channel.thread


(
    _m_platform, _m_channel, _m_author, _m_text, _m_id, _m_mentioned, _m_is_direct, _m_raw,
    _m_received_at, _m_invocation,
) = slot_setters(
    Message, "platform", "channel", "author", "text", "id", "mentioned", "is_direct", "raw",
    "received_at", "invocation",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Invocation:
    """A command invoked directly (a Discord or Slack slash command), not typed as text.

    ``args``: the argument text, parsed by the command's signature like a message
    (Slack's ``/weather Paris Oslo``). ``options``: values the platform already split
    by option name (Discord's ``/weather city:Paris``); when set, ``args`` is ignored.
    """

    name: str
    args: str = ""
    options: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ReactionAdded:
    """Someone added ``emoji`` to the message ``message_id`` in ``channel``."""

    kind: ClassVar[str] = "reaction_added"
    platform: str
    channel: ChannelRef
    user: User
    message_id: str
    emoji: str
    raw: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MemberJoined:
    """``user`` joined a channel (Slack) or a server (Discord: ``channel`` is the
    server's system channel, None when it has none)."""

    kind: ClassVar[str] = "member_joined"
    platform: str
    user: User
    channel: ChannelRef | None = None
    raw: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class BotReady:
    """An adapter is connected and knows who the bot is there (``me``)."""

    kind: ClassVar[str] = "bot_ready"
    platform: str
    me: User
    raw: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Action:
    """Someone clicked a button, chose in a select, or submitted a form.

    ``id``: the component's platform id as the bot sent it (``botloop:…``), or a
    form's. ``values``: what a select had chosen (a button's value travels in its
    id). ``message``: the message the component was on (None for a form).
    ``fields``: a submitted form's answers by field name. ``key``: the platform's
    id of this interaction, so that a redelivery is handled once. ``raw`` holds
    what the adapter needs to answer it in time (the interaction, the trigger).
    """

    kind: ClassVar[str] = "action"
    platform: str
    channel: ChannelRef
    user: User
    id: str
    values: tuple[str, ...] = ()
    message: MessageRef | None = None
    fields: Mapping[str, str] | None = None
    key: str = ""
    raw: Any = field(default=None, repr=False, compare=False)
    received_at: float = field(default_factory=time.monotonic, repr=False, compare=False)


# Everything an adapter may push into the sink. Each kind but Message has a
# ``kind`` name that ``@plugin.on_event`` takes; messages go to commands and
# ``@plugin.on_message`` listeners, actions to ``@plugin.on_action`` handlers.
Event = Message | ReactionAdded | MemberJoined | BotReady | Action
EVENT_KINDS: dict[str, type[ReactionAdded | MemberJoined | BotReady]] = {
    cls.kind: cls for cls in (ReactionAdded, MemberJoined, BotReady)
}

# What the core hands each adapter: call it with every incoming event. It never
# blocks and never raises; the core owns everything that happens next. It returns
# the tasks it started for the event (empty if none), for an adapter that owes its
# platform a last word once they are done (Discord's deferred "thinking…").
Sink = Callable[[Event], tuple[asyncio.Task[None], ...]]
