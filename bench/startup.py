"""Scenario 5: start-up to the first reply of a piped ``!ping`` on the console, peak
RSS, import time of ``bot``; and proof that the platform extras, installed but not
configured, are never imported.

Floor: a Python process that imports aiohttp, reads one stdin line and prints a reply.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.checks import BenchError, expect
from bench.sizes import Size
from bench.table import Figures, Goal, Row

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = {"full": 3, "quick": 2, "tiny": 1}
EXTRAS = ("discord", "slack_bolt", "slack_sdk")
# Reads to the end of input before exiting, as the bot does, so both can be weighed alive.
FLOOR = "import sys, aiohttp; sys.stdin.readline(); print('pong', flush=True); sys.stdin.read()"
BOT = ("-m", "bot", "--env-file", os.devnull)  # no .env: nothing but the console configured

ROWS = (
    Row("start → 1st reply", "ms", "start", "floor_start", Goal("<=", 2.5)),
    Row("peak RSS", "MB", "rss", "floor_rss", Goal("<=", 1.6)),
    Row("import bot vs import aiohttp", "ms", "import_bot", "import_aiohttp"),
    Row("extras' modules imported", "", "extras_imported", None, Goal("==", 0, on="value")),
    Row("import of the extras (avoided)", "ms", "import_extras"),
)


def environment() -> dict[str, str]:
    """The child's environment: no proxies, no bot settings, no platform configured."""
    drop = ("BOT_", "LOG_", "DISCORD_", "SLACK_", "HTTP_PROXY", "HTTPS_PROXY", "http_", "https_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PYTHONUNBUFFERED"] = "1"
    # The default SQLite store opens as in production, but not in the checkout's ./data.
    env["DATA_DIR"] = os.path.join(tempfile.gettempdir(), "botloop-bench-data")
    return env


@dataclass(frozen=True)
class Child:
    """One child's time to its reply, its peak RSS up to then, and its stderr."""

    reply_ms: float
    rss_mb: float
    stderr: str


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process. Not ru_maxrss: Linux carries that across fork and
    exec, so a child would report this (bigger) process's peak."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise BenchError(f"no VmHWM in /proc/{pid}/status")


def run_child(args: tuple[str, ...], text: str = "!ping\n", *, timeout: float = 60) -> Child:
    """Start ``python *args``, pipe ``text`` in, and time the first stdout line with
    "pong". Input ends only after that reply, so the child is still alive to be
    weighed; then it must exit 0."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=environment(),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    errors: list[bytes] = []
    stderr = proc.stderr  # read on a thread: a full stderr pipe would stall the child
    drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    drain.start()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        proc.stdin.write(text.encode())
        proc.stdin.flush()
        reply_at = None
        for line in proc.stdout:
            if b"pong" in line:
                reply_at = time.perf_counter()
                break
        rss = peak_rss_mb(proc.pid) if reply_at is not None else 0.0
        proc.stdin.close()
        proc.stdout.read()
        proc.wait(timeout)
        drain.join(timeout)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()
    logged = b"".join(errors).decode(errors="replace")
    expect(proc.returncode == 0, f"{args}: exit {proc.returncode}: {logged[-500:]}")
    expect(reply_at is not None, f"{args}: no pong on stdout")
    assert reply_at is not None
    return Child((reply_at - start) * 1000, rss, logged)


def imported(stderr: str) -> dict[str, float]:
    """``-X importtime`` output: cumulative milliseconds per imported module."""
    found = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.removeprefix("import time:").split("|")
            if cumulative.strip().isdigit():
                found[name.strip()] = int(cumulative) / 1000
    return found


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` alone, in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    expect(proc.returncode == 0, f"import {module} failed: {proc.stderr[-500:]}")
    return imported(proc.stderr)[module]


def extras_imported() -> list[str]:
    """The extras' modules a piped ``python -m bot`` imports (there should be none)."""
    child = run_child(("-X", "importtime", *BOT))
    modules = imported(child.stderr)
    expect("bot.cli" in modules, "-X importtime reported nothing: the check would prove nothing")
    return sorted(m for m in modules if m.split(".")[0] in EXTRAS)


def measure(size: Size) -> Figures:
    missing = [m for m in EXTRAS if importlib.util.find_spec(m) is None]
    expect(not missing, f"install the extras first (make setup): {missing} missing")
    run_child(BOT)  # warm the bytecode caches of both before measuring
    run_child(("-c", FLOOR))
    got: dict[str, list[float]] = {}
    for _ in range(ROUNDS[size]):
        bot, floor = run_child(BOT), run_child(("-c", FLOOR))
        for key, value in {
            "start": bot.reply_ms,
            "rss": bot.rss_mb,
            "floor_start": floor.reply_ms,
            "floor_rss": floor.rss_mb,
            "import_bot": import_ms("bot"),
            "import_aiohttp": import_ms("aiohttp"),
        }.items():
            got.setdefault(key, []).append(value)
    figures = {k: statistics.median(v) for k, v in got.items()}
    figures["extras_imported"] = len(extras_imported())
    figures["import_extras"] = sum(import_ms(m) for m in EXTRAS)
    return figures
