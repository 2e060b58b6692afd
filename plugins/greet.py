from typing import Literal

from bot import Context, Plugin

plugin = Plugin("greet", help="Greetings in a few languages")
HELLO = {"en": "Hello", "fr": "Bonjour", "no": "Hei"}


@plugin.command(aliases=["hi"], help="Greet someone: greet <name> [en|fr|no]")
async def greet(ctx: Context, name: str, lang: Literal["en", "fr", "no"] = "en") -> None:
    await ctx.reply(f"{HELLO[lang]}, **{name}**!")


@plugin.on_message(r"(?i)\bthanks?\b")
async def thanks(ctx: Context) -> None:
    await ctx.react("🙏")
