"""Scenario 6's Discord: the tests' FakeDiscord in its own process, with a burst control.

``python -m bench.discord_server`` prints its port, then serves the fake's REST API
and gateway until SIGTERM or SIGINT. Its own process, so that serving the gateway
and the REST sends takes neither the bot's event loop nor its profile.

Burst: ``POST /api/v10/bench/burst`` with ``{"n", "window", "text", "expect"}``
dispatches ``n`` MESSAGE_CREATE with ``text`` to the most recent gateway session,
keeping at most ``window`` of them unanswered, and answers once the ``n``-th
``POST /channels/{id}/messages`` has arrived: the seconds from the first dispatch
to that last send, and what was wrong with the replies (each message answered
once, by reference, with ``expect``). Each client that connects is a new session;
``"session"`` picks an earlier one, so several clients can take turns.

Message creates are answered with rate-limit headers as Discord sends them but
never binding (a limit of a million per minute): without the headers discord.py
treats a route as a bucket of 1 and sends one message per channel at a time.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from typing import Any

from aiohttp import web

from tests.fakes.discord import FakeDiscord, Recorded, _Conn, _json

GENEROUS = {
    "X-RateLimit-Limit": "1000000",
    "X-RateLimit-Remaining": "999999",
    "X-RateLimit-Reset-After": "60",
    "X-RateLimit-Bucket": "bench-messages",
    "X-RateLimit-Scope": "user",
}


class BenchDiscord(FakeDiscord):
    """FakeDiscord that stamps message creates and runs bursts on request."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[str, _Conn] = {}
        self._slots: asyncio.Semaphore | None = None
        self._replies: list[tuple[str, str]] = []  # (content, id of the message replied to)
        self._target = 0
        self._done: asyncio.Future[float] | None = None

    def _add_routes(self) -> None:
        super()._add_routes()
        self._routes.append(("POST", re.compile(r"/bench/burst"), self._burst))
        self._routes.append(("GET", re.compile(r"/bench/session"), self._latest))

    async def _start_session(self, conn: _Conn, identify: dict[str, Any]) -> None:
        await super()._start_session(conn, identify)
        assert self._session is not None
        self.sessions[self._session] = conn

    async def _create_message(
        self, request: web.Request, m: re.Match[str], rec: Recorded
    ) -> web.Response:
        now = time.perf_counter()  # first: the moment the send arrived
        body = rec.json or {}
        self._replies.append(
            (
                body.get("content") or "",
                str((body.get("message_reference") or {}).get("message_id")),
            )
        )
        if self._slots is not None:
            self._slots.release()
        done = self._done
        if done is not None and len(self._replies) >= self._target and not done.done():
            done.set_result(now)
        response = await super()._create_message(request, m, rec)
        response.headers.update(GENEROUS)
        return response

    async def _latest(self, request: web.Request, m: re.Match[str], rec: Recorded) -> web.Response:
        return _json({"session": self._session})

    async def _burst(self, request: web.Request, m: re.Match[str], rec: Recorded) -> web.Response:
        args = rec.json or {}
        self.requests.clear()  # the fake records every request; a burst needs none of them
        self._history.clear()  # kept for RESUME, which a burst never needs
        if args.get("session"):
            self._conn = self.sessions[args["session"]]
        n, window = int(args["n"]), int(args["window"])
        self._replies = []
        self._target = n
        self._slots = slots = asyncio.Semaphore(window)
        self._done = done = asyncio.get_running_loop().create_future()
        sent: list[str] = []
        try:
            start = time.perf_counter()
            async with asyncio.timeout(float(args.get("patience", 60))):
                for _ in range(n):
                    await slots.acquire()
                    sent.append(str(await self.say(args["text"])))
                end = await done
        except TimeoutError:
            return _json({"problems": [f"{len(self._replies)} of {n} replies arrived"]})
        finally:
            self._slots = self._done = None
        await asyncio.sleep(0.05)  # a reply too many would arrive now
        return _json({"seconds": end - start, "problems": self._check(sent, args["expect"])})

    def _check(self, sent: list[str], expect: str) -> list[str]:
        problems = []
        if len(self._replies) != len(sent):
            problems.append(f"{len(self._replies)} replies to {len(sent)} messages")
        wrong = [c for c, _ in self._replies if c != expect]
        if wrong:
            problems.append(f"expected every reply to be {expect!r}, got {wrong[:3]!r}")
        if sorted(ref for _, ref in self._replies) != sorted(sent):
            problems.append("the replies do not reference each message once")
        return problems


async def serve() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with BenchDiscord() as fake:
        sys.stdout.write(f"{fake.port}\n")
        sys.stdout.flush()
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve())
