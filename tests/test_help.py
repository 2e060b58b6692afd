"""The built-in ``help`` command, generated from the registry."""

from __future__ import annotations

from bot import Context, Plugin
from tests.helpers import running


def tools() -> Plugin:
    plugin = Plugin("tools")

    @plugin.command(aliases=["w", "forecast"])
    async def weather(ctx: Context, city: str, days: int = 1) -> None:
        """Current conditions for a city.

        Asks the forecast service; days counts from today.
        """

    @plugin.command(help="Repeat the text back")
    async def echo(ctx: Context, *, text: str) -> None: ...

    @plugin.command
    async def bare(ctx: Context) -> None: ...

    return plugin


async def test_help_lists_every_command_sorted_with_its_summary() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help")
        sent = await adapter.wait_for(1)
    lines = sent[0].text.splitlines()
    assert lines[1:-1] == [
        "`!bare`",
        "`!echo` — Repeat the text back",
        "`!help` — List the commands, or show how to use one: help [command]",
        "`!weather` — Current conditions for a city.",
    ]
    assert "`!help <command>`" in lines[-1]


async def test_help_lists_aliases_once_under_the_command() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help")
        sent = await adapter.wait_for(1)
    assert "`!w`" not in sent[0].text
    assert sent[0].text.count("!weather") == 1


async def test_help_for_a_command_shows_usage_aliases_and_full_help() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help weather")
        sent = await adapter.wait_for(1)
    assert sent[0].text.splitlines() == [
        "Usage: `!weather <city> [days=1]`",
        "Aliases: `w`, `forecast`",
        "Current conditions for a city.",
        "",
        "Asks the forecast service; days counts from today.",
    ]


async def test_help_for_a_command_accepts_an_alias_with_the_prefix() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help !W")
        sent = await adapter.wait_for(1)
    assert sent[0].text.startswith("Usage: `!weather <city> [days=1]`")


async def test_help_for_a_rest_of_line_command_marks_it_greedy() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help echo")
        sent = await adapter.wait_for(1)
    assert sent[0].text.splitlines() == ["Usage: `!echo <text…>`", "Repeat the text back"]


async def test_help_uses_the_configured_prefix() -> None:
    async with running(tools(), prefix="?") as (adapter, _):
        adapter.say("?help")
        adapter.say("?help bare")
        sent = await adapter.wait_for(2)
    assert "`?weather`" in sent[0].text
    assert "`!" not in sent[0].text
    assert sent[1].text == "Usage: `?bare`"


async def test_help_for_an_unknown_command_suggests_a_close_match() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help wether")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "I don't know `wether`. Did you mean `!weather`? Try `!help`."


async def test_help_for_an_unknown_command_without_a_close_match() -> None:
    async with running(tools()) as (adapter, _):
        adapter.say("!help nope")
        sent = await adapter.wait_for(1)
    assert sent[0].text == "I don't know `nope`. Try `!help`."  # as for `!nope` itself
