"""``python -m bot new-plugin NAME``: a plugin and its test, which passes as written."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from bot.errors import PluginError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

PLUGIN = '''\
"""{name}: say what it does in one line."""

from bot import Button, Context, Plugin

plugin = Plugin("{name}", help="Say what {name} does in one line")


@plugin.command(help="{name} [who] — greet someone (replace with what {name} does)")
async def {name}(ctx: Context, who: str = "world") -> None:
    await ctx.reply(f"Hello, {{who}}!", buttons=[Button("Wave back", "wave", who)])


@plugin.on_action("wave")
async def wave(ctx: Context, value: str) -> None:
    """A click on "Wave back": the message changes in place, on every platform."""
    await ctx.update(f"Hello, {{value}}! 👋")
'''

TEST = '''\
"""{name}, run offline through the real runtime by botloop's test harness."""

import pytest

from bot.testing import Harness
from plugins.{name} import plugin

pytestmark = pytest.mark.asyncio


async def test_{name}_greets() -> None:
    async with Harness(plugin) as bot:
        assert await bot.ask("!{name}") == "Hello, world!"
        assert await bot.ask("!{name} Ada") == "Hello, Ada!"


async def test_{name}_button_updates_the_message() -> None:
    async with Harness(plugin) as bot:
        await bot.say("!{name} Ada")
        (update,) = await bot.click("Wave back")
        assert update.text == "Hello, Ada! 👋"


async def test_{name}_answers_usage_on_extra_arguments() -> None:
    async with Harness(plugin) as bot:
        assert "Usage: !{name} [who=world]" in await bot.ask("!{name} a b")
'''


def write(name: str, plugins_dir: Path, tests_dir: Path) -> list[Path]:
    """Write the plugin and its test; refuse a bad name or an existing file."""
    if not _NAME.match(name) or keyword.iskeyword(name) or name == "help":
        raise PluginError(
            f"new-plugin: {name!r} is not a usable name: use lowercase letters, digits and _,"
            " starting with a letter (and not a Python keyword or 'help')"
        )
    targets = {plugins_dir / f"{name}.py": PLUGIN, tests_dir / f"test_{name}.py": TEST}
    for path in targets:
        if path.exists():
            raise PluginError(f"new-plugin: {path} already exists; not overwriting it")
    for path, template in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name))
    return list(targets)
