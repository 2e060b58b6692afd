"""Plugin webhooks on the runtime's web server: each request runs its route's
pipeline behind a boundary of its own, which answers in HTTP instead of chat.

A handler's exception answers 500 (logged, the server goes on), a UserError
400 with its text, a timeout 504; a body over the limit never reaches it (413).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from bot.core.metrics import Metrics
from bot.core.pipeline import compose
from bot.core.registry import Registry
from bot.core.routes import Chain, WebhookRoute
from bot.errors import UserError
from bot.logging import event_id
from bot.plugin.context import Context
from bot.plugin.wiring import Services
from bot.web.messages import WebRequest, WebResponse
from bot.web.routes import WebRoutes

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("bot.webhooks")
_ids = itertools.count(1)


def mount_webhooks(
    registry: Registry,
    services: Services,
    routes: WebRoutes,
    *,
    timeout: float,
    debug: bool,
    metrics: Metrics | None = None,
) -> None:
    """Compose every webhook route's chain and add it to ``routes``."""
    shared = registry.middlewares()
    measure = metrics.stage if metrics is not None else None
    for route in registry.webhooks.values():
        boundary = _boundary(route.timeout or timeout)
        own = registry.middlewares(route.plugin)
        route.chain = compose(route, boundary, shared=shared, own=own, debug=debug, measure=measure)
        for method in route.methods:
            routes.add_route(method, route.path, _handler(route, services))


def _boundary(limit: float) -> Any:
    async def boundary(ctx: Context, call_next: Chain) -> None:
        ctx.event_id = eid = f"hook-{next(_ids):x}"
        event_id.set(eid)
        label = ctx.route.label if ctx.route else "?"
        try:
            async with asyncio.timeout(limit):
                await call_next(ctx)
        except TimeoutError:
            ctx.log.error("%s timed out after %g s", label, limit)
            ctx.result = WebResponse(504, "timed out")
        except UserError as exc:
            ctx.result = WebResponse(400, str(exc))
        except Exception as exc:
            ctx.log.error("%s failed: %s: %s", label, type(exc).__name__, exc, exc_info=exc)
            ctx.result = WebResponse(500, "internal error")

    return boundary


def _handler(route: WebhookRoute, services: Services) -> Any:
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()  # the app's client_max_size bounds it
        except web.HTTPRequestEntityTooLarge:
            log.warning("%s: refused a body over the limit from %s", route.label, request.remote)
            return web.Response(status=413, text="request body too large")
        incoming = WebRequest(
            request.method,
            request.path,
            request.headers,
            request.query,
            body,
            request.remote,
        )
        ctx = Context(None, None, route.mount, services, route, incoming)
        await route.chain(ctx)
        return _response(ctx.result, route)

    return handle


def _response(result: object, route: WebhookRoute) -> web.StreamResponse:
    from aiohttp import web

    if result is None:
        return web.Response(status=204)
    if not isinstance(result, WebResponse):
        log.error("%s answered %r; a webhook answers a WebResponse or None", route.label, result)
        return web.Response(status=500, text="internal error")
    if result.json is not None:
        return web.json_response(result.json, status=result.status, headers=result.headers)
    return web.Response(status=result.status, text=result.text, headers=result.headers)
