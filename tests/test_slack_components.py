"""Buttons, selects, modals and conversations on Slack, end to end: the real slack-bolt and
slack_sdk against the fake Slack, with ``block_actions`` and ``view_submission`` payloads
over Socket Mode (``interactive`` envelopes) and HTTP mode (signed, form-encoded ``payload``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import pytest

from bot import Context, Plugin
from bot.adapters.slack.adapter import SlackAdapter
from bot.config import Settings
from bot.core import Runtime
from bot.model import Button, Form, Select, TextInput
from tests.fakes.slack import (
    FakeSlack,
    adapter_for,
    block_actions_body,
    loopback_web,
    message_event,
    sign,
    view_submission_body,
)
from tests.helpers import ready_plugin, registry_of
from tests.test_slack_adapter import post


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def deploy() -> Plugin:
    plugin = Plugin("deploy")

    @plugin.command(help="Deploy somewhere")
    async def ship(ctx: Context) -> None:
        buttons = [Button("Staging", "go", "staging"), Button("Prod", "go", "prod", "danger")]
        await ctx.reply("Deploy where?", buttons=buttons)

    @plugin.on_action("go")
    async def go(ctx: Context, value: str) -> None:
        await ctx.update(f"Deploying *{value}*…")

    @plugin.command(help="Pick a region")
    async def region(ctx: Context) -> None:
        await ctx.reply("Region?", components=[[Select("where", ["eu", "us"])]])

    @plugin.on_action("where")
    async def where(ctx: Context, values: list[str]) -> None:
        await ctx.reply(f"region {values[0]}", ephemeral=True)

    @plugin.command(help="Report a bug")
    async def bug(ctx: Context) -> None:
        fields = [TextInput("title", "Title", max_length=20), TextInput("body", "Details")]
        answers = await ctx.form(Form("Report a bug", fields), timeout=10)
        await ctx.reply(f"filed: {answers}" if answers else "no report")

    @plugin.command(help="Choose")
    async def env(ctx: Context) -> None:
        picked = await ctx.choose("Which environment?", ["staging", "prod"], timeout=10)
        await ctx.reply(f"chose {picked}")

    return plugin


@asynccontextmanager
async def slack_bot(adapter: SlackAdapter) -> AsyncIterator[None]:
    ready = asyncio.Event()
    registry = registry_of(deploy(), ready_plugin(ready, 1))
    runtime = Runtime(Settings(storage_url="memory://"), registry, [adapter], web=loopback_web())
    task = asyncio.create_task(runtime.run())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield
    finally:
        runtime.request_stop()
        assert await asyncio.wait_for(task, 30) == 0


async def say(slack: FakeSlack, text: str, count: int) -> Any:
    await slack.send_envelope("events_api", slack.event_body(message_event(text)))
    return (await slack.wait_calls("chat.postMessage", count))[count - 1]


def blocks_of(call: Any) -> list[dict[str, Any]]:
    blocks = call.args["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def test_buttons_render_as_an_actions_block_and_a_click_updates_the_message(
    slack: FakeSlack,
) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        posted = await say(slack, "!ship", 1)
        actions = blocks_of(posted)[-1]
        assert actions["type"] == "actions"
        assert [
            (e["text"]["text"], e["action_id"], e.get("style")) for e in actions["elements"]
        ] == [
            ("Staging", "botloop:deploy:go:staging", None),
            ("Prod", "botloop:deploy:go:prod", "danger"),
        ]
        body = block_actions_body(slack, posted, "botloop:deploy:go:prod")
        eid = await slack.send_envelope("interactive", body)
        assert (await slack.wait_ack(eid)).latency < 1.0
        (update,) = await slack.wait_calls("chat.update")
    assert update.args["ts"] == body["container"]["message_ts"]
    assert update.args["channel"] == "C0001"
    assert update.args["text"] == "Deploying _prod_…"  # neutral *italic* in mrkdwn
    assert not [b for b in blocks_of(update) if b["type"] == "actions"]  # buttons gone


async def test_a_select_choice_answers_the_clicker_through_response_url(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        posted = await say(slack, "!region", 1)
        select = blocks_of(posted)[-1]["elements"][0]
        assert select["type"] == "static_select"
        assert [o["value"] for o in select["options"]] == ["eu", "us"]
        body = block_actions_body(slack, posted, select["action_id"], selected=["us"])
        await slack.send_envelope("interactive", body)
        await slack.wait_for(lambda: len(slack.responses) == 1)
    (answer,) = slack.responses
    assert answer == {"text": "region us", "response_type": "ephemeral", "replace_original": False}


async def test_an_unknown_action_is_told_expired_ephemerally(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        posted = await say(slack, "!ship", 1)
        body = block_actions_body(slack, posted, "botloop:deploy:gone:x")
        await slack.send_envelope("interactive", body)
        await slack.wait_for(lambda: len(slack.responses) == 1)
    assert slack.responses[0]["text"] == "This button has expired."
    assert slack.responses[0]["response_type"] == "ephemeral"
    assert "Traceback" not in caplog.text


async def test_a_form_opens_a_modal_and_a_too_long_field_is_refused_in_it(
    slack: FakeSlack,
) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        await slack.send_envelope("slash_commands", slack.command_body("/bug", ""))
        (opened,) = await slack.wait_calls("views.open")
        view = opened.args["view"]
        assert view["type"] == "modal" and view["title"]["text"] == "Report a bug"
        assert [(b["block_id"], b["element"]["max_length"]) for b in view["blocks"]] == [
            ("title", 20),
            ("body", 3000),
        ]
        long = view_submission_body(slack, opened, {"title": "x" * 25, "body": "boom"})
        eid = await slack.send_envelope("interactive", long)
        ack = await slack.wait_ack(eid)
        assert ack.payload["response_action"] == "errors"
        assert "title" in ack.payload["errors"] and "body" not in ack.payload["errors"]
        ok = view_submission_body(slack, opened, {"title": "Crash", "body": "boom"})
        eid = await slack.send_envelope("interactive", ok)
        assert not (await slack.wait_ack(eid)).payload  # an empty ack closes the modal
        (posted,) = await slack.wait_calls("chat.postMessage")
    assert posted.args["text"] == "filed: {'title': 'Crash', 'body': 'boom'}"


async def test_choose_refuses_another_user_and_takes_the_askers_click(slack: FakeSlack) -> None:
    async with slack_bot(adapter_for(slack, "socket")):
        posted = await say(slack, "!env", 1)
        prod = blocks_of(posted)[-1]["elements"][1]["action_id"]
        await slack.send_envelope(
            "interactive", block_actions_body(slack, posted, prod, user="U0002")
        )
        await slack.wait_for(lambda: len(slack.responses) == 1)
        body = block_actions_body(slack, posted, prod)
        await slack.send_envelope("interactive", body)
        (update,) = await slack.wait_calls("chat.update")
        chose = await slack.wait_calls("chat.postMessage", 2)
    assert slack.responses[0]["text"] == "This isn't yours to answer."
    assert update.args["text"].startswith("Which environment?")
    shown = blocks_of(update)
    assert not [b for b in shown if b["type"] == "actions"]  # no button left to click
    assert shown[-1]["type"] == "context" and "*prod*" in shown[-1]["elements"][0]["text"]
    assert chose[-1].args["text"] == "chose prod"


async def test_http_mode_takes_a_signed_form_encoded_click(slack: FakeSlack) -> None:
    adapter = adapter_for(slack, "http")
    async with slack_bot(adapter):
        event = json.dumps(slack.event_body(message_event("!ship")))
        await post(adapter, event, "application/json", sign(event))
        (posted,) = await slack.wait_calls("chat.postMessage")
        payload = block_actions_body(slack, posted, "botloop:deploy:go:staging")
        body = urlencode({"payload": json.dumps(payload)})
        forged = await post(
            adapter, body, "application/x-www-form-urlencoded", sign(body, secret="no")
        )
        assert forged[0] == 401
        status, _, took = await post(adapter, body, "application/x-www-form-urlencoded", sign(body))
        assert status == 200 and took < 1.0
        (update,) = await slack.wait_calls("chat.update")
    assert update.args["text"] == "Deploying _staging_…"


async def test_http_mode_form_errors_come_back_in_the_response_body(slack: FakeSlack) -> None:
    adapter = adapter_for(slack, "http")
    async with slack_bot(adapter):
        command = urlencode(slack.command_body("/bug", ""))
        await post(adapter, command, "application/x-www-form-urlencoded", sign(command))
        (opened,) = await slack.wait_calls("views.open")
        long = view_submission_body(slack, opened, {"title": "x" * 21, "body": "b"})
        body = urlencode({"payload": json.dumps(long)})
        status, text, _ = await post(adapter, body, "application/x-www-form-urlencoded", sign(body))
        assert status == 200
        answer = json.loads(text)
        assert answer["response_action"] == "errors"
        assert answer["errors"] == {"title": "At most 20 characters, please (21 now)."}
        missing = view_submission_body(slack, opened, {"title": "Crash"})
        body = urlencode({"payload": json.dumps(missing)})
        status, text, _ = await post(adapter, body, "application/x-www-form-urlencoded", sign(body))
        assert json.loads(text)["errors"] == {"body": "Please fill this in."}
        ok = view_submission_body(slack, opened, {"title": "Crash", "body": "boom"})
        body = urlencode({"payload": json.dumps(ok)})
        status, text, _ = await post(adapter, body, "application/x-www-form-urlencoded", sign(body))
        assert (status, text) == (200, "")
        (posted,) = await slack.wait_calls("chat.postMessage")
    assert posted.args["text"] == "filed: {'title': 'Crash', 'body': 'boom'}"
