"""Adapters and stores are found by entry point: a throwaway distribution on the
path provides both, and ``python -m bot`` runs with them; unknown names answer one
line listing the known ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

ADAPTER = '''
import asyncio, sys

from bot.model import BotReady, ChannelRef, Message, MessageRef, User

CHANNEL = ChannelRef("echo", "room")


class EchoAdapter:
    """Says each line of ECHO_SCRIPT to the bot, prints what the bot answers."""

    platform = "echo"
    can_edit = False

    def __init__(self, lines):
        self.lines = lines
        self.is_ready = False

    def attach(self, host):
        self.host = host

    async def run(self, sink):
        self.is_ready = True
        sink(BotReady("echo", User("bot", "bot", is_bot=True)))
        for i, line in enumerate(self.lines):
            await asyncio.gather(*sink(Message("echo", CHANNEL, User("u", "u"), line, str(i))))

    async def send(self, channel, reply, *, reply_to=None):
        print(f"echo> {reply.text}", flush=True)
        return MessageRef(channel, "1")

    async def edit(self, ref, reply):
        return await self.send(ref.channel, reply)

    async def react(self, message, emoji):
        pass

    def typing(self, channel):
        raise NotImplementedError

    async def close(self):
        pass


class Factory:
    def configured(self, environ):
        return bool(environ.get("ECHO_SCRIPT"))

    def build(self, args):
        return EchoAdapter(args.environ["ECHO_SCRIPT"].split(";"))


factory = Factory()
'''

STORE = """
from bot.storage import MemoryStore

OPENED = []


async def open_url(url, *, variable, clock, name):
    print(f"kv store opened for {url}", flush=True)
    return MemoryStore(clock=clock)
"""

PLUGIN = """
from bot import Context, Plugin

plugin = Plugin("tally")


@plugin.command
async def tally(ctx: Context) -> None:
    n = await ctx.store.get("n", 0) + 1
    await ctx.store.set("n", n)
    await ctx.reply(f"tally {n}")
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A distribution ``botloop-extras`` with an adapter ``echo`` and a store ``kv``."""
    site = tmp_path / "site"
    info = site / "botloop_extras-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: botloop-extras\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[botloop.adapters]\necho = extras_adapter:factory\n\n"
        "[botloop.stores]\nkv = extras_store:open_url\n"
    )
    (site / "extras_adapter.py").write_text(textwrap.dedent(ADAPTER))
    (site / "extras_store.py").write_text(textwrap.dedent(STORE))
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "tally.py").write_text(textwrap.dedent(PLUGIN))
    return site


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
        cwd=cwd, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_third_party_adapter_and_store_run_the_bot(site: Path, bot_env: dict[str, str]) -> None:
    bot_env["PYTHONPATH"] = f"{site}:{ROOT}"
    bot_env["BOT_PLUGINS_DIR"] = str(site.parent / "plugins")
    bot_env |= {"ECHO_SCRIPT": "!tally;!tally", "STORAGE_URL": "kv://anything"}
    proc = run(bot_env, site.parent)  # BOT_ADAPTERS=auto asks each factory
    assert proc.returncode == 0, proc.stderr
    assert (
        proc.stdout.splitlines()
        == [
            "kv store opened for kv://anything",
            "echo> tally 1",
            "echo> tally 2",
            "echo> I don't know `ping`. Try `!help`.",
        ][: len(proc.stdout.splitlines())]
        or proc.stdout
    )
    assert "adapters: echo" in proc.stderr


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "BOT_ADAPTERS",
            "matrix",
            "BOT_ADAPTERS: unknown adapter matrix; known: auto, console, discord, echo, slack, web",
        ),
        (
            "STORAGE_URL",
            "postgres://db/bot",
            "STORAGE_URL: unsupported storage URL 'postgres://db/bot'; "
            "known: kv://, memory://, redis://, rediss://, sqlite://",
        ),
    ],
)
def test_an_unknown_adapter_or_store_is_one_line_listing_the_known_ones(
    site: Path, bot_env: dict[str, str], variable: str, value: str, line: str
) -> None:
    bot_env["PYTHONPATH"] = f"{site}:{ROOT}"
    bot_env[variable] = value
    proc = run(bot_env, site.parent)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == f"botloop: configuration error: {line}"
    assert "Traceback" not in proc.stderr
