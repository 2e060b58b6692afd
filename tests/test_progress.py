"""``ctx.progress``: one status message, edited at most once per interval, that
becomes the answer; a typing indicator where the platform cannot edit."""

from __future__ import annotations

import asyncio

from bot import Card, Context, Plugin, Reply
from bot.adapters.memory import MemoryAdapter
from bot.model import MessageRef
from tests.helpers import running


class TimedAdapter(MemoryAdapter):
    """The memory adapter, noting when each edit arrived."""

    def __init__(self, **options: bool) -> None:
        super().__init__(**options)
        self.edit_times: list[float] = []

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        self.edit_times.append(asyncio.get_running_loop().time())
        return await super().edit(ref, reply)


def checker(steps: int, pause: float, *, fail_at: int = -1, interval: float = 1.0) -> Plugin:
    """``!check``: ``steps`` lookups finishing ``pause`` s apart, counted by a progress."""
    plugin = Plugin("checker")

    async def lookup(i: int) -> int:
        await asyncio.sleep(pause * (i + 1))
        if i == fail_at:
            raise RuntimeError("lookup broke")
        return i

    @plugin.command
    async def check(ctx: Context) -> None:
        async with ctx.progress(steps, "Checking sites", interval=interval) as progress:
            if fail_at >= 0:
                for i in range(steps):
                    await progress.track(lookup(i))
            results = await ctx.gather(*(progress.track(lookup(i)) for i in range(steps)))
            await progress.finish(Card(title=f"{sum(r.unwrap() for r in results)} checked"))

    return plugin


async def test_the_status_counts_up_at_most_once_a_second_then_becomes_the_answer() -> None:
    adapter = TimedAdapter()
    async with running(checker(25, 0.1), adapter=adapter) as (bot, _):
        bot.say("!check")
        await bot.wait_for(1)
        await asyncio.sleep(3.2)
    status, *others = bot.sent
    assert status.text == "Checking sites… 0/25"
    assert others == []  # one message in all: the answer replaced the status
    *counts, (ref, answer) = bot.edits
    assert ref == status.ref
    assert answer.card == Card(title=f"{sum(range(25))} checked")
    # 2.5 s of results at one edit per second: two or three updates, never one per result.
    assert 2 <= len(counts) <= 3
    assert all(r == status.ref for r, _ in counts)
    shown = [int(reply.text.split("… ")[1].split("/")[0]) for _, reply in counts]
    assert shown == sorted(shown) and 0 < shown[0] < 25
    gaps = [b - a for a, b in zip(adapter.edit_times, adapter.edit_times[1:-1], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps


async def test_a_fast_fan_out_goes_straight_to_the_answer() -> None:
    async with running(checker(5, 0.001)) as (bot, _):
        bot.say("!check")
        await asyncio.sleep(0.3)
    assert [s.text for s in bot.sent] == ["Checking sites… 0/5"]
    assert [reply.card.title for _, reply in bot.edits if reply.card] == ["10 checked"]
    assert len(bot.edits) == 1  # within the first second: no count edit at all


async def test_a_failure_marks_the_status_stopped_and_the_user_gets_the_apology() -> None:
    async with running(checker(4, 0.01, fail_at=2)) as (bot, _):
        bot.say("!check")
        await bot.wait_for(2)
        await asyncio.sleep(0.1)
    status, apology = bot.sent
    assert "failed" in apology.text
    assert bot.edits[-1] == (status.ref, Reply("Checking sites… 3/4 (stopped)"))


async def test_a_handler_out_of_time_leaves_its_status_stopped_not_counting() -> None:
    plugin = Plugin("stuck")

    @plugin.command(timeout=0.3)
    async def stuck(ctx: Context) -> None:
        async with ctx.progress(3, "Working") as progress:
            progress.advance()  # an update is now waiting for its interval
            await asyncio.sleep(60)

    async with running(plugin) as (bot, _):
        bot.say("!stuck")
        await bot.wait_for(2)
    status, apology = bot.sent
    assert "took too long" in apology.text
    assert bot.edits == [(status.ref, Reply("Working… 1/3 (stopped)"))]


async def test_where_the_platform_cannot_edit_a_typing_indicator_shows_instead() -> None:
    adapter = MemoryAdapter(can_edit=False)
    async with running(checker(3, 0.01), adapter=adapter) as (bot, _):
        bot.say("!check")
        await bot.wait_for(1)
    assert adapter.typing_count == 1
    assert [s.reply.card for s in bot.sent] == [Card(title="3 checked")]
    assert bot.edits == []


async def test_an_ephemeral_answer_is_posted_apart_and_the_status_closed() -> None:
    plugin = Plugin("quiet")

    @plugin.command
    async def quiet(ctx: Context) -> None:
        async with ctx.progress(2, "Counting") as progress:
            progress.advance(2)
            await progress.finish("just for you", ephemeral=True)

    async with running(plugin) as (bot, _):
        bot.say("!quiet")
        await bot.wait_for(2)
    status, answer = bot.sent
    assert answer.reply == Reply("just for you", ephemeral=True)
    assert bot.edits == [(status.ref, Reply("Counting… 2/2 (done)"))]


async def test_shutdown_mid_progress_leaves_no_task_behind() -> None:
    async with running(checker(10, 1.0), shutdown_grace=0.2) as (bot, runtime):
        bot.say("!check")
        await bot.wait_for(1)
        await asyncio.sleep(0.05)
        runtime.request_stop()
    assert {t.get_name() for t in asyncio.all_tasks()} == {asyncio.current_task().get_name()}
