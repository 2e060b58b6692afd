"""The core: loads plugins, runs adapters, dispatches events. Knows no platform."""

from bot.core.dispatch import Dispatcher
from bot.core.loader import LoadFailure, load_directory
from bot.core.registry import Registry
from bot.core.runtime import Runtime

__all__ = ["Dispatcher", "LoadFailure", "Registry", "Runtime", "load_directory"]
