"""SlackAdapter: slack-bolt's AsyncApp in our loop, over Socket Mode or HTTP mode.

Every request is acknowledged at once by one middleware that ends bolt's chain
(bolt runs only the first matching listener, so we route ourselves): it turns the
request into a neutral event, hands it to the sink (which only starts a task) and
returns an empty 200. Slack wants that ack within 3 s; the handler runs after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import Host
from bot.adapters.slack.convert import PLATFORM
from bot.adapters.slack.inbound import Inbound
from bot.adapters.slack.manifest import EVENTS_PATH
from bot.adapters.slack.outbound import Outbound
from bot.adapters.slack.settings import SlackSettings
from bot.errors import AdapterError, ConfigError
from bot.http.backoff import FIRST_DELAY, until_reached
from bot.logging import redact
from bot.model import (
    Action,
    BotReady,
    ChannelRef,
    CommandInfo,
    Form,
    Message,
    MessageRef,
    Reply,
    Sink,
    User,
)
from bot.web.routes import WebRoutes

log = logging.getLogger("bot.adapters.slack")

API_TIMEOUT = 10  # seconds per Web API call (slack_sdk's default is 30)
CONNECT_TIMEOUT = 30.0  # seconds to open the Socket Mode connection at startup
SIGNATURE_MAX_AGE = 60 * 5  # Slack: reject requests whose timestamp is over 5 minutes off
# auth.test / apps.connections.open errors that mean the token itself is wrong.
_REJECTED = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
    | {"not_allowed_token_type", "invalid_token"}
)


class _Unreachable(AdapterError):
    """The Slack API did not answer (network, timeout): worth trying again."""


class _Ack(AsyncMiddleware):
    """The one catch-all: runs after bolt's own checks (signature, authorization, its
    own events, url_verification), routes the request, and acks with an empty 200."""

    def __init__(self, route: Callable[[AsyncBoltRequest], dict[str, Any] | None]) -> None:
        self._route = route

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        try:
            answer = self._route(req)
        except Exception:
            log.exception("slack: could not convert a %s request", req.body.get("type", "?"))
            answer = None
        if answer is None:
            return BoltResponse(status=200, body="")
        return BoltResponse(
            status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
        )


class SlackAdapter:
    """Slack through slack-bolt: Socket Mode (app token) or HTTP mode (signing secret)."""

    platform = PLATFORM
    can_edit = True  # chat.update

    def __init__(
        self,
        settings: SlackSettings,
        commands: Sequence[CommandInfo] = (),
        *,
        bot_name: str = "botloop",
        retry_first: float = FIRST_DELAY,
    ) -> None:
        self._token = settings.token()  # raises ConfigError when missing or malformed
        self.mode = settings.connection_mode()
        redact.add(settings.secrets())
        self._settings = settings
        self._bot_name = bot_name
        self._retry_first = retry_first  # seconds before the first retry of auth.test
        self.commands = list(commands)  # routed by name; registered through the manifest
        self._closed = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._out: Outbound | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._app: AsyncApp | None = None
        self._own_session: aiohttp.ClientSession | None = None
        # Only HTTP mode's requests are signed (SignatureVerifier refuses an empty secret).
        self._verifier = SignatureVerifier(self._secret()) if self.mode == "http" else None
        self.web: WebRoutes | None = None
        self.me: User | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def attach(self, host: Host) -> None:
        """Use the runtime's HTTP session; in HTTP mode, serve ``/slack/events`` on its
        web server."""
        self._session = host.http
        if self.mode == "http":
            self.web = host.web
            host.web.add_route("POST", EVENTS_PATH, self._events)

    @property
    def is_ready(self) -> bool:
        if self._closed.is_set() or self.me is None:
            return False
        if self.mode == "http":
            return self._app is not None
        client = self._socket.client if self._socket is not None else None
        session = getattr(client, "current_session", None)
        return (
            client is not None and not client.closed and session is not None and not session.closed
        )

    async def run(self, sink: Sink) -> None:
        """Check the token, connect, announce BotReady, then serve until :meth:`close`."""
        client = self._client()
        self._out = Outbound(client, always_thread=self._settings.always_thread)
        auth = await until_reached(
            lambda: self._auth_test(client),
            what=f"slack: auth.test at {client.base_url}",
            transient=(_Unreachable,),
            log=log,
            first=self._retry_first,
        )
        self.me = User(str(auth["user_id"]), str(auth.get("user") or self._bot_name), is_bot=True)
        inbound = Inbound(sink, self.me.id)
        app = AsyncApp(
            client=client,
            name=self._bot_name,  # without it bolt inspects the call stack (reads files)
            signing_secret=self._secret(),
            # Socket Mode requests are not signed; bolt skips them there anyway.
            request_verification_enabled=self.mode == "http",
        )
        app.use(_Ack(lambda req: inbound.handle(req.body, req.headers)))
        if self.mode == "socket":
            await self._connect_socket(app, client)
        else:
            self._app = app
            log.info("slack: HTTP mode, Slack posts to %s", EVENTS_PATH)
        sink(BotReady(PLATFORM, self.me, raw=auth))
        await self._closed.wait()

    def _client(self) -> AsyncWebClient:
        if self._session is None:  # run without attach (a test of the adapter alone)
            self._own_session = self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=API_TIMEOUT), trust_env=False
            )
        return AsyncWebClient(
            token=self._token,
            base_url=self._settings.base_url,
            timeout=API_TIMEOUT,
            session=self._session,
            logger=logging.getLogger("bot.adapters.slack.web"),
            # slack_sdk retries only connection errors by default; a 429 must wait
            # Retry-After and try again (bolt copies these into each request's client).
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=1),
                AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            ],
        )

    def _secret(self) -> str:
        secret = self._settings.signing_secret
        return secret.reveal() if secret else ""

    async def _auth_test(self, client: AsyncWebClient) -> dict[str, Any]:
        """Who the bot is; a rejected token is a ConfigError (exit 2, one line)."""
        try:
            resp = await client.auth_test()
        except SlackApiError as exc:
            raise _api_failure("SLACK_BOT_TOKEN", "auth.test", exc) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Unreachable(f"cannot reach the Slack API at {client.base_url}: {exc}") from exc
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    async def _connect_socket(self, app: AsyncApp, client: AsyncWebClient) -> None:
        app_token = self._settings.app_token.reveal() if self._settings.app_token else ""
        try:
            # Asked here, not inside the SDK's connect loop, which would retry a
            # rejected app token forever.
            opened = await client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            raise _api_failure("SLACK_APP_TOKEN", "apps.connections.open", exc) from None
        handler = AsyncSocketModeHandler(
            app, app_token, logger=logging.getLogger("bot.adapters.slack.socket")
        )
        handler.client.wss_uri = str(opened["url"])
        self._socket = handler
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                # Reconnects later are the SDK's, and logged by it.
                await handler.connect_async()  # type: ignore[no-untyped-call]
        except TimeoutError:
            raise AdapterError(f"no Socket Mode connection within {CONNECT_TIMEOUT:g} s") from None
        log.info("slack: connected in Socket Mode")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """``POST /slack/events``: signature first (bolt would log a bad request's body)."""
        body = await request.text()
        assert self._verifier is not None  # the route exists in HTTP mode only
        problem = _signature_problem(self._verifier, request, body)
        if problem:
            # Logged without the body: it is whatever an unknown sender chose to send.
            log.warning("slack: rejected a request from %s: %s", request.remote, problem)
            return web.json_response({"error": problem}, status=401)
        if self._app is None:
            return web.json_response({"error": "not connected yet"}, status=503)
        return await to_aiohttp_response(
            await self._app.async_dispatch(await to_bolt_request(request))
        )

    async def close(self) -> None:
        """Disconnect (the web server and the session are the runtime's). Idempotent."""
        self._closed.set()
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        self._app = None
        session, self._own_session = self._own_session, None
        if session is not None:
            await session.close()

    # --- Outlet ----------------------------------------------------------------------------

    def _outbound(self) -> Outbound:
        if self._out is None:
            raise AdapterError("the Slack adapter is not running")
        return self._out

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        return await self._outbound().send(channel, reply, reply_to=reply_to)

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        return await self._outbound().update(action, reply)

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        return await self._outbound().open_form(trigger, form, form_id)

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        return await self._outbound().edit(ref, reply)

    async def react(self, message: Message, emoji: str) -> None:
        await self._outbound().react(message, emoji)

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        return self._outbound().typing(channel)


def _api_failure(variable: str, method: str, exc: SlackApiError) -> Exception:
    error = str(exc.response.get("error") or exc.response.status_code)
    if error in _REJECTED:
        return ConfigError(variable, f"rejected by Slack ({error})")
    return AdapterError(f"slack {method} failed: {error}")


def _signature_problem(verifier: SignatureVerifier, request: web.Request, body: str) -> str:
    """Why a request is not Slack's (api.slack.com/docs/verifying-requests-from-slack), or ''."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return "unsigned request"
    try:
        stale = abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE
    except ValueError:
        return "malformed timestamp"
    if stale:
        return "stale timestamp"
    if not verifier.is_valid(body, timestamp, signature):
        return "bad signature"
    return ""
