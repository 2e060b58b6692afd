"""The web chat adapter in-process: the real runtime, its web server on a free loopback
port, and real WebSocket clients (aiohttp) speaking the page's frames. What a browser
makes of them is in test_web_browser.py."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.adapters.web.adapter import WebChatAdapter
from bot.adapters.web.factory import previews
from bot.adapters.web.settings import WebChatSettings
from bot.config import Secret, Settings, read_settings
from bot.core import Runtime
from bot.errors import ConfigError
from bot.web import WebSettings
from tests.helpers import ready_plugin, registry_of
from tests.web_chat_plugin import plugin

PREVIEWS = previews()  # entry points, read before any loop runs


@asynccontextmanager
async def chat(**changes: Any) -> AsyncIterator[tuple[WebChatAdapter, str]]:
    """A runtime with the web chat; its base URL (http://127.0.0.1:port)."""
    settings = replace(WebChatSettings(), **changes)
    adapter = WebChatAdapter(settings, admins=["admin"], previews=PREVIEWS)
    ready = asyncio.Event()
    runtime = Runtime(
        Settings(storage_url="memory://"),
        registry_of(plugin, ready_plugin(ready, 1)),
        [adapter],
        web=WebSettings(host="127.0.0.1", port=0),
    )
    task = asyncio.create_task(runtime.run())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        assert runtime.web is not None
        yield adapter, f"http://127.0.0.1:{runtime.web.port}"
    finally:
        runtime.request_stop()
        assert await asyncio.wait_for(task, 15) == 0


class Tab:
    """A page's socket: frames out, frames in (waiting for the one wanted)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    async def send(self, **frame: Any) -> None:
        await self.ws.send_json(frame)

    async def next(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.ws.receive_json()
                self.seen.append(frame)
                if frame["type"] == kind:
                    return frame

    async def bot_says(self) -> dict[str, Any]:
        while True:
            frame = await self.next("message")
            if frame["from"]["bot"]:
                return frame


@asynccontextmanager
async def tab(
    base: str, *, user: str = "alice", channel: str = "general", query: str = "", **headers: str
) -> AsyncIterator[Tab]:
    headers.setdefault("Origin", base)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base}/chat/ws{query}", headers=headers) as ws,
    ):
        page = Tab(ws)
        await page.next("welcome")
        await page.send(type="hello", user=user, channel=channel)
        await page.next("welcome")
        yield page


async def test_the_page_forbids_inline_script_and_serves_its_assets() -> None:
    async with chat() as (_, base), aiohttp.ClientSession() as session:
        async with session.get(f"{base}/chat") as resp:
            page = await resp.text()
            policy = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'self'" in policy
        assert '<script src="/chat/static/chat.js" defer></script>' in page
        assert "<script>" not in page  # nothing inline for a policy to allow
        async with session.get(f"{base}/chat/static/chat.js") as resp:
            assert resp.status == 200 and "textContent" in await resp.text()
        async with session.get(f"{base}/chat/static/../settings.py") as resp:
            assert resp.status == 404


async def test_a_message_is_shown_to_the_channel_and_answered_with_previews() -> None:
    async with chat() as (_, base), tab(base) as alice, tab(base, user="bob") as bob:
        await alice.send(type="say", text="!say **hi** <b>there</b>")
        mine = await alice.next("message")
        assert mine["from"] == {"id": "alice", "name": "alice", "bot": False}
        theirs = await bob.next("message")  # the other tab in #general sees it too
        assert theirs["id"] == mine["id"]
        answer = await alice.bot_says()
    assert answer["reply"]["text"] == "**hi** <b>there</b>"  # as written: the page makes it text
    assert answer["reply_to"]["id"] == mine["id"]
    assert answer["previews"]["discord"][0]["content"] == "**hi** <b>there</b>"
    assert answer["previews"]["slack"][0]["text"] == "*hi* &lt;b&gt;there&lt;/b&gt;"


async def test_an_ephemeral_reply_reaches_only_the_asker() -> None:
    async with chat() as (_, base), tab(base) as alice, tab(base, user="bob") as bob:
        await alice.send(type="say", text="!secret")
        answer = await alice.bot_says()
        assert answer["reply"] == {"text": "just for you", "ephemeral": True}
        await bob.send(type="say", text="!say after")
        seen = await bob.bot_says()
    assert seen["reply"]["text"] == "after"  # bob never got the secret in between
    assert [f["reply"]["text"] for f in bob.seen if f["type"] == "message"] == [
        "!secret",
        "!say after",
        "after",
    ]


async def test_a_click_edits_the_message_and_a_select_answers() -> None:
    async with chat() as (_, base), tab(base) as alice:
        await alice.send(type="say", text="!deploy")
        shown = await alice.bot_says()
        (row,) = shown["reply"]["components"]
        assert [(b["label"], b["style"]) for b in row] == [
            ("Staging", "secondary"),
            ("Prod", "danger"),
        ]
        await alice.send(type="click", id=row[1]["id"], message=shown["id"], values=[])
        edit = await alice.next("edit")
        assert edit["id"] == shown["id"] and edit["reply"] == {"text": "Deploying prod…"}
        await alice.send(type="say", text="!region")
        select = (await alice.bot_says())["reply"]["components"][0][0]
        await alice.send(type="click", id=select["id"], message="9", values=["us"])
        answer = await alice.bot_says()
    assert answer["reply"]["text"] == "region us" and answer["reply"]["ephemeral"]


async def test_a_form_opens_as_a_dialog_and_its_fields_are_checked() -> None:
    async with chat() as (_, base), tab(base) as alice:
        await alice.send(type="say", text="!bug")
        form = await alice.next("form")
        assert form["title"] == "Report a bug"
        assert [(f["name"], f["max"], f["required"]) for f in form["fields"]] == [
            ("title", 20, True),
            ("body", 3000, True),
        ]
        await alice.send(type="submit", form=form["id"], fields={"title": "x" * 21, "body": "b"})
        refusal = await alice.bot_says()
        assert refusal["reply"]["text"] == "Title is 21 characters; at most 20."
        await alice.send(type="submit", form=form["id"], fields={"title": "Crash", "body": "boom"})
        answer = await alice.bot_says()
    assert answer["reply"]["text"] == "filed: Crash / boom"


async def test_typing_shows_while_the_handler_works() -> None:
    async with chat() as (_, base), tab(base) as alice:
        await alice.send(type="say", text="!slow")
        on = await alice.next("typing")
        off = await alice.next("typing")
        done = await alice.bot_says()
    assert (on["on"], off["on"], done["reply"]["text"]) == (True, False, "done")


async def test_a_dm_is_a_channel_of_its_own_and_a_direct_message() -> None:
    async with chat() as (_, base), tab(base, channel="dm") as alice, tab(base) as bob:
        await alice.send(type="say", text="say hello")  # no prefix: a DM needs none
        answer = await alice.bot_says()
        await bob.send(type="say", text="!say public")
        await bob.bot_says()
    assert answer["channel"] == "dm-alice" and answer["reply"]["text"] == "hello"
    assert all(f.get("channel") != "dm-alice" for f in bob.seen)


async def test_bad_frames_are_answered_and_the_connection_lives_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with chat(max_message=50) as (_, base), tab(base) as alice:
        for bad, why in [
            ("not json", "Not sent: Expecting value"),
            ("[1, 2]", "Not sent: expected an object"),
            ('{"type": "boom"}', "unknown frame type 'boom'"),
            (json.dumps({"type": "say", "text": "x" * 51}), "text: at most 50 characters, got 51"),
            (json.dumps({"type": "click", "id": "<script>", "message": "1"}), "id: not an id"),
            (json.dumps({"type": "hello", "user": "<img src=x>"}), "user: 1–32 letters"),
        ]:
            await alice.ws.send_str(bad)
            error = await alice.next("error")
            assert why in error["text"]
        await alice.send(type="say", text="!say still here")
        assert (await alice.bot_says())["reply"]["text"] == "still here"
    assert "Traceback" not in caplog.text


async def test_a_frame_too_big_closes_only_that_connection() -> None:
    async with chat() as (_, base), tab(base) as alice, tab(base, user="bob") as bob:
        await alice.ws.send_str(json.dumps({"type": "say", "text": "x" * 70_000}))
        closing = await alice.ws.receive()
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await bob.send(type="say", text="!say fine")
        assert (await bob.bot_says())["reply"]["text"] == "fine"


async def test_a_flood_is_slowed_down_per_connection() -> None:
    async with chat(rate=5) as (_, base), tab(base) as alice:
        for i in range(20):
            await alice.send(type="say", text=f"!say {i}")
        await asyncio.sleep(0.5)
        await alice.send(type="say", text="!say after")
        while (await alice.bot_says())["reply"]["text"] != "after":
            pass
    errors = [f for f in alice.seen if f["type"] == "error"]
    answered = [f for f in alice.seen if f["type"] == "message" and f["from"]["bot"]]
    assert errors and all(e["text"] == "Slow down: too many messages at once." for e in errors)
    assert len(answered) < 10  # 5 a second, plus the half second's worth


async def test_another_origin_is_refused_and_a_listed_one_is_let_in() -> None:
    async with chat(origins="https://shop.example") as (_, base), aiohttp.ClientSession() as s:
        async with s.get(f"{base}/chat/ws", headers={"Origin": "https://evil.example"}) as resp:
            assert resp.status == 403
            assert "BOT_WEB_CHAT_ORIGINS" in await resp.text()
        async with tab(base, Origin="https://shop.example") as page:
            assert page.seen[-1]["type"] == "welcome"
        async with s.get(f"{base}/chat/embed") as resp:
            policy = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example" in policy


async def test_a_token_is_required_when_one_is_set() -> None:
    secret = "s3cret-token-0123456789"
    async with chat(token=Secret(secret)) as (_, base), aiohttp.ClientSession() as session:
        for query in ("", "?token=wrong", f"?token={secret[:-1]}"):
            async with session.get(f"{base}/chat/ws{query}", headers={"Origin": base}) as resp:
                assert resp.status == 403
        async with tab(base, query=f"?token={secret}") as page:
            await page.send(type="say", text="!say in")
            assert (await page.bot_says())["reply"]["text"] == "in"


async def test_a_widget_visitor_cannot_pick_their_id_or_see_others() -> None:
    secret = "s3cret-token-0123456789"
    settings = {"token": Secret(secret), "origins": "https://shop.example"}
    async with (
        chat(**settings) as (_, base),
        tab(base, user="admin", query="?embed=1", Origin="https://shop.example") as one,
        tab(base, user="bob", query="?embed=1") as two,
    ):
        welcome = one.seen[-1]
        assert welcome["user"]["id"].startswith("visitor-") and welcome["user"]["name"] == "admin"
        assert welcome["channel"] == f"dm-{welcome['user']['id']}" and welcome["sandbox"] is False
        await one.send(type="say", text="say only mine")  # a DM: no prefix needed
        assert (await one.bot_says())["reply"]["text"] == "only mine"
        await two.send(type="say", text="say theirs")
        assert (await two.bot_says())["reply"]["text"] == "theirs"
        async with (  # the sandbox still wants the token
            aiohttp.ClientSession() as session,
            session.get(f"{base}/chat/ws", headers={"Origin": base}) as resp,
        ):
            assert resp.status == 403
    assert not any("only mine" in json.dumps(f) for f in two.seen)


def test_beyond_loopback_a_token_is_required() -> None:
    with pytest.raises(ConfigError, match=r"BOT_WEB_CHAT_TOKEN: is required: .* 0\.0\.0\.0"):
        read_settings(WebChatSettings, {"BOT_HOST": "0.0.0.0"}).check_private()
    with pytest.raises(ConfigError, match="at least 16 characters"):
        read_settings(WebChatSettings, {"BOT_HOST": "0.0.0.0", "BOT_WEB_CHAT_TOKEN": "short"})
    ok = read_settings(WebChatSettings, {"BOT_HOST": "0.0.0.0", "BOT_WEB_CHAT_TOKEN": "x" * 16})
    ok.check_private()
    assert not ok.on_loopback
    for host in ("::1", "localhost", "127.0.0.1"):
        read_settings(WebChatSettings, {"BOT_HOST": host}).check_private()
    with pytest.raises(ConfigError, match="BOT_WEB_CHAT_ORIGINS"):
        read_settings(WebChatSettings, {"BOT_WEB_CHAT_ORIGINS": "shop.example"})


def test_the_cli_binds_loopback_for_the_web_chat_and_refuses_more_without_a_token(
    bot_env: dict[str, str],
) -> None:
    def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "check", *args], env={**bot_env, **env},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    ok = check("--web")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().endswith("adapters: web")  # the console gives way to the page
    refused = check("--web", BOT_HOST="0.0.0.0")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "botloop: configuration error: BOT_WEB_CHAT_TOKEN: is required: the web chat would "
        "listen on 0.0.0.0 (BOT_HOST), beyond this machine"
    )
    both = check(BOT_ADAPTERS="console,web")
    assert both.stdout.strip().endswith("adapters: console, web")


async def test_the_widget_script_opens_the_embedded_chat() -> None:
    async with chat() as (_, base), aiohttp.ClientSession() as session:
        async with session.get(f"{base}/chat/widget.js") as resp:
            script = await resp.text()
            assert resp.content_type == "application/javascript"
        async with session.get(f"{base}/chat/embed") as resp:
            page = await resp.text()
    assert 'origin + "/chat/embed"' in script
    assert 'data-mode="embed"' in page


async def test_reactions_go_both_ways() -> None:
    async with chat() as (_, base), tab(base) as alice:
        await alice.send(type="say", text="!thumbs")
        mine = await alice.next("message")
        react = await alice.next("react")
        assert react == {"type": "react", "message": mine["id"], "emoji": "👍"}
        await alice.send(type="react", message=mine["id"], emoji="🎉")
        answer = await alice.bot_says()
    assert answer["reply"]["text"] == f"alice reacted 🎉 to {mine['id']}"
