"""Checks and cooldowns: what must hold before a handler runs.

Both decorate the handler function and may sit above or below ``@plugin.command``
(they are read when the plugin is mounted)::

    @plugin.command
    @requires(is_admin)
    @cooldown(1, 30, scope="channel")
    async def deploy(ctx: Context, env: str) -> None: ...

A failed check or an exhausted cooldown answers a short refusal (commands only;
listeners and event handlers are skipped silently) and the handler never runs.
"""

from __future__ import annotations

import inspect
import math
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot.errors import PluginError
from bot.model import Event, Message

if TYPE_CHECKING:
    from bot.plugin.context import Context

F = TypeVar("F", bound=Callable[..., Awaitable[None]])
Predicate = Callable[["Context"], Awaitable[bool]]
Scope = Literal["user", "channel", "global"]

_CHECKS = "__botloop_checks__"
_COOLDOWN = "__botloop_cooldown__"


@dataclass(frozen=True, slots=True)
class Check:
    """An async predicate on the context, and what to answer when it says no.

    ``refusal`` may name the command as ``{command}`` (``!deploy``).
    """

    predicate: Predicate
    refusal: str = "You can't use {command} here."


async def _is_admin(ctx: Context) -> bool:
    author = ctx.author
    return author is not None and (ctx.platform, author.id) in ctx.services.admins


async def _is_direct(ctx: Context) -> bool:
    return isinstance(ctx.event, Message) and ctx.event.is_direct


is_admin = Check(_is_admin, "Only admins can use {command}.")
"""Passes for the users listed in ``BOT_ADMINS`` (``discord:123,slack:U456``)."""

is_direct = Check(_is_direct, "{command} works only in a direct message to me.")
"""Passes for direct messages (the console counts as one)."""


def check(predicate: Predicate, refusal: str = "You can't use {command} here.") -> Check:
    """A custom check: ``@requires(check(in_ops_channel, "Only in #ops."))``."""
    if not inspect.iscoroutinefunction(predicate):
        raise PluginError(f"check {predicate!r} must be an async def taking the context")
    return Check(predicate, refusal)


def requires(*checks: Check | Predicate) -> Callable[[F], F]:
    """Run the handler only when every check passes, in order; the first failure answers.

    Takes :data:`is_admin`, :data:`is_direct`, a :func:`check`, or a bare async
    predicate ``async def (ctx) -> bool`` (which answers a generic refusal).
    """
    resolved = tuple(c if isinstance(c, Check) else check(c) for c in checks)

    def decorate(func: F) -> F:
        setattr(func, _CHECKS, (*resolved, *getattr(func, _CHECKS, ())))
        return func

    return decorate


@dataclass(frozen=True, slots=True)
class CooldownSpec:
    """``rate`` runs per ``per`` seconds, counted per user, per channel or globally."""

    rate: int
    per: float
    scope: Scope


def cooldown(rate: int, per: float, *, scope: Scope = "user") -> Callable[[F], F]:
    """Allow ``rate`` runs per ``per`` seconds for each user (or channel, or everyone).

    Over the limit the user is told once when to try again, and the handler does not run.
    """
    if not isinstance(rate, int) or rate < 1 or not per > 0:
        raise PluginError(f"cooldown needs rate >= 1 and per > 0, got {rate!r}, {per!r}")
    if scope not in ("user", "channel", "global"):
        raise PluginError(f"cooldown scope must be user, channel or global, got {scope!r}")
    spec = CooldownSpec(rate, float(per), scope)

    def decorate(func: F) -> F:
        setattr(func, _COOLDOWN, spec)
        return func

    return decorate


def guards_of(func: Callable[..., Any]) -> tuple[tuple[Check, ...], CooldownSpec | None]:
    """The checks and cooldown stacked on ``func``."""
    return getattr(func, _CHECKS, ()), getattr(func, _COOLDOWN, None)


class Cooldown:
    """The live state of one handler's cooldown: a sliding window of run times per key."""

    __slots__ = ("_hits", "_told", "spec")

    def __init__(self, spec: CooldownSpec) -> None:
        self.spec = spec
        self._hits: dict[Hashable, deque[float]] = {}
        self._told: dict[Hashable, float] = {}  # key → when the refusal stops being news

    def key(self, event: Event) -> Hashable:
        if self.spec.scope == "global":
            return ()
        if self.spec.scope == "channel":
            channel = getattr(event, "channel", None)  # bot_ready has none
            return (event.platform, channel.id if channel else "")
        user = event.author if isinstance(event, Message) else getattr(event, "user", None)
        return (event.platform, user.id if user else "")

    def hit(self, key: Hashable, now: float) -> float:
        """Count a run now; 0 when allowed, else the seconds until one is."""
        window = self._hits.get(key)
        if window is None:
            if len(self._hits) > 10_000:
                self._forget(now)
            window = self._hits[key] = deque()
        while window and now - window[0] >= self.spec.per:
            window.popleft()
        if len(window) < self.spec.rate:
            window.append(now)
            return 0.0
        return self.spec.per - (now - window[0])

    def first_refusal(self, key: Hashable, now: float, wait: float) -> bool:
        """True once per blocked stretch, so a user hammering a command hears it once."""
        if self._told.get(key, 0.0) > now:
            return False
        self._told[key] = now + wait
        return True

    def _forget(self, now: float) -> None:
        """Drop keys whose windows have emptied, so memory follows the active users."""
        per = self.spec.per
        stale = [k for k, w in self._hits.items() if not w or now - w[-1] >= per]
        for k in stale:
            del self._hits[k]
            self._told.pop(k, None)


def wait_text(seconds: float) -> str:
    """``in 4 s`` / ``in 2 min``: rounded up, so "now" is never promised early."""
    whole = max(1, math.ceil(seconds))
    return f"in {whole} s" if whole < 120 else f"in {math.ceil(whole / 60)} min"
