"""echo: repeat the text back, exactly as written."""

from bot import Context, Plugin

plugin = Plugin("echo", help="Repeats what you say")


@plugin.command(help="Repeat the text back: echo <text>")
async def echo(ctx: Context, *, text: str) -> None:
    await ctx.reply(text)
