"""Routes: every kind of handler as the dispatcher runs it.

A route says how it is keyed or matched (a command's names, a pattern, an event
kind, a webhook path), how it is called (:meth:`Route.call`, the innermost step
of its pipeline) and how the user knows it (:attr:`Route.label`). Its checks and
cooldown are read off the function when it is mounted; :attr:`Route.chain` is its
composed pipeline (see :mod:`bot.core.pipeline`), set once at startup.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from bot.model import Action, CommandInfo, Invocation
from bot.plugin.actions import value_of
from bot.plugin.context import Context
from bot.plugin.guards import Check, Cooldown, guards_of
from bot.plugin.params import ArgSpec
from bot.plugin.registry import ActionHandler, Command, EventHandler, Listener, Webhook
from bot.plugin.wiring import Mount

Chain = Callable[[Context], Awaitable[Any]]


async def _not_composed(ctx: Context) -> None:
    raise RuntimeError(f"{ctx.route} ran before its pipeline was composed")


class Route:
    """One handler of one plugin, with its guards and its composed pipeline."""

    __slots__ = ("chain", "checks", "cooldown", "func", "label", "mount", "timeout")
    kind: ClassVar[str]
    answers: ClassVar[bool] = False
    """Whether a refusal (check, cooldown, usage) is told to the user: a command's
    is; a listener or event handler that does not apply stays silent."""

    def __init__(self, func: Callable[..., Awaitable[Any]], mount: Mount, timeout: float | None):
        self.func = func
        self.mount = mount
        self.timeout = timeout
        checks, spec = guards_of(func)
        self.checks: tuple[Check, ...] = checks
        self.cooldown = Cooldown(spec) if spec else None
        self.label = f"{mount.name}.{func.__name__}"
        self.chain: Chain = _not_composed

    @property
    def plugin(self) -> str:
        return self.mount.name

    def name_with(self, prefix: str) -> None:
        """Take the command prefix into the label (commands only: ``!weather``)."""

    def call(self, ctx: Context) -> Awaitable[Any]:
        """The handler's coroutine for ``ctx`` (not awaited: no frame of its own)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"


class CommandRoute(Route):
    """A command, keyed by its name and aliases; arguments parsed by its signature."""

    __slots__ = ("info", "spec")
    kind = "command"
    answers = True

    def __init__(self, command: Command, mount: Mount):
        super().__init__(command.func, mount, command.timeout)
        self.info: CommandInfo = command.info
        self.spec: ArgSpec = command.spec

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.info.name, *self.info.aliases)

    def name_with(self, prefix: str) -> None:
        self.label = f"{prefix}{self.info.name}"

    def parse(self, ctx: Context) -> None:
        """``ctx.args`` from the argument text or slash options; UsageError if they don't fit."""
        arg = ctx.arg
        if type(arg) is str:
            ctx.args = self.spec.parse(arg)
        elif isinstance(arg, Invocation) and arg.options is not None:
            ctx.args = self.spec.bind(arg.options)
        else:
            ctx.args = self.spec.parse(arg.args)

    def call(self, ctx: Context) -> Awaitable[Any]:
        pos, kw = ctx.args or ([], {})
        return self.func(ctx, *pos, **kw)


class PatternRoute(Route):
    """A listener: runs for every message its pattern finds; named groups are keywords."""

    __slots__ = ("pattern",)
    kind = "pattern"

    def __init__(self, listener: Listener, mount: Mount):
        super().__init__(listener.func, mount, listener.timeout)
        self.pattern: re.Pattern[str] = listener.pattern

    def call(self, ctx: Context) -> Awaitable[Any]:
        groups: dict[str, str | None] = ctx.arg
        return self.func(ctx, **{k: v for k, v in groups.items() if v is not None})


class EventRoute(Route):
    """An event handler, keyed by the event's kind: ``async def f(ctx, event)``."""

    __slots__ = ("event_kind",)
    kind = "event"

    def __init__(self, handler: EventHandler, mount: Mount):
        super().__init__(handler.func, mount, handler.timeout)
        self.event_kind = handler.kind

    def call(self, ctx: Context) -> Awaitable[Any]:
        return self.func(ctx, ctx.event)


class ActionRoute(Route):
    """A click on one of the plugin's components, keyed by ``plugin:action``; the
    value from the component's id (or the store, for a long one) is its argument."""

    __slots__ = ("action", "takes")
    kind = "action"
    answers = True

    def __init__(self, handler: ActionHandler, mount: Mount):
        super().__init__(handler.func, mount, handler.timeout)
        self.action = handler.name
        self.takes = handler.takes

    @property
    def key(self) -> str:
        return f"{self.mount.name}:{self.action}"

    async def call(self, ctx: Context) -> None:
        event = ctx.event
        assert isinstance(event, Action)
        value = await value_of(ctx.arg, ctx.services.store) if ctx.arg else ""
        values = list(event.values) if event.values else ([value] if value else [])
        given = {"value": value or (values[0] if values else ""), "values": values}
        await self.func(ctx, **{name: given[name] for name in self.takes})


class WebhookRoute(Route):
    """A plugin webhook at ``/hooks/<plugin><path>``: ``async def f(ctx, request)``.

    Its answer (a WebResponse or None) is kept in ``ctx.result`` for the server.
    """

    __slots__ = ("methods", "path")
    kind = "webhook"

    def __init__(self, webhook: Webhook, mount: Mount):
        super().__init__(webhook.func, mount, webhook.timeout)
        self.path = f"/hooks/{mount.name}{webhook.path.rstrip('/')}"
        self.methods = webhook.methods

    async def call(self, ctx: Context) -> None:
        ctx.result = await self.func(ctx, ctx.arg)
