"""In-process publish/subscribe for the stores whose processes share nothing else
(memory, SQLite): a message reaches this process's subscribers only. A networked
store (Redis) carries it to every process instead, behind the same two calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class Subscription:
    """Messages on one channel, in the order they were published: ``async for``."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    def _put(self, text: str) -> None:
        self._queue.put_nowait(text)

    async def get(self) -> Any:
        """The next message (a fresh copy of what was published)."""
        return json.loads(await self._queue.get())

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[Any]:
        while True:
            yield await self.get()


class LocalBroker:
    """Subscribers by channel; a publish hands each its own copy, as JSON text."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    def publish(self, channel: str, data: Any) -> int:
        """Deliver ``data`` (JSON-serialisable) to every subscriber; how many there were."""
        text = json.dumps(data, allow_nan=False)
        receivers = self._subscribers.get(channel, set())
        for subscription in receivers:
            subscription._put(text)
        return len(receivers)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Receive what is published on ``channel`` from now until the block ends."""
        subscription = Subscription(channel)
        self._subscribers.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers[channel].discard(subscription)
            if not self._subscribers[channel]:
                del self._subscribers[channel]
