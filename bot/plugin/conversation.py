"""Handlers waiting for the user: ``ctx.ask`` (their next message), ``ctx.choose``
(their click) and ``ctx.form`` (their submission).

A waiter is a future in a dict, keyed by where the answer will come from; the
dispatcher offers it each message (one dict lookup, only while someone waits)
and each click on a waiter's id. A handler waiting here holds no concurrency
slot and its deadline is paused: ``pause`` (set by the dispatcher) gives both
back and returns what takes them again. With several processes on a shared
store, ``relay`` (see ``bot.core.relay``) tells the others who waits where, and
hands on an answer that reached this process for a handler waiting in another.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.model import Action, Form, Message

log = logging.getLogger("bot.dispatch")

AskKey = tuple[str, str, str | None, str]  # platform, channel, thread, user
Resume = Callable[[], Awaitable[None]]

NOT_YOURS = "This isn't yours to answer."
EXPIRED_CHOICE = "This question is closed."


@dataclass(slots=True)
class Waiter:
    """One pending answer: who may give it, and the handler waiting for it."""

    key: AskKey | str  # where it is filed: an ask's place, or a token
    future: asyncio.Future[Any]
    task: asyncio.Task[None] | None
    user: str  # the only user whose answer counts
    form: Form | None = None  # a form's fields, checked when it is submitted


class Relay(Protocol):
    """How waiting is told to the other processes sharing the store."""

    def started(self, waiter: Waiter, timeout: float) -> None: ...
    def ended(self, waiter: Waiter) -> None: ...
    def pass_message(self, key: AskKey, msg: Message) -> None: ...
    def pass_action(self, token: str, action: Action) -> None: ...


def ask_key(event: Message | Action) -> AskKey:
    who = event.author if isinstance(event, Message) else event.user
    return (event.platform, event.channel.id, event.channel.thread, who.id)


class Conversations:
    """This process's waiters. ``asks`` is read by the dispatcher before it routes a
    message, so it is a plain dict: empty costs nothing."""

    def __init__(self) -> None:
        self.asks: dict[AskKey, Waiter] = {}
        self.tokens: dict[str, Waiter] = {}  # choices and forms, by the token in their ids
        self.waiting: set[asyncio.Task[None]] = set()  # handlers parked here right now
        self.pause: Callable[[asyncio.Task[None]], Resume] | None = None
        self.relay: Relay | None = None
        # Handlers waiting in other processes: where (or which token), for whom, until when.
        self.remote_asks: dict[AskKey, float] = {}
        self.remote_tokens: dict[str, tuple[str, float]] = {}
        self._changed: asyncio.Event | None = None

    def expect_message(self, key: AskKey, task: asyncio.Task[None] | None) -> Waiter:
        """Wait for the next message at ``key``; an older ask there is answered None."""
        old = self.asks.pop(key, None)
        if old is not None:
            self._resolve(old, None)
        waiter = self.asks[key] = Waiter(key, _future(), task, key[3])
        return waiter

    def expect_action(
        self, token: str, user: str, task: asyncio.Task[None] | None, form: Form | None = None
    ) -> Waiter:
        waiter = self.tokens[token] = Waiter(token, _future(), task, user, form)
        return waiter

    def take_message(
        self, msg: Message, *, relayed: bool = False
    ) -> asyncio.Task[None] | Literal[True] | None:
        """Hand ``msg`` to the handler waiting for it: the task it wakes, True when
        that handler waits in another process (it was handed on), None if nobody waits."""
        key = ask_key(msg)
        waiter = self.asks.pop(key, None)
        if waiter is not None and not waiter.future.done():
            self._resolve(waiter, msg)
            return waiter.task
        if relayed or not self.remote_asks or self.relay is None:
            return None
        until = self.remote_asks.pop(key, None)
        if until is None or until < time.time():
            return None
        self.relay.pass_message(key, msg)
        return True

    def take_action(
        self, action: Action, token: str, *, relayed: bool = False
    ) -> asyncio.Task[None] | str:
        """Hand a click or a submission to its waiter: the task it wakes, or what to
        tell the user instead (the question is closed, it is someone else's, a field
        does not fit); "" when there is nothing to tell (handed to another process)."""
        waiter = self.tokens.get(token)
        if waiter is None or waiter.future.done():
            if relayed:
                return ""
            return self._elsewhere(action, token)
        if action.user.id != waiter.user:
            return NOT_YOURS
        if waiter.form is not None:
            problems = waiter.form.problems(dict(action.fields or {}))
            if problems:
                return " ".join(problems.values())
        del self.tokens[token]
        self._resolve(waiter, action)
        return waiter.task or ""

    def _elsewhere(self, action: Action, token: str) -> str:
        """A click for a token this process does not hold: hand it on if another
        process's handler waits for it (refusing anyone else here, where the click
        can still be answered), else the question is closed."""
        user, until = self.remote_tokens.get(token, ("", 0.0))
        if self.relay is None or until < time.time():
            return EXPIRED_CHOICE
        if action.user.id != user:
            return NOT_YOURS
        self.relay.pass_action(token, action)
        return ""

    def remote_wait(self, key: AskKey | str, user: str, until: float) -> None:
        """Another process's handler waits at ``key`` (an ask's place or a token)."""
        if isinstance(key, tuple):
            self.remote_asks[key] = until
        else:
            self.remote_tokens[key] = (user, until)

    def remote_done(self, key: AskKey | str) -> None:
        if isinstance(key, tuple):
            self.remote_asks.pop(key, None)
        else:
            self.remote_tokens.pop(key, None)

    async def wait(self, waiter: Waiter, timeout: float) -> Any:
        """The answer, or None after ``timeout`` seconds; the handler's slot and
        deadline are given back meanwhile."""
        task = waiter.task
        resume = self.pause(task) if self.pause is not None and task is not None else None
        if task is not None:
            self.waiting.add(task)
            self._wake()
        relay = self.relay
        if relay is not None:
            relay.started(waiter, timeout)
        # A timer that answers None, rather than wait_for: a waiter costs a future
        # and a timer handle, no task, no extra frames (1,000 of them wait at once).
        future = waiter.future
        timer = future.get_loop().call_later(timeout, _answer_none, future)
        try:
            return await future
        finally:
            timer.cancel()
            self._forget(waiter)
            if relay is not None and self.relay is relay:
                relay.ended(waiter)
            if task is not None:
                self.waiting.discard(task)
            if resume is not None:
                await resume()

    def _forget(self, waiter: Waiter) -> None:
        table: dict[Any, Waiter] = self.tokens if isinstance(waiter.key, str) else self.asks
        if table.get(waiter.key) is waiter:
            del table[waiter.key]

    def _resolve(self, waiter: Waiter, answer: Any) -> None:
        if not waiter.future.done():
            waiter.future.set_result(answer)
        if waiter.task is not None:
            # Running again from now: the harness must not think it still waits.
            self.waiting.discard(waiter.task)

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    def changed(self) -> asyncio.Event:
        """Set whenever a handler starts waiting (the harness's idle check listens)."""
        if self._changed is None or self._changed.is_set():
            self._changed = asyncio.Event()
        return self._changed

    def cancel_all(self) -> set[asyncio.Task[None]]:
        """Shutdown: cancel every handler still waiting for an answer."""
        tasks = set(self.waiting)
        for task in tasks:
            task.cancel()
        return tasks


def _answer_none(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)


def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()
