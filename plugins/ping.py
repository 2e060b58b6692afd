"""ping: is the bot alive, and how long does dispatch take?"""

import time

from bot import Context, Plugin

plugin = Plugin("ping", help="Liveness check")


@plugin.command(help="Answer pong, with the time from receiving the message to this reply")
async def ping(ctx: Context) -> None:
    latency_ms = (time.monotonic() - ctx.message.received_at) * 1000
    await ctx.reply(f"pong ({latency_ms:.1f} ms)")
