"""Plugins' setup and teardown hooks, and the runs of their scheduled jobs.

Hooks and jobs get a Context with no event: they reach the store, the HTTP
session, their settings and their logger, and post with ``ctx.send``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.core.registry import Registry
from bot.errors import LockTaken
from bot.logging import event_id
from bot.plugin.context import Context
from bot.plugin.schedule import Job
from bot.plugin.wiring import Mount, Services
from bot.storage import KeyValue, Store

log = logging.getLogger("bot.lifespan")

_ids = itertools.count(1)


def _context(mount: Mount, services: Services, label: str) -> tuple[Context, str]:
    eid = f"{label}-{next(_ids):x}"
    return Context(None, None, mount, services, event_id=eid), eid


async def _call(hook: Callable[[Context], Awaitable[None]], ctx: Context, eid: str) -> None:
    # Run as its own task: the event id it sets for its log lines stays in its copy
    # of the context instead of tagging everything the runtime logs afterwards.
    async def tagged() -> None:
        event_id.set(eid)
        await hook(ctx)

    await asyncio.get_running_loop().create_task(tagged(), name=f"{ctx.mount.name}:{eid}")


async def set_up(registry: Registry, services: Services, timeout: float) -> None:
    """Run every plugin's setup hooks in load order; a plugin whose setup fails is
    unloaded (logged with its traceback) and the others go on."""
    for name, plugin in list(registry.plugins.items()):
        mount = registry.mounts[name]
        for hook in plugin.setup_hooks:
            try:
                async with asyncio.timeout(timeout):
                    await _call(hook, *_context(mount, services, "setup"))
            except Exception as exc:
                log.error("plugin %s unloaded: its setup failed: %s", name, exc, exc_info=exc)
                registry.remove(name)
                break


async def tear_down(registry: Registry, services: Services, timeout: float) -> None:
    """Run every plugin's teardown hooks in reverse load order; failures are logged."""
    for name, plugin in reversed(list(registry.plugins.items())):
        mount = registry.mounts[name]
        for hook in plugin.teardown_hooks:
            try:
                async with asyncio.timeout(timeout):
                    await _call(hook, *_context(mount, services, "teardown"))
            except Exception as exc:
                log.error("plugin %s: teardown failed: %s", name, exc, exc_info=exc)


def job_runner(
    registry: Registry, services: Services, default_timeout: float
) -> Callable[[Job], Awaitable[None]]:
    """What the scheduler calls for one run of a job: a fresh context, inside a timeout.

    With a shared store, a run holds the job's lock: a run still going in another
    process makes this one skip, as a run still going here does.
    """
    mounts = {id(job): mount for job, mount in registry.jobs}
    store = services.store
    locks = KeyValue(store, JOBS) if store is not None and store.shared else None

    async def run(job: Job) -> None:
        # The scheduler runs each run as its own task, so this id stays with it.
        ctx, eid = _context(mounts[id(job)], services, "job")
        event_id.set(eid)
        limit = job.timeout or default_timeout
        if locks is None:
            async with asyncio.timeout(limit):
                await job.func(ctx)
            return
        try:
            async with locks.lock(job.name, ttl=limit + 30, wait=0), asyncio.timeout(limit):
                await job.func(ctx)
        except LockTaken:
            log.warning("job %s still running in another process; skipped", job.name)

    return run


JOBS = "\x00jobs"  # the store namespace of the shared schedule's claims and locks


def run_claim(store: Store) -> Callable[[Job, datetime], Awaitable[bool]]:
    """Whether this process takes the run of ``job`` due at ``due``: one process does."""

    async def claim(job: Job, due: datetime) -> bool:
        return await store.claim(JOBS, f"{job.name}@{due.timestamp():.3f}", ttl=86400)

    return claim
