"""What the runtime hands every Context: the shared services, a plugin's mount, and
the route being run. Wiring, not plugin API: ``bot.plugin`` does not export it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Protocol

import aiohttp

from bot.http import Fetcher
from bot.model import Outlet
from bot.plugin.conversation import Conversations
from bot.storage import Store


@dataclass(frozen=True, slots=True)
class Mount:
    """A loaded plugin as the runtime holds it: its settings, its logger and its state."""

    name: str
    config: Any
    logger: logging.Logger
    state: SimpleNamespace = field(default_factory=SimpleNamespace)


@dataclass(frozen=True, slots=True)
class Services:
    """What every context shares: the HTTP session, the store, the adapters by
    platform (so ``ctx.send`` reaches any of them), the mounted plugins and the
    bot's identity."""

    http: aiohttp.ClientSession
    prefix: str
    bot_name: str
    fetcher: Fetcher | None = None
    store: Store | None = None
    outlets: Mapping[str, Outlet] = field(default_factory=dict)
    admins: frozenset[tuple[str, str]] = frozenset()
    mounts: Mapping[str, Mount] = field(default_factory=dict)
    conversations: Conversations = field(default_factory=Conversations)


class RouteInfo(Protocol):
    """How a middleware sees the handler it wraps (``ctx.route``)."""

    @property
    def kind(self) -> str:
        """``command``, ``pattern``, ``event``, ``action`` or ``webhook``."""
        ...

    @property
    def plugin(self) -> str:
        """The name of the plugin the handler belongs to."""
        ...

    @property
    def label(self) -> str:
        """How the user knows it: ``!weather``, or ``plugin.function``."""
        ...

    @property
    def timeout(self) -> float | None:
        """Seconds it may run, when it sets its own (else ``BOT_HANDLER_TIMEOUT``)."""
        ...
