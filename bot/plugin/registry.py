"""``Plugin``: the one registry object a plugin module holds."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from bot.errors import PluginError
from bot.model import EVENT_KINDS, CommandInfo
from bot.plugin.params import ArgSpec

Handler = Callable[..., Awaitable[None]]
H = TypeVar("H", bound=Handler)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class Command:
    """A command handler with its parsed signature."""

    info: CommandInfo
    func: Handler
    spec: ArgSpec = field(repr=False)
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Listener:
    """A handler for every message whose text matches ``pattern`` (``re.search``)."""

    pattern: re.Pattern[str]
    func: Handler
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class EventHandler:
    """A handler for one neutral event kind: ``async def f(ctx, event)``."""

    kind: str
    func: Handler
    timeout: float | None = None


def _check_name(kind: str, name: str) -> str:
    name = name.lower()
    if not _NAME.match(name):
        raise PluginError(f"{kind} name {name!r} must be lowercase letters, digits, - or _")
    return name


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise PluginError(f"timeout must be a positive number of seconds, got {timeout!r}")


def _check_coroutine(func: Callable[..., Any]) -> None:
    if not inspect.iscoroutinefunction(func):
        raise PluginError(f"{func.__qualname__} must be an async def")


class Plugin:
    """A plugin's registry: its commands, listeners and settings. No global state.

    ::

        plugin = Plugin("weather", help="Current weather")

        @plugin.command(aliases=["w"], help="Current conditions for one or more cities")
        async def weather(ctx: Context, *cities: str) -> None: ...

    ``config``: an optional dataclass of the plugin's settings, read from
    ``<NAME>_<FIELD>`` variables and validated at startup (``ctx.config``).
    """

    def __init__(self, name: str, *, help: str = "", config: type | None = None) -> None:
        self.name = _check_name("plugin", name)
        self.help = help
        self.config_schema = config
        self.config_prefix = self.name.upper().replace("-", "_")
        self.commands: list[Command] = []
        self.listeners: list[Listener] = []
        self.event_handlers: list[EventHandler] = []

    def __repr__(self) -> str:
        return (
            f"<Plugin {self.name}: {len(self.commands)} commands, {len(self.listeners)} listeners>"
        )

    @overload
    def command(self, name: H, /) -> H: ...
    @overload
    def command(
        self,
        name: str | None = None,
        /,
        *,
        aliases: Iterable[str] = (),
        help: str | None = None,
        timeout: float | None = None,
    ) -> Callable[[H], H]: ...

    def command(
        self,
        name: str | H | None = None,
        /,
        *,
        aliases: Iterable[str] = (),
        help: str | None = None,
        timeout: float | None = None,
    ) -> H | Callable[[H], H]:
        """Register a command; its arguments are parsed from the message by the signature.

        ``@plugin.command`` alone names it after the function; ``help`` defaults to
        the docstring. ``timeout``: seconds this handler may run, instead of
        BOT_HANDLER_TIMEOUT. Works as ``!name``, ``@bot name``, in DMs and as a slash command.
        """
        _check_timeout(timeout)
        if callable(name):
            return self.command()(name)

        def register(func: H) -> H:
            _check_coroutine(func)
            text = help if help is not None else inspect.getdoc(func) or ""
            spec = ArgSpec(func)
            info = CommandInfo(
                name=_check_name("command", name or func.__name__),
                help=text,
                aliases=tuple(_check_name("alias", a) for a in aliases),
                options=spec.options,
                plugin=self.name,
            )
            self.commands.append(Command(info, func, spec, timeout))
            return func

        return register

    def on_message(
        self, pattern: str | re.Pattern[str], *, flags: int = 0, timeout: float | None = None
    ) -> Callable[[H], H]:
        """Run the handler for every message matching ``pattern``; named groups become
        keyword arguments::

            @plugin.on_message(r"(?i)\\bthanks?,? (?P<who>\\w+)")
            async def thanks(ctx: Context, who: str) -> None: ...
        """
        _check_timeout(timeout)
        compiled = re.compile(pattern, flags) if isinstance(pattern, str) else pattern

        def register(func: H) -> H:
            _check_coroutine(func)
            self.listeners.append(Listener(compiled, func, timeout))
            return func

        return register

    def on_event(self, kind: str, *, timeout: float | None = None) -> Callable[[H], H]:
        """Run the handler for every event of ``kind`` (``reaction_added``,
        ``member_joined``, ``bot_ready``); it gets the typed event after the context::

            @plugin.on_event("reaction_added")
            async def starred(ctx: Context, event: ReactionAdded) -> None: ...
        """
        _check_timeout(timeout)
        if kind not in EVENT_KINDS:
            known = ", ".join(sorted(EVENT_KINDS))
            hint = " (use @plugin.on_message)" if kind == "message" else ""
            raise PluginError(f"unknown event kind {kind!r}{hint}; known: {known}")

        def register(func: H) -> H:
            _check_coroutine(func)
            self.event_handlers.append(EventHandler(kind, func, timeout))
            return func

        return register
