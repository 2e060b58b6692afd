"""The built-in ``help`` command, generated from the registry."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from bot.core.registry import Registry
from bot.errors import UserError
from bot.plugin import Context, Plugin

QUOTED = 40  # at most this much of what a user typed is echoed back


def unknown_command(name: str, known: Iterable[str], prefix: str) -> str:
    """The answer to a command nobody has: a close match if there is one, and help.

    The same words for ``!nosuch`` and ``!help nosuch``; a long name is cut, so a
    5,000-character message is not echoed back whole.
    """
    close = difflib.get_close_matches(name[:QUOTED], list(known), n=1)
    hint = f" Did you mean `{prefix}{close[0]}`?" if close else ""
    shown = name.replace("`", "'")
    shown = shown if len(shown) <= QUOTED else shown[: QUOTED - 1] + "…"
    return f"I don't know `{shown}`.{hint} Try `{prefix}help`."


def help_plugin(registry: Registry) -> Plugin:
    """A plugin whose one command lists the registry's commands, or explains one."""
    plugin = Plugin("help", help="Lists the commands")

    @plugin.command(help="List the commands, or show how to use one: help [command]")
    async def help(ctx: Context, command: str | None = None) -> None:
        prefix = ctx.prefix
        if command is None:
            lines = ["**Commands**"]
            for info in registry.infos():
                summary = f" — {info.summary}" if info.summary else ""
                lines.append(f"`{prefix}{info.name}`{summary}")
            lines.append(f"Type `{prefix}help <command>` for details.")
            await ctx.reply("\n".join(lines))
            return
        name = command.removeprefix(prefix).lower()
        route = registry.commands.get(name)
        if route is None:
            raise UserError(unknown_command(name, registry.commands, prefix))
        info = route.info
        lines = [f"Usage: `{info.usage(prefix)}`"]
        if info.aliases:
            lines.append("Aliases: " + ", ".join(f"`{a}`" for a in info.aliases))
        if info.help:
            lines.append(info.help.strip())
        await ctx.reply("\n".join(lines))

    return plugin
