"""The console adapter through a real Runtime: piped input in, replies printed out."""

from __future__ import annotations

import io
import re

from bot import Card, Context, Field, Plugin
from bot.adapters.console import ConsoleAdapter
from bot.config import Settings
from bot.core import Runtime
from tests.helpers import registry_of


def chatter() -> Plugin:
    plugin = Plugin("chat")

    @plugin.command
    async def echo(ctx: Context, *, text: str) -> None:
        await ctx.reply(text)

    @plugin.command
    async def weather(ctx: Context) -> None:
        await ctx.reply(
            Card(
                title="Oslo",
                description="Clear sky\nLight wind",
                fields=(Field("Temp", "3 °C"), Field("Wind", "2 m/s")),
                footer="met.no",
            )
        )

    @plugin.command
    async def both(ctx: Context) -> None:
        await ctx.reply("Here:", card=Card(title="T"))

    return plugin


async def chat(stdin: bytes, *, interactive: bool = False, bot_name: str = "botloop") -> str:
    """Run the bot on ``stdin`` until it ends; everything it printed."""
    out = io.StringIO()
    adapter = ConsoleAdapter(
        bot_name=bot_name, stdin=io.BytesIO(stdin), stdout=out, interactive=interactive
    )
    runtime = Runtime(Settings(storage_url="memory://"), registry_of(chatter()), [adapter])
    assert await runtime.run() == 0
    return out.getvalue()


async def test_replies_are_printed_in_input_order() -> None:
    out = await chat(b"!echo one\necho two\n\n  !echo three  \n")
    assert out.splitlines() == ["one", "two", "three"]


async def test_every_line_is_a_direct_message() -> None:
    out = await chat(b"ehco hi\n")
    assert "Did you mean !echo?" in out


async def test_run_returns_only_after_every_reply_is_printed() -> None:
    lines = b"".join(f"!echo {n}\n".encode() for n in range(50))
    out = await chat(lines)
    assert out.splitlines() == [str(n) for n in range(50)]


async def test_card_renders_as_an_indented_block() -> None:
    out = await chat(b"!weather\n")
    assert out.splitlines() == [
        "│ Oslo",
        "│ Clear sky",
        "│ Light wind",
        "│ Temp: 3 °C",
        "│ Wind: 2 m/s",
        "│ — met.no",
    ]


async def test_text_comes_before_the_card() -> None:
    out = await chat(b"!both\n")
    assert out.splitlines() == ["Here:", "│ T"]


async def test_non_interactive_output_has_no_bot_name() -> None:
    out = await chat(b"!echo hi\n", bot_name="rob")
    assert "rob" not in out


async def test_interactive_replies_are_prefixed_with_the_bot_name() -> None:
    out = await chat(b"!echo one\n!echo two\n", interactive=True, bot_name="rob")
    assert "rob is listening" in out
    assert re.findall(r"rob: (.*)", out) == ["one", "two"]


def test_markdown_is_plain_text_off_a_terminal_and_ansi_styles_on_one() -> None:
    from bot.adapters.console import terminal_text

    text = "**bold** and *it* and `co*de*` and [docs](https://x.test)\n```py\nx = **1**\n```"
    assert terminal_text(text, styled=False) == (
        "bold and it and co*de* and docs <https://x.test>\nx = **1**"
    )
    assert terminal_text(text, styled=True) == (
        "\x1b[1mbold\x1b[22m and \x1b[3mit\x1b[23m and \x1b[36mco*de*\x1b[39m"
        " and docs <https://x.test>\nx = **1**"
    )
