"""The public plugin API: everything a plugin imports, re-exported by ``bot``."""

from bot.plugin.context import Context, Mount, Services
from bot.plugin.registry import Command, EventHandler, Handler, Listener, Plugin

__all__ = [
    "Command",
    "Context",
    "EventHandler",
    "Handler",
    "Listener",
    "Mount",
    "Plugin",
    "Services",
]
