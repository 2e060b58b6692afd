"""bot.http.gather: every outcome kept, in order, with a concurrency limit and per-item timeouts."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine
from typing import Any

import pytest

from bot.http import Result, gather


async def value_after(value: int, delay: float = 0) -> int:
    await asyncio.sleep(delay)
    return value


async def fail(message: str) -> int:
    raise ValueError(message)


class Concurrency:
    """Counts lookups running at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def lookup(self, value: int, delay: float = 0.01) -> int:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(delay)
        finally:
            self.now -= 1
        return value


async def test_results_come_back_in_input_order() -> None:
    results = await gather(value_after(1, 0.03), value_after(2, 0), value_after(3, 0.01))
    assert [r.value for r in results] == [1, 2, 3]
    assert all(r.ok for r in results)


async def test_no_awaitables_give_no_results() -> None:
    assert await gather() == []


async def test_failures_are_per_item_and_siblings_are_not_cancelled() -> None:
    sibling_cancelled = False

    async def slow_sibling() -> int:
        nonlocal sibling_cancelled
        try:
            await asyncio.sleep(0.05)  # still running when the failure happens
        except asyncio.CancelledError:
            sibling_cancelled = True
            raise
        return 42

    ok, failed, hung, slow = await gather(
        value_after(1), fail("bad city"), value_after(0, 30), slow_sibling(), timeout=0.5
    )
    assert ok == Result(value=1)
    assert isinstance(failed.error, ValueError)
    assert str(failed.error) == "bad city"
    assert not failed.ok
    assert not failed.timed_out
    assert hung.timed_out
    assert isinstance(hung.error, TimeoutError)
    assert not hung.ok
    assert slow.value == 42
    assert slow.ok
    assert not sibling_cancelled


async def test_limit_bounds_concurrency() -> None:
    counter = Concurrency()
    results = await gather(*(counter.lookup(i) for i in range(6)), limit=2)
    assert [r.value for r in results] == list(range(6))
    assert counter.peak == 2


async def test_without_limit_everything_runs_at_once() -> None:
    counter = Concurrency()
    await gather(*(counter.lookup(i) for i in range(6)))
    assert counter.peak == 6


async def test_timeout_counts_from_when_an_item_starts_not_while_it_waits() -> None:
    # One at a time: the last item starts ~0.35 s in, past the 0.25 s timeout, yet each
    # item runs only 0.05 s of its own 0.25 s.
    results = await gather(*(value_after(i, 0.05) for i in range(8)), limit=1, timeout=0.25)
    assert [r.error for r in results] == [None] * 8
    assert [r.value for r in results] == list(range(8))


async def test_cancelling_the_caller_cancels_running_lookups() -> None:
    started = asyncio.Event()
    cancelled: list[int] = []

    async def lookup(i: int) -> int:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise
        return i

    lookups: list[Coroutine[Any, Any, int]] = [lookup(i) for i in range(5)]
    caller = asyncio.create_task(gather(*lookups, limit=2))
    await asyncio.wait_for(started.wait(), 5)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert sorted(cancelled) == [0, 1]
    # The three that never started were closed, so none warns "never awaited".
    assert all(inspect.getcoroutinestate(c) == inspect.CORO_CLOSED for c in lookups)


async def test_cancelling_the_caller_cancels_tasks_waiting_for_the_limit() -> None:
    tasks = [asyncio.create_task(value_after(i, 30)) for i in range(3)]
    caller = asyncio.create_task(gather(*tasks, limit=1))
    await asyncio.sleep(0.05)  # the caller is now inside gather
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert [t.cancelled() for t in tasks] == [True, True, True]


async def test_unwrap_gives_the_value_or_raises_the_error() -> None:
    good, bad = await gather(value_after(7), fail("nope"))
    assert good.unwrap() == 7
    with pytest.raises(ValueError, match="nope"):
        bad.unwrap()


async def test_limit_below_one_is_rejected() -> None:
    pending = value_after(1)
    with pytest.raises(ValueError, match="limit"):
        await gather(pending, limit=0)
    # The lookup handed over is closed, not left to warn "never awaited".
    assert inspect.getcoroutinestate(pending) == inspect.CORO_CLOSED
