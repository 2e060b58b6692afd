"""A fake Discord: REST API v10 and the gateway websocket on 127.0.0.1, for the real discord.py.

Payloads follow Discord's developer documentation (``resources/message``,
``events/gateway``, ``events/gateway-events``, ``interactions/receiving-and-responding``,
``topics/rate-limits``). Every REST request is recorded (method, path, JSON body,
file names) so tests can assert on what the bot actually put on the wire.

The gateway speaks what discord.py asks for: ``?v=10&encoding=json`` and, when
``compress=zlib-stream`` is in the query, one zlib stream per connection with
every payload ending in a Z_SYNC_FLUSH (discord.py buffers until it sees
``00 00 ff ff``). Sequence numbers increase per session; RESUME replays what the
client missed, then RESUMED.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_ID = 111111111111111111
APP_ID = BOT_ID  # a bot's application id is its user id
GUILD_ID = 222222222222222222
CHANNEL_ID = 333333333333333333
THREAD_ID = 444444444444444444
DM_CHANNEL_ID = 555555555555555555
ROLE_ID = 666666666666666666
BOT_ROLE_ID = 777777777777777777  # the bot's managed role, as Discord makes on invite
NOW = "2024-05-01T12:00:00.000000+00:00"


def make_token(user_id: int = BOT_ID) -> str:
    """A well-formed bot token: base64(user id) . timestamp part . HMAC part."""
    head = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{head}.GfAkEt.{'x' * 38}"


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
    }
    if bot:
        data["bot"] = True
    return data


ALICE = user(777777777777777777, "alice")
BOB = user(888888888888888888, "bob")
OTHER_BOT = user(999999999999999999, "otherbot", bot=True)
ME = user(BOT_ID, "botloop", bot=True)


@dataclass
class Recorded:
    """One REST request as the fake received it."""

    method: str
    path: str  # below /api/v10, e.g. /channels/1/messages
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]
    at: float  # time.monotonic() on arrival


@dataclass
class _Limit:
    method: str
    pattern: re.Pattern[str]
    retry_after: float
    times: int


@dataclass
class _Conn:
    ws: web.WebSocketResponse
    compressor: Any  # zlib compressobj, or None for plain text frames
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload)
        async with self.lock:
            if self.ws.closed:
                return
            if self.compressor is None:
                await self.ws.send_str(data)
            else:
                chunk = self.compressor.compress(data.encode()) + self.compressor.flush(
                    zlib.Z_SYNC_FLUSH
                )
                await self.ws.send_bytes(chunk)


Handler = Callable[[web.Request, re.Match[str], Recorded], Awaitable[web.StreamResponse]]


class FakeDiscord:
    """Start with ``async with FakeDiscord() as fake``; point the bot at
    :attr:`api_base` and :attr:`gateway_url` with token :attr:`token`."""

    def __init__(self, *, heartbeat_ms: int = 41250, port: int = 0) -> None:
        self.token = make_token()
        self.heartbeat_ms = heartbeat_ms
        self.requests: list[Recorded] = []
        self.created: list[dict[str, Any]] = []  # every message object the bot made
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.heartbeats = 0
        # Close IDENTIFY with 4014 "Disallowed intent(s)", as Discord does when the
        # portal has not enabled a privileged intent the bot asks for.
        self.refuse_privileged = False
        self._session_events = 0  # READY or RESUMED sent
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None: global
        self._history: list[dict[str, Any]] = []  # dispatches of the current session
        self._seq = 0
        self._session: str | None = None
        self._sessions = itertools.count(1)
        self._conn: _Conn | None = None
        self._conns: set[web.WebSocketResponse] = set()
        # Snowflakes of now (ms since Discord's epoch, 2015, above bit 22), as Discord
        # makes them: discord.py reads an interaction's age from its id.
        now_ms = int(time.time() * 1000) - 1420070400000
        self._ids = itertools.count(now_ms << 22)
        self._limits: list[_Limit] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = port  # 0: a free one, known once started
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._add_routes()

    # --- Lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in list(self._conns):
            await ws.close(code=1001)
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def environ(self, **extra: str) -> dict[str, str]:
        """The variables that point the bot at this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            **extra,
        }

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every request and gateway
        event); its value."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)
            return predicate()

    # --- Assertions helpers -----------------------------------------------------------------

    def requests_to(self, method: str, pattern: str) -> list[Recorded]:
        """Recorded requests whose path fully matches the regex ``pattern``."""
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.fullmatch(r.path)]

    async def wait_requests(
        self, method: str, pattern: str, count: int = 1, timeout: float = 10.0
    ) -> list[Recorded]:
        await self.wait_until(lambda: len(self.requests_to(method, pattern)) >= count, timeout)
        return self.requests_to(method, pattern)

    async def wait_session(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` sessions were identified or resumed (READY/RESUMED sent)."""
        await self.wait_until(lambda: self._session_events >= count, timeout)

    def rate_limit(self, method: str, pattern: str, retry_after: float, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with 429 and ``retry_after`` seconds."""
        self._limits.append(_Limit(method, re.compile(pattern), retry_after, times))

    # --- Gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._conns.add(ws)
        query = dict(request.query)
        self.gateway_queries.append(query)
        compressor = zlib.compressobj() if query.get("compress") == "zlib-stream" else None
        conn = _Conn(ws, compressor)
        await conn.send(
            {"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None}
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_op(conn, json.loads(msg.data))
        finally:
            self._conns.discard(ws)
            if self._conn is conn:
                self._conn = None
        return ws

    async def _on_op(self, conn: _Conn, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:  # HEARTBEAT → HEARTBEAT_ACK
            self.heartbeats += 1
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # IDENTIFY
            self.identifies.append(data)
            if data.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            if self.refuse_privileged:
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            await self._start_session(conn, data)
        elif op == 6:  # RESUME
            self.resumes.append(data)
            if data.get("token") != self.token or data.get("session_id") != self._session:
                await conn.send({"op": 9, "d": False, "s": None, "t": None})
                return
            self._conn = conn
            for event in self._history:
                if event["s"] > (data.get("seq") or 0):
                    await conn.send(event)
            await self._send_dispatch("RESUMED", {})
            self._session_events += 1
            await self._notify()

    async def _start_session(self, conn: _Conn, identify: dict[str, Any]) -> None:
        self._session = f"session-{next(self._sessions)}"
        self._seq = 0
        self._history = []
        self._conn = conn
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**ME, "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": self._session,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        await self._send_dispatch("READY", ready)
        await self._send_dispatch("GUILD_CREATE", guild_payload())
        self._session_events += 1
        await self._notify()

    async def _send_dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        payload = {"op": 0, "t": event, "s": self._seq, "d": data}
        self._history.append(payload)
        if self._conn is not None:
            await self._conn.send(payload)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH now, or, while the bot is disconnected, on its RESUME."""
        await self._send_dispatch(event, data)

    async def drop(self, code: int = 4000) -> None:
        """Close the gateway connection as Discord does on an internal error (4000 is
        resumable: the client reconnects to resume_gateway_url and sends RESUME)."""
        assert self._conn is not None, "no gateway session to drop"
        conn, self._conn = self._conn, None
        await conn.ws.close(code=code, message=b"Unknown error")

    # --- Scripted traffic -------------------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    async def say(
        self,
        content: str,
        *,
        author: dict[str, Any] = ALICE,
        channel_id: int = CHANNEL_ID,
        guild: bool = True,
    ) -> int:
        """A MESSAGE_CREATE from ``author``; the message's id."""
        msg = message_payload(self.next_id(), channel_id, content, author, guild=guild)
        await self.dispatch("MESSAGE_CREATE", msg)
        return int(msg["id"])

    async def react(self, message_id: int, emoji: str, *, who: dict[str, Any] = BOB) -> None:
        await self.dispatch(
            "MESSAGE_REACTION_ADD",
            {
                "user_id": who["id"],
                "channel_id": str(CHANNEL_ID),
                "message_id": str(message_id),
                "guild_id": str(GUILD_ID),
                "member": member_payload(who),
                "emoji": {"id": None, "name": emoji},
                "burst": False,
                "type": 0,
            },
        )

    async def member_join(self, who: dict[str, Any] = BOB) -> None:
        await self.dispatch("GUILD_MEMBER_ADD", {**member_payload(who), "guild_id": str(GUILD_ID)})

    async def interact(
        self, name: str, options: dict[str, Any] | None = None, *, who: dict[str, Any] = ALICE
    ) -> tuple[int, str]:
        """An INTERACTION_CREATE for the slash command ``name``; (interaction id, token)."""
        iid = self.next_id()
        token = f"itoken-{iid}"
        kinds = {bool: 5, int: 4, float: 10, str: 3}
        opts = [{"name": k, "type": kinds[type(v)], "value": v} for k, v in (options or {}).items()]
        data = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": 2,
            "token": token,
            "version": 1,
            "data": {"id": "1", "name": name, "type": 1, "options": opts},
            "guild_id": str(GUILD_ID),
            "channel_id": str(CHANNEL_ID),
            "channel": {**text_channel(), "guild_id": str(GUILD_ID)},
            "member": {**member_payload(who), "permissions": "2251799813685247"},
            "app_permissions": "2251799813685247",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        await self.dispatch("INTERACTION_CREATE", data)
        return iid, token

    def _interaction(self, kind: int, data: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
        iid = self.next_id()
        return {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"itoken-{iid}",
            "version": 1,
            "data": data,
            "guild_id": str(GUILD_ID),
            "channel_id": str(CHANNEL_ID),
            "channel": {**text_channel(), "guild_id": str(GUILD_ID)},
            "member": {**member_payload(who), "permissions": "2251799813685247"},
            "app_permissions": "2251799813685247",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    async def click(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        values: list[str] | None = None,
        who: dict[str, Any] = ALICE,
    ) -> tuple[int, str]:
        """An INTERACTION_CREATE of type 3 (MESSAGE_COMPONENT): ``who`` clicked the
        component ``custom_id`` on ``message`` (a message object as the bot sent it);
        ``values``: a string select's choice. (interaction id, token)."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data |= {"component_type": 3, "values": values}
        payload = self._interaction(3, data, who)
        payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return int(payload["id"]), payload["token"]

    async def submit_modal(
        self, custom_id: str, fields: dict[str, str], *, who: dict[str, Any] = ALICE
    ) -> tuple[int, str]:
        """An INTERACTION_CREATE of type 5 (MODAL_SUBMIT) with one text input per row."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in fields.items()
        ]
        payload = self._interaction(5, {"custom_id": custom_id, "components": rows}, who)
        await self.dispatch("INTERACTION_CREATE", payload)
        return int(payload["id"]), payload["token"]

    def callbacks(self, interaction_id: int) -> list[Any]:
        """The interaction callback bodies the bot posted for ``interaction_id``."""
        path = re.compile(rf"/interactions/{interaction_id}/[^/]+/callback")
        return [r.json for r in self.requests if r.method == "POST" and path.fullmatch(r.path)]

    def messages_with_components(self) -> list[dict[str, Any]]:
        """The message objects the bot created with components, oldest first."""
        return [m for m in self.created if m.get("components")]

    # --- REST -------------------------------------------------------------------------------

    def _add_routes(self) -> None:
        def route(method: str, pattern: str, handler: Handler) -> None:
            self._routes.append((method, re.compile(pattern), handler))

        route("GET", r"/users/@me", self._me)
        route("GET", r"/oauth2/applications/@me", self._application)
        route("GET", r"/gateway/bot", self._gateway_bot)
        route("POST", r"/channels/(\d+)/messages", self._create_message)
        route("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message)
        route("PUT", r"/channels/\d+/messages/\d+/reactions/[^/]+/@me", self._no_content)
        route("POST", r"/channels/\d+/typing", self._no_content)
        route("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread)
        route("GET", r"/applications/\d+(?:/guilds/(\d+))?/commands", self._get_commands)
        route("PUT", r"/applications/\d+(?:/guilds/(\d+))?/commands", self._put_commands)
        route("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback)
        route("PATCH", r"/webhooks/\d+/([^/]+)/messages/(@original|\d+)", self._webhook_edit)
        route("DELETE", r"/webhooks/\d+/([^/]+)/messages/@original", self._no_content)
        route("POST", r"/webhooks/\d+/([^/]+)", self._followup)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        rec = Recorded(request.method, path, dict(request.query), body, files, time.monotonic())
        self.requests.append(rec)
        try:
            return await self._answer(request, path, rec)
        finally:
            await self._notify()

    async def _answer(self, request: web.Request, path: str, rec: Recorded) -> web.StreamResponse:
        # Interaction callbacks and webhooks authenticate by their token in the path.
        by_path = path.startswith(("/interactions/", "/webhooks/"))
        if not by_path and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for limit in self._limits:
            if limit.times > 0 and limit.method == rec.method and limit.pattern.fullmatch(path):
                limit.times -= 1
                return _too_many(limit.retry_after)
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return await handler(request, match, rec)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    async def _me(self, request: web.Request, m: re.Match[str], rec: Recorded) -> web.Response:
        return _json({**ME, "verified": True, "mfa_enabled": False, "flags": 0})

    async def _application(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        return _json(
            {
                "id": str(APP_ID),
                "name": "botloop",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": ALICE,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
            }
        )

    async def _gateway_bot(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1,
                },
            }
        )  # fmt: skip

    async def _create_message(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        return _json(self._sent(int(m[1]), rec.json or {}, rec.files))

    async def _edit_message(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        body = rec.json or {}
        msg = message_payload(int(m[2]), int(m[1]), body.get("content") or "", ME)
        msg["embeds"] = body.get("embeds") or []
        msg["edited_timestamp"] = NOW
        return _json(msg)

    async def _create_thread(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        thread = thread_channel(self.next_id(), (rec.json or {}).get("name", "thread"))
        thread["parent_id"] = m[1]
        return _json(thread, status=201)

    async def _get_commands(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        key = int(m[1]) if m[1] else None
        return _json(self.commands.get(key, []))

    async def _put_commands(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        key = int(m[1]) if m[1] else None
        stored = []
        for cmd in rec.json or []:
            # As Discord answers: ids and versions added, empty options and false
            # `required` left out, permissions and localisations filled in.
            options = [
                {k: v for k, v in o.items() if not (k == "required" and v is False)}
                for o in cmd.get("options") or ()
            ]
            entry = {
                **{k: v for k, v in cmd.items() if k != "options"},
                "id": str(self.next_id()),
                "application_id": str(APP_ID),
                "version": str(self.next_id()),
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "description_localizations": None,
                "name_localizations": None,
            }
            if key is not None:
                entry["guild_id"] = str(key)
            if options:
                entry["options"] = options
            stored.append(entry)
        self.commands[key] = stored
        return _json(stored)

    async def _callback(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        body = rec.json or {}
        kind = body.get("type")
        flags = (body.get("data") or {}).get("flags", 0)
        info: dict[str, Any] = {
            "id": m[1],
            "type": 2,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & 64),
        }
        answer: dict[str, Any] = {"interaction": info}
        if kind in (4, 7):
            msg = self._sent(CHANNEL_ID, body.get("data") or {}, rec.files)
            info["response_message_id"] = msg["id"]
            answer["resource"] = {"type": kind, "message": msg}
        else:
            answer["resource"] = {"type": kind}
        return _json(answer)

    async def _webhook_edit(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        msg = self._sent(CHANNEL_ID, rec.json or {}, rec.files)
        if m[2] != "@original":
            msg["id"] = m[2]
        return _json(msg)

    async def _followup(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        return _json(self._sent(CHANNEL_ID, rec.json or {}, rec.files))

    async def _no_content(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        return web.Response(status=204)

    def _sent(
        self, channel_id: int, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        """The message object Discord answers a create with: what was sent, by the bot."""
        msg = message_payload(self.next_id(), channel_id, body.get("content") or "", ME)
        msg["embeds"] = body.get("embeds") or []
        msg["components"] = body.get("components") or []
        msg["flags"] = body.get("flags", 0)
        msg["attachments"] = [
            {"id": str(self.next_id()), "filename": name, "size": len(data),
             "url": f"{self.api_base}/attachments/{name}", "proxy_url": "", }
            for name, data in files
        ]  # fmt: skip
        if "message_reference" in body:
            msg["message_reference"] = body["message_reference"]
            msg["type"] = 19  # REPLY
        self.created.append(msg)
        return msg


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    """The JSON body, or for multipart the ``payload_json`` part and the files."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(data)
            else:
                files.append((part.filename or "", bytes(data)))  # type: ignore[union-attr]
        return payload, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with the content type exactly ``application/json``: discord.py
    parses a body as JSON only then (``http.json_or_text``), and Discord sends it so."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _too_many(retry_after: float) -> web.Response:
    """A per-route 429 as Discord sends it (topics/rate-limits): JSON body and headers.
    discord.py treats a 429 without a Via header as a Cloudflare ban, so it is set."""
    return _json(
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
        status=429,
        headers={
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fakebucket",
            "X-RateLimit-Scope": "user",
            "Via": "1.1 google",
        },
    )


# --- Payload shapes -------------------------------------------------------------------------


def member_payload(who: dict[str, Any]) -> dict[str, Any]:
    return {
        "user": who,
        "nick": None,
        "roles": [],
        "joined_at": NOW,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }


def message_payload(
    mid: int, channel_id: int, content: str, author: dict[str, Any], *, guild: bool = True
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "id": str(mid),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": NOW,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }
    if guild:
        msg["guild_id"] = str(GUILD_ID)
        msg["member"] = {k: v for k, v in member_payload(author).items() if k != "user"}
    return msg


def text_channel() -> dict[str, Any]:
    return {
        "id": str(CHANNEL_ID),
        "type": 0,
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def thread_channel(tid: int = THREAD_ID, name: str = "a thread") -> dict[str, Any]:
    return {
        "id": str(tid),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": str(CHANNEL_ID),
        "owner_id": ALICE["id"],
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": NOW,
            "locked": False,
        },
    }


def guild_payload() -> dict[str, Any]:
    """GUILD_CREATE for the one guild: a text channel, a thread, the @everyone role."""
    return {
        "id": str(GUILD_ID),
        "name": "Test Server",
        "icon": None,
        "owner_id": ALICE["id"],
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "color": 0,
                "hoist": False,
                "position": 0,
                "permissions": "104324673",
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(BOT_ROLE_ID),
                "name": "botloop",
                "color": 0,
                "hoist": False,
                "position": 2,
                "permissions": "0",
                "managed": True,
                "mentionable": False,
                "flags": 0,
                "tags": {"bot_id": str(BOT_ID)},
            },
            {
                "id": str(ROLE_ID),
                "name": "mods",
                "color": 0,
                "hoist": False,
                "position": 1,
                "permissions": "0",
                "managed": False,
                "mentionable": True,
                "flags": 0,
            },
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": str(CHANNEL_ID),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": NOW,
        "large": False,
        "unavailable": False,
        "member_count": 2,
        "voice_states": [],
        "members": [member_payload(ME)],
        "channels": [text_channel()],
        "threads": [thread_channel()],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }
