"""`python -m bot` with Slack settings, as an operator runs it, against the fake Slack."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack, message_event
from tests.yaml_lite import parse_yaml


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip


async def wait_for_line(proc: asyncio.subprocess.Process, needle: str) -> None:
    assert proc.stderr is not None
    async with asyncio.timeout(20):
        while needle not in (line := (await proc.stderr.readline()).decode()):
            assert line, f"the bot exited before logging {needle!r}"


async def test_a_rejected_bot_token_exits_2_with_one_line(bot_env: dict[str, str]) -> None:
    async with FakeSlack() as slack:
        bot_env |= {
            "SLACK_BOT_TOKEN": "xoxb-revoked-long-ago",
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.api_url,
        }
        proc = await start(bot_env)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert (
        lines[-1]
        == "botloop: configuration error: SLACK_BOT_TOKEN: rejected by Slack (invalid_auth)"
    )
    assert "Traceback" not in err.decode() and "revoked-long-ago" not in err.decode()
    assert [c.method for c in slack.calls] == ["auth.test"]


async def test_a_rejected_app_token_names_slack_app_token(bot_env: dict[str, str]) -> None:
    async with FakeSlack() as slack:
        bot_env |= {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": "xapp-1-wrong",
            "SLACK_API_URL": slack.api_url,
        }
        proc = await start(bot_env)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines()[-1] == (
        "botloop: configuration error: SLACK_APP_TOKEN: rejected by Slack (invalid_auth)"
    )


async def test_the_bot_answers_in_socket_mode_and_stops_on_sigterm(
    bot_env: dict[str, str],
) -> None:
    async with FakeSlack() as slack:
        bot_env |= {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.api_url,
        }
        proc = await start(bot_env)
        try:
            await wait_for_line(proc, "connected in Socket Mode")
            await slack.send_envelope("events_api", slack.event_body(message_event("!ping")))
            posts = await slack.wait_calls("chat.postMessage")
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert posts[0].args["text"].startswith("pong (")
    assert BOT_TOKEN not in err.decode() and APP_TOKEN not in err.decode()


def test_slack_manifest_lists_every_command_and_parses(bot_env: dict[str, str]) -> None:
    def manifest(*args: str) -> dict[str, Any]:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "slack-manifest", *args], capture_output=True,
            text=True, env=bot_env, cwd=ROOT, timeout=30, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return parse_yaml(proc.stdout)

    socket = manifest()
    assert socket["display_information"]["description"] == "A chat bot built with botloop"
    commands = [c["command"] for c in socket["features"]["slash_commands"]]
    # the shipped plugins and the built-in help (kept on purpose: the same help on
    # every platform), in order
    assert {"/echo", "/help", "/ping", "/weather"} <= set(commands)
    assert commands == sorted(commands)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in socket["features"]["slash_commands"][0]
    events = socket["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_mention", "message.im", "reaction_added", "member_joined_channel"} <= set(events)
    scopes = socket["oauth_config"]["scopes"]["bot"]
    assert {"chat:write", "commands", "reactions:write", "im:history"} <= set(scopes)

    http = manifest("--url", "https://bot.example.com")
    endpoint = "https://bot.example.com/slack/events"
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["event_subscriptions"]["request_url"] == endpoint
    assert {c["url"] for c in http["features"]["slash_commands"]} == {endpoint}
    by_name = {c["command"]: c for c in http["features"]["slash_commands"]}
    assert by_name["/help"]["usage_hint"] == "[command]"
