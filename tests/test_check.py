"""``python -m bot check`` fails, in one line and with exit 2, on everything that would
keep the bot from running or make it run broken; and the shipped plugins load from
any working directory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SHIPPED_PLUGINS


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
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "botloop: warning: DATA_DIR: the SQLite store is on this dyno's disk"
    )
    bot_env["STORAGE_URL"] = "memory://"
    assert "warning" not in check(bot_env, tmp_path).stderr
