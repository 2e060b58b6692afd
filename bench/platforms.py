"""Scenario 6: the platform paths, through the real adapters against the tests' fakes.

Slack (bench/slack_acks.py): how long Slack waits for its ack while every handler
sleeps 5 s. Slack allows 3 s; the goal is a p99 under 50 ms, in both Socket Mode
and HTTP mode. Discord (bench/discord_rate.py): messages per second from a gateway
dispatch to the REST send, against discord.py alone and against no library at
all, and the share of the bot process's busy time spent in botloop, discord.py,
aiohttp and the asyncio loop.

The platform libraries are imported only when this scenario runs, so that the
other scenarios' workers stay as light as they were.
"""

from __future__ import annotations

from bench.sizes import Size
from bench.table import Figures, Goal, Row

ACKS = {"full": 200, "quick": 40, "tiny": 8}  # commands per Slack mode
NAP = {"full": 5.0, "quick": 5.0, "tiny": 0.2}  # the handlers' sleep: the issue's 5 s
MESSAGES = {"full": 4000, "quick": 400, "tiny": 40}  # per Discord client, in 4 turns
WARM_UP = {"full": 200, "quick": 100, "tiny": 10}  # per Discord client, not counted
PROFILED = {"full": 1000, "quick": 200, "tiny": 20}  # one more botloop burst, profiled

ROWS = (
    Row("Slack ack p50, Socket Mode, handlers asleep 5 s", "ms", "socket_p50", "socket_floor_p50"),
    Row("Slack ack p99, Socket Mode", "ms", "socket_p99", "socket_floor_p99",
        Goal("<=", 50, "value")),
    Row("Slack ack p50, HTTP mode (signed POST → 200)", "ms", "http_p50", "http_floor_p50"),
    Row("Slack ack p99, HTTP mode", "ms", "http_p99", "http_floor_p99", Goal("<=", 50, "value")),
    Row("Slack handlers asleep at the last ack", "", "asleep"),
    Row("Discord !ping→pong, 100 in flight, vs discord.py alone", "msg/s",
        "discord_rate", "dpy_rate"),
    Row("Discord !ping→pong vs raw aiohttp, no library", "msg/s", "discord_rate", "raw_rate"),
    Row("Discord busy CPU in botloop (bot/), profiled", "%", "share_botloop"),
    Row("Discord busy CPU in discord.py", "%", "share_discord"),
    Row("Discord busy CPU in aiohttp, yarl, multidict", "%", "share_aiohttp"),
    Row("Discord busy CPU in the asyncio loop", "%", "share_asyncio"),
    Row("Discord busy CPU elsewhere (bench, unattributed)", "%", "share_other"),
    Row("Discord bot process busy, of the profiled burst", "%", "busy"),
)  # fmt: skip


def measure(size: Size) -> Figures:
    from bench import discord_rate, slack_acks

    figures = slack_acks.measure(ACKS[size], NAP[size])
    return figures | discord_rate.measure(MESSAGES[size], WARM_UP[size], PROFILED[size])
