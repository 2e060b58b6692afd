"""Retrying a first connection through a network blip, with backoff and jitter.

On a PaaS a DNS hiccup at deploy time must not become a crash loop: a platform
that cannot be reached is tried again (each try one log line) until it answers,
while an answer that says no (a rejected token) stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_DELAY = 1.0
MAX_DELAY = 60.0


def delay(attempt: int, *, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> float:
    """Seconds before try ``attempt + 1``: exponential, capped, with full jitter."""
    return random.uniform(0, min(cap, first * 2**attempt))


async def until_reached(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    transient: tuple[type[BaseException], ...],
    log: logging.Logger,
    first: float = FIRST_DELAY,
) -> T:
    """``await call()`` until it does not raise one of ``transient``; other errors
    go through at once. Each failed try is logged in one line with the next wait."""
    attempt = 0
    while True:
        try:
            return await call()
        except transient as exc:
            wait = delay(attempt, first=first)
            attempt += 1
            reason = str(exc) or type(exc).__name__
            log.warning(
                "%s: cannot reach it (%s); try %d again in %.1f s", what, reason, attempt + 1, wait
            )
            await asyncio.sleep(wait)
