"""One URL's check: GET it through the guard, follow redirects by hand, time the answer.

The :class:`Prober` owns the plugin's own ``aiohttp.ClientSession``: its connector
resolves through :class:`~plugins.status.guard.GuardedResolver`, it never uses a
proxy from the environment (a proxy would connect on our behalf, past the resolver),
keeps no cookies between checks and never decompresses (the bytes read are the
bytes received). Nothing here raises for a failed check: every outcome is an
:class:`Outcome` the card can show.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from .guard import GuardedResolver, Refused, target, vet

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 16 * 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one check found: an HTTP status, or why there is none (``error``)."""

    url: str
    status: int | None = None
    ms: float | None = None  # time to the final answer's status line and headers
    redirects: int = 0
    bytes_read: int = 0
    capped: bool = False  # the body was longer than the cap; reading stopped there
    error: str | None = None  # "timed out after 10 s", "refused: …", "could not connect"

    @property
    def refused(self) -> bool:
        return bool(self.error and self.error.startswith("refused"))

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status or 0).phrase
        except ValueError:  # the server's own phrase is not echoed: it is theirs to choose
            return ""


class Prober:
    """Checks URLs over a session of its own; ``await close()`` when done."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float,
        max_bytes: int,
        user_agent: str | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_bytes = max_bytes
        guarded = GuardedResolver(
            resolver or aiohttp.DefaultResolver(), allow_private=allow_private
        )
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=guarded, limit=100),
            timeout=aiohttp.ClientTimeout(total=None),  # check() keeps the clock
            headers={"User-Agent": user_agent} if user_agent else None,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    async def close(self) -> None:
        await self.session.close()

    async def check(self, text: str) -> Outcome:
        """GET ``text`` (redirects followed and vetted) within the timeout."""
        try:
            url = target(text, allow_private=self.allow_private)
        except Refused as exc:
            return Outcome(text, error=f"refused: {exc}")
        shown = str(url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            return await self._follow(shown, url, deadline)
        except TimeoutError:
            return Outcome(shown, error=f"timed out after {self.timeout:g} s")
        except Refused as exc:
            return Outcome(shown, error=f"refused: {exc}")
        except aiohttp.ClientConnectorError as exc:
            return Outcome(shown, error=_connect_error(exc))
        except aiohttp.ClientError as exc:
            return Outcome(shown, error=_answer_error(exc))

    async def _follow(self, shown: str, url: URL, deadline: float) -> Outcome:
        loop = asyncio.get_running_loop()
        begun = loop.time()
        for hop in range(MAX_REDIRECTS + 1):
            try:
                async with asyncio.timeout_at(deadline):
                    response = await self.session.get(url, allow_redirects=False)
            except aiohttp.ClientConnectorError as exc:
                if hop and isinstance(exc.os_error, Refused):  # the resolver said no
                    raise Refused(f"redirected to {short(str(url))}: {exc.os_error}") from None
                raise
            location = response.headers.get("Location")
            if response.status in REDIRECTS and location and hop < MAX_REDIRECTS:
                response.close()
                url = _next(url, location, self.allow_private)
                continue
            ms = (loop.time() - begun) * 1000
            try:
                size, capped = await self._read(response, deadline)
            finally:
                response.close()  # whatever is left unread is not our business
            return Outcome(shown, response.status, ms, hop, size, capped)
        raise AssertionError("unreachable")  # pragma: no cover - the last hop returns

    async def _read(self, response: aiohttp.ClientResponse, deadline: float) -> tuple[int, bool]:
        """Read the body up to ``max_bytes`` or the deadline, whichever comes first."""
        size = 0
        try:
            async with asyncio.timeout_at(deadline):
                while size < self.max_bytes:
                    chunk = await response.content.read(min(CHUNK, self.max_bytes - size))
                    if not chunk:
                        return size, False
                    size += len(chunk)
        except TimeoutError:  # a body still trickling in: the status is what we came for
            return size, False
        except aiohttp.ClientError:  # cut off mid-body: the status still stands
            return size, False
        return size, not response.content.at_eof()


def _next(url: URL, location: str, allow_private: bool) -> URL:
    try:
        then = url.join(URL(location))
    except ValueError:
        raise Refused("a redirect to a malformed URL") from None
    try:
        return vet(then, allow_private=allow_private)
    except Refused as exc:
        raise Refused(f"redirected to {short(str(then))}: {exc}") from None


def _connect_error(exc: aiohttp.ClientConnectorError) -> str:
    if isinstance(exc.os_error, Refused):
        return f"refused: {exc.os_error}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "TLS certificate not valid"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "TLS handshake failed"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"could not resolve {exc.host}"
    return "could not connect"


def _answer_error(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.InvalidURL):
        return "refused: not a valid URL"
    return "bad answer (not HTTP?)"


def short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
