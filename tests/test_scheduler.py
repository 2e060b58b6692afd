"""The Scheduler on a real loop: repeated runs, overlap skipped and logged, a failing
run logged while the schedule goes on, and a clean stop that leaves no task behind."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.scheduler import Scheduler, utc_now
from bot.errors import PluginError
from bot.plugin.schedule import Cron, Every, Job
from tests.helpers import LogWatch, watch

FAST = 0.05  # seconds between runs of the fast jobs
LIMIT = 5.0  # how long a test waits for something expected within a few FAST intervals


async def _unused() -> None:
    raise AssertionError("the scheduler calls run(job), never job.func itself")


def job(name: str, trigger: Every | Cron) -> Job:
    return Job(name, trigger, _unused)


@pytest.fixture
def logs() -> Iterator[LogWatch]:
    yield from watch("bot.scheduler")


class Counter:
    """A run function that counts runs and lets a test await the n-th one."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self._changed = asyncio.Event()

    async def __call__(self, job: Job) -> None:
        self.runs.append(job.name)
        self._changed.set()

    def count(self, name: str) -> int:
        return self.runs.count(name)

    async def wait_for(self, name: str, count: int) -> None:
        async with asyncio.timeout(LIMIT):
            while self.count(name) < count:
                self._changed.clear()
                await self._changed.wait()


async def stop(scheduler: Scheduler, grace: float) -> None:
    """``scheduler.stop``, failing the test rather than hanging it if stop never ends."""
    async with asyncio.timeout(grace + LIMIT):
        await scheduler.stop(grace)


def other_tasks() -> set[asyncio.Task[object]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


async def test_a_job_runs_again_and_again() -> None:
    run = Counter()
    scheduler = Scheduler(run)
    scheduler.add(job("demo.tick", Every(FAST)))
    scheduler.start()
    await run.wait_for("demo.tick", 3)
    await stop(scheduler, grace=1)
    assert run.count("demo.tick") >= 3
    assert other_tasks() == set()


async def test_jobs_are_independent_and_first_waits_one_interval() -> None:
    """A job stuck in a run does not hold up another; an hourly job (default first
    run one interval after start) has not run while the fast one ran three times."""
    stuck = asyncio.Event()
    counts = {"demo.fast": 0, "demo.hourly": 0, "demo.stuck": 0}
    three = asyncio.Event()

    async def run(j: Job) -> None:
        counts[j.name] += 1
        if j.name == "demo.stuck":
            await stuck.wait()
        if counts["demo.fast"] >= 3:
            three.set()

    scheduler = Scheduler(run)
    scheduler.add(job("demo.stuck", Every(FAST, first=0)))
    scheduler.add(job("demo.fast", Every(FAST)))
    scheduler.add(job("demo.hourly", Every(3600)))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await three.wait()
    assert counts == {"demo.fast": 3, "demo.hourly": 0, "demo.stuck": 1}
    await stop(scheduler, grace=0)
    assert other_tasks() == set()


async def test_an_overlapping_run_is_skipped_and_logged(logs: LogWatch) -> None:
    """A run lasting several intervals: the ticks meanwhile are skipped with a WARNING
    each, never stacked; once it ends, the next tick runs again."""
    release = asyncio.Event()
    active = 0
    most_active = 0
    runs = 0
    second_run = asyncio.Event()

    async def run(j: Job) -> None:
        nonlocal active, most_active, runs
        runs += 1
        active += 1
        most_active = max(most_active, active)
        try:
            if runs == 1:
                await release.wait()
            else:
                second_run.set()
        finally:
            active -= 1

    scheduler = Scheduler(run)
    scheduler.add(job("demo.slow", Every(FAST, first=0)))
    scheduler.start()
    await logs.wait_for("job demo.slow still running; skipped the ", count=3, level=logging.WARNING)
    assert runs == 1  # three ticks passed while the first run went on: none started
    release.set()
    async with asyncio.timeout(LIMIT):
        await second_run.wait()
    await stop(scheduler, grace=1)

    assert most_active == 1
    skipped = logs.matching("still running", logging.WARNING)
    assert len(skipped) >= 3
    assert all(r.name == "bot.scheduler" for r in skipped)
    # "skipped the 12:05:00 UTC run": the due time of the tick that did not run
    assert skipped[0].getMessage().endswith(" UTC run")


async def test_a_failing_run_is_logged_and_the_next_run_happens(logs: LogWatch) -> None:
    attempts = 0
    recovered = asyncio.Event()

    async def run(j: Job) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("feed unreachable")
        recovered.set()

    scheduler = Scheduler(run)
    scheduler.add(job("news.digest", Every(FAST)))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await recovered.wait()
    await stop(scheduler, grace=1)

    (failure,) = logs.matching("job news.digest failed", level=logging.ERROR)
    assert failure.name == "bot.scheduler"
    assert "RuntimeError: feed unreachable" in failure.getMessage()
    assert failure.exc_info is not None and failure.exc_info[0] is RuntimeError


async def test_stop_cancels_a_run_that_outlives_the_grace(logs: LogWatch) -> None:
    started = asyncio.Event()
    cancelled = False

    async def run(j: Job) -> None:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.Event().wait()  # forever
        except asyncio.CancelledError:
            cancelled = True
            raise

    scheduler = Scheduler(run)
    scheduler.add(job("demo.forever", Every(FAST, first=0)))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await started.wait()
    begun = time.monotonic()
    await stop(scheduler, grace=0.1)
    assert time.monotonic() - begun < 0.1 * 20
    assert cancelled
    assert other_tasks() == set()
    (warning,) = logs.matching("cancelled 1 job run(s) still going after 0.1 s")
    assert "job:demo.forever" in warning.getMessage()


async def test_stop_lets_a_run_finish_within_the_grace() -> None:
    started = asyncio.Event()
    finished = False

    async def run(j: Job) -> None:
        nonlocal finished
        started.set()
        await asyncio.sleep(FAST)
        finished = True

    scheduler = Scheduler(run)
    scheduler.add(job("demo.short", Every(3600, first=0)))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await started.wait()
    await stop(scheduler, grace=LIMIT)
    assert finished
    assert other_tasks() == set()


async def test_stop_before_any_run_and_twice() -> None:
    run = Counter()
    scheduler = Scheduler(run)
    scheduler.add(job("demo.hourly", Every(3600)))
    scheduler.add(job("demo.daily", Cron("@daily")))
    scheduler.start()
    assert {t.get_name() for t in other_tasks()} == {
        "schedule:demo.hourly",
        "schedule:demo.daily",
    }
    await stop(scheduler, grace=1)
    await stop(scheduler, grace=1)
    assert run.runs == []
    assert other_tasks() == set()
    assert await scheduler.run_now("demo.hourly") is False  # stopped: nothing runs


async def test_stop_without_start() -> None:
    scheduler = Scheduler(Counter())
    scheduler.add(job("demo.tick", Every(FAST)))
    await stop(scheduler, grace=1)
    assert other_tasks() == set()


async def test_a_second_stop_cuts_the_grace_short() -> None:
    """What a second SIGTERM does: the first stop's long grace is not waited out."""
    started = asyncio.Event()

    async def run(j: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    scheduler = Scheduler(run)
    scheduler.add(job("demo.forever", Every(3600, first=0)))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await started.wait()
    first = asyncio.get_running_loop().create_task(scheduler.stop(grace=3600))
    for _ in range(10):  # let the first stop reach its wait for the run
        await asyncio.sleep(0)
    await stop(scheduler, grace=0)
    async with asyncio.timeout(LIMIT):
        await first
    assert other_tasks() == set()


async def test_a_run_never_fires_before_its_due_time_by_the_clock() -> None:
    """With a clock running at half speed, the first sleep ends early by that clock:
    the scheduler reads the clock again and sleeps on, so no run is early."""
    loop = asyncio.get_running_loop()
    origin, began = datetime(2024, 1, 1, tzinfo=UTC), loop.time()

    def slow_clock() -> datetime:
        return origin + timedelta(seconds=(loop.time() - began) / 2)

    seen: list[datetime] = []
    done = asyncio.Event()

    async def run(j: Job) -> None:
        seen.append(slow_clock())
        if len(seen) == 3:
            done.set()

    scheduler = Scheduler(run, clock=slow_clock)
    scheduler.add(job("demo.tick", Every(FAST)))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await done.wait()
    await stop(scheduler, grace=1)
    for n, at in enumerate(seen[:3], start=1):
        assert at >= origin + timedelta(seconds=n * FAST)


async def test_a_clock_jump_skips_the_missed_runs(logs: LogWatch) -> None:
    """The wall clock jumps an hour ahead (a suspended host, an NTP step): the runs
    missed meanwhile are skipped with one WARNING, not fired in a burst."""
    jump = timedelta(0)

    def clock() -> datetime:
        return utc_now() + jump

    run = Counter()
    scheduler = Scheduler(run, clock=clock)
    scheduler.add(job("demo.tick", Every(FAST)))
    scheduler.start()
    await run.wait_for("demo.tick", 1)
    jump = timedelta(hours=1)
    before = run.count("demo.tick")
    await logs.wait_for(
        "job demo.tick: fell behind; skipped the runs due after", level=logging.WARNING
    )
    await run.wait_for("demo.tick", before + 2)
    await stop(scheduler, grace=1)
    # a burst would fire (or skip, logging each) ~72,000 ticks: an hour of FAST intervals
    assert run.count("demo.tick") < before + 100
    assert len(logs.matching("fell behind", logging.WARNING)) < 10
    assert len(logs.matching("still running", logging.WARNING)) < 10


async def test_a_cron_job_runs_at_the_minute(logs: LogWatch) -> None:
    """A clock 0.1 s before 12:00: the every-minute job runs at 12:00:00 by that clock."""
    loop = asyncio.get_running_loop()
    origin, began = datetime(2024, 1, 1, 11, 59, 59, 900_000, tzinfo=UTC), loop.time()

    def clock() -> datetime:
        return origin + timedelta(seconds=loop.time() - began)

    seen: list[datetime] = []
    ran = asyncio.Event()

    async def run(j: Job) -> None:
        seen.append(clock())
        ran.set()

    scheduler = Scheduler(run, clock=clock)
    scheduler.add(job("demo.minutely", Cron("* * * * *")))
    scheduler.start()
    async with asyncio.timeout(LIMIT):
        await ran.wait()
    await stop(scheduler, grace=1)
    assert seen[0] >= datetime(2024, 1, 1, 12, tzinfo=UTC)


async def test_run_now_runs_once_unless_a_run_is_going() -> None:
    release, started = asyncio.Event(), asyncio.Event()
    runs = 0

    async def run(j: Job) -> None:
        nonlocal runs
        runs += 1
        started.set()
        await release.wait()

    scheduler = Scheduler(run)
    scheduler.add(job("demo.hourly", Every(3600)))
    scheduler.start()
    first = asyncio.get_running_loop().create_task(scheduler.run_now("demo.hourly"))
    async with asyncio.timeout(LIMIT):
        await started.wait()
    assert await scheduler.run_now("demo.hourly") is False
    release.set()
    async with asyncio.timeout(LIMIT):
        assert await first is True
    assert runs == 1
    with pytest.raises(KeyError, match=re.escape("no scheduled job named 'demo.nope'")):
        await scheduler.run_now("demo.nope")
    await stop(scheduler, grace=1)


async def test_jobs_are_added_before_start_with_unique_names() -> None:
    scheduler = Scheduler(Counter())
    scheduler.add(job("demo.tick", Every(60)))
    with pytest.raises(PluginError, match=re.escape("two scheduled jobs are named 'demo.tick'")):
        scheduler.add(job("demo.tick", Cron("@daily")))
    assert [j.name for j in scheduler.jobs] == ["demo.tick"]
    scheduler.start()
    with pytest.raises(RuntimeError, match="before the scheduler starts"):
        scheduler.add(job("demo.other", Every(60)))
    with pytest.raises(RuntimeError, match="already started"):
        scheduler.start()
    await stop(scheduler, grace=1)
