"""``ctx.fetch_json``: timeouts, retries, Retry-After, the per-host limit and the cache,
against a real server on 127.0.0.1 (the toolkit's FakeAPI)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web

from bot import Context, FetchError, FetchTimeout, Plugin
from bot.http import Fetcher, FetchPolicy, retry_after
from bot.testing import FakeAPI, Harness, Respond
from tests.helpers import LogWatch, watch


@pytest.fixture
def http_log() -> Iterator[LogWatch]:
    yield from watch("bot.http")


FAST = FetchPolicy(timeout=2.0, retries=2, backoff=0.01)


async def fetcher(policy: FetchPolicy = FAST) -> tuple[aiohttp.ClientSession, Fetcher]:
    session = aiohttp.ClientSession()
    return session, Fetcher(session, policy)


async def test_returns_the_json_and_sends_the_params(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/v1/search", Respond(json={"results": [{"name": "Oslo"}]}))
    session, fetch = await fetcher()
    async with session:
        got = await fetch.json(fake_api.url + "/v1/search", params={"name": "Oslo", "count": 1})
    assert got == {"results": [{"name": "Oslo"}]}
    assert dict(fake_api.requests[0].query) == {"name": "Oslo", "count": "1"}


async def test_a_429_is_retried_after_the_retry_after_it_names(fake_api: FakeAPI) -> None:
    fake_api.route(
        "GET", "/x", Respond(429, headers={"Retry-After": "1"}), Respond(json={"ok": True})
    )
    session, fetch = await fetcher()
    async with session:
        begun = time.monotonic()
        assert await fetch.json(fake_api.url + "/x") == {"ok": True}
        waited = time.monotonic() - begun
    assert fake_api.count("/x") == 2
    assert 1.0 <= waited < 5.0


async def test_5xx_and_connection_errors_are_retried_with_backoff(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/flaky", Respond(503), Respond(500), Respond(json=[1]))
    session, fetch = await fetcher()
    async with session:
        assert await fetch.json(fake_api.url + "/flaky") == [1]
    assert fake_api.count("/flaky") == 3

    # Nothing listens on this port (the fake's, once it is closed): every try is refused.
    dead = FakeAPI()
    async with dead:
        url = dead.url + "/gone"
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchError) as caught:
            await fetch.json(url, service="Gone API")
    assert str(caught.value) == "could not reach Gone API"
    assert caught.value.status is None


async def test_retries_run_out_into_an_error_a_user_can_read(
    fake_api: FakeAPI, http_log: LogWatch
) -> None:
    fake_api.route("GET", "/down", Respond(503))
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchError) as caught:
            await fetch.json(fake_api.url + "/down?key=s3cret", service="Open-Meteo")
    assert str(caught.value) == "Open-Meteo answered 503 (service unavailable)"
    assert caught.value.status == 503
    assert fake_api.count("/down") == 3  # the first try and two retries
    assert http_log.matching("answered 503", logging.WARNING)
    assert not any("s3cret" in r.getMessage() for r in http_log.records)  # queries hold keys


async def test_a_client_error_is_not_retried_nor_logged_as_a_warning(
    fake_api: FakeAPI, http_log: LogWatch
) -> None:
    fake_api.route("GET", "/missing", Respond(404, json={"message": "Not Found"}))
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchError) as caught:
            await fetch.json(fake_api.url + "/missing")
    assert caught.value.status == 404
    assert str(caught.value) == "127.0.0.1 answered 404 (not found)"
    assert fake_api.count("/missing") == 1
    assert http_log.matching("answered 404", logging.INFO)  # an answer, not an outage


async def test_missing_ok_makes_a_404_an_answer_that_is_cached(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/releases/latest", Respond(404, json={"message": "Not Found"}))
    session, fetch = await fetcher()
    async with session:
        url = fake_api.url + "/releases/latest"
        assert await fetch.json(url, missing_ok=True, cache_ttl=60) is None
        assert await fetch.json(url, missing_ok=True, cache_ttl=60) is None
        with pytest.raises(FetchError):  # without it, the same 404 is still an error
            await fetch.json(url, cache_ttl=60)
    assert fake_api.count("/releases/latest") == 2


async def test_a_long_retry_after_is_reported_not_slept_through(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/busy", Respond(429, headers={"Retry-After": "600"}))
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchError) as caught:
            await fetch.json(fake_api.url + "/busy", service="GitHub")
    assert str(caught.value) == "GitHub is rate limiting us; try again in 10 min"
    assert caught.value.retry_after == 600
    assert fake_api.count("/busy") == 1


async def test_a_403_with_no_rate_left_is_a_rate_limit(fake_api: FakeAPI) -> None:
    reset = int(time.time()) + 90
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    fake_api.route("GET", "/repos/a/b", Respond(403, json={"message": "rate"}, headers=headers))
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchError) as caught:
            await fetch.json(fake_api.url + "/repos/a/b", service="GitHub")
    assert str(caught.value).startswith("GitHub is rate limiting us; try again in ")
    assert caught.value.status == 403
    assert caught.value.retry_after is not None and 80 < caught.value.retry_after <= 90


async def test_a_403_with_retry_after_is_a_secondary_rate_limit_and_retried(
    fake_api: FakeAPI,
) -> None:
    fake_api.route(
        "GET", "/search", Respond(403, headers={"Retry-After": "0"}), Respond(json={"n": 1})
    )
    fake_api.route("GET", "/private", Respond(403, json={"message": "forbidden"}))
    session, fetch = await fetcher()
    async with session:
        assert await fetch.json(fake_api.url + "/search") == {"n": 1}
        with pytest.raises(FetchError) as caught:  # a plain 403 is a refusal: asked once
            await fetch.json(fake_api.url + "/private")
    assert (fake_api.count("/search"), fake_api.count("/private")) == (2, 1)
    assert str(caught.value) == "127.0.0.1 answered 403 (forbidden)"


async def test_a_slow_api_times_out_as_fetch_timeout_without_a_retry(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/slow", Respond(json=1, delay=2))
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchTimeout) as caught:
            await fetch.json(fake_api.url + "/slow", timeout=0.2, service="Slow API")
    assert isinstance(caught.value, TimeoutError)  # so ctx.gather marks it timed out
    assert str(caught.value) == "Slow API did not answer within 0.2 s"
    assert fake_api.count("/slow") == 1


async def test_an_answer_that_is_not_json_says_so(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/html", Respond(text="<html>maintenance</html>"))
    session, fetch = await fetcher()
    async with session:
        with pytest.raises(FetchError, match="sent an answer that is not JSON"):
            await fetch.json(fake_api.url + "/html")


async def test_an_answer_larger_than_the_cap_is_refused(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/big", Respond(json="x" * 5000))
    session, fetch = await fetcher(FetchPolicy(max_bytes=1024))
    async with session:
        with pytest.raises(FetchError, match="sent more than 1 KiB"):
            await fetch.json(fake_api.url + "/big")
    assert fake_api.count("/big") == 1


async def test_only_http_urls_are_fetched() -> None:
    session, fetch = await fetcher()
    async with session:
        for url in ("file:///etc/passwd", "ftp://example.invalid/x", "/relative"):
            with pytest.raises(ValueError, match="http"):
                await fetch.json(url)


async def test_the_cache_makes_a_repeated_lookup_free(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/geo", Respond(json={"lat": 59.9}))
    session, fetch = await fetcher()
    async with session:
        url = fake_api.url + "/geo"
        first = await fetch.json(url, params={"name": "Oslo"}, cache_ttl=60)
        first["lat"] = 0  # a caller mutating its answer must not change the cache
        again = await fetch.json(url, params={"name": "Oslo"}, cache_ttl=60)
        other = await fetch.json(url, params={"name": "Paris"}, cache_ttl=60)
    assert again == {"lat": 59.9}
    assert other == {"lat": 59.9}
    assert [r.query["name"] for r in fake_api.requests] == ["Oslo", "Paris"]


async def test_the_cache_forgets_after_its_ttl(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/t", Respond(json=1))
    session, fetch = await fetcher()
    async with session:
        await fetch.json(fake_api.url + "/t", cache_ttl=0.1)
        await asyncio.sleep(0.15)
        await fetch.json(fake_api.url + "/t", cache_ttl=0.1)
        await fetch.json(fake_api.url + "/t")  # no ttl: always asks
    assert fake_api.count("/t") == 3


async def test_identical_lookups_in_flight_share_one_request(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/geo", Respond(json={"lat": 48.9}, delay=0.1))
    session, fetch = await fetcher()
    async with session:
        got = await asyncio.gather(
            *(
                fetch.json(fake_api.url + "/geo", params={"q": "Paris"}, cache_ttl=60)
                for _ in range(5)
            )
        )
    assert got == [{"lat": 48.9}] * 5
    assert fake_api.count("/geo") == 1


async def test_a_failed_leader_fails_its_followers_and_caches_nothing(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/e", Respond(404, delay=0.1), Respond(json="fine"))
    session, fetch = await fetcher()
    async with session:
        outcomes = await asyncio.gather(
            *(fetch.json(fake_api.url + "/e", cache_ttl=60) for _ in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(o, FetchError) and o.status == 404 for o in outcomes)
        assert await fetch.json(fake_api.url + "/e", cache_ttl=60) == "fine"
    assert fake_api.count("/e") == 2


async def test_a_cancelled_leader_leaves_its_followers_to_ask_for_themselves(
    fake_api: FakeAPI,
) -> None:
    fake_api.route("GET", "/c", Respond(json="ok", delay=0.2))
    session, fetch = await fetcher()
    async with session:
        url = fake_api.url + "/c"
        leader = asyncio.ensure_future(fetch.json(url, cache_ttl=60))
        await asyncio.sleep(0.05)
        follower = asyncio.ensure_future(fetch.json(url, cache_ttl=60))
        await asyncio.sleep(0.05)
        leader.cancel()
        assert await follower == "ok"
    assert fake_api.count("/c") == 2


async def test_the_per_host_limit_holds_and_queueing_does_not_eat_the_timeout(
    fake_api: FakeAPI,
) -> None:
    fake_api.route("GET", "/item", Respond(json=1, delay=0.1))
    session, fetch = await fetcher(FetchPolicy(per_host=5, timeout=0.5))
    async with session:
        # 30 lookups, 5 at a time, 0.1 s each: 0.6 s in all, longer than the 0.5 s
        # timeout of one request, which only starts once the request has its slot.
        got = await asyncio.gather(
            *(fetch.json(fake_api.url + "/item", params={"i": i}) for i in range(30))
        )
    assert got == [1] * 30
    assert fake_api.peak_in_flight == 5


async def test_the_per_host_state_is_dropped_once_idle(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/x", Respond(json=1))
    session, fetch = await fetcher()
    async with session:
        await asyncio.gather(*(fetch.json(fake_api.url + "/x") for _ in range(3)))
    assert fetch._hosts._gates == {}


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("120") == 120
    assert retry_after(None) is None
    assert retry_after("soon") is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (retry_after(date, now) or 0) <= 31


# Through the context, in the real runtime


def lookups(api: FakeAPI) -> Plugin:
    plugin = Plugin("lookups")

    @plugin.command
    async def temp(ctx: Context, city: str) -> None:
        """Say a city's temperature."""
        data = await ctx.fetch_json(
            api.url + "/temp", params={"city": city}, cache_ttl=60, service="Weather API"
        )
        await ctx.reply(f"{city}: {data['t']} °C")

    return plugin


async def test_ctx_fetch_json_uses_the_settings_and_the_cache(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/temp", Respond(json={"t": 4}))
    async with Harness(lookups(fake_api)) as bot:
        assert await bot.ask("!temp Oslo") == "Oslo: 4 °C"
        assert await bot.ask("!temp Oslo") == "Oslo: 4 °C"
    assert fake_api.count("/temp") == 1
    assert fake_api.requests[0].headers["User-Agent"].startswith("botloop (botloop/")


async def test_an_uncaught_fetch_error_is_the_users_answer(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/temp", Respond(502))
    async with Harness(lookups(fake_api), http_retries=0) as bot:
        assert await bot.ask("!temp Oslo") == "Weather API answered 502 (bad gateway)"
    assert fake_api.count("/temp") == 1


async def test_the_per_host_setting_bounds_a_plugins_fan_out(fake_api: FakeAPI) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)
        return web.json_response({"t": int(request.query["city"])})

    fake_api.route("GET", "/temp", handler=slow)
    plugin = Plugin("fan")

    @plugin.command
    async def fan(ctx: Context, n: int) -> None:
        url = fake_api.url + "/temp"
        results = await ctx.gather(*(ctx.fetch_json(url, params={"city": i}) for i in range(n)))
        await ctx.reply(str(sum(r.unwrap()["t"] for r in results)))

    async with Harness(plugin, http_per_host=3) as bot:
        assert await bot.ask("!fan 20") == str(sum(range(20)))
    assert fake_api.peak_in_flight == 3


async def test_the_connections_setting_caps_the_shared_session(fake_api: FakeAPI) -> None:
    """BOT_HTTP_CONNECTIONS bounds ctx.http itself, which has no per-host gate."""
    fake_api.route("GET", "/slow", Respond(json=1, delay=0.05))
    plugin = Plugin("raw")

    @plugin.command
    async def raw(ctx: Context, n: int) -> None:
        async def get() -> int:
            async with ctx.http.get(fake_api.url + "/slow") as resp:
                return int(await resp.json())

        results = await ctx.gather(*(get() for _ in range(n)))
        await ctx.reply(str(sum(r.unwrap() for r in results)))

    async with Harness(plugin, http_connections=3) as bot:
        assert await bot.ask("!raw 12") == "12"
    assert fake_api.peak_in_flight == 3
