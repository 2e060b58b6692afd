"""The wiki plugin against a fake Wikipedia on 127.0.0.1: summary cards, disambiguation,
missing pages with suggestions, failures, retries and the cache."""

from __future__ import annotations

import time

import pytest

from bot import Card, ConfigError
from bot.testing import FakeAPI, Harness, Respond
from plugins.wiki import EXTRACT_CHARS, WikiConfig, plugin, trim

SUMMARY = "/api/rest_v1/page/summary/"
SEARCH = "/w/rest.php/v1/search/title"
ADA = {
    "type": "standard",
    "title": "Ada Lovelace",
    "description": "English mathematician (1815–1852)",
    "extract": "Augusta Ada King, Countess of Lovelace was an English mathematician and writer.",
    "content_urls": {"desktop": {"page": "https://en.wikipedia.org/wiki/Ada_Lovelace"}},
    "thumbnail": {"source": "https://upload.wikimedia.org/ada.jpg", "width": 320},
}


def env(api: FakeAPI) -> dict[str, str]:
    return {"WIKI_URL": api.url}


async def test_a_summary_is_a_card_with_link_thumbnail_and_description(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "Ada_Lovelace", Respond(json=ADA))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!wiki Ada Lovelace")
    assert card == Card(
        title="Ada Lovelace",
        url="https://en.wikipedia.org/wiki/Ada_Lovelace",
        description=f"*English mathematician (1815–1852)*\n\n{ADA['extract']}",
        image="https://upload.wikimedia.org/ada.jpg",
        footer="From Wikipedia",
    )
    assert fake_api.count(SUMMARY + "Ada_Lovelace") == 1


async def test_a_title_is_sent_encoded_with_underscores(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "AC/DC_Café", Respond(json={**ADA, "title": "AC/DC"}))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card('!wiki "AC/DC  Café"')
    assert card.title == "AC/DC"
    assert [r.raw_path for r in fake_api.requests] == [SUMMARY + "AC%2FDC_Caf%C3%A9"]


async def test_a_long_extract_is_trimmed_for_chat(fake_api: FakeAPI) -> None:
    sentence = "Python is a high-level programming language that many people enjoy using. "
    page = {**ADA, "description": None, "extract": sentence * 20}
    fake_api.route("GET", SUMMARY + "Python", Respond(json=page))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!wiki Python")
    assert len(card.description) <= EXTRACT_CHARS
    assert card.description.endswith("using.") and card.description.startswith("Python is")


def test_trim_cuts_at_a_word_when_no_sentence_ends_late_enough() -> None:
    assert trim("word " * 200, 50) == ("word " * 10).strip() + "…"
    assert trim("short", 50) == "short"


async def test_a_disambiguation_page_says_so_and_links_it(fake_api: FakeAPI) -> None:
    page = {
        **ADA,
        "type": "disambiguation",
        "title": "Mercury",
        "extract": "Mercury may refer to:",
        "content_urls": {"desktop": {"page": "https://en.wikipedia.org/wiki/Mercury"}},
    }
    fake_api.route("GET", SUMMARY + "Mercury", Respond(json=page))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!wiki Mercury")
    assert card.title == "Mercury" and card.url == "https://en.wikipedia.org/wiki/Mercury"
    assert card.description == "“Mercury” may refer to several things; the page lists them."
    assert card.image is None


async def test_a_missing_page_says_so_and_suggests_close_titles(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "Ada_Lovelase", Respond(404, json={"type": "not_found"}))
    found = {"pages": [{"title": "Ada Lovelace"}, {"title": "Ada Lovelace Day"}]}
    fake_api.route("GET", SEARCH, Respond(json=found))
    fake_api.route("GET", SUMMARY + "Ada_Lovelace", Respond(json=ADA))
    async with Harness(plugin, env=env(fake_api)) as bot:
        (answer,) = await bot.say("!wiki Ada Lovelase")
        assert answer.text == "No Wikipedia page for “Ada Lovelase”. Did you mean one of these?"
        assert [b.label for b in answer.reply.components[0]] == ["Ada Lovelace", "Ada Lovelace Day"]
        [search] = [r for r in fake_api.requests if r.path == SEARCH]
        assert search.query == {"q": "Ada Lovelase", "limit": "3"}
        (update,) = await bot.click("Ada Lovelace")
    assert update.replaces == answer.ref
    assert update.reply.card is not None and update.reply.card.title == "Ada Lovelace"


async def test_a_missing_page_without_suggestions_is_still_answered(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "Xyzzy", Respond(404))
    fake_api.route("GET", SEARCH, Respond(500))
    async with Harness(plugin, env=env(fake_api), http_retries=0) as bot:
        assert await bot.ask("!wiki Xyzzy") == "No Wikipedia page for “Xyzzy”."
        fake_api.route("GET", SEARCH, Respond(json={"pages": []}))
        assert await bot.ask("!wiki Xyzzy") == "No Wikipedia page for “Xyzzy”."


async def test_a_page_without_extract_still_gets_a_card(fake_api: FakeAPI) -> None:
    page = {"type": "no-extract", "title": "Blank", "extract": ""}
    fake_api.route("GET", SUMMARY + "Blank", Respond(json=page))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!wiki Blank")
    assert card.description == "No summary for this page; it is one click away."
    assert card.url == f"{fake_api.url}/wiki/Blank"


async def test_a_slow_wikipedia_is_reported_not_waited_for(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "Slow", Respond(json=ADA, delay=3))
    async with Harness(plugin, env=env(fake_api), http_timeout=0.5) as bot:
        begun = time.monotonic()
        answer = await bot.ask("!wiki Slow")
        took = time.monotonic() - begun
    assert answer == "Wikipedia did not answer within 0.5 s"
    assert took < 2.5


async def test_a_server_error_is_the_answer(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "Ada", Respond(500))
    async with Harness(plugin, env=env(fake_api), http_retries=0) as bot:
        assert await bot.ask("!wiki Ada") == "Wikipedia answered 500 (internal server error)"
    assert fake_api.count(SEARCH) == 0  # only a 404 looks for suggestions


async def test_a_429_is_waited_out_and_then_answered(fake_api: FakeAPI) -> None:
    fake_api.route(
        "GET",
        SUMMARY + "Ada_Lovelace",
        Respond(429, headers={"Retry-After": "1"}),
        Respond(json=ADA),
    )
    async with Harness(plugin, env=env(fake_api)) as bot:
        begun = time.monotonic()
        card = await bot.ask_card("!wiki Ada Lovelace")
        waited = time.monotonic() - begun
    assert card.title == "Ada Lovelace"
    assert fake_api.count(SUMMARY + "Ada_Lovelace") == 2
    assert 1.0 <= waited < 5.0


async def test_a_repeated_question_is_answered_from_the_cache(fake_api: FakeAPI) -> None:
    fake_api.route("GET", SUMMARY + "Ada_Lovelace", Respond(json=ADA))
    async with Harness(plugin, env=env(fake_api)) as bot:
        first = await bot.ask_card("!wiki Ada Lovelace")
        again = await bot.ask_card("!wiki  Ada   Lovelace ")
    assert first == again
    assert fake_api.count(SUMMARY + "Ada_Lovelace") == 1


async def test_no_term_answers_the_usage_line(fake_api: FakeAPI) -> None:
    async with Harness(plugin, env=env(fake_api)) as bot:
        assert await bot.ask("!wiki") == "missing term\nUsage: !wiki <term…>"
        assert await bot.ask('!wiki ""') == "missing term\nUsage: !wiki <term…>"
        assert (await bot.ask("!wiki " + "x" * 300)).startswith("That is too long")
    assert fake_api.requests == []


def test_the_language_picks_the_wikipedia() -> None:
    assert WikiConfig().base == "https://en.wikipedia.org"
    assert WikiConfig(language="NO").base == "https://no.wikipedia.org"
    assert WikiConfig(language="de", url="https://wiki.example.org/").base == (
        "https://wiki.example.org"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WIKI_LANGUAGE", "en fr"), ("WIKI_LANGUAGE", "../x"), ("WIKI_URL", "en.wikipedia.org")],
)
def test_a_bad_setting_stops_startup_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Harness(plugin, env={variable: value})
    assert raised.value.variable == variable
