"""The Scheduler: runs each Job when its trigger says, on the running loop.

Each job has one owned loop task that sleeps until the next due time and starts
the run as its own task, so a slow run never delays the job's schedule. A run
still going at the next due time makes that tick be skipped (logged), never
stacked; a run that raises is logged and the schedule goes on. ``stop()`` ends
the loops, lets runs in progress finish within a grace period, then cancels them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.errors import PluginError
from bot.plugin.schedule import Job

log = logging.getLogger("bot.scheduler")

# Sleep in slices so a wall-clock jump (NTP step, a suspended host) is noticed
# within this long: asyncio sleeps on the monotonic clock, due times are wall-clock.
MAX_SLEEP = 60.0


def utc_now() -> datetime:
    """The default clock: an aware datetime in UTC."""
    return datetime.now(UTC)


def _at(due: datetime) -> str:
    """A due time as a log reads it: ``12:05:00 UTC``."""
    return due.strftime("%H:%M:%S %Z").strip()


class Scheduler:
    """Runs jobs on their triggers; ``run(job)`` performs one run (context, timeout).

    ::

        scheduler = Scheduler(run_job)
        scheduler.add(job)
        scheduler.start()
        ...
        await scheduler.stop(grace=5)
    """

    def __init__(
        self,
        run: Callable[[Job], Awaitable[None]],
        *,
        clock: Callable[[], datetime] = utc_now,
        claim: Callable[[Job, datetime], Awaitable[bool]] | None = None,
    ) -> None:
        """``claim(job, due)``: with several processes on a shared store, whether this
        one takes the run due then (True for one of them); ``every`` jobs then run on
        the grid of multiples of their interval since the epoch, which all agree on."""
        self._run = run
        self._clock = clock
        self._claim = claim
        self._jobs: dict[str, Job] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}  # the latest run of each job
        self._started = False
        self._stopped = False

    @property
    def jobs(self) -> list[Job]:
        """The jobs added, in order."""
        return list(self._jobs.values())

    def add(self, job: Job) -> None:
        """Schedule ``job`` from ``start()`` on. Names are unique (``plugin.function``)."""
        if self._started:
            raise RuntimeError("add jobs before the scheduler starts")
        if job.name in self._jobs:
            raise PluginError(f"two scheduled jobs are named {job.name!r}")
        self._jobs[job.name] = job

    def start(self) -> None:
        """Start one loop task per job on the running event loop."""
        if self._started:
            raise RuntimeError("the scheduler was already started")
        self._started = True
        loop = asyncio.get_running_loop()
        start = self._clock()
        for job in self._jobs.values():
            self._loops[job.name] = loop.create_task(
                self._loop(job, start), name=f"schedule:{job.name}"
            )

    async def stop(self, grace: float) -> None:
        """Stop scheduling; wait up to ``grace`` seconds for runs in progress, then
        cancel them. Every task has finished when this returns. Safe to call again
        (a second call with a shorter grace cuts the first one's wait short)."""
        self._stopped = True
        loops = list(self._loops.values())
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        running = {t for t in self._runs.values() if not t.done()}
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=max(grace, 0))
        for task in late:
            task.cancel()
        if late:
            names = ", ".join(sorted(t.get_name() for t in late))
            log.warning(
                "cancelled %d job run(s) still going after %g s: %s", len(late), grace, names
            )
        await asyncio.gather(*running, return_exceptions=True)

    async def run_now(self, name: str) -> bool:
        """Run job ``name`` once now and wait for it (for tests and operators).

        Follows the same rules as a scheduled run: False, and nothing run, when a
        run of the job is still going or the scheduler has stopped.
        """
        job = self._jobs.get(name)
        if job is None:
            raise KeyError(f"no scheduled job named {name!r}")
        task = self._fire(job, self._clock())
        if task is None:
            return False
        await asyncio.shield(task)  # cancelling the caller leaves the run to stop()
        return True

    async def _loop(self, job: Job, start: datetime) -> None:
        """Sleep until each due time and start the run; forever, until cancelled."""
        try:
            trigger = job.trigger
            due = (
                trigger.first_after(start) if self._claim is None else trigger.aligned_after(start)
            )
            while True:
                await self._sleep_until(due)
                self._fire(job, due)
                due = self._following(job, due)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in a trigger: say so rather than end silently
            log.exception("job %s: scheduling failed; it will not run again", job.name)

    async def _sleep_until(self, due: datetime) -> None:
        # Re-read the clock after each wake: a sleep can end early against the wall clock.
        # (ASYNC110: nothing to await an Event on; the condition is the passing of time.)
        while (left := (due - self._clock()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, MAX_SLEEP))

    def _following(self, job: Job, due: datetime) -> datetime:
        """The due time after ``due``; if the loop fell behind (a stalled loop, the
        clock jumped forward), the missed times are skipped, not caught up in a burst."""
        following = job.trigger.next_after(due)
        now = self._clock()
        if following <= now:
            log.warning("job %s: fell behind; skipped the runs due after %s", job.name, _at(due))
            following = job.trigger.next_after(now)
        return following

    def _fire(self, job: Job, due: datetime) -> asyncio.Task[None] | None:
        """Start one run of ``job`` as its own task, unless one is still going."""
        if self._stopped:
            return None
        previous = self._runs.get(job.name)
        if previous is not None and not previous.done():
            log.warning("job %s still running; skipped the %s run", job.name, _at(due))
            return None
        task = asyncio.get_running_loop().create_task(
            self._guarded(job, due), name=f"job:{job.name}"
        )
        self._runs[job.name] = task
        return task

    async def _guarded(self, job: Job, due: datetime) -> None:
        """One run (if this process claims it); an exception is logged and the
        schedule goes on."""
        try:
            if self._claim is not None and not await self._claim(job, due):
                log.debug("job %s: the %s run is another process's", job.name, _at(due))
                return
            await self._run(job)
        except Exception as exc:
            log.error("job %s failed: %s: %s", job.name, type(exc).__name__, exc, exc_info=exc)
