"""botloop: an asyncio framework for chat bots.

Plugins import what they need from here::

    from bot import Context, Plugin

The names below are the whole public API; ``tests/test_public_api.py`` pins them.
"""

from bot._version import __version__
from bot.config import Secret
from bot.errors import BotError, ConfigError, UsageError, UserError
from bot.http import Result
from bot.model import Card, ChannelRef, Field, Message, MessageRef, Reply, User
from bot.plugin import Context, Plugin

__all__ = [
    "BotError",
    "Card",
    "ChannelRef",
    "ConfigError",
    "Context",
    "Field",
    "Message",
    "MessageRef",
    "Plugin",
    "Reply",
    "Result",
    "Secret",
    "UsageError",
    "User",
    "UserError",
    "__version__",
]
