"""The real process: `python -m bot` as an operator and a shell script run it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHIPPED_PLUGINS

SLOW_PLUGIN = """
import asyncio
from bot import Context, Plugin

plugin = Plugin("slow")

@plugin.command
async def slow(ctx: Context, seconds: float) -> None:
    ctx.log.info("slow handler started")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        ctx.log.warning("slow handler cancelled")
        raise
    await ctx.reply(f"slept {seconds:g}")

@plugin.command
async def boom(ctx: Context) -> None:
    raise RuntimeError("kaboom")
"""


def run_bot(
    env: dict[str, str], stdin: str, *args: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=ROOT, timeout=timeout, check=False,
    )  # fmt: skip


def write_plugin(directory: Path, name: str, source: str) -> None:
    """A plugin module from an indented source literal."""
    (directory / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    (tmp_path / "slow.py").write_text(SLOW_PLUGIN)
    return tmp_path


def test_piped_console_prints_replies_and_exits_0(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "!help\n!ping\n!echo  hello   there\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "!ping — " in out and "!echo — " in out and "!help — " in out
    assert "pong (" in out and " ms)" in out
    assert "hello   there" in out
    # replies come in input order when each finishes before the next line matters
    assert out.index("Commands") < out.index("pong")


def test_bad_setting_exits_2_with_one_line_naming_it(bot_env: dict[str, str]) -> None:
    bot_env["BOT_MAX_CONCURRENCY"] = "lots"
    proc = run_bot(bot_env, "!ping\n")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "BOT_MAX_CONCURRENCY" in lines[0] and "whole number" in lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_bad_plugin_setting_exits_2_naming_the_variable(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    write_plugin(
        tmp_path,
        "needy",
        """
            from dataclasses import dataclass
            from bot import Plugin

            @dataclass
            class Config:
                api_key: str
                retries: int = 3

            plugin = Plugin("needy", config=Config)
            """,
    )
    bot_env |= {"BOT_PLUGINS_DIR": str(tmp_path), "NEEDY_API_KEY": "k", "NEEDY_RETRIES": "x"}
    proc = run_bot(bot_env, "!ping\n")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "botloop: configuration error: NEEDY_RETRIES: must be a whole number, got 'x'"
    )
    assert "Traceback" not in proc.stderr


def test_missing_plugins_directory_is_reported(bot_env: dict[str, str], tmp_path: Path) -> None:
    bot_env["BOT_PLUGINS_DIR"] = str(tmp_path / "nope")
    proc = run_bot(bot_env, "!help\n")
    assert proc.returncode == 0
    assert "plugins directory" in proc.stderr
    assert "does not exist" in proc.stderr
    assert "!help" in proc.stdout  # the built-in help still answers


def test_env_file_is_read_and_environment_wins(bot_env: dict[str, str], tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_PREFIX=?\nLOG_FORMAT=xml\n")
    bot_env["LOG_FORMAT"] = "json"
    proc = run_bot(bot_env, "?ping\n", "--env-file", str(env_file))
    assert proc.returncode == 0, proc.stderr
    assert "pong" in proc.stdout


def test_crashing_plugin_apologises_logs_and_keeps_answering(
    bot_env: dict[str, str], plugin_dir: Path
) -> None:
    bot_env["BOT_PLUGINS_DIR"] = str(plugin_dir)
    proc = run_bot(bot_env, "!boom\n!slow 0\n")
    assert proc.returncode == 0
    assert "Sorry, !boom failed" in proc.stdout
    assert "slept 0" in proc.stdout
    lines = proc.stderr.splitlines()
    [at] = [i for i, line in enumerate(lines) if "!boom failed: RuntimeError: kaboom" in line]
    assert "plugin=slow" in lines[at]  # the record's line, tagged
    assert lines[at + 1] == "Traceback (most recent call last):"  # then its traceback
    assert "RuntimeError: kaboom" in lines[at + 2 :]


def test_sigterm_lets_inflight_handler_finish_and_exits_0(
    bot_env: dict[str, str], plugin_dir: Path
) -> None:
    bot_env["BOT_PLUGINS_DIR"] = str(plugin_dir)
    with start_bot(bot_env) as proc:
        send_line(proc, "!slow 1")
        wait_for_line(proc, "slow handler started")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "slept 1" in out
    assert "stopping" in err


def test_sigterm_cancels_handlers_past_the_grace_period(
    bot_env: dict[str, str], plugin_dir: Path
) -> None:
    bot_env |= {"BOT_PLUGINS_DIR": str(plugin_dir), "BOT_SHUTDOWN_GRACE": "0.5"}
    with start_bot(bot_env) as proc:
        send_line(proc, "!slow 60")
        wait_for_line(proc, "slow handler started")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 10  # grace 0.5 s, far under the 60 s handler
    assert "slow handler cancelled" in err
    assert "slept" not in out


def start_bot(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True,
    )  # fmt: skip


def send_line(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 20) -> None:
    """Read stderr until a line containing ``needle`` (the bot logs there)."""
    assert proc.stderr
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if needle in line:
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"never saw {needle!r}; stderr so far: {''.join(seen)}")


def test_broken_plugin_is_reported_and_others_load(bot_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(SLOW_PLUGIN)
    (tmp_path / "broken.py").write_text("import no_such_module_anywhere\n")
    bot_env["BOT_PLUGINS_DIR"] = str(tmp_path)
    proc = run_bot(bot_env, "!slow 0\n")
    assert proc.returncode == 0
    assert "slept 0" in proc.stdout
    assert "plugin broken failed to load" in proc.stderr
    assert "no_such_module_anywhere" in proc.stderr


def test_strict_makes_a_broken_plugin_fatal(bot_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise ValueError('bad plugin')\n")
    bot_env["BOT_PLUGINS_DIR"] = str(tmp_path)
    proc = run_bot(bot_env, "!ping\n", "--strict")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "botloop: plugin broken failed to load: ValueError: bad plugin"
    )


def test_json_logs_are_one_object_per_line(bot_env: dict[str, str]) -> None:
    bot_env["LOG_FORMAT"] = "json"
    proc = run_bot(bot_env, "!ping\n")
    assert proc.returncode == 0
    records = [json.loads(line) for line in proc.stderr.splitlines()]
    assert any(r["msg"].startswith("botloop ready") for r in records)
    assert all({"ts", "level", "logger", "msg"} <= r.keys() for r in records)


def test_debug_mode_logs_each_dispatch_with_duration(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "!ping\n", "--debug")
    assert proc.returncode == 0
    lines = [line for line in proc.stderr.splitlines() if "!ping → ping.ping in" in line]
    assert lines and "DEBUG" in lines[0] and " ms" in lines[0], proc.stderr


def test_debug_mode_reports_never_awaited_coroutines(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    write_plugin(
        tmp_path,
        "sloppy",
        """
            import asyncio
            from bot import Context, Plugin

            plugin = Plugin("sloppy")

            @plugin.command
            async def sloppy(ctx: Context) -> None:
                asyncio.sleep(0)  # forgot the await
                await ctx.reply("done")
            """,
    )
    bot_env |= {"BOT_PLUGINS_DIR": str(tmp_path), "BOT_DEBUG": "1"}
    proc = run_bot(bot_env, "!sloppy\n")
    assert proc.returncode == 0
    assert "done" in proc.stdout
    assert "was never awaited" in proc.stderr


def test_debug_mode_reports_callbacks_that_block_the_loop(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    write_plugin(
        tmp_path,
        "blocker",
        """
            import time
            from bot import Context, Plugin

            plugin = Plugin("blocker")

            @plugin.command
            async def block(ctx: Context) -> None:
                time.sleep(0.3)  # blocks the loop: debug mode must say so
                await ctx.reply("unblocked")
            """,
    )
    bot_env |= {"BOT_PLUGINS_DIR": str(tmp_path), "BOT_SLOW_CALLBACK_MS": "100"}
    proc = run_bot(bot_env, "!block\n", "--debug")
    assert proc.returncode == 0
    assert "unblocked" in proc.stdout
    slow = [line for line in proc.stderr.splitlines() if "asyncio" in line and "took" in line]
    assert slow, proc.stderr
    assert "name='!block'" in slow[0]  # the task is named after the command


def test_check_validates_without_running(bot_env: dict[str, str]) -> None:
    proc = run_bot(bot_env, "", "check")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"ok: {len(SHIPPED_PLUGINS) + 1} plugins")  # and help


def test_console_script_is_installed(bot_env: dict[str, str]) -> None:
    script = Path(sys.executable).parent / "bot"
    assert script.exists()
    proc = subprocess.run(
        [str(script), "check"], capture_output=True, text=True, cwd=ROOT, timeout=30,
        check=False, env=bot_env,  # check opens the store: in a temporary DATA_DIR
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_interactive_terminal_shows_a_prompt_and_answers(bot_env: dict[str, str]) -> None:
    """A real pseudo-terminal: what a person sees with `make run`."""
    import os
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: become the bot
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "bot"], bot_env)
    try:
        seen = read_until(fd, "> ", select)
        assert "is listening" in seen
        os.write(fd, b"!echo hi there\n")
        seen = read_until(fd, "botloop: hi there", select)
        os.write(fd, b"\x04")  # Ctrl-D: end of input
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(fd)


def read_until(fd: int, needle: str, select: object, timeout: float = 20) -> str:
    import os

    buf = ""
    deadline = time.monotonic() + timeout
    while needle not in buf and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)  # type: ignore[attr-defined]
        if ready:
            buf += os.read(fd, 4096).decode(errors="replace")
    assert needle in buf, buf
    return buf


def test_secret_looking_settings_are_redacted_even_when_their_adapter_is_not_running(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    token = "xoxb-1111-2222-notrunninghere"
    bot_env |= {
        "BOT_ADAPTERS": "console",
        "SLACK_BOT_TOKEN": token,
        "STORAGE_URL": "nosuch://:hunter22pw@db.internal/0",
        "BOT_PLUGINS_DIR": str(tmp_path),
    }
    write_plugin(
        tmp_path,
        "leaky",
        """
        import os

        from bot import Context, Plugin

        plugin = Plugin("leaky")


        @plugin.command
        async def leak(ctx: Context) -> None:
            raise RuntimeError(f"GET https://api.example/?token={os.environ['SLACK_BOT_TOKEN']}")
        """,
    )
    bot_env["STORAGE_URL"] = "memory://"
    proc = run_bot(bot_env, "!leak\n")
    assert proc.returncode == 0, proc.stderr
    assert "token=***" in proc.stderr
    assert token not in proc.stderr + proc.stdout
    bot_env["STORAGE_URL"] = "nosuch://:hunter22pw@db.internal/0"
    proc = run_bot(bot_env, "", "check")
    assert proc.returncode == 2 and "hunter22pw" not in proc.stderr


def test_check_says_one_plugin_not_one_plugins(bot_env: dict[str, str], tmp_path: Path) -> None:
    bot_env["BOT_PLUGINS_DIR"] = str(tmp_path)  # no plugins: the built-in help alone
    proc = run_bot(bot_env, "", "check")
    assert proc.stdout.strip() == "ok: 1 plugin, adapters: console"


def test_the_start_up_line_shows_where_relative_paths_landed(
    bot_env: dict[str, str], tmp_path: Path
) -> None:
    bot_env["DATA_DIR"] = "state"  # relative: to the working directory
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input="", capture_output=True, text=True, env=bot_env,
        cwd=tmp_path, timeout=30, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (
        f"plugins from {bot_env['BOT_PLUGINS_DIR']}, store sqlite:///{tmp_path}/state/botloop.db"
        f" (working directory {tmp_path})"
    ) in proc.stderr
