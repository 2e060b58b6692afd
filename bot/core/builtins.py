"""The built-in ``help`` command, generated from the registry."""

from __future__ import annotations

import difflib

from bot.core.registry import Registry
from bot.errors import UserError
from bot.plugin import Context, Plugin


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
            close = difflib.get_close_matches(name, list(registry.commands), n=1)
            hint = f" Did you mean `{prefix}help {close[0]}`?" if close else ""
            raise UserError(f"No command `{name}`.{hint}")
        info = route.info
        lines = [f"Usage: `{info.usage(prefix)}`"]
        if info.aliases:
            lines.append("Aliases: " + ", ".join(f"`{a}`" for a in info.aliases))
        if info.help:
            lines.append(info.help.strip())
        await ctx.reply("\n".join(lines))

    return plugin
