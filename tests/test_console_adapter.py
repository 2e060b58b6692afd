"""The console adapter through a real Runtime: piped input in, replies printed out."""

from __future__ import annotations

import asyncio
import io
import os
import re

from blockbuster import BlockBuster

from bot import Card, Context, Field, Plugin
from bot.adapters.console import ConsoleAdapter
from bot.config import Settings
from bot.core import Runtime
from bot.model import Button, Form, TextInput
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


class Watched(io.StringIO):
    """Console output that can be awaited: ``await out.written()`` returns after a write."""

    def __init__(self) -> None:
        super().__init__()
        self._event = asyncio.Event()

    def write(self, text: str) -> int:
        self._event.set()
        return super().write(text)

    async def written(self) -> None:
        await self._event.wait()
        self._event.clear()


def buttons() -> Plugin:
    plugin = Plugin("ship")

    @plugin.command
    async def deploy(ctx: Context) -> None:
        await ctx.reply("Where?", buttons=[Button("staging", "go", "s"), Button("prod", "go", "p")])

    @plugin.on_action("go")
    async def go(ctx: Context, value: str) -> None:
        await ctx.update(f"Deploying {value}")

    @plugin.command
    async def report(ctx: Context) -> None:
        fields = [TextInput("title", "Title", max_length=5)]
        await ctx.reply(f"got {await ctx.form(Form('Bug', fields))}")

    return plugin


async def test_buttons_are_numbered_and_typing_a_number_clicks(blockbuster: BlockBuster) -> None:
    """A real pipe held open: each line is typed only once the bot has answered the last."""
    # The adapter reads the pipe only when the loop reports it readable: no wait.
    blockbuster.functions["os.read"].deactivate()
    read_fd, write_fd = os.pipe()
    out = Watched()
    stdin = os.fdopen(read_fd, "rb")
    adapter = ConsoleAdapter(stdin=stdin, stdout=out, interactive=False)
    runtime = Runtime(Settings(storage_url="memory://"), registry_of(buttons()), [adapter])
    task = asyncio.create_task(runtime.run())

    async def typed(line: str, expect: str) -> None:
        await asyncio.to_thread(os.write, write_fd, line.encode() + b"\n")
        try:
            async with asyncio.timeout(10):
                while expect not in out.getvalue():
                    await out.written()
        except TimeoutError:
            raise AssertionError(
                f"{expect!r} not shown after {line!r}:\n{out.getvalue()}"
            ) from None

    try:
        await typed("!deploy", "[2] prod")
        assert out.getvalue().splitlines()[-1] == "[1] staging  [2] prod"
        await typed("2", "Deploying p")
        await typed("!report", "Bug** · Title?".replace("**", ""))
        await typed("toolong", "at most 5")
        await typed("short", "got {'title': 'short'}")
        await typed("2", "I don't know 2")  # no buttons shown any more: just text
    finally:
        os.close(write_fd)
        try:
            assert await asyncio.wait_for(task, 10) == 0
        finally:
            stdin.close()
