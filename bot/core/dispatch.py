"""Event → routes → one task each, every task running its route's composed pipeline.

The sink adapters call is :meth:`Dispatcher.submit`: synchronous, never blocks,
never raises. Matching costs one prefix check, one dict lookup and one regex
search per pattern, whatever the number of commands. The dispatcher owns the
pipeline's outermost stage, :meth:`Dispatcher.boundary`: the concurrency gate,
the deadline and the error answer (see :mod:`bot.core.limits`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Coroutine
from typing import Any

from bot.core.builtins import unknown_command
from bot.core.limits import Deadlines, Gate
from bot.core.metrics import Metrics
from bot.core.pipeline import answer, compose
from bot.core.registry import Registry
from bot.core.routes import Chain, Route
from bot.errors import UsageError, UserError
from bot.logging import event_id
from bot.model import Action, Event, Invocation, Message, Outlet, ReactionAdded, Reply
from bot.plugin.actions import EXPIRED, WAITER, decode
from bot.plugin.context import Context
from bot.plugin.conversation import Resume
from bot.plugin.wiring import Services

log = logging.getLogger("bot.dispatch")

# Seconds after its deadline's cancel a handler may take to unwind; one still running
# then has swallowed the cancel, and the user is told without waiting for it.
OVERDUE_NOTICE = 0.5


class Dispatcher:
    """Owns every handler task: starts them, bounds them, and drains them on shutdown.

    Made inside the running event loop (the Runtime does), which it keeps. Each
    route's chain is composed here, once, with this dispatcher's boundary.
    """

    def __init__(
        self,
        registry: Registry,
        services: Services,
        *,
        max_concurrency: int = 100,
        handler_timeout: float = 60.0,
        ignore_bots: bool = True,
        debug: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self._commands = registry.commands
        self._patterns = registry.patterns
        self._events = registry.events
        self._actions = registry.actions
        self._services = services
        self._conversations = conv = services.conversations
        self._asks = conv.asks  # read per message: empty unless a handler waits
        self._remote_asks = conv.remote_asks  # the same, in other processes
        conv.pause = self._pause
        self._slotless: set[asyncio.Task[None]] = set()  # waiting: their slot given back
        self._prefix = services.prefix
        self._loop = asyncio.get_running_loop()
        self._gate = Gate(max_concurrency)
        self._deadlines = Deadlines(self._loop, on_expire=self._expired)
        self._told: set[asyncio.Task[None]] = set()  # overdue handlers already apologised for
        self._timeout = handler_timeout
        self._ignore_bots = ignore_bots
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._open = True
        shared = registry.middlewares()
        measure = metrics.stage if metrics is not None else None
        store = services.store
        once = store if store is not None and store.shared else None
        for route in registry.routes():
            if route.kind == "webhook":
                continue  # the web server runs those, with a boundary of its own
            route.name_with(self._prefix)
            own = registry.middlewares(route.plugin)
            route.chain = compose(
                route, self.boundary, shared=shared, own=own, debug=debug, measure=measure,
                once=once,
            )  # fmt: skip

    def submit(self, event: Event, outlet: Outlet) -> tuple[asyncio.Task[None], ...]:
        """Match ``event`` and start one task per matching route; the tasks started."""
        if not self._open:
            log.debug("shutting down; dropped an event from %s", event.platform)
            return ()
        if not isinstance(event, Message):
            return self._submit_event(event, outlet)
        if event.author.is_bot and self._ignore_bots:
            return ()
        if (self._asks or self._remote_asks) and event.invocation is None:
            woken = self._conversations.take_message(event)
            if woken is not None:  # the answer to a ctx.ask: not a command
                return () if woken is True else (woken,)
        if event.invocation is not None:
            return (self._submit_invocation(event, outlet, event.invocation),)
        return self._submit_text(event, outlet)

    def _submit_text(self, event: Message, outlet: Outlet) -> tuple[asyncio.Task[None], ...]:
        """A typed message: the command it names (after the prefix, a mention, or in a
        DM) and every pattern it matches; a command nobody has gets an answer."""
        text = event.text
        if text.startswith(self._prefix):
            body: str | None = text[len(self._prefix) :]
        elif event.mentioned or event.is_direct:
            body = text
        else:
            body = None
        started: tuple[asyncio.Task[None], ...] = ()
        if body is not None:
            parts = body.split(None, 1)
            route = self._commands.get(parts[0].lower()) if parts else None
            if route is not None:
                started = (self._start(route, event, outlet, parts[1] if len(parts) > 1 else ""),)
        for pattern in self._patterns:
            found = pattern.pattern.search(text)
            if found is not None:
                started += (self._start(pattern, event, outlet, found.groupdict()),)
        if not started and body is not None and (event.mentioned or event.is_direct):
            started = (self._spawn(self._not_found(event, outlet, body.strip()), "not-found"),)
        return started

    def _submit_invocation(
        self, msg: Message, outlet: Outlet, inv: Invocation
    ) -> asyncio.Task[None]:
        """A slash command: straight to its command; patterns never see it."""
        route = self._commands.get(inv.name.lower())
        if route is None:
            return self._spawn(self._not_found(msg, outlet, inv.name), "not-found")
        return self._start(route, msg, outlet, inv)

    def _submit_action(self, event: Action, outlet: Outlet) -> tuple[asyncio.Task[None], ...]:
        """A click or a form: to the route its id names, or to the handler waiting
        for it; an id that names neither gets an ephemeral "expired", not a traceback."""
        parsed = decode(event.id)
        if parsed is None:
            log.warning("%s: an action id that is not ours: %.60r", event.platform, event.id)
            return (self._spawn(self._tell(event, outlet, EXPIRED), "expired"),)
        plugin, name, value = parsed
        if plugin == WAITER:
            woken = self._conversations.take_action(event, name)
            if isinstance(woken, asyncio.Task):
                return (woken,)
            return (self._spawn(self._tell(event, outlet, woken), "refused"),) if woken else ()
        route = self._actions.get(f"{plugin}:{name}")
        if route is None:
            log.warning("%s: no handler for action %s:%s", event.platform, plugin, name)
            return (self._spawn(self._tell(event, outlet, EXPIRED), "expired"),)
        return (self._start(route, event, outlet, value),)

    def _submit_event(self, event: Event, outlet: Outlet) -> tuple[asyncio.Task[None], ...]:
        if isinstance(event, Action):
            return self._submit_action(event, outlet)
        if isinstance(event, ReactionAdded) and event.user.is_bot and self._ignore_bots:
            return ()
        return tuple(
            self._start(route, event, outlet, event) for route in self._events.get(event.kind, ())
        )

    def _start(self, route: Route, event: Event, outlet: Outlet, arg: Any) -> asyncio.Task[None]:
        """Run ``route``'s chain for ``event`` in a task of its own, named after the
        route so asyncio's debug warnings and task dumps say whose handler it is."""
        ctx = Context(event, outlet, route.mount, self._services, route, arg)
        task = ctx.task = self._spawn(route.chain(ctx), route.label)  # type: ignore[arg-type]
        return task

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        # The task takes itself out of _tasks when it ends (see boundary): cheaper
        # than a done callback, one more loop turn each.
        task = self._loop.create_task(coro, name=name)
        self._tasks.add(task)
        return task

    async def boundary(self, ctx: Context, call_next: Chain) -> None:
        """The outermost stage: an event id for the log, a slot in the gate, then the
        rest of the chain within its deadline (:meth:`_answered`)."""
        task = ctx.task
        assert task is not None
        ctx.event_id = eid = f"{next(self._ids):x}"
        event_id.set(eid)
        gate = self._gate
        entered = gate.try_enter()
        try:
            if not entered:
                await gate.enter()
                entered = True
            await self._answered(ctx, call_next, task)
        finally:
            if self._slotless and task in self._slotless:
                self._slotless.discard(task)  # cancelled while it waited: holds no slot
            elif entered:
                gate.leave()
            self._tasks.discard(task)

    def _pause(self, task: asyncio.Task[None]) -> Resume:
        """``task`` waits for the user: give its slot back and stop its clock; the
        coroutine returned takes a slot again and restarts the clock where it was."""
        left = self._deadlines.pause(task)
        self._slotless.add(task)
        self._gate.leave()

        async def resume() -> None:
            await self._gate.enter()
            self._slotless.discard(task)
            if left is not None:
                self._deadlines.start(task, left)

        return resume

    async def _answered(self, ctx: Context, call_next: Chain, task: asyncio.Task[None]) -> None:
        """The chain within its deadline, and an answer for whatever goes wrong in it
        (a refusal, a usage line, an apology); only a shutdown's cancel goes through."""
        limit = ctx.route.timeout or self._timeout  # type: ignore[union-attr]  # always set here
        timed_out = False
        try:
            try:
                self._deadlines.start(task, limit, ctx)
                await call_next(ctx)
            finally:
                # Before any answer below: the apology is not the handler's to time.
                timed_out = self._deadlines.stop(task)
            if timed_out and task in self._told:  # it swallowed the cancel; already told
                self._told.discard(task)
            elif timed_out:  # it caught the deadline's cancel and went on, briefly
                ctx.log.error("%s ignored its cancellation at the deadline", ctx.route.label)  # type: ignore[union-attr]
                await self._failed(ctx, None, limit, timed_out=True)
        except asyncio.CancelledError as exc:
            if task.cancelling():  # a shutdown, not the deadline (stop() withdrew that)
                self._told.discard(task)
                raise
            await self._failed(ctx, None if timed_out else exc, limit, timed_out)
        except Exception as exc:
            await self._answer_error(ctx, exc, limit, timed_out)

    def _expired(self, task: asyncio.Task[None], ctx: Context) -> None:
        """The deadline cancelled ``task``: if it is still running a moment later, it
        caught the cancel and went on, and the user is told now, not when it ends."""

        def check() -> None:
            if task.done() or not self._deadlines.expired(task):
                return
            self._told.add(task)
            label = ctx.route.label if ctx.route else "?"
            ctx.log.error("%s ignored its cancellation at the deadline", label)
            limit = ctx.route.timeout or self._timeout if ctx.route else self._timeout
            self._spawn(self._failed_now(ctx, limit), f"{label}:overdue")

        self._loop.call_later(OVERDUE_NOTICE, check)

    async def _failed_now(self, ctx: Context, limit: float) -> None:
        try:
            await self._failed(ctx, None, limit, timed_out=True)
        finally:
            self._tasks.discard(asyncio.current_task())

    async def _answer_error(
        self, ctx: Context, exc: Exception, limit: float, timed_out: bool
    ) -> None:
        if isinstance(exc, UsageError):
            await answer(ctx, f"{exc}{self._usage(ctx)}")
        elif isinstance(exc, UserError):
            await answer(ctx, str(exc))
        else:
            # A handler that turned the deadline's cancel into an error still ran out of time.
            await self._failed(ctx, exc, limit, timed_out)

    def _usage(self, ctx: Context) -> str:
        info = ctx.command
        if info is None:
            return ""
        prefix = "/" if isinstance(ctx.arg, Invocation) else self._prefix
        return f"\nUsage: {info.usage(prefix)}"

    @staticmethod
    async def _failed(
        ctx: Context, exc: BaseException | None, limit: float, timed_out: bool
    ) -> None:
        """The error boundary: a traceback for the log, a short apology for the user.

        A CancelledError that is neither the deadline nor a shutdown (an inner task
        the handler awaited was cancelled) is a failure like any other.
        """
        what = ctx.route.label if ctx.route else "?"
        if timed_out or exc is None:
            ctx.log.error("%s timed out after %g s", what, limit)
            await answer(ctx, f"Sorry, `{what}` took too long and was stopped.")
        else:
            ctx.log.error("%s failed: %s: %s", what, type(exc).__name__, exc, exc_info=exc)
            await answer(ctx, f"Sorry, `{what}` failed. The error has been logged.")

    async def _not_found(self, msg: Message, outlet: Outlet, body: str) -> None:
        """Answer a command nobody has: a close match if there is one, and help."""
        name = body.split(None, 1)[0].lower() if body else ""
        if not name:
            text = f"Hi! Try `{self._prefix}help` to see what I can do."
        else:
            text = unknown_command(name, self._commands, self._prefix)
        await self._tell(msg, outlet, text, ephemeral=False)

    async def _tell(
        self, event: Message | Action, outlet: Outlet, text: str, *, ephemeral: bool = True
    ) -> None:
        """The framework's own answer to ``event``, in a task of its own; never raises."""
        try:
            async with asyncio.timeout(10):
                await outlet.send(event.channel, Reply(text, ephemeral=ephemeral), reply_to=event)
        except Exception:
            log.exception("could not send an answer to %s", event.channel)
        finally:
            self._tasks.discard(asyncio.current_task())

    async def idle(self) -> None:
        """Wait until every handler has finished or waits for the user (the test
        harness's "settled")."""
        conv = self._conversations
        while busy := self._running() - conv.waiting:
            changed = asyncio.ensure_future(conv.changed().wait())
            try:
                await asyncio.wait({*busy, changed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()

    @property
    def in_flight(self) -> int:
        """How many handler runs are going on now."""
        return len(self._tasks)

    def close(self) -> None:
        """Stop taking new events; tasks already started go on."""
        self._open = False

    @property
    def open(self) -> bool:
        """Whether events are still taken (False from the stop request on)."""
        return self._open

    async def drain(self, grace: float | None) -> int:
        """Wait up to ``grace`` seconds (None: no limit) for running handlers, then
        cancel the rest. Returns how many were cancelled."""
        deadline = None if grace is None else self._loop.time() + grace
        # A handler waiting for an answer would only hold the shutdown up.
        if waiting := self._conversations.cancel_all():
            log.info("stopped %d handler(s) waiting for an answer", len(waiting))
        while running := self._running():
            left = None if deadline is None else deadline - self._loop.time()
            if left is not None and left <= 0:
                break
            await asyncio.wait(running, timeout=left)
        stragglers = self.cancel_all()
        if stragglers:
            log.warning("cancelled %d handler(s) still running after %g s", len(stragglers), grace)
            await asyncio.wait(stragglers, timeout=5)
        self._deadlines.close()
        return len(stragglers)

    def cancel_all(self) -> set[asyncio.Task[None]]:
        """Cancel every running handler now; the tasks that were running."""
        running = self._running()
        for task in running:
            task.cancel()
        return running

    def _running(self) -> set[asyncio.Task[None]]:
        """A copy of the handler tasks still running.

        A task takes itself out of ``_tasks`` as it ends, except one cancelled
        before its first step, whose code never ran: such are dropped here.
        """
        self._tasks.difference_update([task for task in self._tasks if task.done()])
        return set(self._tasks)
