"""The dispatcher's bounds on their own: the concurrency Gate and the shared Deadlines."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.core.limits import Deadlines, Gate

# Gate


async def test_gate_admits_up_to_its_limit_without_waiting() -> None:
    gate = Gate(2)
    assert gate.try_enter()
    assert gate.try_enter()
    assert not gate.try_enter()
    gate.leave()
    assert gate.try_enter()


async def test_gate_bounds_concurrent_holders() -> None:
    gate = Gate(3)
    holding = peak = 0

    async def hold() -> None:
        nonlocal holding, peak
        await gate.enter()
        holding += 1
        peak = max(peak, holding)
        await asyncio.sleep(0.01)
        holding -= 1
        gate.leave()

    await asyncio.gather(*(hold() for _ in range(20)))
    assert peak == 3
    assert [gate.try_enter() for _ in range(4)] == [True, True, True, False]


async def test_gate_lets_waiters_in_in_arrival_order() -> None:
    gate = Gate(1)
    assert gate.try_enter()
    order: list[int] = []

    async def wait(n: int) -> None:
        await gate.enter()
        order.append(n)
        gate.leave()

    waiters = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0)  # all three queue up
    gate.leave()
    assert not gate.try_enter()  # the freed slot went to the first waiter, not to a newcomer
    await asyncio.gather(*waiters)
    assert order == [0, 1, 2]


async def test_a_cancelled_waiter_does_not_keep_a_slot() -> None:
    gate = Gate(1)
    assert gate.try_enter()
    waiter = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.leave()
    assert gate.try_enter()
    assert not gate.try_enter()


async def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_it_on() -> None:
    gate = Gate(1)
    assert gate.try_enter()
    first = asyncio.create_task(gate.enter())
    second = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # the slot is handed to `first`...
    first.cancel()  # ...which is cancelled before it could resume
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # so `second` gets it
    gate.leave()
    assert gate.try_enter()
    assert not gate.try_enter()


# Deadlines


async def sleeper(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def test_a_task_over_its_deadline_is_cancelled_and_marked_expired() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    task = asyncio.create_task(sleeper(10))
    deadlines.start(task, 0.05)
    started = time.perf_counter()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.shield(task)
    assert time.perf_counter() - started < 5
    assert task.cancelling() == 1
    assert deadlines.stop(task)
    assert task.cancelling() == 0  # the deadline's cancel is withdrawn


async def test_a_task_stopped_in_time_is_not_cancelled() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    task = asyncio.create_task(sleeper(0.2))
    deadlines.start(task, 0.05)
    assert not deadlines.stop(task)
    await asyncio.sleep(0.1)  # past the deadline: the alarm finds nothing to do
    await task
    assert not task.cancelled()
    deadlines.close()


async def test_a_shorter_deadline_started_later_still_fires_first() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    patient = asyncio.create_task(sleeper(10))
    hasty = asyncio.create_task(sleeper(10))
    deadlines.start(patient, 5)
    deadlines.start(hasty, 0.05)
    started = time.perf_counter()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.shield(hasty)
    assert time.perf_counter() - started < 2.5
    assert deadlines.stop(hasty)
    assert not patient.done()
    assert not deadlines.stop(patient)
    patient.cancel()
    deadlines.close()


async def test_each_of_several_deadlines_fires_at_its_own_time() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    tasks = [asyncio.create_task(sleeper(10)) for _ in range(3)]
    for task, seconds in zip(tasks, (0.05, 0.1, 0.15), strict=True):
        deadlines.start(task, seconds)
    await asyncio.wait(tasks, timeout=5)
    assert all(task.cancelled() for task in tasks)
    assert all(deadlines.stop(task) for task in tasks)


async def test_another_cancel_outlives_the_deadlines_withdrawal() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    stopped = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            stopped.set()
            await asyncio.sleep(10)  # a long clean-up, during which a shutdown comes
            raise

    task = asyncio.create_task(slow_to_stop())
    deadlines.start(task, 0.05)
    await asyncio.wait_for(stopped.wait(), 5)
    task.cancel()
    assert deadlines.stop(task)
    assert task.cancelling() == 1  # still cancelled: the caller must not swallow it
    with pytest.raises(asyncio.CancelledError):
        await task
