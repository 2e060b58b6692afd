"""Per-plugin key-value storage: what a plugin reaches as ``ctx.store``.

A :class:`Store` backend holds every plugin's keys apart by namespace; a plugin
only ever gets a :class:`KeyValue` view bound to its own. ``open_store(url)``
picks the backend from ``STORAGE_URL`` (``sqlite:///path`` or ``memory://``).
"""

from bot.storage.base import KeyValue, Store
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SQLiteStore
from bot.storage.url import open_store, storage_url

__all__ = ["KeyValue", "MemoryStore", "SQLiteStore", "Store", "open_store", "storage_url"]
