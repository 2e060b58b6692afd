"""Incoming traffic in neutral form: who said what, where."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message, as every adapter delivers it.

    ``text`` has the leading mention of the bot already removed (``mentioned`` says
    it was there). ``raw`` is the platform payload, an escape hatch for the rare
    plugin that needs what the neutral model leaves out.
    """

    platform: str
    channel: ChannelRef
    author: User
    text: str
    id: str = ""
    mentioned: bool = False
    is_direct: bool = False
    raw: Any = field(default=None, repr=False, compare=False)
    received_at: float = field(default_factory=time.monotonic, repr=False, compare=False)

    @property
    def thread(self) -> str | None:
        """The thread the message was posted in, if any."""
        return self.channel.thread


# The event union grows with the neutral event kinds (reactions, joins, ready).
Event = Message

# What the core hands each adapter: call it with every incoming event. It never
# blocks and never raises; the core owns everything that happens next.
Sink = Callable[[Event], None]
