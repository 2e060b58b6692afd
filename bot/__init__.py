"""botloop: an asyncio framework for chat bots.

Plugins import what they need from here::

    from bot import Context, Plugin

The names below are the whole public API; ``tests/test_public_api.py`` pins them.
"""

from bot._version import __version__
from bot.config import Secret
from bot.errors import (
    BotError,
    ConfigError,
    FetchError,
    FetchTimeout,
    LockTaken,
    UsageError,
    UserError,
)
from bot.http import Result
from bot.http.guard import refusal as address_refusal
from bot.model import (
    Action,
    BotReady,
    Button,
    Card,
    ChannelRef,
    Field,
    Form,
    MemberJoined,
    Message,
    MessageRef,
    ReactionAdded,
    Reply,
    Select,
    TextInput,
    User,
)
from bot.model import SelectOption as Option
from bot.plugin import CallNext, Context, Plugin
from bot.plugin.guards import Check, check, cooldown, is_admin, is_direct, requires
from bot.web.messages import WebRequest, WebResponse, signature_valid

__all__ = [
    "Action",
    "BotError",
    "BotReady",
    "Button",
    "CallNext",
    "Card",
    "ChannelRef",
    "Check",
    "ConfigError",
    "Context",
    "FetchError",
    "FetchTimeout",
    "Field",
    "Form",
    "LockTaken",
    "MemberJoined",
    "Message",
    "MessageRef",
    "Option",
    "Plugin",
    "ReactionAdded",
    "Reply",
    "Result",
    "Secret",
    "Select",
    "TextInput",
    "UsageError",
    "User",
    "UserError",
    "WebRequest",
    "WebResponse",
    "__version__",
    "address_refusal",
    "check",
    "cooldown",
    "is_admin",
    "is_direct",
    "requires",
    "signature_valid",
]
