"""The plugin the web chat tests drive, in-process and in the browser: text, a card, a
button that updates its message, a select, a form, an ephemeral reply, typing."""

from __future__ import annotations

import asyncio

from bot import Button, Card, Context, Field, Form, Plugin, ReactionAdded, Select, TextInput

plugin = Plugin("webtest", help="What the web chat tests drive")


@plugin.command
async def say(ctx: Context, *, text: str) -> None:
    """Repeat the text back, as the bot."""
    await ctx.reply(text)


@plugin.command
async def deploy(ctx: Context) -> None:
    """Buttons."""
    await ctx.reply(
        "Deploy **where**?",
        buttons=[Button("Staging", "go", "staging"), Button("Prod", "go", "prod", "danger")],
    )


@plugin.on_action("go")
async def go(ctx: Context, value: str) -> None:
    await ctx.update(f"Deploying {value}…")


@plugin.command
async def region(ctx: Context) -> None:
    """A select."""
    await ctx.reply("Region?", components=[[Select("where", ["eu", "us"])]])


@plugin.on_action("where")
async def where(ctx: Context, values: list[str]) -> None:
    await ctx.reply(f"region {values[0]}", ephemeral=True)


@plugin.command
async def bug(ctx: Context) -> None:
    """A form."""
    fields = [TextInput("title", "Title", max_length=20), TextInput("body", "What happened?")]
    answers = await ctx.form(Form("Report a bug", fields), timeout=30)
    await ctx.reply(f"filed: {answers['title']} / {answers['body']}" if answers else "no report")


@plugin.command
async def secret(ctx: Context) -> None:
    """Only the asker sees it."""
    await ctx.reply("just for you", ephemeral=True)


@plugin.command
async def card(ctx: Context) -> None:
    await ctx.reply(
        Card(title="Oslo", url="https://example.org/oslo", fields=(Field("Temp", "3 °C"),),
             footer="made up", colour=0x3E63DD)
    )  # fmt: skip


@plugin.command
async def slow(ctx: Context) -> None:
    async with ctx.typing():
        await asyncio.sleep(0.3)
    await ctx.reply("done")


@plugin.command
async def thumbs(ctx: Context) -> None:
    await ctx.react("👍")


@plugin.on_event("reaction_added")
async def noted(ctx: Context, event: ReactionAdded) -> None:
    await ctx.reply(f"{event.user.name} reacted {event.emoji} to {event.message_id}")
