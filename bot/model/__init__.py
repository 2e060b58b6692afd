"""The platform-neutral model: what adapters produce and render, and all plugins ever see.

Stdlib only, so every layer can depend on it.
"""

from bot.model.commands import CommandInfo, Option, OptionType
from bot.model.components import (
    ID_MAX,
    Button,
    Component,
    Form,
    Rows,
    Select,
    TextInput,
    disabled,
)
from bot.model.components import Option as SelectOption
from bot.model.events import (
    EVENT_KINDS,
    Action,
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
    "ID_MAX",
    "Action",
    "BotReady",
    "Button",
    "Card",
    "ChannelRef",
    "CommandInfo",
    "Component",
    "Event",
    "Field",
    "Form",
    "Invocation",
    "MemberJoined",
    "Message",
    "MessageRef",
    "Option",
    "OptionType",
    "Outlet",
    "ReactionAdded",
    "Reply",
    "Rows",
    "Select",
    "SelectOption",
    "Sink",
    "TextInput",
    "User",
    "disabled",
]
