"""JSON lookups made polite and robust: timeouts, retries, a per-host limit and a cache.

One :class:`Fetcher` per process sits on the shared session; ``ctx.fetch_json``
is its face. What it does, in order, for one call:

1. a fresh cache entry answers at once; an identical lookup already in flight is
   joined rather than repeated (so ``!weather Paris Paris`` asks once);
2. it waits for a slot among the host's ``per_host`` concurrent requests, so a
   fan-out of 50 does not open 50 connections to one API; the request's own
   timeout starts only once it has the slot;
3. connection errors, 5xx and 429 are retried with exponential backoff and full
   jitter, honouring ``Retry-After`` (a wait longer than ``max_wait`` is not
   slept through: the user is told when to try again instead);
4. everything that still fails is a :class:`~bot.errors.FetchError` whose text
   a user can read; timeouts are :class:`~bot.errors.FetchTimeout`, never retried
   (asking a slow API again only doubles the wait).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.errors import FetchError, FetchTimeout
from bot.http.guard import Refused

log = logging.getLogger("bot.http")

RETRIED = frozenset({429, 500, 502, 503, 504})
PARSE_IN_THREAD = 256 * 1024  # bodies this big are parsed off the loop

Params = Mapping[str, str | int | float]
CacheKey = tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], bool]


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """The defaults of every lookup, from the BOT_HTTP_* settings."""

    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5  # first retry waits up to this long; each next one doubles it
    max_wait: float = 30.0  # longest Retry-After honoured by sleeping
    per_host: int = 10
    max_bytes: int = 4 * 1024 * 1024
    cache_bytes: int = 32 * 1024 * 1024


class _HostGate:
    """A semaphore per host, dropped when idle so visiting many hosts keeps no state."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._gates: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    async def __call__(self, host: str) -> _Slot:
        gate, users = self._gates.setdefault(host, (asyncio.Semaphore(self._size), [0]))
        users[0] += 1
        try:
            await gate.acquire()
        except BaseException:
            self._leave(host, users)
            raise
        return _Slot(self, host, gate, users)

    def _leave(self, host: str, users: list[int]) -> None:
        users[0] -= 1
        if not users[0]:
            del self._gates[host]


class _Slot:
    def __init__(self, owner: _HostGate, host: str, gate: asyncio.Semaphore, users: list[int]):
        self._owner, self._host, self._gate, self._users = owner, host, gate, users

    def release(self) -> None:
        self._gate.release()
        self._owner._leave(self._host, self._users)


class _Cache:
    """Response bodies by request, for a TTL each, bounded in total bytes (LRU)."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._size = 0
        self._entries: OrderedDict[CacheKey, tuple[float, bytes]] = OrderedDict()

    def get(self, key: CacheKey, now: float) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: CacheKey, body: bytes, expires: float) -> None:
        if len(body) > self._max // 4:  # one huge answer must not flush everything else
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (expires, body)
        self._size += len(body)
        while self._size > self._max:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: CacheKey) -> None:
        self._size -= len(self._entries.pop(key)[1])

    def __len__(self) -> int:
        return len(self._entries)


class Fetcher:
    """``fetch_json`` over one shared session; one per process, made by the runtime."""

    def __init__(self, session: aiohttp.ClientSession, policy: FetchPolicy | None = None) -> None:
        self.session = session
        self.policy = policy or FetchPolicy()
        self._hosts = _HostGate(self.policy.per_host)
        self._cache = _Cache(self.policy.cache_bytes)
        self._flying: dict[CacheKey, asyncio.Future[bytes]] = {}

    async def json(
        self,
        url: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        cache_ttl: float = 0,
        service: str | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """GET ``url`` and return its JSON; see the module docstring for the rules.

        ``service`` names the API in messages to the user (default: the host name).
        ``missing_ok``: a 404 is an answer (None, cached like any other), not an error.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"fetch_json needs an http(s) URL, got {url!r}")
        request = _Request(
            url,
            {k: str(v) for k, v in (params or {}).items()},
            dict(headers or {}),
            service or parts.hostname,
            self.policy.timeout if timeout is None else timeout,
            1 + (self.policy.retries if retries is None else retries),
            missing_ok,
        )
        if cache_ttl <= 0:
            body = await self._fetch(request)
        else:
            body = await self._cached(request, cache_ttl)
        return await self._decode(body, request.service)

    async def _cached(self, request: _Request, ttl: float) -> bytes:
        loop = asyncio.get_running_loop()
        key: CacheKey = (
            request.url,
            tuple(sorted(request.query.items())),
            tuple(sorted(request.headers.items())),
            request.missing_ok,
        )
        while True:
            hit = self._cache.get(key, loop.time())
            if hit is not None:
                return hit
            leader = self._flying.get(key)
            if leader is None:
                break
            try:
                return await asyncio.shield(leader)
            except asyncio.CancelledError:
                if leader.cancelled():  # the leader's caller gave up: ask ourselves
                    continue
                raise
        future: asyncio.Future[bytes] = loop.create_future()
        self._flying[key] = future
        try:
            body = await self._fetch(request)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # followers get it; nobody left waiting must not warn
            raise
        else:
            self._cache.put(key, body, loop.time() + ttl)
            future.set_result(body)
            return body
        finally:
            del self._flying[key]

    async def _fetch(self, request: _Request) -> bytes:
        name, limit, tries = request.service, request.timeout, request.tries
        where = _loggable(request.url)
        for attempt in range(tries):
            last = attempt == tries - 1
            try:
                answer = await self._once(request)
            except TimeoutError:
                log.warning("GET %s: no answer within %g s", where, limit)
                raise FetchTimeout(
                    f"{name} did not answer within {limit:g} s", service=name
                ) from None
            except aiohttp.ClientError as exc:  # connection refused, reset, cut short
                refused = _refused(exc)
                if refused is not None:  # the guard said no: asking again changes nothing
                    log.info("GET %s refused: %s", where, refused)
                    raise FetchError(f"not fetched: {refused}", service=name) from None
                if last:
                    # The error's type only: some aiohttp errors quote the whole URL.
                    log.warning(
                        "GET %s failed after %d tries: %s", where, tries, type(exc).__name__
                    )
                    raise FetchError(f"could not reach {name}", service=name) from exc
                answer = _Answer(0, None, False, b"")
            if 200 <= answer.status < 300:
                return answer.body
            if answer.status == 404 and request.missing_ok:
                return b"null"
            if answer.status and (
                not (answer.limited or answer.status in RETRIED)
                or last
                or (answer.wait or 0) > self.policy.max_wait
            ):
                # A 404 for a city that does not exist is an answer, not an outage.
                level = logging.WARNING if answer.status >= 500 or answer.limited else logging.INFO
                log.log(
                    level,
                    "GET %s answered %d (try %d of %d)",
                    where,
                    answer.status,
                    attempt + 1,
                    tries,
                )
                raise _failure(name, answer)
            wait = answer.wait
            backoff = self.policy.backoff * 2**attempt
            delay = wait if wait is not None else random.uniform(0, backoff)
            log.debug("GET %s: %s; retrying in %.2f s", where, answer.status or "no answer", delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the last try returns or raises

    async def _once(self, request: _Request) -> _Answer:
        """One request, inside the host's gate and the request's timeout."""
        slot = await self._hosts(urlsplit(request.url).netloc)
        try:
            async with asyncio.timeout(request.timeout):
                sent = self.session.get(
                    request.url,
                    params=request.query,
                    headers=request.headers,
                    timeout=aiohttp.ClientTimeout(total=request.timeout),
                )
                async with sent as resp:
                    wait, limited = _rate_limit(resp.status, resp.headers)
                    if not 200 <= resp.status < 300:
                        return _Answer(resp.status, wait, limited, b"")
                    body = await self._read(resp, request.service)
                    return _Answer(resp.status, wait, limited, body)
        finally:
            slot.release()

    async def _read(self, resp: aiohttp.ClientResponse, name: str) -> bytes:
        cap = self.policy.max_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise FetchError(f"{name} sent more than {cap // 1024} KiB", service=name)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    async def _decode(body: bytes, name: str) -> Any:
        try:
            if len(body) > PARSE_IN_THREAD:
                return await asyncio.to_thread(json.loads, body)
            return json.loads(body)
        except ValueError:
            raise FetchError(f"{name} sent an answer that is not JSON", service=name) from None


@dataclass(frozen=True, slots=True)
class _Request:
    """One lookup as asked for, with the policy's defaults filled in."""

    url: str
    query: dict[str, str]
    headers: dict[str, str]
    service: str  # how the user knows the API: "Open-Meteo", or the host
    timeout: float  # seconds per try
    tries: int
    missing_ok: bool  # a 404 answers None


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int  # 0: no answer (a connection error)
    wait: float | None  # seconds the API asked us to wait, if it said
    limited: bool  # a rate-limit answer (429, or 403 with X-RateLimit-Remaining: 0)
    body: bytes


def _rate_limit(status: int, headers: Mapping[str, str]) -> tuple[float | None, bool]:
    """How long the API asks us to wait, and whether this answer is a rate limit.

    Retry-After is the standard; GitHub and many others also answer 403 with
    ``X-RateLimit-Remaining: 0`` and the reset time as Unix seconds, or (GitHub's
    secondary limit) 403 with a Retry-After.
    """
    wait = retry_after(headers.get("Retry-After"))
    if status in (403, 429) and headers.get("X-RateLimit-Remaining") == "0":
        reset = headers.get("X-RateLimit-Reset", "")
        if wait is None and reset.isdigit():
            wait = max(0.0, int(reset) - time.time())
        return wait, True
    # A 403 that says when to come back is a (secondary) rate limit, not a refusal.
    return wait, status == 429 or (status == 403 and wait is not None)


def _failure(name: str, answer: _Answer) -> FetchError:
    status, wait = answer.status, answer.wait
    if answer.limited:
        when = f"; try again in {_seconds(wait)}" if wait else "; try again later"
        message = f"{name} is rate limiting us{when}"
    else:
        try:
            phrase = HTTPStatus(status).phrase.lower()
        except ValueError:
            phrase = "unexpected answer"
        message = f"{name} answered {status} ({phrase})"
    return FetchError(message, service=name, status=status, retry_after=wait)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds from now: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _seconds(wait: float) -> str:
    wait = round(wait)
    return f"{wait} s" if wait < 120 else f"{round(wait / 60)} min"


def _loggable(url: str) -> str:
    """Host and path only: a query string may carry an API key."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def _refused(exc: aiohttp.ClientError) -> str | None:
    """Why the guard refused the connection, if that is what ``exc`` is."""
    inner = getattr(exc, "os_error", None)
    return str(inner) if isinstance(inner, Refused) else None
