"""The runtime's web server: /healthz and /readyz in every adapter mix, plugin
webhooks behind their own boundary, and bad requests that leave it serving."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from bot import Context, Plugin, WebRequest, WebResponse
from bot.config import Settings
from bot.core import Runtime
from bot.testing import Harness
from bot.web import WebSettings
from tests.conftest import ROOT
from tests.fakes.discord import FakeDiscord
from tests.helpers import free_port, registry_of, until_logged


async def get(port: int, path: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"http://127.0.0.1:{port}{path}") as resp,
    ):
        text = await resp.text()
        return resp.status, json.loads(text) if resp.content_type == "application/json" else text


async def until(port: int, path: str, status: int, limit: float = 15.0) -> Any:
    """GET ``path`` until it answers ``status``; its body."""
    async with asyncio.timeout(limit):
        while True:
            try:
                with_status, body = await get(port, path)
            except aiohttp.ClientConnectionError:
                with_status, body = 0, None  # not listening yet
            if with_status == status:
                return body
            await asyncio.sleep(0.05)


async def test_a_console_only_bot_with_port_set_answers_healthz_and_readyz(
    bot_env: dict[str, str],
) -> None:
    port = free_port()
    bot_env |= {"PORT": str(port), "BOT_HOST": "127.0.0.1", "BOT_ADAPTERS": "console"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=bot_env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert await until(port, "/readyz", 200) == {"ready": True}
        assert await get(port, "/healthz") == (200, "ok")
        assert proc.stdin is not None
        proc.stdin.write(b"!help\n")
        proc.stdin.close()  # end of input: the bot answers, drains and exits 0
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith("Commands\n!echo — ")  # piped: plain text
    assert f"web server listening on http://127.0.0.1:{port}" in err.decode()


async def test_no_port_and_nothing_to_serve_starts_no_server() -> None:
    async with Harness() as bot:
        assert bot.runtime.web is None


@asynccontextmanager
async def discord_runtime(fake: FakeDiscord, **environ: str) -> AsyncIterator[Runtime]:
    """A Runtime whose one adapter is Discord, pointed at ``fake``, serving on loopback."""
    import discord

    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.adapters.discord.settings import DiscordSettings

    settings = DiscordSettings.from_env(fake.environ(**environ))
    adapter = DiscordAdapter(settings, ready_timeout=0.05, retry_first=0.05)
    web = WebSettings(host="127.0.0.1", port=0)
    runtime = Runtime(Settings(storage_url="memory://"), registry_of(), [adapter], web=web)
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    task = asyncio.create_task(runtime.run())
    try:
        await fake.wait_requests("GET", "/users/@me")  # logged in over REST
        yield runtime
    finally:
        runtime.request_stop()
        try:
            assert await asyncio.wait_for(task, 20) == 0
        finally:
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


async def test_readyz_is_503_naming_discord_while_its_gateway_is_down(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"ws://127.0.0.1:{free_port()}/gateway"  # nothing listens there
    async with discord_runtime(fake, DISCORD_GATEWAY_URL=dead) as runtime:
        tries = await until_logged(caplog, "gateway at")  # failing, and trying again
        assert tries[0].startswith(f"discord: gateway at {dead}: cannot reach it")
        assert runtime.web is not None
        status, body = await get(runtime.web.port, "/readyz")
        assert (status, body) == (503, {"ready": False, "waiting": {"discord": "not connected"}})
        assert await get(runtime.web.port, "/healthz") == (200, "ok")


async def test_readyz_is_200_once_discord_is_connected_and_503_from_the_stop_request(
    fake: FakeDiscord,
) -> None:
    async with discord_runtime(fake) as runtime:
        assert runtime.web is not None
        port = runtime.web.port
        assert await until(port, "/readyz", 200) == {"ready": True}
        runtime.request_stop()
        status, body = await get(port, "/readyz")
        assert (status, body["waiting"]) == (503, {"runtime": "stopping"})


# --- Webhooks --------------------------------------------------------------------------------


def hooks() -> Plugin:
    plugin = Plugin("hooks")

    @plugin.webhook("/echo", methods=["POST", "PUT"])
    async def echo(ctx: Context, request: WebRequest) -> WebResponse:
        await ctx.send("test:general", f"{request.method} {len(request.body)} bytes")
        return WebResponse(201, json={"got": request.json(), "query": dict(request.query)})

    @plugin.webhook("/crash")
    async def crash(ctx: Context, request: WebRequest) -> None:
        raise RuntimeError("hook bug")

    @plugin.webhook("/slow", timeout=0.05)
    async def slow(ctx: Context, request: WebRequest) -> None:
        await asyncio.sleep(5)

    return plugin


async def test_a_webhook_is_served_under_its_plugin_and_posts_to_chat() -> None:
    async with Harness(hooks()) as bot:
        status, text = await bot.request("POST", "/hooks/hooks/echo?x=1", json={"a": [1, 2]})
        assert (status, json.loads(text)) == (201, {"got": {"a": [1, 2]}, "query": {"x": "1"}})
        assert (await bot.request("PUT", "/hooks/hooks/echo", json=None, body=b"3"))[0] == 201
        assert (await bot.request("GET", "/hooks/hooks/echo"))[0] == 405
        assert (await bot.request("POST", "/hooks/other/echo"))[0] == 404
    assert [s.text for s in bot.sent] == ["POST 13 bytes", "PUT 1 bytes"]


async def test_a_failing_webhook_answers_500_and_the_server_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Harness(hooks()) as bot:
        assert await bot.request("POST", "/hooks/hooks/crash") == (500, "internal error")
        assert await bot.request("POST", "/hooks/hooks/slow") == (504, "timed out")
        assert (await bot.request("POST", "/hooks/hooks/echo", json=1))[0] == 201
    [error] = [r for r in caplog.records if "hook bug" in r.getMessage()]
    assert error.exc_info is not None and "hooks.crash failed" in error.getMessage()


async def test_a_body_over_the_limit_is_refused_with_413_before_the_handler() -> None:
    async with Harness(hooks()) as bot:
        big = b"x" * ((1 << 20) + 1)
        assert (await bot.request("POST", "/hooks/hooks/echo", body=big))[0] == 413
        assert (await bot.request("POST", "/hooks/hooks/echo", json={"ok": 1}))[0] == 201
    assert [s.text for s in bot.sent] == ["POST 9 bytes"]


async def test_discord_unreachable_at_start_is_tried_again_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A network blip at deploy time: the login is retried (one line per try) while
    /readyz says not ready, and the bot connects once Discord answers."""
    import discord

    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.adapters.discord.settings import DiscordSettings

    port = free_port()
    later = FakeDiscord(port=port)  # not started yet: nothing listens on its port
    environ = {
        "DISCORD_TOKEN": later.token,
        "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
    }
    adapter = DiscordAdapter(
        DiscordSettings.from_env(environ), ready_timeout=0.05, retry_first=0.05
    )
    web = WebSettings(host="127.0.0.1", port=0)
    runtime = Runtime(Settings(storage_url="memory://"), registry_of(), [adapter], web=web)
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    task = asyncio.create_task(runtime.run())
    try:
        await until_logged(caplog, "cannot reach it")
        assert runtime.web is not None
        assert (await get(runtime.web.port, "/readyz"))[0] == 503
        async with later:
            await later.wait_session()
            assert await until(runtime.web.port, "/readyz", 200) == {"ready": True}
            runtime.request_stop()
            assert await asyncio.wait_for(task, 20) == 0
    finally:
        if not task.done():
            task.cancel()
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    [first, *_] = [r.getMessage() for r in caplog.records if "cannot reach it" in r.getMessage()]
    assert first.startswith(
        f"discord: logging in at http://127.0.0.1:{port}/api/v10: cannot reach it"
    )
    assert later.token not in caplog.text


async def test_a_rejected_token_is_not_tried_again(fake: FakeDiscord) -> None:
    from bot.adapters.discord.adapter import DiscordAdapter
    from bot.adapters.discord.settings import DiscordSettings
    from bot.errors import ConfigError
    from tests.fakes.discord import make_token

    environ = fake.environ(DISCORD_TOKEN=make_token(123456789))
    adapter = DiscordAdapter(DiscordSettings.from_env(environ), retry_first=0.05)
    runtime = Runtime(Settings(storage_url="memory://"), registry_of(), [adapter])
    with pytest.raises(ConfigError, match="rejected by Discord"):
        await asyncio.wait_for(runtime.run(), 20)
    assert len(fake.requests_to("GET", "/users/@me")) == 1


async def test_metrics_count_events_outcomes_and_durations_per_route() -> None:
    plugin = Plugin("m")

    @plugin.command
    async def ok(ctx: Context) -> None:
        await ctx.reply("fine")

    @plugin.command
    async def bad(ctx: Context) -> None:
        raise RuntimeError("no")

    web = WebSettings(host="127.0.0.1", port=0)
    async with Harness(plugin, hooks(), web=web) as bot:
        await bot.say("!ok")
        await bot.say("!ok")
        await bot.say("!bad")
        await bot.say("!ok extra")  # a usage line: refused
        await bot.request("POST", "/hooks/hooks/echo", json={})
        assert bot.runtime.web is not None
        status, text = await get(bot.runtime.web.port, "/metrics")
    assert status == 200
    lines = text.splitlines()
    assert 'botloop_events_total{platform="test",kind="message"} 4' in lines
    assert 'botloop_events_total{platform="test",kind="bot_ready"} 1' in lines
    for labels, count in [
        ('plugin="m",route="!ok",outcome="ok"', 2),
        ('plugin="m",route="!bad",outcome="error"', 1),
        ('plugin="m",route="!ok",outcome="refused"', 1),
        ('plugin="hooks",route="hooks.echo",outcome="ok"', 1),
    ]:
        assert f"botloop_handler_runs_total{{{labels}}} {count}" in lines
    assert 'botloop_handler_seconds_count{plugin="m",route="!ok"} 3' in lines
    assert 'botloop_handler_seconds_bucket{plugin="m",route="!ok",le="+Inf"} 3' in lines
    assert 'botloop_adapter_ready{platform="test"} 1' in lines
    assert "# TYPE botloop_handler_seconds histogram" in lines


def test_bot_web_port_wins_over_port_and_3000_is_only_for_a_server_that_is_needed() -> None:
    from bot.config import read_settings

    both = read_settings(WebSettings, {"PORT": "8080", "BOT_WEB_PORT": "9090"})
    assert (both.listen_port(needed=False), both.port_variable) == (9090, "BOT_WEB_PORT")
    only_port = read_settings(WebSettings, {"PORT": "8080"})
    assert (only_port.listen_port(needed=False), only_port.port_variable) == (8080, "PORT")
    unset = read_settings(WebSettings, {})
    assert unset.listen_port(needed=False) is None
    assert unset.listen_port(needed=True) == 3000
