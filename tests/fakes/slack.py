"""A fake Slack on 127.0.0.1: the Web API, Socket Mode's websocket and response_url.

It records every call and ack, and can be scripted (a 429, a dropped connection).
Payloads follow Slack's documentation: docs.slack.dev/reference/methods (Web API),
docs.slack.dev/apis/events-api/using-socket-mode (envelopes and acks),
docs.slack.dev/reference/events (event bodies) and the slash-command form post.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from bot.web import WebSettings

if TYPE_CHECKING:  # the adapter loads slack_bolt: only when a test asks for one
    from bot.adapters.slack.adapter import SlackAdapter

BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
APP_TOKEN = "xapp-1-A1-3333-fakeapptoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER = "UBOT"
TEAM = "T0001"


@dataclass
class Call:
    """One Web API request as the fake received it."""

    method: str
    token: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Ack:
    """A Socket Mode acknowledgement, and how long after its envelope it came."""

    envelope_id: str
    payload: Any
    latency: float


class FakeSlack:
    """``async with FakeSlack() as slack``: ``slack.api_url`` is the Web API base URL."""

    def __init__(self, *, port: int = 0) -> None:
        self.port = port  # 0: a free one
        self.calls: list[Call] = []
        self.acks: dict[str, Ack] = {}
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_url
        self.uploads: dict[str, bytes] = {}  # file id → the bytes uploaded for it
        self.connections = 0  # websocket connections opened so far
        self._scripted: dict[str, list[web.Response]] = {}
        self._sent: dict[str, float] = {}
        self._ws: web.WebSocketResponse | None = None
        self._changed = asyncio.Condition()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # --- scripting and waiting ---------------------------------------------------------------

    def fail_next(self, method: str, status: int, body: dict[str, Any], **headers: str) -> None:
        """Answer the next call of ``method`` with this response instead of the normal one."""
        response = web.json_response(body, status=status, headers=headers)
        self._scripted.setdefault(method, []).append(response)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        """Until ``predicate()`` holds (checked after every request, ack or connection)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_calls(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        await self.wait_for(lambda: len(self.calls_of(method)) >= count, timeout)
        return self.calls_of(method)

    async def _changed_now(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- the Web API ---------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args |= await request.json()
        else:
            args |= dict(await request.post())
        self.calls.append(Call(method, token, args))
        await self._changed_now()
        scripted = self._scripted.get(method)
        if scripted:
            return scripted.pop(0)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        return web.json_response({"ok": True, **answer(args)})

    def _next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.000100"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "botloop",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": "B0001",
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"channel": args["channel"], "ts": ts, "message": {"text": args["text"], "ts": ts}}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": args["channel"], "ts": args["ts"], "text": args["text"]}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = json.loads(args["view"]) if isinstance(args["view"], str) else args["view"]
        return {"view": {"id": f"V{next(self._ids):04d}", **view, "state": {"values": {}}}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{len(self.calls):04d}"
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """Step two of a file upload: the bytes, to the URL step one handed out."""
        self.uploads[request.match_info["id"]] = await request.read()
        await self._changed_now()
        return web.Response(text="OK - 5")

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
        return {"files": [{"id": f["id"], "title": f["title"]} for f in files]}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.url.replace("http://", "ws://") + "/socket"}

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        await self._changed_now()
        return web.Response(text="ok")

    # --- Socket Mode ---------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0001"},
        }
        await ws.send_str(json.dumps(hello))
        await self._changed_now()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                eid = data.get("envelope_id", "")
                latency = time.monotonic() - self._sent.get(eid, time.monotonic())
                self.acks[eid] = Ack(eid, data.get("payload"), latency)
                await self._changed_now()
        if self._ws is ws:
            self._ws = None
        return ws

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = ""
    ) -> str:
        """Deliver an envelope over the open websocket; its envelope_id."""
        assert self._ws is not None, "no Socket Mode connection"
        eid = f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": eid,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        self._sent[eid] = time.monotonic()
        await self._ws.send_str(json.dumps(envelope))
        return eid

    async def wait_ack(self, envelope_id: str, timeout: float = 10) -> Ack:
        await self.wait_for(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    async def drop_connection(self) -> None:
        """Close the websocket from the server side, as a Slack restart would."""
        assert self._ws is not None
        ws, self._ws = self._ws, None
        await ws.close()

    # --- payload builders --------------------------------------------------------------------

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        """An Events API ``event_callback`` body wrapping ``event``."""
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
            ],
        }

    def command_body(
        self, command: str, text: str, *, channel: str = "C0001", user: str = "U0001"
    ) -> dict[str, str]:
        """A slash command as Slack posts it (form fields), with a response_url on this fake."""
        n = next(self._ids)
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user,
            "user_name": "ada",
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": f"{self.url}/response/{n}",
            "trigger_id": f"{n}.1111.abcdef",
        }


def block_actions_body(
    slack: FakeSlack,
    post: Call,
    action_id: str,
    *,
    selected: list[str] | None = None,
    user: str = "U0001",
    ephemeral: bool = False,
) -> dict[str, Any]:
    """A ``block_actions`` payload: ``user`` clicked ``action_id`` on the message the
    bot posted with ``post`` (a chat.postMessage call); ``selected``: a select's choice."""
    n = next(slack._ids)
    ts = f"{1700000000 + n}.000200"
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": "row0",
        "type": "button",
        "action_ts": f"{1700000000 + n}.000300",
    }
    if selected is not None:
        action["type"] = "static_select"
        action["selected_option"] = {
            "text": {"type": "plain_text", "text": selected[0]},
            "value": selected[0],
        }
    channel = post.args.get("channel", "C0001")
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "ada", "name": "ada", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": f"{n}.2222.abcdef",
        "team": {"id": TEAM, "domain": "fake"},
        "channel": {"id": channel, "name": "general"},
        "message": {"type": "message", "ts": ts, "text": post.args.get("text", ""),
                    "blocks": json.loads(post.args["blocks"]) if isinstance(
                        post.args.get("blocks"), str) else post.args.get("blocks")},
        "response_url": f"{slack.url}/response/a{n}",
        "actions": [action],
    }  # fmt: skip


def view_submission_body(
    slack: FakeSlack, opened: Call, values: dict[str, str], *, user: str = "U0001"
) -> dict[str, Any]:
    """A ``view_submission``: ``user`` sent the modal the bot opened with ``opened``
    (a views.open call), each input block answered from ``values``."""
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    state = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": values.get(block["block_id"]),
            }
        }
        for block in view["blocks"]
        if block["type"] == "input"
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "username": "ada", "name": "ada", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "trigger_id": f"{next(slack._ids)}.3333.abcdef",
        "view": {**view, "id": f"V{next(slack._ids):04d}", "state": {"values": state}},
        "response_urls": [],
    }


def message_event(
    text: str,
    *,
    kind: str = "message",
    channel: str = "C0001",
    channel_type: str = "channel",
    user: str = "U0001",
    ts: str = "1700000000.000001",
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` (or ``app_mention``) event as Slack sends it."""
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM,
    }
    if kind == "message":
        event["channel_type"] = channel_type
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event | extra


def sign(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """The headers Slack adds: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def form(fields: dict[str, str]) -> str:
    return urlencode(fields)


def adapter_for(slack: FakeSlack, mode: str, **env: str) -> SlackAdapter:
    """The real Slack adapter pointed at ``slack``, in ``socket`` or ``http`` mode, built
    from the environment the way ``python -m bot`` builds it (``env`` adds variables).
    Its HTTP mode is served by the runtime's web server: run it with :func:`loopback_web`."""
    from bot.adapters.slack.adapter import SlackAdapter
    from bot.adapters.slack.settings import SlackSettings
    from bot.config import read_settings

    environ = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
    if mode == "socket":
        environ["SLACK_APP_TOKEN"] = APP_TOKEN
    else:
        environ["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    environ |= env
    settings = read_settings(SlackSettings, environ)
    return SlackAdapter(settings, bot_name="botloop")


def loopback_web() -> WebSettings:
    """The runtime's web server on a free loopback port, for HTTP mode in tests."""
    return WebSettings(host="127.0.0.1", port=0)
