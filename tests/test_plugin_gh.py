"""The github plugin (``!gh OWNER/REPO…``) against a fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import Card, UsageError
from bot.testing import FakeAPI, Harness, Respond
from plugins.gh import ago, parse_repos, plugin

TOKEN = "ghp_not-a-real-token-0123456789"
NOW = datetime.now(UTC)


def iso(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def repo(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "full_name": name,
        "html_url": f"https://github.com/{name}",
        "description": "A thing",
        "language": "Python",
        "stargazers_count": 12345,
        "forks_count": 678,
        "open_issues_count": 9,
        "archived": False,
        "pushed_at": iso(timedelta(hours=2, minutes=5)),
        **fields,
    }


def release(tag: str, age: timedelta = timedelta(days=3, hours=1)) -> dict[str, Any]:
    return {"tag_name": tag, "published_at": iso(age)}


def serve(api: FakeAPI, name: str, *answers: Respond, latest: Respond | None = None) -> None:
    api.route("GET", f"/repos/{name}", *(answers or (Respond(json=repo(name)),)))
    api.route("GET", f"/repos/{name}/releases/latest", latest or Respond(json=release("v1.0")))


def harness(api: FakeAPI, token: str | None = None, **settings: Any) -> Harness:
    env = {"GITHUB_API_URL": api.url}
    if token:
        env["GITHUB_TOKEN"] = token
    return Harness(plugin, env=env, **settings)


def by_name(card: Card) -> dict[str, str]:
    return {f.name: f.value for f in card.fields}


async def test_a_field_per_repository_with_its_figures(fake_api: FakeAPI) -> None:
    serve(fake_api, "python/cpython")
    serve(
        fake_api,
        "psf/requests",
        Respond(json=repo("psf/requests", archived=True, stargazers_count=5, description=None)),
        latest=Respond(json=release("v2.32.3", timedelta(days=40))),
    )
    async with harness(fake_api) as bot:
        card = await bot.ask_card("!gh python/cpython psf/requests")
    assert card.title == "2 GitHub repositories"
    assert [f.name for f in card.fields] == ["python/cpython", "psf/requests (archived)"]
    cpython, requests = (f.value for f in card.fields)
    assert "Python · A thing · [on GitHub](https://github.com/python/cpython)" in cpython
    assert "⭐ 12,345 · 🍴 678 · 9 open issues and PRs" in cpython
    assert "Latest release: v1.0 (3 days ago) · Last push: 2 hours ago" in cpython
    assert "⭐ 5 ·" in requests and "A thing" not in requests
    assert "Latest release: v2.32.3 (1 month ago)" in requests


async def test_sends_githubs_headers_and_the_token_only_when_set(fake_api: FakeAPI) -> None:
    serve(fake_api, "a/b")
    async with harness(fake_api) as bot:
        await bot.ask_card("!gh a/b")
    async with harness(fake_api, token=TOKEN) as bot:
        await bot.ask_card("!gh a/b")
    anonymous, authorised = fake_api.requests[:2], fake_api.requests[2:]
    assert {r.path for r in fake_api.requests} == {"/repos/a/b", "/repos/a/b/releases/latest"}
    for request in fake_api.requests:
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert all("Authorization" not in r.headers for r in anonymous)
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in authorised)
    assert len(authorised) == 2


async def test_no_release_shows_none(fake_api: FakeAPI) -> None:
    serve(fake_api, "a/b", latest=Respond(404, json={"message": "Not Found"}))
    async with harness(fake_api) as bot:
        card = await bot.ask_card("!gh a/b")
        await bot.ask_card("!gh a/b")  # "no release" is remembered like any answer
    assert card.title == "a/b"
    assert "Latest release: none · Last push: 2 hours ago" in card.fields[0].value
    assert fake_api.count("/repos/a/b/releases/latest") == 1


async def test_a_missing_repository_is_its_own_field_and_the_others_answer(
    fake_api: FakeAPI,
) -> None:
    serve(fake_api, "a/b")
    # /repos/no/such is not routed: the fake answers 404, as GitHub does.
    async with harness(fake_api) as bot:
        card = await bot.ask_card("!gh no/such a/b")
    fields = by_name(card)
    assert fields["no/such"] == "❌ not found"
    assert "⭐ 12,345" in fields["a/b"]


async def test_a_slow_api_times_one_repository_out_while_the_others_answer(
    fake_api: FakeAPI,
) -> None:
    serve(fake_api, "a/b")
    serve(fake_api, "slow/one", Respond(json=repo("slow/one"), delay=3))
    async with harness(fake_api, http_timeout=0.5) as bot:
        begun = time.monotonic()
        card = await bot.ask_card("!gh slow/one a/b")
        took = time.monotonic() - begun
    fields = by_name(card)
    assert fields["slow/one"] == "❌ GitHub did not answer within 0.5 s"
    assert "⭐ 12,345" in fields["a/b"]
    assert took < 2.5  # the 3 s answer was not waited for
    assert fake_api.count("/repos/slow/one") == 1  # a timeout is not retried


async def test_a_429_is_retried_then_answers(fake_api: FakeAPI) -> None:
    serve(
        fake_api,
        "a/b",
        Respond(429, headers={"Retry-After": "0"}),
        Respond(json=repo("a/b")),
    )
    async with harness(fake_api) as bot:
        card = await bot.ask_card("!gh a/b")
    assert "⭐ 12,345" in card.fields[0].value
    assert fake_api.count("/repos/a/b") == 2


async def test_a_500_on_one_repository_is_shown_on_that_one(fake_api: FakeAPI) -> None:
    serve(fake_api, "a/b")
    serve(fake_api, "c/d")
    serve(fake_api, "broken/one", Respond(500))
    async with harness(fake_api, http_retries=0) as bot:
        card = await bot.ask_card("!gh a/b broken/one c/d")
    fields = by_name(card)
    assert fields["broken/one"] == "❌ GitHub answered 500 (internal server error)"
    assert "⭐ 12,345" in fields["a/b"] and "⭐ 12,345" in fields["c/d"]


def limited(reset_in: float) -> Respond:
    reset = str(int(time.time() + reset_in))
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    return Respond(403, json={"message": "API rate limit exceeded"}, headers=headers)


async def test_a_rate_limit_answers_when_to_try_again(fake_api: FakeAPI) -> None:
    serve(fake_api, "a/b", limited(12 * 60 + 5), latest=limited(12 * 60 + 5))
    serve(fake_api, "c/d", limited(12 * 60 + 5), latest=limited(12 * 60 + 5))
    async with harness(fake_api) as bot:
        answer = await bot.ask("!gh a/b c/d")
    assert answer == (
        "⏳ GitHub is rate limiting us; try again in 12 min (a GITHUB_TOKEN raises the limit)."
    )
    assert fake_api.count("/repos/a/b") == 1  # a 12-minute wait is not slept through


async def test_a_rate_limit_on_some_repositories_marks_them_and_says_when(
    fake_api: FakeAPI,
) -> None:
    serve(fake_api, "a/b")
    serve(fake_api, "c/d", limited(90), latest=limited(90))
    async with harness(fake_api, token=TOKEN) as bot:
        card = await bot.ask_card("!gh a/b c/d")
    assert by_name(card)["c/d"] == "❌ rate limited"
    assert card.footer.startswith("⏳ GitHub is rate limiting us; try again in ")
    assert "GITHUB_TOKEN" not in card.footer  # a token is set already


async def test_answers_are_cached_so_asking_again_costs_nothing(fake_api: FakeAPI) -> None:
    serve(fake_api, "a/b")
    async with harness(fake_api) as bot:
        first = await bot.ask_card("!gh a/b")
        second = await bot.ask_card("!gh A/B a/b")  # one repository, once
    assert first == second
    assert len(fake_api.requests) == 2


async def test_a_cache_ttl_of_zero_asks_every_time(fake_api: FakeAPI) -> None:
    serve(fake_api, "a/b")
    async with Harness(
        plugin, env={"GITHUB_API_URL": fake_api.url, "GITHUB_CACHE_TTL": "0"}
    ) as bot:
        await bot.ask_card("!gh a/b")
        await bot.ask_card("!gh a/b")
    assert fake_api.count("/repos/a/b") == 2


@pytest.mark.parametrize("bad", ["nope", "a/b/c", "-a/b", "a-/b", "a/..", "a b/c", "a/b c/"])
async def test_a_malformed_name_answers_the_usage_line(fake_api: FakeAPI, bad: str) -> None:
    async with harness(fake_api) as bot:
        answer = await bot.ask(f'!gh a/b "{bad}"')
    assert answer == f"{bad!r} is not OWNER/REPO.\nUsage: !gh <repo> [more…]"
    assert fake_api.requests == []


async def test_no_name_answers_the_usage_line(fake_api: FakeAPI) -> None:
    async with harness(fake_api) as bot:
        answer = await bot.ask("!gh")
    assert answer.endswith("Usage: !gh <repo> [more…]")


async def test_too_many_repositories_are_refused_before_any_lookup(fake_api: FakeAPI) -> None:
    env = {"GITHUB_API_URL": fake_api.url, "GITHUB_MAX_REPOS": "2"}
    async with Harness(plugin, env=env) as bot:
        assert await bot.ask("!gh a/b c/d e/f") == "At most 2 repositories at a time, please."
        assert (await bot.ask_card("!gh a/b a/b c/d")).title == "2 GitHub repositories"
    assert {r.path for r in fake_api.requests} >= {"/repos/a/b", "/repos/c/d"}


async def test_the_token_never_shows_in_logs_replies_or_reprs(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    serve(fake_api, "a/b", Respond(500))
    serve(fake_api, "c/d", limited(60), latest=limited(60))
    caplog.set_level(logging.DEBUG)
    async with harness(fake_api, token=TOKEN, http_retries=0) as bot:
        await bot.say("!gh a/b c/d")
        await bot.say("!gh nope")
        config = bot.registry.mounts["github"].config
        assert config.token.reveal() == TOKEN
        shown = [repr(config), str(config), repr(bot.registry.mounts["github"])]
    shown += [s.text for s in bot.sent] + [repr(s.reply) for s in bot.sent]
    assert caplog.records  # the failures were logged…
    assert TOKEN not in caplog.text  # …without the token
    assert all(TOKEN not in text for text in shown)
    assert fake_api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_names_are_parsed_from_links_and_kept_once() -> None:
    assert parse_repos(["https://github.com/Python/CPython/", "python/cpython", "a/b.git"]) == [
        "Python/CPython",
        "a/b",
    ]
    assert parse_repos(["<https://www.github.com/a/b>", "a-b/c_d-e.f"]) == ["a/b", "a-b/c_d-e.f"]
    with pytest.raises(UsageError):
        parse_repos(["https://gitlab.com/a/b"])


def test_relative_times() -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    assert ago(now - timedelta(seconds=30), now) == "just now"
    assert ago(now - timedelta(minutes=1), now) == "1 minute ago"
    assert ago(now - timedelta(hours=5, minutes=59), now) == "5 hours ago"
    assert ago(now - timedelta(days=1), now) == "1 day ago"
    assert ago(now - timedelta(days=65), now) == "2 months ago"
    assert ago(now - timedelta(days=800), now) == "2 years ago"
