"""``python -m bot check`` fails, in one line and with exit 2, on everything that would
keep the bot from running or make it run broken; and the shipped plugins load from
any working directory."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_PLUGINS
from tests.fakes.discord import BOT_ID, FakeDiscord, make_token
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack


def check(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "check"], capture_output=True, text=True, env=env,
        cwd=cwd, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def one_line(proc: subprocess.CompletedProcess[str], *, logged: bool = False) -> str:
    """The last line; nothing logged before it unless ``logged`` (a plugin's import
    error is logged with its traceback, as at run time)."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert logged or "Traceback" not in proc.stderr
    return proc.stderr.strip().splitlines()[-1]


def test_every_shipped_plugin_loads_with_the_working_directory_elsewhere(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    # bot_env's BOT_PLUGINS_DIR links to the checkout's shipped plugins, by absolute path.
    proc = check(bot_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ok: {len(SHIPPED_PLUGINS) + 1} plugins, adapters: console"


def test_a_missing_plugins_directory_names_the_setting_and_the_resolved_path(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    del bot_env["BOT_PLUGINS_DIR"]  # the default: ./plugins, here none or our own
    line = one_line(check(bot_env, tmp_path))  # the default "plugins" is not here
    assert line == (
        f"botloop: configuration error: BOT_PLUGINS_DIR: {tmp_path / 'plugins'} is not a "
        "directory (relative paths start at the working directory)"
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("STORAGE_URL", "nonsense://x", "STORAGE_URL: unsupported storage URL 'nonsense://x'"),
        ("STORAGE_URL", "sqlite:////proc/nope/bot.db", "STORAGE_URL: cannot open the SQLite store"),
        ("DATA_DIR", "/proc/nope", "DATA_DIR: cannot open the SQLite store"),
    ],
)
def test_a_store_that_cannot_open_fails_the_check(
    bot_env: dict[str, str], tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    del bot_env["BOT_PLUGINS_DIR"]  # the default: ./plugins, here none or our own
    (tmp_path / "plugins").mkdir()
    bot_env[variable] = value
    assert one_line(check(bot_env, tmp_path)).startswith(
        f"botloop: configuration error: {expected}"
    )


def test_a_plugin_that_fails_to_load_fails_the_check_by_default(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    del bot_env["BOT_PLUGINS_DIR"]  # the default: ./plugins, here none or our own
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "broken.py").write_text("raise RuntimeError('no API key')\n")
    assert one_line(check(bot_env, tmp_path), logged=True) == (
        "botloop: configuration error: plugin broken: failed to load: RuntimeError: no API key"
    )


def test_two_plugins_with_one_command_fail_the_check_naming_both(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    del bot_env["BOT_PLUGINS_DIR"]  # the default: ./plugins, here none or our own
    for name in ("alpha", "beta"):
        (tmp_path / "plugins").mkdir(exist_ok=True)
        (tmp_path / "plugins" / f"{name}.py").write_text(
            textwrap.dedent(f"""
            from bot import Context, Plugin

            plugin = Plugin("{name}")


            @plugin.command
            async def deploy(ctx: Context) -> None: ...
            """)
        )
    assert one_line(check(bot_env, tmp_path)) == (
        "botloop: configuration error: plugin beta: "
        "command 'deploy' is defined by plugins 'alpha' and 'beta'"
    )


def test_an_env_file_that_does_not_exist_fails(bot_env: dict[str, str], tmp_path: Path) -> None:
    del bot_env["BOT_PLUGINS_DIR"]  # the default: ./plugins, here none or our own
    (tmp_path / "plugins").mkdir()
    line = one_line(check(bot_env, tmp_path, "--env-file", "prod.env"))
    assert line == (
        f"botloop: configuration error: --env-file: {tmp_path / 'prod.env'} does not exist"
    )


def test_sqlite_on_a_dynos_throwaway_disk_is_warned_about(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    bot_env["DYNO"] = "web.1"
    proc = check(bot_env, tmp_path)
    assert proc.returncode == 0, proc.stderr  # a warning, not a failure
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("botloop: warning: DATA_DIR: the SQLite store is on this dyno's disk")
    )
    bot_env["STORAGE_URL"] = "memory://"
    assert "warning" not in check(bot_env, tmp_path).stderr


async def check_async(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """``bot check`` without blocking the loop the fakes run on."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", *args, cwd=cwd, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_check_online_asks_discord_and_slack_who_the_bot_is(
    bot_env: dict[str, str], tmp_path: Path, fake: FakeDiscord
) -> None:
    async with FakeSlack() as slack:
        bot_env |= fake.environ() | {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.api_url,
        }  # fmt: skip
        code, out, err = await check_async(bot_env, tmp_path, "--online")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == f"discord: as botloop (id {BOT_ID})"
    assert lines[1].startswith("slack: as botloop (id ")
    assert lines[2] == f"ok: {len(SHIPPED_PLUGINS) + 1} plugins, adapters: discord, slack"
    assert fake.token not in out + err and BOT_TOKEN not in out + err


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_check_online_reports_a_rejected_token_in_one_line(
    bot_env: dict[str, str], tmp_path: Path, fake: FakeDiscord, platform: str
) -> None:
    async with FakeSlack() as slack:
        if platform == "discord":
            bot_env |= fake.environ(DISCORD_TOKEN=make_token(123456789))
            line = "DISCORD_TOKEN: rejected by Discord (401 Unauthorized)"
        else:
            bot_env |= {"SLACK_BOT_TOKEN": "xoxb-0000-not-the-bot", "SLACK_APP_TOKEN": APP_TOKEN}
            bot_env["SLACK_API_URL"] = slack.api_url
            line = "SLACK_BOT_TOKEN: rejected by Slack (invalid_auth)"
        offline, _, _ = await check_async(bot_env, tmp_path)
        code, _, err = await check_async(bot_env, tmp_path, "--online")
    assert offline == 0  # the token is well formed: only the platform can say no
    assert code == 2
    assert err.strip().splitlines()[-1] == f"botloop: configuration error: {line}"
    assert "Traceback" not in err


def test_a_web_port_in_use_fails_the_check(bot_env: dict[str, str], tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot_env |= {"PORT": str(port), "BOT_HOST": "127.0.0.1"}
        line = one_line(check(bot_env, tmp_path))
    assert line.startswith(f"botloop: configuration error: PORT: cannot listen on 127.0.0.1:{port}")


def test_an_unreachable_redis_fails_the_check_naming_storage_url(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    from tests.helpers import free_port

    bot_env["STORAGE_URL"] = f"redis://:s3cretpass@127.0.0.1:{free_port()}/0"  # nobody there
    line = one_line(check(bot_env, tmp_path))
    assert line.startswith("botloop: configuration error: STORAGE_URL: cannot reach Redis")
    assert "s3cretpass" not in line
