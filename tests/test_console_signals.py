"""The console stops cleanly on Ctrl-C and SIGTERM, on a terminal (a real pty) and on a
pipe held open: exit 0, never the interpreter's abort from a reader thread."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT


def read_until(fd: int, text: bytes, limit: float = 20.0) -> bytes:
    """What ``fd`` gave until ``text`` showed up (blocking: these are sync tests)."""
    seen = b""
    deadline = time.monotonic() + limit
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} in {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the pty closed: the child is gone
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_ctrl_c_on_a_terminal_exits_0(bot_env: dict[str, str]) -> None:
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"], stdin=child, stdout=child, stderr=child,
        cwd=ROOT, env=bot_env, start_new_session=True,
    )  # fmt: skip
    os.close(child)
    try:
        read_until(main, b"is listening")
        os.write(main, b"!ping\r")
        read_until(main, b"pong")
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest = read_until(main, b"stopped")
        assert proc.wait(20) == 0, rest
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert b"Fatal Python error" not in rest


def test_sigterm_with_a_pipe_held_open_exits_0(bot_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=ROOT, env=bot_env,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"!ping\n")
        proc.stdin.flush()
        read_until(proc.stdout.fileno(), b"pong")
        proc.send_signal(signal.SIGTERM)  # the pipe stays open: no EOF to end on
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    assert b"Fatal Python error" not in err


def test_a_last_line_without_a_newline_is_still_read(bot_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot"], input=b"!echo first\n!echo last", capture_output=True,
        cwd=ROOT, env=bot_env, timeout=30, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().splitlines() == ["first", "last"]


def chat_on_a_terminal(env: dict[str, str], line: bytes, until: bytes) -> bytes:
    """What the bot shows on a real pty after ``line`` was typed, up to ``until``."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"], stdin=child, stdout=child, stderr=subprocess.DEVNULL,
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(child)
    try:
        read_until(main, b"is listening")
        os.write(main, line)
        return read_until(main, until)
    finally:
        proc.kill()
        proc.wait(10)
        os.close(main)


def test_a_terminal_shows_markdown_styled_unless_no_color_is_set(bot_env: dict[str, str]) -> None:
    styled = chat_on_a_terminal(bot_env, b"!help\r", b"details.")
    assert b"\x1b[1mCommands\x1b[22m" in styled and b"**" not in styled
    plain = chat_on_a_terminal(bot_env | {"NO_COLOR": "1"}, b"!help\r", b"details.")
    assert b"Commands" in plain and b"\x1b[1m" not in plain and b"**" not in plain
