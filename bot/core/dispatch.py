"""Event → handlers → one task each, behind a concurrency gate, a timeout and an error boundary.

The sink adapters call is :meth:`Dispatcher.submit`: synchronous, never blocks,
never raises. Matching costs one prefix check, one dict lookup and one regex
search per listener, whatever the number of commands. What follows is on the
path of every message too, and kept lean for it (see :mod:`bot.core.limits`).
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import logging
import time
from collections.abc import Coroutine
from typing import Any

from bot.core.limits import Deadlines, Gate
from bot.core.registry import Bound, Registry
from bot.errors import UsageError, UserError
from bot.logging import event_id
from bot.model import BotReady, Event, Invocation, Message, Outlet, ReactionAdded, Reply
from bot.plugin import Command, Context, EventHandler, Listener, Mount, Services
from bot.plugin.guards import wait_text

log = logging.getLogger("bot.dispatch")

AnyHandler = Command | Listener | EventHandler
_NO_ARGUMENTS: tuple[list[Any], dict[str, Any]] = ([], {})


class _TaskRef:
    """The task a handler runs in, handed to its coroutine (made before the task)."""

    __slots__ = ("task",)
    task: asyncio.Task[None]


class Dispatcher:
    """Owns every handler task: starts them, bounds them, and drains them on shutdown.

    Made inside the running event loop (the Runtime does), which it keeps.
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
    ) -> None:
        self._commands = registry.commands
        self._listeners = registry.listeners
        self._events = registry.events
        self._services = services
        self._prefix = services.prefix
        self._loop = asyncio.get_running_loop()
        self._gate = Gate(max_concurrency)
        self._deadlines = Deadlines(self._loop)
        self._timeout = handler_timeout
        self._ignore_bots = ignore_bots
        self._debug = debug
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._open = True

    def submit(self, event: Event, outlet: Outlet) -> tuple[asyncio.Task[None], ...]:
        """Match ``event`` and start one task per matching handler; the tasks started."""
        if not self._open:
            log.debug("shutting down; dropped an event from %s", event.platform)
            return ()
        if not isinstance(event, Message):
            return self._submit_event(event, outlet)
        if event.author.is_bot and self._ignore_bots:
            return ()
        if event.invocation is not None:
            return (self._submit_invocation(event, outlet, event.invocation),)
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
                args = parts[1] if len(parts) > 1 else ""
                started = (self._start(route, event, outlet, args, route.handler.info.name),)
        for bound in self._listeners:
            found = bound.handler.pattern.search(text)
            if found is not None:
                groups = found.groupdict()
                started += (self._start(bound, event, outlet, groups, bound.mount.name),)
        if not started and body is not None and (event.mentioned or event.is_direct):
            started = (self._spawn(self._not_found(event, outlet, body.strip()), "not-found"),)
        return started

    def _submit_invocation(
        self, msg: Message, outlet: Outlet, inv: Invocation
    ) -> asyncio.Task[None]:
        """A slash command: straight to its command; listeners never see it."""
        route = self._commands.get(inv.name.lower())
        if route is None:
            return self._spawn(self._not_found(msg, outlet, inv.name), "not-found")
        return self._start(route, msg, outlet, inv, route.handler.info.name)

    def _submit_event(self, event: Event, outlet: Outlet) -> tuple[asyncio.Task[None], ...]:
        if isinstance(event, ReactionAdded) and event.user.is_bot and self._ignore_bots:
            return ()
        return tuple(
            self._start(bound, event, outlet, event, f"{bound.mount.name}:{event.kind}")
            for bound in self._events.get(event.kind, ())
        )

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        # Named after the command or plugin, so asyncio's debug warnings and task
        # dumps say whose handler it is. The task takes itself out of _tasks when
        # it ends (see _run): cheaper than a done callback, one more loop turn each.
        task = self._loop.create_task(coro, name=name)
        self._tasks.add(task)
        return task

    def _start(
        self, bound: Bound[Any], event: Event, outlet: Outlet, arg: Any, name: str
    ) -> asyncio.Task[None]:
        """Start :meth:`_run` in a task of its own, and tell it which task that is."""
        own = _TaskRef()
        task = own.task = self._spawn(self._run(own, bound, event, outlet, arg), name)
        return task

    async def _run(
        self, own: _TaskRef, bound: Bound[Any], event: Event, outlet: Outlet, arg: Any
    ) -> None:
        """One handler, inside the gate, the timeout and the error boundary.

        ``own``: the task this runs in (set before it starts; cheaper than asking
        asyncio). ``arg``: a command's argument text or Invocation, a listener's
        matched groups, or the event itself for an event handler.
        """
        task = own.task
        handler: AnyHandler = bound.handler
        mount = bound.mount
        eid = f"{next(self._ids):x}"
        event_id.set(eid)
        info = handler.info if isinstance(handler, Command) else None
        ctx = Context(event, outlet, mount, self._services, info, eid)
        gate = self._gate
        entered = gate.try_enter()
        timed_out = False
        limit = handler.timeout or self._timeout
        try:
            if not entered:
                await gate.enter()
                entered = True
            start = time.perf_counter() if self._debug else 0.0
            try:
                self._deadlines.start(task, limit)
                if bound.checks and not await self._checked(bound, ctx):
                    return
                # Arguments before the cooldown: a typo answers the usage and spends none.
                command = handler if isinstance(handler, Command) else None
                pos, kw = _NO_ARGUMENTS if command is None else self._arguments(command, arg)
                if bound.cooldown and not await self._cooled(bound, ctx):
                    return
                if command is not None:
                    await command.func(ctx, *pos, **kw)
                elif isinstance(handler, EventHandler):
                    await handler.func(ctx, arg)
                else:
                    await handler.func(ctx, **{k: v for k, v in arg.items() if v is not None})
            finally:
                # Before any answer below: the apology is not the handler's to time.
                timed_out = self._deadlines.stop(task)
        except asyncio.CancelledError:
            # The deadline's cancel is withdrawn by stop(); any other (a shutdown) stands.
            if not timed_out or task.cancelling():
                raise
            await self._failed(ctx, self._label(handler, mount), None, limit, timed_out=True)
        except UsageError as exc:
            prefix = "/" if isinstance(arg, Invocation) else self._prefix
            usage = f"\nUsage: {info.usage(prefix)}" if info else ""
            await self._answer(ctx, f"{exc}{usage}")
        except UserError as exc:
            await self._answer(ctx, str(exc))
        except Exception as exc:
            # A handler that turned the deadline's cancel into an error still ran out of time.
            await self._failed(ctx, self._label(handler, mount), exc, limit, timed_out)
        finally:
            if entered:
                gate.leave()
            self._tasks.discard(task)
        if self._debug:
            elapsed = (time.perf_counter() - start) * 1000
            where = f"{mount.name}.{handler.func.__name__}"
            log.debug("%s → %s in %.1f ms", self._label(handler, mount), where, elapsed)

    async def _checked(self, bound: Bound[Any], ctx: Context) -> bool:
        """Whether every check passes; a refused command answers why not."""
        label = self._label(bound.handler, bound.mount)
        for check in bound.checks:
            if not await check.predicate(ctx):
                ctx.log.info("%s refused to %s by a check", label, ctx.author)
                if isinstance(bound.handler, Command):
                    await self._answer(ctx, check.refusal.format(command=f"`{label}`"))
                return False
        return True

    async def _cooled(self, bound: Bound[Any], ctx: Context) -> bool:
        """Whether the cooldown lets this run (and counts it); the first refusal in a
        blocked stretch says when to try again, later ones stay silent. Runs after the
        checks and the arguments, so a refused user or a typo spends no slot."""
        cooldown = bound.cooldown
        assert cooldown is not None
        assert ctx.event is not None
        key = cooldown.key(ctx.event)
        now = time.monotonic()
        wait = cooldown.hit(key, now)
        if wait <= 0:
            return True
        if isinstance(bound.handler, Command) and cooldown.first_refusal(key, now, wait):
            label = self._label(bound.handler, bound.mount)
            await self._answer(ctx, f"Slow down: try `{label}` again {wait_text(wait)}.")
        return False

    @staticmethod
    def _arguments(command: Command, arg: str | Invocation) -> tuple[list[Any], dict[str, Any]]:
        if isinstance(arg, str):
            return command.spec.parse(arg)
        if arg.options is not None:
            return command.spec.bind(arg.options)
        return command.spec.parse(arg.args)

    def _label(self, handler: AnyHandler, mount: Mount) -> str:
        """How the user knows a handler: ``!name`` for a command, plugin.function otherwise."""
        if isinstance(handler, Command):
            return f"{self._prefix}{handler.info.name}"
        return f"{mount.name}.{handler.func.__name__}"

    async def _failed(
        self, ctx: Context, what: str, exc: Exception | None, limit: float, timed_out: bool
    ) -> None:
        """The error boundary: a traceback for the log, a short apology for the user."""
        if timed_out or exc is None:
            ctx.log.error("%s timed out after %g s", what, limit)
            await self._answer(ctx, f"Sorry, `{what}` took too long and was stopped.")
        else:
            ctx.log.error("%s failed: %s: %s", what, type(exc).__name__, exc, exc_info=exc)
            await self._answer(ctx, f"Sorry, `{what}` failed. The error has been logged.")

    async def _answer(self, ctx: Context, text: str) -> None:
        # Every context the dispatcher builds has its event and outlet.
        assert ctx.outlet is not None
        assert ctx.event is not None
        await self._send_safely(ctx.outlet, ctx.event, Reply(text, ephemeral=True))

    async def _send_safely(self, outlet: Outlet, event: Event, reply: Reply) -> None:
        """Reply on the framework's behalf; a failure here is logged, never raised.

        An event with no channel (bot_ready) has nobody to answer: the log has it all.
        """
        if isinstance(event, BotReady):
            return
        channel = event.channel
        if channel is None:
            return
        try:
            async with asyncio.timeout(10):
                await outlet.send(
                    channel, reply, reply_to=event if isinstance(event, Message) else None
                )
        except Exception:
            log.exception("could not send an answer to %s", channel)

    async def _not_found(self, msg: Message, outlet: Outlet, body: str) -> None:
        try:
            await self._suggest(msg, outlet, body)
        finally:
            self._tasks.discard(asyncio.current_task())

    async def _suggest(self, msg: Message, outlet: Outlet, body: str) -> None:
        """Answer a command nobody has: a close match if there is one, and help."""
        name = body.split(None, 1)[0].lower() if body else ""
        if not name:
            text = f"Hi! Try `{self._prefix}help` to see what I can do."
        else:
            close = difflib.get_close_matches(name, list(self._commands), n=1)
            hint = f" Did you mean `{self._prefix}{close[0]}`?" if close else ""
            text = f"I don't know `{name}`.{hint} Try `{self._prefix}help`."
        await self._send_safely(outlet, msg, Reply(text))

    async def idle(self) -> None:
        """Wait until no handler is running (the test harness's "settled")."""
        while running := self._running():
            await asyncio.wait(running)

    def close(self) -> None:
        """Stop taking new events; tasks already started go on."""
        self._open = False

    async def drain(self, grace: float | None) -> int:
        """Wait up to ``grace`` seconds (None: no limit) for running handlers, then
        cancel the rest. Returns how many were cancelled."""
        deadline = None if grace is None else self._loop.time() + grace
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
