"""The dispatcher's two bounds on handlers: how many run at once, and for how long.

Both sit on the path of every message, so both are built for it: entering the
:class:`Gate` with room to spare is a counter decrement, no await; a handler's
:class:`Deadlines` entry is a dict item, not a timer of its own.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

# How early the event loop may run a timer (it runs those due within its clock's
# resolution): a deadline that close to now has passed.
_RESOLUTION = time.get_clock_info("monotonic").resolution


class Gate:
    """At most ``limit`` holders at once; those that find it full wait in arrival order.

    What ``asyncio.Semaphore`` does, minus its cost when there is room: a
    semaphore's ``async with`` runs two coroutines and scans its waiters on each
    entry. A freed slot is handed straight to the longest waiter, so one arriving
    later cannot overtake it.
    """

    def __init__(self, limit: int) -> None:
        self._free = limit
        # Futures of the waiting holders; a cancelled one stays until leave() skips it.
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_enter(self) -> bool:
        """Take a slot if one is free (never while others wait: see leave)."""
        if self._free > 0:
            self._free -= 1
            return True
        return False

    async def enter(self) -> None:
        """Take a slot, waiting for one if need be."""
        if self.try_enter():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.leave()  # handed a slot as it was cancelled: pass the slot on
            raise

    def leave(self) -> None:
        """Give a slot back: to the longest waiter still waiting, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class Deadlines:
    """Cancels the tasks that outlive their time limit, on one timer for all of them.

    ``asyncio.timeout`` per handler makes a timeout object and a timer handle,
    pushes it on the loop's heap and cancels it again, for every message. Here a
    watched task is one dict entry; one alarm is set for the earliest deadline,
    and when it rings it cancels every overdue task, marks it expired, and is set
    again for the next deadline. :meth:`stop` tells the task's own code whether a
    CancelledError was the deadline (and withdraws that cancel) or came from
    elsewhere, a shutdown say, which must go on.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_expire: Callable[[asyncio.Task[None], Any], None] | None = None,
    ) -> None:
        """``on_expire(task, payload)`` is called for each task the alarm cancels."""
        self._loop = loop
        self._on_expire = on_expire
        self._due: dict[asyncio.Task[None], float] = {}
        self._payloads: dict[asyncio.Task[None], Any] = {}
        self._expired: set[asyncio.Task[None]] = set()
        self._alarm: asyncio.TimerHandle | None = None
        self._alarm_at = math.inf

    def start(self, task: asyncio.Task[None], seconds: float, payload: Any = None) -> None:
        """Cancel ``task`` if it is still watched ``seconds`` from now (and hand
        ``payload`` to ``on_expire``)."""
        when = self._loop.time() + seconds
        self._due[task] = when
        if payload is not None:
            self._payloads[task] = payload
        if when < self._alarm_at:  # only a shorter limit than all the others moves it
            self._set_alarm(when)

    def stop(self, task: asyncio.Task[None]) -> bool:
        """Stop watching ``task``; True when it had run out of time.

        The deadline's cancel is then withdrawn (``task.uncancel()``): if the
        task's ``cancelling()`` is still above zero, someone else cancelled it too.
        """
        if self._payloads:
            self._payloads.pop(task, None)
        if self._due.pop(task, None) is not None:
            return False
        if task in self._expired:
            self._expired.discard(task)
            task.uncancel()
            return True
        return False

    def pause(self, task: asyncio.Task[None]) -> float | None:
        """Stop ``task``'s clock; the seconds it had left (None if it was not watched)."""
        when = self._due.pop(task, None)
        return None if when is None else max(0.0, when - self._loop.time())

    def expired(self, task: asyncio.Task[None]) -> bool:
        """Whether ``task`` ran out of time and has not yet been told so by :meth:`stop`."""
        return task in self._expired

    def close(self) -> None:
        """Put the alarm away (nothing left to watch: the dispatcher has drained)."""
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm, self._alarm_at = None, math.inf

    def _set_alarm(self, when: float) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm = self._loop.call_at(when, self._ring)
        self._alarm_at = when

    def _ring(self) -> None:
        self._alarm, self._alarm_at = None, math.inf
        now = self._loop.time() + _RESOLUTION
        for task in [t for t, when in self._due.items() if when <= now]:
            del self._due[task]
            self._expired.add(task)
            task.cancel()
            if self._on_expire is not None:
                self._on_expire(task, self._payloads.get(task))
        if self._due:
            self._set_alarm(min(self._due.values()))
