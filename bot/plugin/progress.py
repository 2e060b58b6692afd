"""A status message that counts a long fan-out up, then becomes its answer.

``async with ctx.progress(12, "Checking sites") as progress:`` posts
"Checking sites… 0/12"; ``progress.advance()`` (or awaiting ``progress.track(aw)``)
counts one result, and the message is edited at most once per ``interval``
seconds, whatever the rate results arrive at: chat platforms rate-limit edits,
and a reader cannot follow faster anyway. ``await progress.finish(answer)``
edits the status into the final answer. Where the platform cannot edit, a
typing indicator shows instead and the answer is posted as usual.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, TypeVar

from bot.model import Card, MessageRef, Reply

T = TypeVar("T")
log = logging.getLogger("bot.progress")

Post = Callable[[Reply], Awaitable[MessageRef]]
Edit = Callable[[MessageRef, Reply], Awaitable[MessageRef]]


class Progress:
    """Made by ``ctx.progress``; use it as ``async with``. See the module docstring."""

    def __init__(
        self,
        post: Post,
        edit: Edit | None,
        typing: Callable[[], AbstractAsyncContextManager[None]],
        total: int,
        label: str,
        interval: float = 1.0,
    ) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.interval = interval
        self._post = post
        self._edit = edit
        self._typing = typing() if edit is None else None
        self._ref: MessageRef | None = None
        self._updater: asyncio.Task[None] | None = None
        self._shown = -1  # the count the status message shows now
        self._last = float("-inf")  # loop time of the last edit
        self._finished = False  # the answer replaced the status: no more counting
        self._closing = False  # no further edits may start
        self._editing = False  # an edit is on its way to the platform

    def text(self) -> str:
        """What the status message says now."""
        return f"{self.label}… {self.done}/{self.total}"

    async def __aenter__(self) -> Progress:
        if self._typing is not None:
            await self._typing.__aenter__()
        else:
            self._ref = await self._post(Reply(self.text()))
            self._shown = self.done
            self._last = asyncio.get_running_loop().time()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stop_updates()
        if self._typing is not None:
            await self._typing.__aexit__(kind, exc, tb)
        elif not self._finished and self._ref is not None:
            # Never leave "5/12" up as if work were still going on.
            ending = "stopped" if exc is not None else "done"
            await self._quietly(self._ref, Reply(f"{self.text()} ({ending})"))

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more results; the status catches up within ``interval``."""
        self.done = min(self.total, self.done + count)
        if self._ref is None or self._closing:
            return
        if self._updater is None or self._updater.done():
            self._updater = asyncio.get_running_loop().create_task(
                self._update(), name=f"progress:{self.label}"
            )

    async def track(self, aw: Awaitable[T]) -> T:
        """Await ``aw`` and count it done, however it ends."""
        try:
            return await aw
        finally:
            self.advance()

    async def finish(self, value: str | Reply | Card, **options: Any) -> MessageRef:
        """Replace the status with the answer (posted anew where editing is not possible)."""
        reply = Reply.of(value)
        if options:
            reply = dataclasses.replace(reply, **options)
        self._finished = True
        await self._stop_updates()
        if self._ref is None or reply.ephemeral or reply.files:
            # An ephemeral answer or a file cannot replace a public text message.
            if self._ref is not None:
                await self._quietly(self._ref, Reply(f"{self.text()} (done)"))
            return await self._post(reply)
        assert self._edit is not None
        try:
            return await self._edit(self._ref, reply)
        except Exception:  # the status was deleted, say: the answer still arrives
            log.warning("could not edit the progress message; posting the answer", exc_info=True)
            return await self._post(reply)

    async def _update(self) -> None:
        """Edit the status until it shows the current count, one edit per interval."""
        loop = asyncio.get_running_loop()
        while self._shown != self.done and not self._closing:
            await asyncio.sleep(max(0.0, self._last + self.interval - loop.time()))
            if self._closing:
                return
            count = self.done
            assert self._ref is not None
            self._editing = True
            try:
                await self._quietly(self._ref, Reply(self.text()))
            finally:
                self._editing = False
            self._shown = count
            self._last = loop.time()

    async def _stop_updates(self) -> None:
        """Stop counting; an edit already sent is waited for, so it cannot land after
        (and overwrite) the answer."""
        self._closing = True
        updater = self._updater
        if updater is None or updater.done():
            return
        if not self._editing:
            updater.cancel()
        try:
            # wait(), not await: the updater's own cancellation must not read as ours,
            # or a handler stopped by its timeout would skip its "(stopped)" edit.
            await asyncio.wait({updater})
        except asyncio.CancelledError:
            updater.cancel()  # we are being cancelled ourselves: leave nothing behind
            raise

    async def _quietly(self, ref: MessageRef, reply: Reply) -> None:
        """A status edit that fails is logged, never raised: it is only a courtesy."""
        assert self._edit is not None
        try:
            await self._edit(ref, reply)
        except Exception:
            log.warning("could not update the progress message", exc_info=True)
