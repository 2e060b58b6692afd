"""Run many lookups at once and keep every outcome, good or bad.

Unlike ``asyncio.gather``, one failure never cancels or hides its siblings: a
fan-out over twelve APIs answers with eleven results and one error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """The outcome of one lookup: ``value`` when ``ok``, else ``error``.

    A lookup that ran out of time has a :class:`TimeoutError` as its error
    (``timed_out`` is true).
    """

    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def timed_out(self) -> bool:
        return isinstance(self.error, TimeoutError)

    def unwrap(self) -> T:
        """The value, or raise the lookup's error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


async def gather(
    *awaitables: Awaitable[T], limit: int | None = None, timeout: float | None = None
) -> list[Result[T]]:
    """Await all of ``awaitables`` concurrently; return one Result each, in order.

    ``limit``: at most this many run at once. ``timeout``: seconds each one may
    take once started. Exceptions become per-item errors; cancelling the caller
    cancels every lookup still running (no orphans).
    """
    if limit is not None and limit < 1:
        for aw in awaitables:  # they are ours now: don't leave them to warn "never awaited"
            if asyncio.iscoroutine(aw):
                aw.close()
        raise ValueError("limit must be at least 1")
    gate = asyncio.Semaphore(limit) if limit else None

    async def one(aw: Awaitable[T]) -> Result[T]:
        try:
            async with gate or contextlib.nullcontext(), asyncio.timeout(timeout):
                return Result(value=await aw)
        except Exception as exc:  # reported per item, by design
            return Result(error=exc)
        finally:
            # A lookup cancelled before it started must not warn "never awaited".
            if asyncio.iscoroutine(aw):
                aw.close()
            elif isinstance(aw, asyncio.Future):
                aw.cancel()  # a task still waiting for the limit must not outlive the caller

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(one(aw)) for aw in awaitables]
    return [t.result() for t in tasks]
