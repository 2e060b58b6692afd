"""The runtime's aiohttp server: ``/healthz`` and ``/readyz`` built in, plus the
routes others added (Slack HTTP mode, plugin webhooks)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.web.routes import WebRoutes

log = logging.getLogger("bot.web")

Readiness = Callable[[], Mapping[str, str]]
"""What is not ready yet, by name (``{"discord": "connecting"}``); empty when all is."""


async def _healthz(request: web.Request) -> web.Response:
    # Liveness: the process is up and its loop answers.
    return web.Response(text="ok")


class WebServer:
    """One listening socket serving ``routes``. ``port=0`` picks a free port;
    :attr:`port` (and ``routes.port``) tell which once started.

    ``readiness`` answers ``GET /readyz``: 200 when it names nothing, else 503 with
    a JSON body saying what is not ready and why. ``max_body``: larger request
    bodies are refused with 413. ``metrics`` renders ``GET /metrics`` (Prometheus text).
    """

    def __init__(
        self,
        host: str,
        port: int,
        routes: WebRoutes,
        *,
        readiness: Readiness = dict,
        max_body: int = 1 << 20,
        metrics: Callable[[], str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._routes = routes
        self._readiness = readiness
        self._app = web.Application(client_max_size=max_body)
        self._app.router.add_get("/healthz", _healthz)
        self._app.router.add_get("/readyz", self._readyz)
        self._metrics = metrics
        if metrics is not None:
            self._app.router.add_get("/metrics", self._metrics_page)
        self._runner: web.AppRunner | None = None

    async def _readyz(self, request: web.Request) -> web.Response:
        waiting = dict(self._readiness())
        if waiting:
            return web.json_response({"ready": False, "waiting": waiting}, status=503)
        return web.json_response({"ready": True})

    async def _metrics_page(self, request: web.Request) -> web.Response:
        assert self._metrics is not None
        return web.Response(text=self._metrics(), content_type="text/plain", charset="utf-8")

    async def start(self) -> None:
        """Bind and listen, then log the address actually bound. OSError if it cannot."""
        self._routes.freeze()
        for route in self._routes.routes:
            self._app.router.add_route(route.method, route.path, route.handler)
        # access_log=None: request lines would add noise and could carry query strings.
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise OSError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from exc
        self.port = self._routes.port = self._runner.addresses[0][1]
        extra = ", ".join(str(r) for r in self._routes.routes)
        log.info(
            "web server listening on http://%s:%d (/healthz, /readyz%s)",
            self.host,
            self.port,
            f", {extra}" if extra else "",
        )

    async def stop(self) -> None:
        """Stop listening and finish open requests. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
