"""github: ``!gh OWNER/REPO [OWNER/REPO…]``, repositories at a glance from the GitHub REST API.

The plugin is named ``github`` so that its settings are ``GITHUB_TOKEN`` and
``GITHUB_API_URL`` (the names GitHub itself uses, in Actions too); its command is ``gh``.
Each repository costs two lookups, made concurrently with the others':
``GET /repos/{owner}/{repo}`` and ``GET /repos/{owner}/{repo}/releases/latest``
(404 there means no release: an answer, cached like the rest). Answers are cached for
``GITHUB_CACHE_TTL`` seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import Card, Context, FetchError, Field, Plugin, Result, Secret, UsageError, UserError


@dataclass(frozen=True)
class GitHubConfig:
    token: Secret | None = None  # GITHUB_TOKEN: raises the rate limit from 60 to 5,000 an hour
    api_url: str = (
        "https://api.github.com"  # GITHUB_API_URL: GitHub Enterprise: https://HOST/api/v3
    )
    max_repos: int = 10  # GITHUB_MAX_REPOS: repositories one command may ask about
    cache_ttl: float = 300  # GITHUB_CACHE_TTL: seconds an answer is reused


plugin = Plugin("github", help="GitHub repositories at a glance", config=GitHubConfig)

SERVICE = "GitHub"
# GitHub's rules: an owner is 1-39 letters, digits or inner hyphens; a repository
# name is letters, digits, '.', '-' and '_' (and never '.' or '..').
_REPO = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})")
_WEB = re.compile(r"(?:https?://)?(?:www\.)?github\.com/", re.IGNORECASE)


@plugin.command(help="Stars, forks, open issues, latest release and last push: gh OWNER/REPO…")
async def gh(ctx: Context, repo: str, *more: str) -> None:
    config: GitHubConfig = ctx.config
    names = parse_repos([repo, *more])
    if len(names) > config.max_repos:
        raise UserError(f"At most {config.max_repos} repositories at a time, please.")
    pairs = await look_up(ctx, config, names)
    limits = [rate_limit(found) for found, _ in pairs]
    if all(limits):  # nothing to show but the limit
        raise UserError(limit_message(limits[0], config.token))
    for name, (found, _) in zip(names, pairs, strict=True):
        if not isinstance(found.error, (FetchError, TimeoutError, type(None))):
            ctx.log.warning("gh %s failed", name, exc_info=found.error)
    now = datetime.now(UTC)
    limited = next((e for e in limits if e is not None), None)
    fields = tuple(field(name, *pair, now) for name, pair in zip(names, pairs, strict=True))
    await ctx.reply(
        Card(
            title=fields[0].name if len(fields) == 1 else f"{len(fields)} GitHub repositories",
            fields=fields,
            footer=limit_message(limited, config.token) if limited else "",
        )
    )


async def look_up(
    ctx: Context, config: GitHubConfig, names: Sequence[str]
) -> list[tuple[Result[Any], Result[Any]]]:
    """Each repository and its latest release, all at once: a (repo, release) pair each."""
    api = config.api_url.rstrip("/")
    headers = request_headers(config.token)

    def get(path: str, missing_ok: bool = False) -> Any:
        return ctx.fetch_json(
            api + path,
            headers=headers,
            cache_ttl=config.cache_ttl,
            service=SERVICE,
            missing_ok=missing_ok,
        )

    lookups = []
    for name in (n.lower() for n in names):  # GitHub ignores case; the cache need not
        # No release is a 404: an answer (None), cached like the others, not an error.
        lookups += [get(f"/repos/{name}"), get(f"/repos/{name}/releases/latest", True)]
    results = await ctx.gather(*lookups)
    return list(zip(results[::2], results[1::2], strict=True))


def parse_repos(words: Sequence[str]) -> list[str]:
    """``OWNER/REPO`` names (github.com links and a ``.git`` suffix accepted), each once."""
    names: dict[str, str] = {}
    for word in words:
        text = _WEB.sub("", word.strip("<>"), count=1).rstrip("/").removesuffix(".git")
        match = _REPO.fullmatch(text)
        if match is None or match[2] in (".", "..") or match[1].endswith("-"):
            raise UsageError(f"{word!r} is not OWNER/REPO.")
        names.setdefault(text.lower(), text)
    return list(names.values())


def request_headers(token: Secret | None) -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token.reveal()}"
    return headers


def rate_limit(result: Result[Any]) -> FetchError | None:
    """The error if this lookup hit a rate limit: a 429, or a 403 that says when to retry
    (GitHub's primary limit sends X-RateLimit-Reset, its secondary limit Retry-After)."""
    error = result.error
    if not isinstance(error, FetchError):
        return None
    if error.status == 429 or (error.status == 403 and error.retry_after is not None):
        return error
    return None


def limit_message(error: FetchError, token: Secret | None) -> str:
    wait = error.retry_after
    when = f"try again in {duration(wait)}" if wait is not None else "try again later"
    hint = "" if token else " (a GITHUB_TOKEN raises the limit)"
    return f"⏳ GitHub is rate limiting us; {when}{hint}."


def field(name: str, repo: Result[Any], release: Result[Any], now: datetime) -> Field:
    if not repo.ok:
        return Field(name, f"❌ {failure(repo.error)}", inline=False)
    data: Mapping[str, Any] = repo.value or {}
    title = str(data.get("full_name") or name)
    if data.get("archived"):
        title += " (archived)"
    about = [str(part)[:120] for part in (data.get("language"), data.get("description")) if part]
    if data.get("html_url"):
        about.append(f"[on GitHub]({data['html_url']})")
    lines = [" · ".join(about)]
    lines.append(
        f"⭐ {count(data.get('stargazers_count'))} · 🍴 {count(data.get('forks_count'))}"
        f" · {count(data.get('open_issues_count'))} open issues and PRs"
    )
    pushed = parse_time(data.get("pushed_at"))
    lines.append(
        f"Latest release: {release_text(release, now)}"
        f" · Last push: {ago(pushed, now) if pushed else 'never'}"
    )
    return Field(title, "\n".join(line for line in lines if line), inline=False)


def release_text(release: Result[Any], now: datetime) -> str:
    error = release.error
    if error is not None:
        return f"unknown ({failure(error)})"
    if release.value is None:
        return "none"
    data: Mapping[str, Any] = release.value
    tag = str(data.get("tag_name") or data.get("name") or "?")
    published = parse_time(data.get("published_at"))
    return f"{tag} ({ago(published, now)})" if published else tag


def failure(error: BaseException | None) -> str:
    """One repository's error, as its field shows it."""
    if isinstance(error, FetchError):
        if error.status == 404:
            return "not found"
        if rate_limit(Result(error=error)) is not None:
            return "rate limited"
        return str(error)  # "GitHub did not answer within 10 s", "GitHub answered 500 (…)"
    if isinstance(error, TimeoutError):
        return "GitHub did not answer in time"
    return "lookup failed"


def count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600))


def ago(when: datetime, now: datetime) -> str:
    """``3 days ago``, ``1 hour ago``, ``just now``: the largest whole unit."""
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (*_UNITS, ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    raise AssertionError("unreachable")  # pragma: no cover - a minute matches above


def duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"
