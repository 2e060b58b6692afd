"""The pipeline every route runs through, composed once per route at startup::

    boundary → [once] → [metrics] → [timing] → [middleware for all…] → [checks]
             → [parse] → [cooldown] → [the plugin's own middleware…] → route.call

A stage is ``stage(ctx, call_next)`` returning an awaitable; bracketed stages are
left out of a route that does not need them, so ``!ping`` costs the boundary and
the call. Stages that only act before the handler (parse, cooldown) are plain
functions returning ``call_next(ctx)``: no coroutine frame of their own.
The boundary (gate, timeout, error answer) belongs to whoever runs the route:
the dispatcher for chat events, the web server for webhooks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.core.routes import Chain, CommandRoute, Route
from bot.errors import StoreUnavailable
from bot.model import Action, Event, MemberJoined, Message, ReactionAdded, Reply
from bot.plugin.context import Context
from bot.plugin.guards import wait_text
from bot.storage import Store

log = logging.getLogger("bot.dispatch")

Stage = Callable[[Context, Chain], Awaitable[Any]]


def compose(
    route: Route,
    boundary: Stage,
    *,
    shared: Sequence[Stage] = (),
    own: Sequence[Stage] = (),
    debug: bool = False,
    measure: Callable[[Route], Stage] | None = None,
    once: Store | None = None,
) -> Chain:
    """``route``'s chain: ``boundary`` outermost, ``route.call`` innermost.

    ``shared``: scope="all" middlewares, in plugin load order; ``own``: the
    route's plugin's middlewares, in the order they were declared; ``measure``:
    makes the route's metrics stage (when ``/metrics`` is served).
    """
    named = stages(route, boundary, shared=shared, own=own, debug=debug, measure=measure, once=once)
    chain: Chain = route.call
    for _, stage in reversed(named):
        chain = _link(stage, chain)
    return chain


def stages(
    route: Route,
    boundary: Stage,
    *,
    shared: Sequence[Stage] = (),
    own: Sequence[Stage] = (),
    debug: bool = False,
    measure: Callable[[Route], Stage] | None = None,
    once: Store | None = None,
) -> list[tuple[str, Stage]]:
    """The named stages of ``route``'s chain, outermost first. ``once``: a store the
    bot's processes share, where each event is claimed so that only one handles it."""
    named: list[tuple[str, Stage]] = [("boundary", boundary)]
    if once is not None:
        named.append(("once", handled_once(route, once)))
    if measure is not None:
        named.append(("metrics", measure(route)))
    if debug:
        named.append(("timing", timing(route)))
    named += [(f"middleware {_name(mw)}", mw) for mw in shared]
    if route.checks:
        named.append(("checks", checks(route)))
    if isinstance(route, CommandRoute):
        named.append(("parse", parse(route)))
    if route.cooldown is not None:
        named.append(("cooldown", shared_cooldown(route, once) if once else cooldown(route)))
    named += [(f"middleware {_name(mw)}", mw) for mw in own]
    return named


def _link(stage: Stage, call_next: Chain) -> Chain:
    return lambda ctx: stage(ctx, call_next)


def _name(func: Callable[..., Any]) -> str:
    return f"{func.__module__.rpartition('.')[2]}.{func.__name__}"


SEEN = "\x00seen"  # the store namespace of the claims on events
SEEN_FOR = 3600.0  # seconds a claim lasts: longer than any platform redelivers


def event_key(event: Event | None) -> str | None:
    """What identifies a delivery across processes: a message's platform, channel and
    id (a slash command's interaction id); a reaction's message, user and emoji; a
    join's user and place. None for what each process sees for itself (bot_ready)."""
    if isinstance(event, Message):
        return f"{event.platform}:{event.channel.id}:{event.id}" if event.id else None
    if isinstance(event, ReactionAdded):
        where = f"{event.platform}:{event.channel.id}:{event.message_id}"
        return f"{where}:reaction:{event.user.id}:{event.emoji}"
    if isinstance(event, Action):
        return f"{event.platform}:{event.channel.id}:action:{event.key}" if event.key else None
    if isinstance(event, MemberJoined):
        place = event.channel.id if event.channel else ""
        return f"{event.platform}:{place}:joined:{event.user.id}"
    return None


def handled_once(route: Route, store: Store) -> Stage:
    """Several processes on one shared store: only the one that claims the event
    runs the route (Slack retries, Socket Mode redeliveries, two Discord connections
    during a rolling deploy). A store that cannot answer lets it run: an answer twice
    beats no answer."""

    async def once(ctx: Context, call_next: Chain) -> None:
        key = event_key(ctx.event)
        if key is not None:
            try:
                if not await store.claim(SEEN, f"{key}:{route.label}", ttl=SEEN_FOR):
                    log.debug("%s: %s was handled by another process", route.label, key)
                    return
            except StoreUnavailable:
                log.warning("%s: the store did not answer; handling %s here", route.label, key)
        await call_next(ctx)

    return once


def timing(route: Route) -> Stage:
    """Debug mode: how long the rest of the chain took, in one DEBUG line."""
    where = f"{route.plugin}.{route.func.__name__}"

    async def timed(ctx: Context, call_next: Chain) -> None:
        start = time.perf_counter()
        try:
            await call_next(ctx)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            log.debug("%s → %s in %.1f ms", route.label, where, elapsed)

    return timed


def checks(route: Route) -> Stage:
    """Every check in order; the first that fails stops the route (and says why, for
    a command)."""

    async def checked(ctx: Context, call_next: Chain) -> None:
        for check in route.checks:
            if not await check.predicate(ctx):
                ctx.log.info("%s refused to %s by a check", route.label, ctx.author)
                if route.answers:
                    await answer(ctx, check.refusal.format(command=f"`{route.label}`"))
                return
        await call_next(ctx)

    return checked


def parse(route: CommandRoute) -> Stage:
    """The command's arguments into ``ctx.args``; a UsageError goes to the boundary.

    Before the cooldown: a typo answers the usage and spends no slot.
    """
    parse_into = route.parse

    def parsed(ctx: Context, call_next: Chain) -> Awaitable[Any]:
        parse_into(ctx)
        return call_next(ctx)

    return parsed


def cooldown(route: Route) -> Stage:
    """Counts the run, or refuses it; the first refusal in a blocked stretch says when
    to try again, later ones stay silent. After the checks and the arguments, so a
    refused user or a typo spends no slot."""
    state = route.cooldown
    assert state is not None

    def cooled(ctx: Context, call_next: Chain) -> Awaitable[Any]:
        assert ctx.event is not None
        key = state.key(ctx.event)
        now = time.monotonic()
        wait = state.hit(key, now)
        if wait <= 0:
            return call_next(ctx)
        if route.answers and state.first_refusal(key, now, wait):
            return answer(ctx, f"Slow down: try `{route.label}` again {wait_text(wait)}.")
        return _nothing()

    return cooled


COOLDOWNS = "\x00cooldowns"  # the store namespace of the shared cooldown windows


def shared_cooldown(route: Route, store: Store) -> Stage:
    """The cooldown counted in the store every process shares: at most ``rate`` runs
    in each ``per``-second window (windows start at multiples of ``per`` since the
    epoch, so every process agrees which one it is), told once per window."""
    state = route.cooldown
    assert state is not None
    rate, per = state.spec.rate, state.spec.per

    async def cooled(ctx: Context, call_next: Chain) -> None:
        assert ctx.event is not None
        now = time.time()
        window = int(now // per)
        key = f"{route.label}:{state.key(ctx.event)}:{window}"
        if await store.incr(COOLDOWNS, key, ttl=per) <= rate:
            await call_next(ctx)
            return
        wait = (window + 1) * per - now
        if route.answers and await store.claim(COOLDOWNS, f"{key}:told", ttl=per):
            await answer(ctx, f"Slow down: try `{route.label}` again {wait_text(wait)}.")

    return cooled


async def _nothing() -> None:
    return None


async def answer(ctx: Context, text: str, *, ephemeral: bool = True) -> None:
    """Answer on the framework's behalf (to the asker only, by default); never raises.

    An event with no channel (bot_ready, a webhook) has nobody to answer: the log
    has it all.
    """
    outlet, event, channel = ctx.outlet, ctx.event, ctx.channel
    if outlet is None or event is None or channel is None:
        return
    try:
        async with asyncio.timeout(10):
            reply_to = event if isinstance(event, Message | Action) else None
            await outlet.send(channel, Reply(text, ephemeral=ephemeral), reply_to=reply_to)
    except Exception:
        log.exception("could not send an answer to %s", channel)
