"""``FakeAPI``: a real HTTP server on 127.0.0.1 that a plugin's lookups hit in tests.

Real sockets, real aiohttp client code, scripted answers: no mocks of the
session. Routes answer a fixed response, a sequence (``429`` then ``200``), or a
handler of your own; every request is recorded, and the peak number of requests
in flight is measured (to test concurrency limits).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Respond:
    """One scripted answer: status, a JSON (or text) body, headers, and a delay first."""

    status: int = 200
    json: Any = None
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Recorded:
    """A request the fake received."""

    method: str
    path: str  # decoded: "/page/AC/DC_Café"
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    raw_path: str = ""  # as sent, query included: "/page/AC%2FDC_Caf%C3%A9?x=1"


class FakeAPI:
    """A scripted HTTP API on loopback. ::

    async with FakeAPI() as api:
        api.route("GET", "/v1/search", Respond(json={"results": []}))
        api.route("GET", "/v1/forecast", Respond(429, headers={"Retry-After": "1"}),
                  Respond(json={"temp": 21}))
        ... point the plugin's base-URL setting at api.url ...
        assert api.count("/v1/forecast") == 2
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._routes: dict[tuple[str, str], Handler | list[Respond]] = {}
        self._served: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def route(
        self, method: str, path: str, *answers: Respond, handler: Handler | None = None
    ) -> None:
        """Answer ``method path`` with ``answers`` in turn (the last one repeats), or
        with ``handler``. A request to an unrouted path gets 404 and is recorded."""
        if (handler is None) == (not answers):
            raise ValueError("give either answers or a handler")
        self._routes[(method.upper(), path)] = handler or list(answers)

    def count(self, path: str, method: str | None = None) -> int:
        """How many requests reached ``path`` (any method unless given)."""
        wanted = method.upper() if method else None
        return sum(1 for r in self.requests if r.path == path and wanted in (None, r.method))

    async def __aenter__(self) -> FakeAPI:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
                request.raw_path,
            )
        )
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            key = (request.method, request.path)
            route = self._routes.get(key)
            if route is None:
                return web.json_response({"error": "not found"}, status=404)
            if callable(route):
                return await route(request)
            answer = route[min(self._served[key], len(route) - 1)]
            self._served[key] += 1
            if answer.delay:
                await asyncio.sleep(answer.delay)
            if answer.text is not None:
                return web.Response(text=answer.text, status=answer.status, headers=answer.headers)
            payload = json.dumps(answer.json)
            return web.Response(
                text=payload,
                status=answer.status,
                headers=answer.headers,
                content_type="application/json",
            )
        finally:
            self.in_flight -= 1
