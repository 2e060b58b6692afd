"""The web chat: a page, a WebSocket per tab, neutral events in, rendered replies out.

Routes on the runtime's web server: ``/chat`` (the sandbox: pick who you are and
where, and see what Discord and Slack would be sent), ``/chat/embed`` (the same
chat, compact, for an iframe), ``/chat/widget.js`` (the one-line snippet for other
sites), ``/chat/ws`` and ``/chat/static/*``.

Each tab has a queue and one writer task, so its frames leave in the order they
were made, and a tab that stops reading is dropped rather than buffered forever.
Safety: a token (``BOT_WEB_CHAT_TOKEN``, compared in constant time) for the
sandbox when the server listens beyond loopback; the WebSocket's Origin must be
the chat's own or one of ``BOT_WEB_CHAT_ORIGINS``; each frame is size- and
rate-limited; the page renders every string as text; a Content-Security-Policy
allows no inline script. A widget's visitor (``/chat/embed``, allowed once the
site is listed) needs no token: they get an id of the server's making and a
direct conversation of their own, seen by nobody else.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import WSMsgType, web

from bot.adapters.base import Host
from bot.adapters.web import wire
from bot.adapters.web.settings import WebChatSettings
from bot.errors import AdapterError
from bot.model import (
    Action,
    BotReady,
    ChannelRef,
    Form,
    Message,
    MessageRef,
    Reply,
    Sink,
    User,
)
from bot.web.routes import WebRoutes

log = logging.getLogger("bot.adapters.web")

MAX_FRAME = 64 * 1024  # bytes of one frame from a page
HISTORY = 50  # messages a tab is shown when it opens a channel
CHANNELS_KEPT = 200  # channels whose history is kept (each visitor's DM is one)
REMEMBERED = 2000  # messages that can still be edited
BACKLOG = 1000  # frames waiting for a tab that reads no more: then it is closed
STATIC = ("chat.html", "chat.css", "chat.js", "widget.js")


def _read(name: str) -> str:
    return resources.files("bot.adapters.web").joinpath("static", name).read_text("utf-8")


# Read once, as the module loads (which is when the adapter is built, before the
# loop runs): serving them is then no file I/O.
TEXTS = {name: _read(name) for name in STATIC}
ASSETS = ("chat.css", "chat.js", "widget.js")


@dataclass(eq=False)
class Tab:
    """One open page: its socket, who it speaks as, the channel it shows."""

    ws: web.WebSocketResponse
    user: User
    channel: ChannelRef
    embedded: bool
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    tokens: float = 0.0  # the rate limit's bucket
    filled_at: float = field(default_factory=time.monotonic)


class WebChatAdapter:
    """The chat in a browser: the sandbox for plugin authors, a widget for a site."""

    platform = wire.PLATFORM
    can_edit = True

    def __init__(
        self,
        settings: WebChatSettings,
        *,
        bot_name: str = "botloop",
        admins: list[str] | None = None,
        previews: Mapping[str, Callable[[Reply], Any]] | None = None,
    ) -> None:
        self._settings = settings
        self._bot = User("bot", bot_name, is_bot=True)
        self._admins = admins or []
        self._previews = dict(previews or {})
        self._sink: Sink | None = None
        self._routes: WebRoutes | None = None
        self._tabs: set[Tab] = set()
        self._writers: set[asyncio.Task[Any]] = set()  # each tab's writer, and closings
        self._ids = itertools.count(1)
        self._history: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._shown: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._closed = asyncio.Event()
        self._running = False
        token = settings.token
        self._token = token.reveal().encode() if token else None

    # --- Lifecycle --------------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        return self._running and not self._closed.is_set()

    def attach(self, host: Host) -> None:
        """Serve the chat on the runtime's web server."""
        self._routes = host.web
        host.web.add_route("GET", "/chat", self._page)
        host.web.add_route("GET", "/chat/embed", self._page)
        host.web.add_route("GET", "/chat/ws", self._socket)
        host.web.add_route("GET", "/chat/widget.js", self._widget)
        host.web.add_route("GET", "/chat/static/{name}", self._asset)

    async def run(self, sink: Sink) -> None:
        if self._routes is None:
            raise AdapterError("the web chat needs the runtime's web server (attach first)")
        self._sink = sink
        self._running = True
        shown = "localhost" if self._settings.on_loopback else self._settings.host
        log.info("web chat: open http://%s:%d/chat", shown, self._routes.port)
        sink(BotReady(self.platform, self._bot))
        await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()
        self._running = False
        for tab in list(self._tabs):
            await tab.ws.close()
        for task in list(self._writers):
            task.cancel()
        if self._writers:
            await asyncio.wait(self._writers, timeout=5)

    # --- HTTP: the page, the widget, the assets ---------------------------------------------

    async def _page(self, request: web.Request) -> web.StreamResponse:
        page = TEXTS["chat.html"]
        embedded = request.path.endswith("/embed")
        page = page.replace("{{mode}}", "embed" if embedded else "sandbox")
        page = page.replace("{{name}}", _escape(self._bot.name))
        return web.Response(text=page, content_type="text/html", headers=self._headers(embedded))

    async def _widget(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=TEXTS["widget.js"],
            content_type="application/javascript",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound()
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return web.Response(text=TEXTS[name], content_type=kind, headers=headers)

    def _headers(self, embedded: bool) -> dict[str, str]:
        """No inline script, no third-party anything; framed only where allowed."""
        frames = " ".join(("'self'", *self._settings.allowed_origins)) if embedded else "'self'"
        policy = (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"img-src 'self' https: http: data:; frame-ancestors {frames}; base-uri 'none'"
        )
        return {
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }

    # --- The socket ---------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            log.warning("web chat: refused a connection from %s: %s", request.remote, refusal)
            return web.json_response({"error": refusal}, status=403)
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
        await ws.prepare(request)
        embedded = self._widget_visitor(request)
        if embedded:  # an id of the server's making, and a conversation of their own
            user = User(f"visitor-{secrets.token_hex(6)}", "visitor")
            channel = ChannelRef(self.platform, f"dm-{user.id}")
        else:
            user, channel = User("you", "you"), ChannelRef(self.platform, wire.CHANNELS[0])
        tab = Tab(ws, user, channel, embedded)
        tab.tokens = self._settings.rate
        self._tabs.add(tab)
        writer = asyncio.get_running_loop().create_task(self._write(tab), name="web-chat-tab")
        self._writers.add(writer)
        writer.add_done_callback(self._writers.discard)
        self._welcome(tab)
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                self._received(tab, msg.data)
        finally:
            self._tabs.discard(tab)
            writer.cancel()
        return ws

    def _widget_visitor(self, request: web.Request) -> bool:
        return request.query.get("embed") == "1"

    def _refusal(self, request: web.Request) -> str | None:
        """Why this handshake is refused: a wrong token, or a page from elsewhere. A
        widget's visitor needs no token where sites are listed to embed the chat."""
        widget = self._widget_visitor(request) and bool(self._settings.allowed_origins)
        if self._token is not None and not widget:
            given = request.query.get("token", "").encode()
            if not hmac.compare_digest(given, self._token):
                return "a valid token is required (BOT_WEB_CHAT_TOKEN)"
        origin = request.headers.get("Origin")
        if origin is not None:
            own = f"{request.scheme}://{request.host}"
            if origin != own and origin not in self._settings.allowed_origins:
                return f"origin {origin!r} is not allowed (BOT_WEB_CHAT_ORIGINS)"
        return None

    async def _write(self, tab: Tab) -> None:
        while True:
            frame = await tab.queue.get()
            try:
                await tab.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                return  # the tab went away; its reader ends too

    def _to(self, tab: Tab, frame: dict[str, Any]) -> None:
        if tab.queue.qsize() >= BACKLOG:
            log.warning("web chat: a tab stopped reading; closing it")
            self._tabs.discard(tab)
            closing = asyncio.get_running_loop().create_task(tab.ws.close(), name="web-chat-close")
            self._writers.add(closing)  # owned like the writers: cancelled on close
            closing.add_done_callback(self._writers.discard)
            return
        tab.queue.put_nowait(frame)

    def _welcome(self, tab: Tab) -> None:
        self._to(
            tab,
            {
                "type": "welcome",
                "bot": self._bot.name,
                "user": {"id": tab.user.id, "name": tab.user.name},
                "channel": tab.channel.id,
                "channels": list(wire.CHANNELS),
                "admins": self._admins,
                "previews": sorted(self._previews),
                "sandbox": not tab.embedded,
                "history": list(self._history.get(tab.channel.id, ())),
            },
        )

    def _received(self, tab: Tab, data: str) -> None:
        """One frame from a page; a bad one is told to that page, never raised."""
        if not self._take_token(tab):
            self._to(tab, {"type": "error", "text": "Slow down: too many messages at once."})
            return
        try:
            frame = json.loads(data)
            if not isinstance(frame, dict):
                raise wire.BadFrame("expected an object")
            self._handle(tab, frame)
        except (ValueError, wire.BadFrame) as exc:
            self._to(tab, {"type": "error", "text": f"Not sent: {exc}"})

    def _take_token(self, tab: Tab) -> bool:
        now = time.monotonic()
        rate = self._settings.rate
        tab.tokens = min(rate, tab.tokens + (now - tab.filled_at) * rate)
        tab.filled_at = now
        if tab.tokens < 1:
            return False
        tab.tokens -= 1
        return True

    def _handle(self, tab: Tab, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "hello":
            self._hello(tab, frame)
        elif kind == "say":
            ident = self._next_id()
            msg = wire.message_of(
                frame, tab.user, tab.channel, ident, most=self._settings.max_message
            )
            self._show_user_message(msg)
            self._emit(msg)
        elif kind in ("click", "submit"):
            self._emit(wire.action_of(frame, tab.user, tab.channel, key=self._next_id()))
        elif kind == "react":
            self._emit(wire.reaction_of(frame, tab.user, tab.channel))
        else:
            raise wire.BadFrame(f"unknown frame type {kind!r}")

    def _hello(self, tab: Tab, frame: dict[str, Any]) -> None:
        """Who this tab is and which channel it shows. A widget's visitor keeps the id
        the server gave them (only the name is theirs to choose)."""
        user = wire.who(frame)
        if tab.embedded:  # the name only: id and conversation stay the server's
            tab.user = User(tab.user.id, user.name)
        else:
            tab.user, tab.channel = user, wire.where(frame, user)
        self._welcome(tab)

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _emit(self, event: Any) -> None:
        if self._sink is not None:
            self._sink(event)

    def _show_user_message(self, msg: Message) -> None:
        frame = {
            "type": "message",
            "id": msg.id,
            "channel": msg.channel.id,
            "thread": msg.channel.thread,
            "from": {"id": msg.author.id, "name": msg.author.name, "bot": False},
            "reply": {"text": msg.text},
        }
        self._publish(msg.channel.id, frame)

    # --- Outlet -------------------------------------------------------------------------------

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        ident = self._next_id()
        frame: dict[str, Any] = {
            "type": "message",
            "id": ident,
            "channel": channel.id,
            "thread": channel.thread,
            "from": {"id": self._bot.id, "name": self._bot.name, "bot": True},
            "reply": wire.reply_frame(reply),
        }
        if isinstance(reply_to, Message):
            frame["reply_to"] = {"id": reply_to.id, "name": reply_to.author.name,
                                 "text": reply_to.text[:120]}  # fmt: skip
        if self._previews:
            frame["previews"] = wire.previews_of(reply, self._previews)
        ref = MessageRef(channel, ident)
        if reply.ephemeral and reply_to is not None:
            asker = reply_to.author if isinstance(reply_to, Message) else reply_to.user
            for tab in self._tabs_in(channel.id, asker.id):
                self._to(tab, frame)
            return ref
        self._publish(channel.id, frame)
        return ref

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        frame: dict[str, Any] = {"type": "edit", "id": ref.id, "reply": wire.reply_frame(reply)}
        if self._previews:
            frame["previews"] = wire.previews_of(reply, self._previews)
        kept = self._shown.get(ref.id)
        if kept is not None:  # so a tab opened later sees the message as it is now
            kept["reply"] = frame["reply"]
            if "previews" in frame:
                kept["previews"] = frame["previews"]
        for tab in self._tabs_in(ref.channel.id):
            self._to(tab, frame)
        return ref

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        if action.message is None:
            return await self.send(action.channel, reply, reply_to=action)
        return await self.edit(action.message, reply)

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        """A dialog in the asker's tabs on that channel (any trigger: the page can)."""
        asker = trigger.author if isinstance(trigger, Message) else trigger.user
        tabs = self._tabs_in(trigger.channel.id, asker.id)
        for tab in tabs:
            self._to(tab, wire.form_frame(form, form_id))
        return bool(tabs)

    async def react(self, message: Message, emoji: str) -> None:
        frame = {"type": "react", "message": message.id, "emoji": emoji}
        for tab in self._tabs_in(message.channel.id):
            self._to(tab, frame)

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        return self._typing(channel)

    @asynccontextmanager
    async def _typing(self, channel: ChannelRef) -> AsyncIterator[None]:
        self._signal_typing(channel, True)
        try:
            yield
        finally:
            self._signal_typing(channel, False)

    def _signal_typing(self, channel: ChannelRef, on: bool) -> None:
        frame = {"type": "typing", "channel": channel.id, "name": self._bot.name, "on": on}
        for tab in self._tabs_in(channel.id):
            self._to(tab, frame)

    # --- Who sees what ----------------------------------------------------------------------

    def _tabs_in(self, channel: str, user: str | None = None) -> list[Tab]:
        return [
            tab
            for tab in self._tabs
            if tab.channel.id == channel and (user is None or tab.user.id == user)
        ]

    def _publish(self, channel: str, frame: dict[str, Any]) -> None:
        """Show ``frame`` in every tab on ``channel``, and keep it for tabs to come."""
        kept = self._history.get(channel)
        if kept is None:
            kept = self._history[channel] = deque(maxlen=HISTORY)
            if len(self._history) > CHANNELS_KEPT:
                self._history.popitem(last=False)  # the channel quiet the longest
        else:
            self._history.move_to_end(channel)
        kept.append(frame)
        self._shown[frame["id"]] = frame
        if len(self._shown) > REMEMBERED:
            self._shown.popitem(last=False)
        for tab in self._tabs_in(channel):
            self._to(tab, frame)


def _escape(text: str) -> str:
    """Text for the page's HTML (the bot's name in the title)."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(char, entity)
    return text
