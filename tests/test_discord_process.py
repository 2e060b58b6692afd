"""`python -m bot` as an operator runs it with Discord settings: one-line errors for a
wrong token, no discord import when Discord is not configured, the invite URL."""

from __future__ import annotations

import asyncio
import signal
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT
from tests.fakes.discord import APP_ID, CHANNEL_ID, FakeDiscord, make_token
from tests.test_process import run_bot


async def run_bot_async(
    env: dict[str, str], *args: str, timeout: float = 30
) -> tuple[int, str, str]:
    """The bot as a child process, without blocking the loop the fake server runs on."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_a_token_discord_rejects_stops_with_exit_2_and_one_line(
    fake: FakeDiscord, bot_env: dict[str, str]
) -> None:
    bot_env |= fake.environ(DISCORD_TOKEN=make_token(123456789))  # well formed, not the bot's
    code, out, err = await run_bot_async(bot_env)
    assert code == 2, err
    assert out == ""
    assert err.strip().splitlines()[-1] == (
        "botloop: configuration error: DISCORD_TOKEN: rejected by Discord (401 Unauthorized)"
    )
    assert "Traceback" not in err
    assert make_token(123456789) not in err  # the token itself never shows
    assert fake.requests_to("GET", "/users/@me")  # it was Discord that said no


async def test_python_m_bot_answers_on_discord_and_stops_cleanly_on_sigterm(
    fake: FakeDiscord, bot_env: dict[str, str]
) -> None:
    bot_env |= fake.environ()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=bot_env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_session(timeout=20)
        await fake.say("!ping")
        (post,) = await fake.wait_requests("POST", rf"/channels/{CHANNEL_ID}/messages")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert post.json["content"].startswith("pong")
    assert "has connected to Gateway" in err.decode()
    assert fake.token not in err.decode()


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("not-a-token", "is malformed: a bot token is three dot-separated parts"),
        ("bm90IGFuIGlk.abc.def", "is malformed: its first part is not a base64 user id"),
    ],
)
def test_a_malformed_token_stops_before_connecting(
    bot_env: dict[str, str], token: str, problem: str
) -> None:
    bot_env["DISCORD_TOKEN"] = token
    proc = run_bot(bot_env, "")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"botloop: configuration error: DISCORD_TOKEN: {problem}"
    ]


def test_discord_chosen_without_a_token_names_the_variable(bot_env: dict[str, str]) -> None:
    bot_env |= {"BOT_ADAPTERS": "discord", "DISCORD_TOKEN": ""}
    proc = run_bot(bot_env, "")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "botloop: configuration error: DISCORD_TOKEN: "
        "is required for the discord adapter but not set"
    )


def test_check_with_a_token_builds_the_discord_adapter(bot_env: dict[str, str]) -> None:
    bot_env["DISCORD_TOKEN"] = make_token()
    proc = run_bot(bot_env, "", "check")
    assert proc.returncode == 0, proc.stderr
    assert "adapters: discord" in proc.stdout


def test_discord_invite_prints_the_url_with_scopes_and_permissions(
    bot_env: dict[str, str],
) -> None:
    bot_env["DISCORD_TOKEN"] = make_token()
    proc = run_bot(bot_env, "", "discord-invite")
    assert proc.returncode == 0, proc.stderr
    url = urlsplit(proc.stdout.strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    permissions = int(query["permissions"][0])
    for bit in (6, 10, 11, 14, 15, 16, 38):  # react, view, send, embed, attach, history, threads
        assert permissions & (1 << bit)
    assert not permissions & (1 << 3)  # never Administrator


def test_discord_invite_prefers_the_application_id_setting(bot_env: dict[str, str]) -> None:
    bot_env |= {"DISCORD_TOKEN": "", "DISCORD_APPLICATION_ID": "42"}
    proc = run_bot(bot_env, "", "discord-invite")
    assert proc.returncode == 0, proc.stderr
    assert "client_id=42&" in proc.stdout


def test_discord_invite_without_token_or_id_names_the_variable(bot_env: dict[str, str]) -> None:
    bot_env.pop("DISCORD_TOKEN", None)
    proc = run_bot(bot_env, "", "discord-invite")
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("botloop: configuration error: DISCORD_TOKEN: is needed")
    )
