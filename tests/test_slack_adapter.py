"""The Slack adapter end to end: the real slack-bolt and slack_sdk, under a real Runtime,
talking over loopback to the fake Slack in tests/fakes/slack.py."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from bot import Card, Context, Field, Plugin, Reply
from bot.adapters.slack.adapter import SlackAdapter
from bot.config import Settings
from bot.core import Runtime
from bot.errors import ConfigError
from bot.model import MemberJoined, ReactionAdded
from bot.web import WebSettings
from tests.fakes.slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    FakeSlack,
    adapter_for,
    form,
    loopback_web,
    message_event,
    sign,
)
from tests.helpers import free_port, ready_plugin, registry_of, until_logged


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # slack_sdk sends everything through HTTP(S)_PROXY when set and ignores NO_PROXY.
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def demo(seen: list[Any]) -> Plugin:
    plugin = Plugin("demo")

    @plugin.command(help="Weather for a city: weather <city> [days]")
    async def weather(ctx: Context, city: str, days: int = 1) -> None:
        await ctx.reply(f"**{city}**: sunny for {days} day(s)")

    @plugin.command
    async def card(ctx: Context) -> None:
        fields = (Field("Temp", "-3 °C"), Field("Wind", "4 m/s"))
        await ctx.reply("Here:", card=Card(title="Oslo", description="*cold*", fields=fields))

    @plugin.command
    async def slow(ctx: Context, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await ctx.reply(f"slept {seconds:g}")

    @plugin.command
    async def report(ctx: Context, private: bool = False) -> None:
        files = (("report.csv", b"city,temp\nOslo,-3\n"),)
        await ctx.reply(Reply("Here is the report.", files=files, ephemeral=private))

    @plugin.command
    async def thumbs(ctx: Context) -> None:
        await ctx.react("👍")

    @plugin.command
    async def progress(ctx: Context) -> None:
        ref = await ctx.reply("working…")
        await ctx.edit(ref, "**done**")

    @plugin.on_event("reaction_added")
    async def reacted(ctx: Context, event: ReactionAdded) -> None:
        seen.append(event)
        await ctx.reply(f"{event.user.id} reacted {event.emoji}")

    @plugin.on_event("member_joined")
    async def joined(ctx: Context, event: MemberJoined) -> None:
        seen.append(event)
        await ctx.reply(f"welcome <@{event.user.id}>")

    return plugin


@asynccontextmanager
async def slack_bot(*adapters: SlackAdapter, seen: list[Any] | None = None) -> AsyncIterator[None]:
    """A real Runtime on ``adapters``; returns once every one has announced BotReady."""
    ready = asyncio.Event()
    registry = registry_of(
        demo(seen if seen is not None else []), ready_plugin(ready, len(adapters))
    )
    runtime = Runtime(
        Settings(storage_url="memory://"), registry, list(adapters), web=loopback_web()
    )
    task = asyncio.create_task(runtime.run())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield
    finally:
        runtime.request_stop()
        assert await asyncio.wait_for(task, 30) == 0


# --- Socket Mode -----------------------------------------------------------------------------


async def test_app_mention_is_answered_in_its_channel_with_mrkdwn(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event(f"<@{BOT_USER}> weather Paris 3", kind="app_mention")
        eid = await slack.send_envelope("events_api", slack.event_body(event))
        posts = await slack.wait_calls("chat.postMessage")
        ack = await slack.wait_ack(eid)
    assert ack.payload is None  # an events_api ack carries nothing back
    args = posts[0].args
    assert args["channel"] == "C0001"
    assert args["text"] == "*Paris*: sunny for 3 day(s)"
    assert "thread_ts" not in args and "blocks" not in args
    assert posts[0].token == BOT_TOKEN
    connections = slack.calls_of("apps.connections.open")
    assert [c.token for c in connections] == [APP_TOKEN]


async def test_a_mention_in_a_thread_is_answered_in_the_thread(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event(
            f"<@{BOT_USER}> weather Oslo", kind="app_mention", ts="1.2", thread_ts="1.1"
        )
        await slack.send_envelope("events_api", slack.event_body(event))
        posts = await slack.wait_calls("chat.postMessage")
    assert posts[0].args["thread_ts"] == "1.1"


async def test_always_thread_starts_a_thread_under_the_trigger(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket", SLACK_ALWAYS_THREAD="1")):
        event = message_event("!weather Rome", ts="1700000000.000042")
        await slack.send_envelope("events_api", slack.event_body(event))
        posts = await slack.wait_calls("chat.postMessage")
    assert posts[0].args["thread_ts"] == "1700000000.000042"


async def test_direct_message_and_prefix_form_reach_commands(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        dm = message_event("weather Lima", channel="D0001", channel_type="im")
        await slack.send_envelope("events_api", slack.event_body(dm))
        prefixed = message_event("!weather Kyiv 2", channel="C0002")
        await slack.send_envelope("events_api", slack.event_body(prefixed))
        posts = await slack.wait_calls("chat.postMessage", 2)
    answers = {c.args["channel"]: c.args["text"] for c in posts}
    assert answers == {"D0001": "*Lima*: sunny for 1 day(s)", "C0002": "*Kyiv*: sunny for 2 day(s)"}


async def test_a_card_is_sent_as_block_kit_with_a_text_fallback(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event(f"<@{BOT_USER}> card", kind="app_mention")
        await slack.send_envelope("events_api", slack.event_body(event))
        posts = await slack.wait_calls("chat.postMessage")
    args = posts[0].args
    assert args["text"] == "Here:"
    blocks = args["blocks"]
    assert [b["type"] for b in blocks] == ["section", "header", "section", "section"]
    assert blocks[1]["text"]["text"] == "Oslo"
    assert blocks[2]["text"] == {"type": "mrkdwn", "text": "_cold_"}
    assert [f["text"] for f in blocks[3]["fields"]] == ["*Temp*\n-3 °C", "*Wind*\n4 m/s"]


async def test_bot_messages_and_edits_are_ignored(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        from_bot = message_event("!weather Bern", bot_id="B0999", subtype="bot_message")
        edited = message_event(
            "", subtype="message_changed", message={"text": "!weather Nice", "user": "U0001"}
        )
        for event in (from_bot, edited):
            await slack.send_envelope("events_api", slack.event_body(event))
        # Something that does answer, sent last: once it is answered, the others were seen.
        await slack.send_envelope("events_api", slack.event_body(message_event("!weather Oslo")))
        await slack.wait_calls("chat.postMessage")
        await asyncio.sleep(0.2)  # a wrong answer to the earlier ones would have come by now
    assert [c.args["text"] for c in slack.calls_of("chat.postMessage")] == [
        "*Oslo*: sunny for 1 day(s)"
    ]


async def test_a_channel_message_mentioning_the_bot_is_handled_once(slack: FakeSlack) -> None:
    """Slack sends a mention twice (message.channels and app_mention): one answer."""
    async with slack_bot(adapter_for(slack, "socket")):
        text = f"<@{BOT_USER}> weather Oslo"
        await slack.send_envelope("events_api", slack.event_body(message_event(text)))
        mention = message_event(text, kind="app_mention")
        await slack.send_envelope("events_api", slack.event_body(mention))
        await slack.wait_calls("chat.postMessage")
        await asyncio.sleep(0.2)
    assert len(slack.calls_of("chat.postMessage")) == 1


async def test_a_retried_event_is_handled_once(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        body = slack.event_body(message_event("!weather Oslo"), event_id="Ev0RETRY")
        first = await slack.send_envelope("events_api", body)
        again = await slack.send_envelope(
            "events_api", body, retry_attempt=1, retry_reason="timeout"
        )
        await slack.wait_ack(first)
        await slack.wait_ack(again)  # the retry is acknowledged too, so Slack stops
        await slack.wait_calls("chat.postMessage")
        await asyncio.sleep(0.2)
    assert len(slack.calls_of("chat.postMessage")) == 1


async def test_reaction_and_member_joined_events(slack: FakeSlack) -> None:
    seen: list[Any] = []
    async with slack_bot(adapter_for(slack, "socket"), seen=seen):
        reaction = {
            "type": "reaction_added",
            "user": "U0002",
            "reaction": "+1",
            "item_user": "U0001",
            "item": {"type": "message", "channel": "C0001", "ts": "1700000000.000001"},
            "event_ts": "1700000001.000100",
        }
        joined = {
            "type": "member_joined_channel",
            "user": "U0003",
            "channel": "C0002",
            "channel_type": "C",
            "team": "T0001",
        }
        for event in (reaction, joined):
            await slack.send_envelope("events_api", slack.event_body(event))
        posts = await slack.wait_calls("chat.postMessage", 2)
    answers = {c.args["channel"]: c.args["text"] for c in posts}
    assert answers == {"C0001": "U0002 reacted 👍", "C0002": "welcome <@U0003>"}
    kinds = {type(e): e for e in seen}
    assert kinds[ReactionAdded].message_id == "1700000000.000001"


async def test_reply_files_are_uploaded_below_the_text_in_the_thread(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event("!report", ts="1.7", thread_ts="1.0")
        await slack.send_envelope("events_api", slack.event_body(event))
        (complete,) = await slack.wait_calls("files.completeUploadExternal")
    (post,) = slack.calls_of("chat.postMessage")
    (asked,) = slack.calls_of("files.getUploadURLExternal")
    assert post.args["text"] == "Here is the report." and post.args["thread_ts"] == "1.0"
    data = b"city,temp\nOslo,-3\n"
    assert (asked.args["filename"], int(asked.args["length"])) == ("report.csv", len(data))
    assert list(slack.uploads.values()) == [data]
    assert (complete.args["channel_id"], complete.args["thread_ts"]) == ("C0001", "1.0")
    [shared] = json.loads(complete.args["files"])
    assert shared["title"] == "report.csv" and shared["id"] in slack.uploads


async def test_files_of_an_ephemeral_reply_are_not_shared_with_the_channel(
    slack: FakeSlack,
) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event("!report yes")
        await slack.send_envelope("events_api", slack.event_body(event))
        (private,) = await slack.wait_calls("chat.postEphemeral")
    assert private.args["text"] == "Here is the report."  # the handler's own reply
    # The runtime let the handler finish before stopping: no upload came after it either.
    assert not slack.calls_of("files.getUploadURLExternal") and not slack.uploads


async def test_react_uses_reactions_add_with_the_slack_name(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event("!thumbs", ts="1700000000.000777")
        await slack.send_envelope("events_api", slack.event_body(event))
        calls = await slack.wait_calls("reactions.add")
    assert calls[0].args == {"channel": "C0001", "timestamp": "1700000000.000777", "name": "+1"}


async def test_edit_updates_the_message_the_bot_sent(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        await slack.send_envelope("events_api", slack.event_body(message_event("!progress")))
        updates = await slack.wait_calls("chat.update")
    (posted,) = slack.calls_of("chat.postMessage")
    assert updates[0].args["channel"] == "C0001"
    assert updates[0].args["ts"] == f"{1700000000 + 1}.000100"  # the ts the fake gave the post
    assert updates[0].args["text"] == "*done*" and posted.args["text"] == "working…"


async def test_a_usage_error_in_a_channel_is_ephemeral_to_its_author(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event("!weather Oslo tomorrow", user="U0777", ts="1.7", thread_ts="1.0")
        await slack.send_envelope("events_api", slack.event_body(event))
        calls = await slack.wait_calls("chat.postEphemeral")
    args = calls[0].args
    assert (args["channel"], args["user"], args["thread_ts"]) == ("C0001", "U0777", "1.0")
    assert "Usage: !weather &lt;city&gt; [days=1]" in args["text"]
    assert not slack.calls_of("chat.postMessage")


async def test_slash_command_in_socket_mode_and_an_ephemeral_usage_error(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        ok = await slack.send_envelope(
            "slash_commands", slack.command_body("/weather", "Paris 2", channel="C0009")
        )
        bad = await slack.send_envelope(
            "slash_commands", slack.command_body("/weather", "Paris soon")
        )
        posts = await slack.wait_calls("chat.postMessage")
        await slack.wait_for(lambda: len(slack.responses) == 1)
        assert (await slack.wait_ack(ok)).latency < 1.0
        await slack.wait_ack(bad)
    assert posts[0].args["channel"] == "C0009"
    assert posts[0].args["text"] == "*Paris*: sunny for 2 day(s)"
    usage = slack.responses[0]
    assert usage["response_type"] == "ephemeral"
    assert "Usage: /weather &lt;city&gt; [days=1]" in usage["text"]
    assert "soon" in usage["text"]


async def test_a_rate_limited_reply_waits_retry_after_and_is_delivered(slack: FakeSlack) -> None:
    slack.fail_next(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, **{"Retry-After": "1"}
    )
    async with slack_bot(adapter_for(slack, "socket")):
        event = message_event("!weather Oslo")
        await slack.send_envelope("events_api", slack.event_body(event))
        posts = await slack.wait_calls("chat.postMessage", 2)
    limited, delivered = posts
    assert delivered.args["text"] == "*Oslo*: sunny for 1 day(s)"
    assert delivered.at - limited.at >= 1.0  # it waited Retry-After


async def test_the_bot_answers_again_after_the_socket_is_dropped(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        await slack.drop_connection()
        await slack.wait_for(lambda: slack.connections == 2)
        event = message_event("!weather Oslo")
        await slack.send_envelope("events_api", slack.event_body(event))
        await slack.wait_calls("chat.postMessage")
    # The SDK asked for a fresh URL to reconnect to.
    assert len(slack.calls_of("apps.connections.open")) == 2


# --- HTTP mode -------------------------------------------------------------------------------


async def post(
    adapter: SlackAdapter, body: str, content_type: str, headers: dict[str, str]
) -> tuple[int, str, float]:
    """POST to the adapter's /slack/events; (status, body, seconds to the response)."""
    assert adapter.web is not None
    url = f"http://127.0.0.1:{adapter.web.port}/slack/events"
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers={"Content-Type": content_type, **headers}) as resp,
    ):
        return resp.status, await resp.text(), time.monotonic() - started


async def post_event(adapter: SlackAdapter, body: dict[str, Any], **headers: str) -> int:
    text = json.dumps(body)
    status, _, _ = await post(adapter, text, "application/json", sign(text) | headers)
    return status


async def test_http_mode_event_and_retry_header(slack: FakeSlack) -> None:
    adapter = adapter_for(slack, "http")
    async with slack_bot(adapter):
        body = slack.event_body(message_event(f"<@{BOT_USER}> weather Oslo", kind="app_mention"))
        assert await post_event(adapter, body) == 200
        # Slack's retry of the same event: acknowledged, not handled again.
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert await post_event(adapter, body, **retry) == 200
        posts = await slack.wait_calls("chat.postMessage")
        await asyncio.sleep(0.2)
    assert len(slack.calls_of("chat.postMessage")) == 1
    assert posts[0].args["text"] == "*Oslo*: sunny for 1 day(s)"


async def test_http_mode_url_verification_and_healthz(slack: FakeSlack) -> None:
    adapter = adapter_for(slack, "http")
    async with slack_bot(adapter):
        challenge = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
        status, text, _ = await post(adapter, challenge, "application/json", sign(challenge))
        assert status == 200 and "c-123" in text
        assert adapter.web is not None
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{adapter.web.port}/healthz") as resp,
        ):
            assert resp.status == 200


async def test_http_mode_rejects_bad_and_stale_signatures(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = adapter_for(slack, "http")
    async with slack_bot(adapter):
        body = json.dumps(slack.event_body(message_event("!weather SECRET-BODY")))
        forged = sign(body, secret="not-the-secret")
        stale = sign(body, timestamp=int(time.time()) - 6 * 60)
        assert (await post(adapter, body, "application/json", forged))[0] == 401
        assert (await post(adapter, body, "application/json", stale))[0] == 401
        assert (await post(adapter, body, "application/json", {}))[0] == 401
        await asyncio.sleep(0.2)
    assert not slack.calls_of("chat.postMessage")
    rejected = [r.getMessage() for r in caplog.records if "rejected a request" in r.getMessage()]
    assert len(rejected) == 3
    assert "bad signature" in rejected[0] and "stale timestamp" in rejected[1]
    assert not any("SECRET-BODY" in r.getMessage() for r in caplog.records)


async def test_http_mode_slash_command_and_ephemeral_usage(slack: FakeSlack) -> None:
    adapter = adapter_for(slack, "http")
    async with slack_bot(adapter):
        command = form(slack.command_body("/weather", "Quito", channel="D0042"))
        status, _, _ = await post(
            adapter, command, "application/x-www-form-urlencoded", sign(command)
        )
        assert status == 200
        bad = form(slack.command_body("/weather", ""))
        await post(adapter, bad, "application/x-www-form-urlencoded", sign(bad))
        posts = await slack.wait_calls("chat.postMessage")
        await slack.wait_for(lambda: len(slack.responses) == 1)
    assert posts[0].args["channel"] == "D0042"
    assert posts[0].args["text"] == "*Quito*: sunny for 1 day(s)"
    assert slack.responses[0]["response_type"] == "ephemeral"
    assert "Usage: /weather" in slack.responses[0]["text"]


# --- Acks under a slow handler, both modes at once ---------------------------------------------


async def test_acks_are_immediate_while_a_handler_takes_5_seconds(slack: FakeSlack) -> None:
    socket, http = adapter_for(slack, "socket"), adapter_for(slack, "http")
    async with slack_bot(socket, http):
        eid = await slack.send_envelope(
            "slash_commands", slack.command_body("/slow", "5", channel="C0005")
        )
        command = form(slack.command_body("/slow", "5", channel="C0006"))
        status, _, http_ack = await post(
            http, command, "application/x-www-form-urlencoded", sign(command)
        )
        socket_ack = (await slack.wait_ack(eid)).latency
        assert not slack.calls_of("chat.postMessage")  # the handlers are still sleeping
        posts = await slack.wait_calls("chat.postMessage", 2, timeout=15)
    assert status == 200
    # Slack allows 3 s; acks take milliseconds. 1 s is generous on a loaded machine.
    assert socket_ack < 1.0, socket_ack
    assert http_ack < 1.0, http_ack
    assert {c.args["channel"] for c in posts} == {"C0005", "C0006"}
    print(f"ack latency: socket {socket_ack * 1000:.1f} ms, http {http_ack * 1000:.1f} ms")


async def test_a_port_in_use_is_a_config_error_naming_port(slack: FakeSlack) -> None:
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    adapter = adapter_for(slack, "http")
    web = WebSettings(host="127.0.0.1", port=port)
    runtime = Runtime(Settings(storage_url="memory://"), registry_of(), [adapter], web=web)
    try:
        with pytest.raises(ConfigError) as caught:
            await runtime.run()
    finally:
        blocker.close()
        await blocker.wait_closed()
    assert caught.value.variable == "PORT"
    assert f"cannot listen on 127.0.0.1:{port}" in caught.value.problem


async def test_slack_unreachable_at_start_is_tried_again_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.adapters.slack.adapter import SlackAdapter
    from bot.adapters.slack.settings import SlackSettings
    from bot.config import read_settings

    port = free_port()
    environ = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
    }
    adapter = SlackAdapter(read_settings(SlackSettings, environ), retry_first=0.05)
    later = FakeSlack(port=port)
    ready = asyncio.Event()
    runtime = Runtime(
        Settings(storage_url="memory://"), registry_of(ready_plugin(ready, 1)), [adapter]
    )
    task = asyncio.create_task(runtime.run())
    try:
        await until_logged(caplog, "cannot reach it")
        assert not ready.is_set()
        async with later:
            await asyncio.wait_for(ready.wait(), 10)
            runtime.request_stop()
            assert await asyncio.wait_for(task, 20) == 0
    finally:
        if not task.done():
            task.cancel()
    tries = [r.getMessage() for r in caplog.records if "cannot reach it" in r.getMessage()]
    assert tries and tries[0].startswith("slack: auth.test at ")
    assert BOT_TOKEN not in caplog.text
