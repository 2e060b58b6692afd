"""status: ``!status URL [URL…]`` (also ``!isup``), concurrent HTTP checks: status code and time.

Guarded against server-side request forgery (see :mod:`plugins.status.guard`): by
default no loopback, private, link-local, shared or metadata address is reached,
whether typed, resolved or redirected to. Each check runs on the plugin's own HTTP
session (:mod:`plugins.status.probe`), made in setup and closed in teardown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot import Card, ConfigError, Context, Field, Plugin, UserError

from .probe import Outcome, Prober, short

PROGRESS_AFTER = 3  # more URLs than this get a status message that counts them


@dataclass(frozen=True)
class StatusConfig:
    allow_private: bool = False  # STATUS_ALLOW_PRIVATE: reach loopback/private/link-local too
    max_urls: int = 10  # STATUS_MAX_URLS: URLs one command may check
    max_bytes: int = 64 * 1024  # STATUS_MAX_BYTES: bytes read of each answer's body
    timeout: float = 10.0  # STATUS_TIMEOUT: seconds per URL, redirects included

    def __post_init__(self) -> None:
        for name in ("max_urls", "max_bytes", "timeout"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"STATUS_{name.upper()}", "must be more than 0")


plugin = Plugin("status", help="Is that site up?", config=StatusConfig)


@plugin.setup
async def open_session(ctx: Context) -> None:
    config: StatusConfig = ctx.config
    ctx.state.prober = Prober(
        allow_private=config.allow_private,
        timeout=config.timeout,
        max_bytes=config.max_bytes,
        user_agent=ctx.http.headers.get("User-Agent"),
    )


@plugin.teardown
async def close_session(ctx: Context) -> None:
    prober: Prober | None = getattr(ctx.state, "prober", None)
    if prober is not None:
        await prober.close()


# Named isup, with status as an alias: Slack reserves /status for its own command and
# rejects a whole app manifest that lists it. !status, @bot status and DMs work as typed.
@plugin.command(
    "isup",
    aliases=["status"],
    help="Check websites: status URL [URL…] (status code and response time)",
)
async def status(ctx: Context, url: str, *more: str) -> None:
    config: StatusConfig = ctx.config
    urls = list(dict.fromkeys((url, *more)))
    if len(urls) > config.max_urls:
        raise UserError(f"At most {config.max_urls} URLs at a time, please.")
    prober: Prober = ctx.state.prober
    if len(urls) <= PROGRESS_AFTER:
        await ctx.reply(await check_all(ctx, prober, urls))
        return
    async with ctx.progress(len(urls), f"Checking {len(urls)} URLs") as progress:
        await progress.finish(await check_all(ctx, prober, urls, progress.advance))


async def check_all(
    ctx: Context, prober: Prober, urls: list[str], done: Callable[[], None] | None = None
) -> Card:
    """Every URL at once (each has its own timeout); ``done()`` after each one."""

    async def one(url: str) -> Outcome:
        try:
            return await prober.check(url)
        finally:
            if done is not None:
                done()

    results = await ctx.gather(*(one(u) for u in urls))
    outcomes = []
    for url, result in zip(urls, results, strict=True):
        if result.error is not None:
            ctx.log.error("checking %s failed", url, exc_info=result.error)
        outcomes.append(result.value or Outcome(url, error="check failed"))
    for outcome in outcomes:
        if outcome.refused:  # the reason names the address; the URL may carry a token
            ctx.log.info("status: %s", outcome.error)
    return card(outcomes)


def card(outcomes: list[Outcome]) -> Card:
    up = sum(1 for o in outcomes if o.status is not None and o.status < 400)
    fields = tuple(Field(short(o.url), line(o)) for o in outcomes)
    return Card(title=f"{up} of {len(outcomes)} up", fields=fields)


def line(outcome: Outcome) -> str:
    """``✅ 200 OK · 85 ms``, ``⚠️ 404 Not Found · 12 ms``, ``❌ timed out after 10 s``."""
    status = outcome.status
    if status is None:
        return f"❌ {outcome.error}"
    mark = "✅" if 200 <= status < 300 else "❌" if status >= 500 else "⚠️"
    parts = [f"{mark} {status} {outcome.reason}".rstrip(), f"{outcome.ms:.0f} ms"]
    if outcome.redirects:
        parts.append(f"after {outcome.redirects} redirect{'s' * (outcome.redirects > 1)}")
    return " · ".join(parts)
