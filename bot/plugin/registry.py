"""``Plugin``: the one registry object a plugin module holds."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from bot.errors import PluginError
from bot.model import EVENT_KINDS, CommandInfo
from bot.plugin.params import ArgSpec
from bot.plugin.schedule import Cron, Every, Job

if TYPE_CHECKING:
    from bot.plugin.context import Context

Handler = Callable[..., Awaitable[None]]
H = TypeVar("H", bound=Handler)
CallNext = Callable[["Context"], Awaitable[None]]
MiddlewareFunc = Callable[["Context", CallNext], Awaitable[None]]
M = TypeVar("M", bound=MiddlewareFunc)
Scope = Literal["plugin", "all"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)+$|^/$")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


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


@dataclass(frozen=True, slots=True)
class ActionHandler:
    """A handler for clicks on this plugin's components named ``name``:
    ``async def f(ctx, value)`` (a button's value) or ``f(ctx, values)`` (a select's)."""

    name: str
    func: Handler
    takes: tuple[str, ...]  # which of "value" and "values" it wants
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Webhook:
    """A handler for HTTP requests to ``/hooks/<plugin><path>``:
    ``async def f(ctx, request) -> WebResponse | None``."""

    path: str
    methods: tuple[str, ...]
    func: Callable[..., Awaitable[Any]]
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Middleware:
    """``async def mw(ctx, call_next)`` around this plugin's handlers, or everyone's."""

    func: MiddlewareFunc
    scope: Scope = "plugin"


def _check_name(kind: str, name: str) -> str:
    name = name.lower()
    if not _NAME.match(name):
        raise PluginError(f"{kind} name {name!r} must be lowercase letters, digits, - or _")
    return name


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise PluginError(f"timeout must be a positive number of seconds, got {timeout!r}")


def _takes(func: Callable[..., Any]) -> tuple[str, ...]:
    """Which of ``value`` and ``values`` an action handler takes after ``ctx``."""
    params = list(inspect.signature(func).parameters.values())[1:]
    other = [
        p.name
        for p in params
        if p.name not in ("value", "values")
        and p.default is p.empty
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if other:
        raise PluginError(
            f"{func.__qualname__}: an action handler takes (ctx, value: str) or "
            f"(ctx, values: list[str]), not {', '.join(other)}"
        )
    return tuple(p.name for p in params if p.name in ("value", "values"))


def _check_coroutine(func: Callable[..., Any]) -> None:
    if not inspect.iscoroutinefunction(func):
        raise PluginError(f"{func.__qualname__} must be an async def")


class Plugin:
    """A plugin's registry: its handlers, middlewares and settings. No global state.

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
        self.jobs: list[Job] = []
        self.webhooks: list[Webhook] = []
        self.actions: list[ActionHandler] = []
        self.middlewares: list[Middleware] = []
        self.setup_hooks: list[Handler] = []
        self.teardown_hooks: list[Handler] = []

    def __repr__(self) -> str:
        return (
            f"<Plugin {self.name}: {len(self.commands)} commands, {len(self.listeners)} listeners,"
            f" {len(self.event_handlers)} event handlers, {len(self.jobs)} jobs>"
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

    def on_action(self, name: str, *, timeout: float | None = None) -> Callable[[H], H]:
        """Run the handler when someone clicks a component with ``action=name`` that
        this plugin sent; it gets the button's ``value`` (or a select's ``values``)::

            @plugin.on_action("deploy")
            async def deploy(ctx: Context, value: str) -> None:
                await ctx.update(f"Deploying {value}…")

        The action is in the component's id, so a click reaches the handler after a
        restart too. Checks, cooldowns and middleware apply as to a command.
        """
        _check_timeout(timeout)
        action = _check_name("action", name)

        def register(func: H) -> H:
            _check_coroutine(func)
            if any(a.name == action for a in self.actions):
                raise PluginError(f"plugin {self.name!r} handles action {action!r} twice")
            self.actions.append(ActionHandler(action, func, _takes(func), timeout))
            return func

        return register

    def every(
        self,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
        first: float | None = None,
        timeout: float | None = None,
    ) -> Callable[[H], H]:
        """Run ``async def job(ctx)`` every so often, from startup to shutdown::

            @plugin.every(minutes=5)
            async def poll(ctx: Context) -> None:
                await ctx.send(ctx.config.channel, "still here")

        ``first``: seconds before the first run (default: one interval). A run still
        going at the next tick makes that tick skip; an error is logged and the job
        carries on.
        """
        interval = seconds + 60 * minutes + 3600 * hours
        if not interval > 0:
            raise PluginError("@plugin.every needs a positive interval")
        return self._job(Every(interval, first=first), timeout)

    def cron(self, expression: str, *, timeout: float | None = None) -> Callable[[H], H]:
        """Run ``async def job(ctx)`` on a cron schedule, in UTC::

            @plugin.cron("0 9 * * mon-fri")
            async def standup(ctx: Context) -> None: ...

        The cron subset is documented in :mod:`bot.plugin.schedule`; a malformed
        expression fails here, at load time.
        """
        return self._job(Cron(expression), timeout)

    def _job(self, trigger: Every | Cron, timeout: float | None) -> Callable[[H], H]:
        _check_timeout(timeout)

        def register(func: H) -> H:
            _check_coroutine(func)
            name = f"{self.name}.{func.__name__}"
            self.jobs.append(Job(name, trigger, func, timeout))
            return func

        return register

    def webhook(
        self, path: str, *, methods: Iterable[str] = ("POST",), timeout: float | None = None
    ) -> Callable[[H], H]:
        """Serve ``/hooks/<plugin><path>`` on the bot's web server::

            @plugin.webhook("/github", methods=["POST"])
            async def on_push(ctx: Context, request: WebRequest) -> WebResponse | None:
                await ctx.send(ctx.config.channel, f"push to {request.json()['ref']}")

        The body is read first (at most ``BOT_WEB_MAX_BODY`` bytes, else 413); None
        answers 204, an exception 500 (logged). Post with ``ctx.send``: a request has
        no channel to reply in.
        """
        _check_timeout(timeout)
        if not _PATH.match(path):
            raise PluginError(
                f"webhook path {path!r} must start with / and hold only URL-safe characters"
            )
        wanted = tuple(dict.fromkeys(m.upper() for m in methods))
        unknown = [m for m in wanted if m not in _METHODS]
        if unknown or not wanted:
            raise PluginError(f"webhook methods must be some of {sorted(_METHODS)}, got {unknown}")

        def register(func: H) -> H:
            _check_coroutine(func)
            self.webhooks.append(Webhook(path, wanted, func, timeout))
            return func

        return register

    @overload
    def middleware(self, func: M, /) -> M: ...
    @overload
    def middleware(self, func: None = None, /, *, scope: Scope = "plugin") -> Callable[[M], M]: ...

    def middleware(
        self, func: M | None = None, /, *, scope: Scope = "plugin"
    ) -> M | Callable[[M], M]:
        """Wrap handlers in ``async def mw(ctx, call_next)``; it runs the handler with
        ``await call_next(ctx)``, or answers and returns to stop it::

            @plugin.middleware                  # this plugin's handlers, after checks
            async def timed(ctx: Context, call_next: CallNext) -> None: ...

            @plugin.middleware(scope="all")     # every plugin's, before checks
            async def audit(ctx: Context, call_next: CallNext) -> None: ...

        ``ctx.route`` says what it wraps (``kind``, ``plugin``, ``label``). Scope
        ``all`` middlewares nest in plugin load order, the first loaded outermost.
        """
        if scope not in ("plugin", "all"):
            raise PluginError(f"middleware scope must be 'plugin' or 'all', got {scope!r}")
        if func is not None:
            return self.middleware(scope=scope)(func)

        def register(mw: M) -> M:
            _check_coroutine(mw)
            self.middlewares.append(Middleware(mw, scope))
            return mw

        return register

    def setup(self, func: H) -> H:
        """Run ``async def setup(ctx)`` once at startup, before any event; an exception
        there unloads the plugin (logged) and the others go on."""
        _check_coroutine(func)
        self.setup_hooks.append(func)
        return func

    def teardown(self, func: H) -> H:
        """Run ``async def teardown(ctx)`` once at shutdown, after the last handler."""
        _check_coroutine(func)
        self.teardown_hooks.append(func)
        return func
