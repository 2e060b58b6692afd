from bot import Context, Plugin
from tests.helpers import running


async def test_prefix_command_replies() -> None:
    plugin = Plugin("t")

    @plugin.command
    async def hi(ctx: Context, name: str) -> None:
        await ctx.reply(f"hi {name}")

    async with running(plugin) as (adapter, _):
        adapter.say("!hi bob")
        sent = await adapter.wait_for(1)
    assert [s.text for s in sent] == ["hi bob"]
