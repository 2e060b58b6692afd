"""The weather plugin against a fake Open-Meteo on 127.0.0.1: cards, units, per-city
failures, retries, the cache and the per-host limit."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from bot import Card, ConfigError, Field
from bot.testing import FakeAPI, Harness, Respond
from plugins.weather import plugin

PLACES = {
    "oslo": {"name": "Oslo", "latitude": 59.91, "longitude": 10.75, "country": "Norway"},
    "new york": {
        "name": "New York",
        "latitude": 40.71,
        "longitude": -74.01,
        "country": "United States",
        "admin1": "New York",
    },
    "paris": {
        "name": "Paris",
        "latitude": 48.85,
        "longitude": 2.35,
        "country": "France",
        "admin1": "Île-de-France",
    },
}
CURRENT = {
    "time": "2024-05-01T14:15",
    "temperature_2m": 21.4,
    "apparent_temperature": 19.6,
    "relative_humidity_2m": 45,
    "weather_code": 2,
    "wind_speed_10m": 12.3,
}


class OpenMeteo:
    """Geocoding by name from PLACES (plus ``extra`` cities), a forecast per latitude;
    ``slow``/``broken`` latitudes answer late or with a 500."""

    def __init__(self, api: FakeAPI, *, extra: int = 0, delay: float = 0.0) -> None:
        self.places = dict(PLACES)
        for i in range(extra):
            self.places[f"town{i}"] = {"name": f"Town{i}", "latitude": i, "longitude": i}
        self.delay = delay
        self.slow: set[float] = set()
        self.broken: set[float] = set()
        api.route("GET", "/v1/search", handler=self.search)
        api.route("GET", "/v1/forecast", handler=self.forecast)

    def latitude(self, city: str) -> float:
        return float(self.places[city]["latitude"])  # type: ignore[arg-type]

    async def search(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        place = self.places.get(request.query["name"].lower())
        return web.json_response({"results": [place]} if place else {"generationtime_ms": 0.1})

    async def forecast(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        latitude = float(request.query["latitude"])
        if latitude in self.broken:
            return web.json_response({"error": True, "reason": "boom"}, status=500)
        if latitude in self.slow:
            await asyncio.sleep(3)
        return web.json_response({"current": CURRENT})


def env(api: FakeAPI, **settings: str) -> dict[str, str]:
    values = {"WEATHER_GEOCODING_URL": api.url, "WEATHER_FORECAST_URL": api.url + "/"}
    values.update({f"WEATHER_{k.upper()}": v for k, v in settings.items()})
    return values


def field_values(card: Card) -> dict[str, str]:
    return {f.name: f.value for f in card.fields}


async def test_one_card_with_a_field_per_city_and_metric_by_default(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!weather Oslo Paris")
    assert [f.name for f in card.fields] == ["Oslo, Norway", "Paris, Île-de-France, France"]
    assert card.fields[0].value == (
        "⛅ Partly cloudy, **21 °C** (feels like 20 °C)\n💧 45 % · 💨 12 km/h · 🕒 14:15 local"
    )
    assert "Open-Meteo" in card.footer
    search = next(r for r in fake_api.requests if r.path == "/v1/search")
    assert search.query == {"name": "Oslo", "count": "1", "language": "en", "format": "json"}
    forecasts = [r.query for r in fake_api.requests if r.path == "/v1/forecast"]
    assert sorted(q["latitude"] for q in forecasts) == ["48.85", "59.91"]
    for query in forecasts:
        assert query["temperature_unit"] == "celsius" and query["wind_speed_unit"] == "kmh"
        assert query["timezone"] == "auto"
        assert set(query["current"].split(",")) >= {"temperature_2m", "weather_code"}


async def test_imperial_units_are_asked_for_and_shown(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api, units="Imperial")) as bot:
        card = await bot.ask_card("!weather Oslo")
    [forecast] = [r.query for r in fake_api.requests if r.path == "/v1/forecast"]
    assert forecast["temperature_unit"] == "fahrenheit" and forecast["wind_speed_unit"] == "mph"
    assert "**21 °F**" in card.fields[0].value and "12 mph" in card.fields[0].value


@pytest.mark.parametrize(
    "text", ['!weather "New York" Oslo', "!weather New York, Oslo", "!weather new york,oslo,"]
)
async def test_a_name_of_several_words_is_quoted_or_comma_separated(
    fake_api: FakeAPI, text: str
) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card(text)
    assert [f.name for f in card.fields] == ["New York, United States", "Oslo, Norway"]
    names = sorted(r.query["name"].lower() for r in fake_api.requests if r.path == "/v1/search")
    assert names == ["new york", "oslo"]


async def test_the_slash_command_takes_the_same_words(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        [sent] = await bot.invoke("weather", "New York, Paris")
    assert sent.reply.card is not None
    assert [f.name for f in sent.reply.card.fields] == [
        "New York, United States",
        "Paris, Île-de-France, France",
    ]


async def test_a_city_asked_twice_is_looked_up_and_shown_once(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!weather Oslo oslo")
    assert [f.name for f in card.fields] == ["Oslo, Norway"]
    assert fake_api.count("/v1/search") == 1


async def test_below_zero_rounds_without_a_minus_zero(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    cold = {**CURRENT, "temperature_2m": -0.4, "apparent_temperature": -4.6, "weather_code": 73}
    fake_api.route("GET", "/v1/forecast", Respond(json={"current": cold}))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!weather Oslo")
    assert card.fields[0].value.startswith("🌨️ Snow, **0 °C** (feels like -5 °C)\n")


async def test_a_city_not_found_says_so_and_the_others_answer(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!weather Atlantis Oslo")
    assert card.fields[0] == Field("Atlantis", "❓ not found")
    assert "Partly cloudy" in field_values(card)["Oslo, Norway"]
    assert fake_api.count("/v1/forecast") == 1  # no forecast for a place that is not there


async def test_a_slow_city_times_out_while_the_others_answer(fake_api: FakeAPI) -> None:
    meteo = OpenMeteo(fake_api)
    meteo.slow.add(meteo.latitude("paris"))
    async with Harness(plugin, env=env(fake_api), http_timeout=0.5) as bot:
        begun = time.monotonic()
        card = await bot.ask_card("!weather Oslo Paris")
        took = time.monotonic() - begun
    values = field_values(card)
    assert values["Paris"] == "⏱️ Open-Meteo did not answer within 0.5 s"
    assert "Partly cloudy" in values["Oslo, Norway"]
    assert took < 2.5  # the slow city's 3 s answer was not waited for


async def test_a_failing_city_shows_the_error_while_the_others_answer(fake_api: FakeAPI) -> None:
    meteo = OpenMeteo(fake_api)
    meteo.broken.add(meteo.latitude("oslo"))
    async with Harness(plugin, env=env(fake_api), http_retries=0) as bot:
        card = await bot.ask_card("!weather Oslo Paris New-York")
    values = field_values(card)
    assert values["Oslo"] == "⚠️ Open-Meteo answered 500 (internal server error)"
    assert "Partly cloudy" in values["Paris, Île-de-France, France"]
    assert values["New-York"] == "❓ not found"


async def test_a_429_is_waited_out_and_then_answered(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    fake_api.route(
        "GET",
        "/v1/forecast",
        Respond(429, headers={"Retry-After": "1"}),
        Respond(json={"current": CURRENT}),
    )
    async with Harness(plugin, env=env(fake_api)) as bot:
        begun = time.monotonic()
        card = await bot.ask_card("!weather Oslo")
        waited = time.monotonic() - begun
    assert "Partly cloudy" in card.fields[0].value
    assert fake_api.count("/v1/forecast") == 2
    assert 1.0 <= waited < 5.0


async def test_a_repeated_question_is_answered_from_the_cache(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        first = await bot.ask_card("!weather Oslo Paris")
        again = await bot.ask_card("!weather Paris Oslo")
    assert field_values(first) == field_values(again)
    assert fake_api.count("/v1/search") == 2
    assert fake_api.count("/v1/forecast") == 2


async def test_many_cities_respect_the_per_host_limit(fake_api: FakeAPI) -> None:
    OpenMeteo(fake_api, extra=8, delay=0.05)
    cities = " ".join(f"town{i}" for i in range(8))
    async with Harness(plugin, env=env(fake_api), http_per_host=2) as bot:
        card = await bot.ask_card(f"!weather {cities}")
    assert len(card.fields) == 8 and all("Partly cloudy" in f.value for f in card.fields)
    assert fake_api.peak_in_flight == 2  # concurrent, yet never more than two at once


async def test_no_city_is_asked_for_and_no_name_answers_the_usage_line(
    fake_api: FakeAPI,
) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        assert await bot.ask("!weather , ,") == "name a city\nUsage: !weather [cities…]"
        assert fake_api.requests == []
        assert await bot.ask("!weather") == "Which city? (several: separate them by commas)"
        card = await bot.ask_card("New York, Oslo")
    assert [f.name for f in card.fields] == ["New York, United States", "Oslo, Norway"]


async def test_the_units_button_shows_the_same_cities_in_the_other_units(
    fake_api: FakeAPI,
) -> None:
    OpenMeteo(fake_api)
    async with Harness(plugin, env=env(fake_api)) as bot:
        (shown,) = await bot.say("!weather Oslo, New York")
        (button,) = shown.reply.components[0]
        assert button.label == "Show in °F"
        (update,) = await bot.click("Show in °F")
        assert update.replaces == shown.ref and update.reply.card is not None
        assert [f.name for f in update.reply.card.fields] == [
            "Oslo, Norway",
            "New York, United States",
        ]
        assert "**21 °F**" in update.reply.card.fields[0].value
        assert update.reply.components[0][0].label == "Show in °C"
        (back,) = await bot.click("Show in °C")
    assert back.reply.card is not None and "**21 °C**" in back.reply.card.fields[0].value
    units = [r.query["temperature_unit"] for r in fake_api.requests if r.path == "/v1/forecast"]
    assert units == ["celsius", "celsius", "fahrenheit", "fahrenheit"]  # back: from the cache


async def test_too_many_cities_are_refused_before_any_lookup(fake_api: FakeAPI) -> None:
    async with Harness(plugin, env=env(fake_api, max_cities="3")) as bot:
        answer = await bot.ask("!weather Oslo Paris Rome Lima")
    assert answer == "At most 3 cities at once, please (you asked for 4)."
    assert fake_api.requests == []


async def test_an_unexpected_answer_is_reported_in_its_field_and_logged(
    fake_api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    OpenMeteo(fake_api)
    fake_api.route("GET", "/v1/forecast", Respond(json={"hourly": {}}))
    async with Harness(plugin, env=env(fake_api)) as bot:
        card = await bot.ask_card("!weather Oslo")
    assert card.fields == (Field("Oslo", "⚠️ unexpected answer from Open-Meteo"),)
    assert "weather for 'Oslo' failed" in caplog.text


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEATHER_UNITS", "kelvin"),
        ("WEATHER_MAX_CITIES", "0"),
        ("WEATHER_MAX_CITIES", "26"),
        ("WEATHER_MAX_CITIES", "many"),
        ("WEATHER_FORECAST_URL", "api.open-meteo.com"),
    ],
)
def test_a_bad_setting_stops_startup_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Harness(plugin, env={variable: value})
    assert raised.value.variable == variable


async def test_an_overlong_city_is_refused_without_asking_upstream(fake_api: FakeAPI) -> None:
    async with Harness(plugin, env=env(fake_api)) as bot:
        answer = await bot.ask("!weather " + "x" * 10_000)
    assert answer == "A city name is at most 100 characters."
    assert fake_api.requests == []
