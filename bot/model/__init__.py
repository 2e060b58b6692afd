"""The platform-neutral model: what adapters produce and render, and all plugins ever see.

Stdlib only, so every layer can depend on it.
"""

from bot.model.commands import CommandInfo, Option, OptionType
from bot.model.events import (
    EVENT_KINDS,
    BotReady,
    ChannelRef,
    Event,
    Invocation,
    MemberJoined,
    Message,
    MessageRef,
    ReactionAdded,
    Sink,
    User,
)
from bot.model.outlet import Outlet
from bot.model.reply import Card, Field, Reply

__all__ = [
    "EVENT_KINDS",
    "BotReady",
    "Card",
    "ChannelRef",
    "CommandInfo",
    "Event",
    "Field",
    "Invocation",
    "MemberJoined",
    "Message",
    "MessageRef",
    "Option",
    "OptionType",
    "Outlet",
    "ReactionAdded",
    "Reply",
    "Sink",
    "User",
]
