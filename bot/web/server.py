"""An aiohttp server: ``/healthz`` built in, other routes added before it starts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("bot.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _healthz(request: web.Request) -> web.Response:
    # The platform's health check: the process is up and its loop answers.
    return web.Response(text="ok")


class WebServer:
    """One listening socket. ``port=0`` picks a free port; :attr:`port` tells which."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._app = web.Application()
        self._app.router.add_get("/healthz", _healthz)
        self._runner: web.AppRunner | None = None

    def add_post(self, path: str, handler: Handler) -> None:
        """Route POST ``path`` to ``handler``; only before :meth:`start`."""
        self._app.router.add_post(path, handler)

    async def start(self) -> None:
        """Bind and listen, then log the address actually bound."""
        # access_log=None: request lines would add noise and could carry query strings.
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise OSError(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from exc
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked
        log.info("web server listening on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and finish open requests. Idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
