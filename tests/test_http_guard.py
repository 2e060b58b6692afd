"""The plugins' shared HTTP session refuses the bot's own network by default: loopback,
private and metadata addresses, for IP literals, names and redirect hops alike."""

from __future__ import annotations

import ipaddress

import pytest

from bot import Context, FetchError, Plugin, address_refusal
from bot.testing import FakeAPI, Harness, Respond


def fetcher() -> Plugin:
    plugin = Plugin("fetcher")

    @plugin.command
    async def get(ctx: Context, url: str) -> None:
        try:
            data = await ctx.fetch_json(url)
        except FetchError as exc:
            await ctx.reply(f"error: {exc}")
            return
        await ctx.reply(f"got {data}")

    @plugin.command
    async def raw(ctx: Context, url: str) -> None:
        async with ctx.http.get(url) as resp:
            await ctx.reply(f"status {resp.status}")

    return plugin


async def test_fetch_json_refuses_loopback_by_default_and_asks_nothing(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/secret", Respond(json={"key": "internal"}))
    local = fake_api.url.replace("127.0.0.1", "localhost")  # a name that resolves to loopback
    async with Harness(fetcher(), http_allow_private=False) as bot:
        by_ip = await bot.ask(f"!get {fake_api.url}/secret")
        by_name = await bot.ask(f"!get {local}/secret")
        raw = await bot.say(f"!raw {fake_api.url}/secret")
    assert by_ip == "error: not fetched: 127.0.0.1 is a loopback address"
    assert by_name.startswith("error: not fetched: localhost resolves to ")
    assert by_name.endswith("a loopback address")
    assert raw[0].text == "Sorry, `!raw` failed. The error has been logged."
    assert fake_api.requests == []


async def test_a_redirect_into_the_metadata_address_is_refused_even_when_private_is_allowed(
    fake_api: FakeAPI,
) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    fake_api.route("GET", "/hop", Respond(302, headers={"Location": metadata}))
    async with Harness(fetcher(), http_allow_private=True) as bot:
        answer = await bot.ask(f"!get {fake_api.url}/hop")
    assert answer == "error: not fetched: 169.254.169.254 is a cloud metadata address"
    assert len(fake_api.requests) == 1  # the first hop only


async def test_the_harness_lets_plugins_reach_its_fakes(fake_api: FakeAPI) -> None:
    fake_api.route("GET", "/ok", Respond(json=[1]))
    async with Harness(fetcher()) as bot:
        assert await bot.ask(f"!get {fake_api.url}/ok") == "got [1]"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("::ffff:127.0.0.1", "a loopback address (127.0.0.1 inside IPv6)"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("8.8.8.8", None),
    ],
)
def test_the_address_policy(address: str, why: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == why
