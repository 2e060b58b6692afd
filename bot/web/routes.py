"""The routes others add to the runtime's web server, collected before it starts.

Kept apart from :mod:`bot.web.server` so that adding a route, or finding there is
none, costs no import of ``aiohttp.web``: a bot with nothing to serve never loads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
else:
    Handler = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class WebRoute:
    method: str
    path: str
    handler: Handler

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class WebRoutes:
    """Routes for the web server: ``add_route("POST", "/slack/events", handler)``.

    :attr:`port` is the port the server listens on once it runs (0 until then).
    """

    def __init__(self) -> None:
        self.routes: list[WebRoute] = []
        self.port = 0
        self._started = False

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``method path`` with ``handler``; only before the server starts."""
        if self._started:
            raise RuntimeError(f"{method} {path}: the web server has already started")
        taken = [r for r in self.routes if r.path == path and r.method == method.upper()]
        if taken:
            raise ValueError(f"{method} {path} is already served")
        self.routes.append(WebRoute(method.upper(), path, handler))

    def freeze(self) -> None:
        self._started = True
