"""The status plugin (``!status URL…``): checks against servers on 127.0.0.1, and the
guard against server-side request forgery, which refuses exactly those by default."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot import Card, ConfigError
from bot.testing import FakeAPI, Harness, Respond
from plugins.status import plugin
from plugins.status.guard import GuardedResolver, Refused, refusal, target
from plugins.status.probe import Prober

METADATA_URL = "http://169.254.169.254/latest/meta-data/"


def harness(allow_private: bool = True, **env: str) -> Harness:
    settings = {"STATUS_ALLOW_PRIVATE": str(allow_private).lower()}
    settings.update({f"STATUS_{k.upper()}": v for k, v in env.items()})
    return Harness(plugin, env=settings)


def lines(card: Card) -> dict[str, str]:
    return {f.name: f.value for f in card.fields}


def port(api: FakeAPI) -> int:
    return URL(api.url).port or 0


class FakeResolver(AbstractResolver):
    """Names to addresses, as a DNS server under someone else's control would answer."""

    def __init__(self, table: Mapping[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


# Answers


async def test_checks_several_urls_at_once_with_codes_and_times(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/ok", Respond(text="fine", delay=0.2))
    fake_api.route("GET", "/missing", Respond(404, text="no"))
    fake_api.route("GET", "/moved", Respond(301, text="", headers={"Location": "/ok"}))
    base = fake_api.url
    async with harness() as bot:
        card = await bot.ask_card(f"!status {base}/ok {base}/missing {base}/moved")
    assert card.title == "2 of 3 up"
    got = lines(card)
    assert re.fullmatch(r"✅ 200 OK · (\d+) ms", got[f"{base}/ok"])
    assert int(got[f"{base}/ok"].split(" · ")[1].split()[0]) >= 200  # the delay is timed
    assert re.fullmatch(r"⚠️ 404 Not Found · \d+ ms", got[f"{base}/missing"])
    assert re.fullmatch(r"✅ 200 OK · \d+ ms · after 1 redirect", got[f"{base}/moved"])
    assert fake_api.peak_in_flight >= 2  # the two slow /ok requests overlapped
    assert fake_api.count("/ok") == 2


async def test_a_slow_url_times_out_while_the_others_answer(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/slow", Respond(text="late", delay=5))
    fake_api.route("GET", "/ok", Respond(text="fine"))
    base = fake_api.url
    async with harness(timeout="0.5") as bot:
        begun = time.monotonic()
        card = await bot.ask_card(f"!status {base}/slow {base}/ok")
        took = time.monotonic() - begun
    assert lines(card)[f"{base}/slow"] == "❌ timed out after 0.5 s"
    assert lines(card)[f"{base}/ok"].startswith("✅ 200 OK")
    assert took < 2.5


async def test_a_500_is_shown_as_such_and_not_retried(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/down", Respond(500, text="oops"), Respond(text="fine"))
    fake_api.route("GET", "/busy", Respond(503, text="later"))
    async with harness() as bot:
        card = await bot.ask_card(f"!status {fake_api.url}/down {fake_api.url}/busy")
    assert lines(card)[f"{fake_api.url}/down"].startswith("❌ 500 Internal Server Error · ")
    assert lines(card)[f"{fake_api.url}/busy"].startswith("❌ 503 Service Unavailable · ")
    assert card.title == "0 of 2 up"
    assert fake_api.count("/down") == 1


async def test_a_server_that_is_not_there_could_not_connect() -> None:
    async with FakeAPI() as gone:
        url = gone.url + "/"
    async with harness() as bot:
        card = await bot.ask_card(f"!status {url}")
    assert lines(card) == {url: "❌ could not connect"}


async def test_allow_private_lets_loopback_through(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/", Respond(text="hi"))
    async with harness(allow_private=False) as bot:
        refused = await bot.ask_card(f"!status {fake_api.url}/")
    assert fake_api.requests == []
    async with harness(allow_private=True) as bot:
        allowed = await bot.ask_card(f"!status {fake_api.url}/")
    assert lines(refused)[f"{fake_api.url}/"] == "❌ refused: 127.0.0.1 is a loopback address"
    assert lines(allowed)[f"{fake_api.url}/"].startswith("✅ 200 OK · ")
    assert fake_api.count("/") == 1


# The guard, as a user meets it


async def test_by_default_loopback_and_metadata_are_refused_and_never_reached(
    fake_api: FakeAPI,
) -> None:
    fake_api.route("GET", "/", Respond(text="secret"))
    local = f"http://127.0.0.1:{port(fake_api)}/"
    named = f"http://localhost:{port(fake_api)}/"  # a name: refused by the resolver
    async with harness(allow_private=False) as bot:
        card = await bot.ask_card(f"!status {local} {METADATA_URL} {named}")
    got = lines(card)
    assert got[local] == "❌ refused: 127.0.0.1 is a loopback address"
    assert got[METADATA_URL] == "❌ refused: 169.254.169.254 is a cloud metadata address"
    assert re.fullmatch(
        r"❌ refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address", got[named]
    )
    assert card.title == "0 of 3 up"
    assert fake_api.count("/") == 0 and fake_api.requests == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "only http and https URLs are checked, not file"),
        ("ftp://example.com/x", "only http and https URLs are checked, not ftp"),
        ("gopher://example.com:70/_x", "only http and https URLs are checked, not gopher"),
        ("javascript:alert(1)", "only http and https URLs are checked, not javascript"),
        ("http://user:pw@example.com/", "URLs with a user name or password are not checked"),
        (
            "http://example.com@169.254.169.254/",
            "URLs with a user name or password are not checked",
        ),
    ],
)
def test_other_schemes_and_user_info_are_refused(url: str, why: str) -> None:
    with pytest.raises(Refused) as refused:
        target(url)
    assert str(refused.value) == why


TRICKS = [
    ("http://2130706433:{port}/", "2130706433 (127.0.0.1) is a loopback address"),
    ("http://0x7f.1:{port}/", "0x7f.1 (127.0.0.1) is a loopback address"),
    ("http://0177.0.0.1:{port}/", "0177.0.0.1 (127.0.0.1) is a loopback address"),
    ("http://127.1:{port}/", "127.1 (127.0.0.1) is a loopback address"),
    ("http://0:{port}/", "0 (0.0.0.0) is an unspecified address"),
    ("http://[::1]:{port}/", "::1 is a loopback address"),
    ("http://[::]:{port}/", ":: is an unspecified address"),
    ("http://[::ffff:127.0.0.1]:{port}/", "loopback address (127.0.0.1 inside IPv6)"),
    ("http://[::ffff:169.254.169.254]/", "cloud metadata address (169.254.169.254 inside IPv6)"),
    ("http://[64:ff9b::a9fe:a9fe]/", "cloud metadata address (169.254.169.254 inside IPv6)"),
    ("http://[2002:7f00:1::]:{port}/", "loopback address (127.0.0.1 inside IPv6)"),
    ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
    ("http://[fe80::1]/", "fe80::1 is a link-local address"),
    ("http://[fc00::1]/", "fc00::1 is a private address"),
    ("http://10.1.2.3/", "10.1.2.3 is a private address"),
    ("http://192.168.0.1/", "192.168.0.1 is a private address"),
    ("http://172.16.0.1/", "172.16.0.1 is a private address"),
    ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
    ("http://169.254.1.1/", "169.254.1.1 is a link-local address"),
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
    ("http://240.0.0.1/", "240.0.0.1 is a private address"),
    ("https://127.0.0.1.:{port}/", "a loopback address"),
]


@pytest.mark.parametrize(("url", "why"), TRICKS)
async def test_ip_literal_tricks_are_refused_before_connecting(
    fake_api: FakeAPI, url: str, why: str
) -> None:
    fake_api.route("GET", "/", Respond(text="secret"))
    url = url.format(port=port(fake_api))
    async with harness(allow_private=False) as bot:
        card = await bot.ask_card(f"!status {url}")
    (answer,) = lines(card).values()
    assert answer.startswith("❌ refused: ") and answer.endswith(why), answer
    assert fake_api.requests == []


async def test_a_redirect_into_a_forbidden_address_is_refused(fake_api: FakeAPI) -> None:
    # allow_private lets the first hop reach 127.0.0.1; metadata stays refused regardless.
    def hop(location: str) -> Respond:
        return Respond(302, text="", headers={"Location": location})

    fake_api.route("GET", "/meta", hop(METADATA_URL))
    fake_api.route("GET", "/mapped", hop("http://[::ffff:a9fe:a9fe]/latest/"))
    fake_api.route("GET", "/file", hop("file:///etc/passwd"))
    fake_api.route("GET", "/gopher", hop("gopher://127.0.0.1:6379/_FLUSHALL"))
    fake_api.route("GET", "/loop", hop("/loop"))
    base = fake_api.url
    paths = ["/meta", "/mapped", "/file", "/gopher", "/loop"]
    async with harness() as bot:
        replies = await bot.say("!status " + " ".join(base + p for p in paths))
    assert len(replies) == 1  # the progress status, edited into the answer
    answer = bot.edits[-1][1].card
    assert answer is not None
    got = lines(answer)
    assert got[base + "/meta"] == (
        f"❌ refused: redirected to {METADATA_URL}: 169.254.169.254 is a cloud metadata address"
    )
    assert "cloud metadata address (169.254.169.254 inside IPv6)" in got[base + "/mapped"]
    assert "not file" in got[base + "/file"] and "not gopher" in got[base + "/gopher"]
    assert got[base + "/loop"].startswith("⚠️ 302 Found · ")  # five hops, then it stops
    assert fake_api.count("/loop") == 6


async def test_a_redirect_to_a_name_resolving_to_metadata_is_refused_by_the_resolver(
    fake_api: FakeAPI,
) -> None:
    fake_api.route(
        "GET", "/", Respond(302, text="", headers={"Location": "http://rebind.test/latest/"})
    )
    resolver = FakeResolver({"rebind.test": ["169.254.169.254"]})
    prober = Prober(allow_private=True, timeout=5, max_bytes=1024, resolver=resolver)
    try:
        outcome = await prober.check(fake_api.url + "/")
    finally:
        await prober.close()
    assert resolver.asked == ["rebind.test"]
    assert outcome.error == (
        "refused: redirected to http://rebind.test/latest/: "
        "rebind.test resolves to 169.254.169.254, a cloud metadata address"
    )


# The guard, piece by piece


async def test_the_resolver_keeps_public_addresses_and_refuses_a_name_with_none() -> None:
    base = FakeResolver(
        {
            "mixed.test": ["10.0.0.7", "93.184.216.34", "::1", "2606:2800:220:1::"],
            "inside.test": ["10.0.0.7", "fd12::1"],
        }
    )
    guarded = GuardedResolver(base)
    kept = await guarded.resolve("mixed.test", 80)
    assert [r["host"] for r in kept] == ["93.184.216.34", "2606:2800:220:1::"]
    with pytest.raises(Refused, match=r"^inside\.test resolves to 10\.0\.0\.7, a private address$"):
        await guarded.resolve("inside.test", 80)
    allowing = GuardedResolver(base, allow_private=True)
    assert len(await allowing.resolve("inside.test", 80)) == 2


async def test_the_resolver_refuses_localhost_for_real() -> None:
    guarded = GuardedResolver(aiohttp.ThreadedResolver())
    with pytest.raises(Refused, match=r"^localhost resolves to .*, a loopback address$"):
        await guarded.resolve("localhost", 80, socket.AF_UNSPEC)


def test_addresses_refused_and_allowed() -> None:
    def why(address: str, allow_private: bool = False) -> str | None:
        return refusal(ipaddress.ip_address(address), allow_private=allow_private)

    assert why("93.184.216.34") is None and why("2606:4700::1111") is None
    assert why("127.0.0.1", allow_private=True) is None
    assert why("10.0.0.1", allow_private=True) is None
    assert why("169.254.169.254", allow_private=True) == "a cloud metadata address"
    assert why("100.100.100.200") == "a cloud metadata address"  # inside 100.64/10 too
    assert why("192.0.0.192") == "a cloud metadata address"  # Python calls it global
    assert why("198.18.0.1") == "a private address"  # benchmarking
    assert why("ff02::1") == "a multicast address"
    assert why("::127.0.0.1") == "a reserved address"  # IPv4-compatible, deprecated


def test_urls_without_a_scheme_are_https_and_discord_brackets_go() -> None:
    assert target("example.com") == URL("https://example.com")
    assert target("example.com:8443/x?y=1") == URL("https://example.com:8443/x?y=1")
    assert target("<http://example.com/a>") == URL("http://example.com/a")
    assert target("http://0x5d.0xb8.0xd8.0x22/") == URL("http://93.184.216.34/")


# Limits


@pytest.fixture
async def endless() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A server whose one page never ends; notes what it sent and when it gave up."""
    state: dict[str, Any] = {"sent": 0, "stopped": asyncio.Event()}

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        block = b"x" * 65536
        try:
            while True:
                await response.write(block)
                state["sent"] += len(block)
        except (ConnectionError, RuntimeError):
            return response
        finally:
            state["stopped"].set()

    api = FakeAPI()
    api.route("GET", "/huge", handler=handler)
    async with api:
        yield api.url + "/huge", state


async def test_reading_stops_at_the_byte_cap(endless: tuple[str, dict[str, Any]]) -> None:
    url, state = endless
    prober = Prober(allow_private=True, timeout=30, max_bytes=100_000)
    begun = time.monotonic()
    try:
        outcome = await prober.check(url)
    finally:
        await prober.close()
    assert outcome.status == 200 and outcome.error is None
    assert outcome.bytes_read == 100_000 and outcome.capped
    await asyncio.wait_for(state["stopped"].wait(), 10)  # the connection was dropped
    assert time.monotonic() - begun < 10  # nowhere near the 30 s timeout
    async with harness(max_bytes="100000", timeout="30") as bot:
        card = await bot.ask_card(f"!status {url}")
    assert lines(card)[url].startswith("✅ 200 OK · ")


async def test_too_many_urls_are_refused_before_any_request(fake_api: FakeAPI) -> None:
    urls = " ".join(f"{fake_api.url}/{i}" for i in range(3))
    async with harness(max_urls="2") as bot:
        assert await bot.ask(f"!status {urls}") == "At most 2 URLs at a time, please."
        same = f"{fake_api.url}/0"
        assert len((await bot.ask_card(f"!status {same} {same}")).fields) == 1
    assert fake_api.count("/0") == 1 and len(fake_api.requests) == 1


async def test_no_url_answers_the_usage_line_and_isup_is_the_same_command() -> None:
    # Slack reserves /status: the command is isup, with status as its alias.
    async with harness() as bot:
        assert (await bot.ask("!status")).endswith("Usage: !isup <url> [more…]")
        assert (await bot.ask_card("!isup gopher://x/")).title == "0 of 1 up"


def test_settings_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="STATUS_MAX_URLS"):
        Harness(plugin, env={"STATUS_MAX_URLS": "0"})


# Progress


async def test_many_urls_get_a_status_that_counts_up_then_becomes_the_answer(
    fake_api: FakeAPI,
) -> None:
    for i in range(5):
        fake_api.route("GET", f"/{i}", Respond(text="ok", delay=0.4 * i))
    urls = [f"{fake_api.url}/{i}" for i in range(5)]
    async with harness() as bot:
        replies = await bot.say("!status " + " ".join(urls))
    assert [r.text for r in replies] == ["Checking 5 URLs… 0/5"]  # one message in all
    *counts, (ref, answer) = bot.edits
    assert ref == replies[0].ref
    assert answer.card is not None and answer.card.title == "5 of 5 up"
    assert list(lines(answer.card)) == urls
    shown = [reply.text for _, reply in counts]
    assert shown and all(re.fullmatch(r"Checking 5 URLs… [1-4]/5", t) for t in shown), shown


async def test_a_few_urls_answer_without_a_status_message(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/", Respond(text="ok"))
    async with harness() as bot:
        await bot.ask_card(f"!status {fake_api.url}/ {fake_api.url}/?a {fake_api.url}/?b")
    assert bot.edits == []


async def test_the_session_is_closed_at_shutdown() -> None:
    async with harness() as bot:
        prober = bot.state_of("status").prober
        assert not prober.session.closed
    assert prober.session.closed


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("../../etc/passwd", ".. is not a valid host name"),
        ("a" * 70 + ".com", "a" * 39 + "… is not a valid host name"),
        ("ftp://x", "only http and https URLs are checked, not ftp"),
    ],
)
async def test_malformed_input_is_answered_not_logged_as_an_error(
    url: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Harness(plugin) as bot:
        card = await bot.ask_card(f"!isup {url}")
    assert card.fields[0].value == f"❌ refused: {why}"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
