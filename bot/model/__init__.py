"""The platform-neutral model: what adapters produce and render, and all plugins ever see.

Stdlib only, so every layer can depend on it.
"""

from bot.model.commands import CommandInfo, Option, OptionType
from bot.model.events import ChannelRef, Event, Message, MessageRef, Sink, User
from bot.model.outlet import Outlet
from bot.model.reply import Card, Field, Reply

__all__ = [
    "Card",
    "ChannelRef",
    "CommandInfo",
    "Event",
    "Field",
    "Message",
    "MessageRef",
    "Option",
    "OptionType",
    "Outlet",
    "Reply",
    "Sink",
    "User",
]
