"""weather: current conditions for one or more cities, from Open-Meteo (no API key).

``!weather Oslo "New York"`` (or ``!weather Oslo, New York``) geocodes every city
and fetches its conditions, all cities at once; one card answers, a field per
city. A city that is not found, or whose lookup failed, says so in its own field
while the others still answer. A button under the card shows it again in the
other units; ``!weather`` alone asks which city.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot import (
    Button,
    Card,
    ConfigError,
    Context,
    FetchError,
    Field,
    Plugin,
    Reply,
    Result,
    UsageError,
    UserError,
)

GEOCODE_TTL = 24 * 3600.0  # places do not move
FORECAST_TTL = 10 * 60.0  # Open-Meteo refreshes "current" values every 15 minutes
ATTRIBUTION = "Weather data by Open-Meteo.com"  # its licence (CC BY 4.0) asks for credit
CURRENT = "temperature_2m,apparent_temperature,relative_humidity_2m,weather_code,wind_speed_10m"
MAX_FIELDS = 25  # a Discord embed shows at most 25 fields (the API's "Embed Limits")
UNITS = {  # query parameters and the labels shown with them
    "metric": ({"temperature_unit": "celsius", "wind_speed_unit": "kmh"}, "°C", "km/h"),
    "imperial": ({"temperature_unit": "fahrenheit", "wind_speed_unit": "mph"}, "°F", "mph"),
}

# WMO weather interpretation codes, the subset Open-Meteo documents.
CONDITIONS = {
    0: ("☀️", "Clear sky"),
    1: ("🌤️", "Mainly clear"),
    2: ("⛅", "Partly cloudy"),
    3: ("☁️", "Overcast"),
    45: ("🌫️", "Fog"),
    48: ("🌫️", "Rime fog"),
    51: ("🌦️", "Light drizzle"),
    53: ("🌦️", "Drizzle"),
    55: ("🌧️", "Dense drizzle"),
    56: ("🌧️", "Freezing drizzle"),
    57: ("🌧️", "Dense freezing drizzle"),
    61: ("🌦️", "Light rain"),
    63: ("🌧️", "Rain"),
    65: ("🌧️", "Heavy rain"),
    66: ("🌧️", "Freezing rain"),
    67: ("🌧️", "Heavy freezing rain"),
    71: ("🌨️", "Light snow"),
    73: ("🌨️", "Snow"),
    75: ("❄️", "Heavy snow"),
    77: ("🌨️", "Snow grains"),
    80: ("🌦️", "Light showers"),
    81: ("🌧️", "Showers"),
    82: ("⛈️", "Violent showers"),
    85: ("🌨️", "Snow showers"),
    86: ("❄️", "Heavy snow showers"),
    95: ("⛈️", "Thunderstorm"),
    96: ("⛈️", "Thunderstorm with hail"),
    99: ("⛈️", "Thunderstorm with heavy hail"),
}


@dataclass(frozen=True)
class WeatherConfig:
    """``WEATHER_*`` settings. The URLs are bases, so a proxy, a self-hosted
    Open-Meteo or a test server can stand in for the public API."""

    units: Literal["metric", "imperial"] = "metric"
    max_cities: int = 10
    geocoding_url: str = "https://geocoding-api.open-meteo.com"
    forecast_url: str = "https://api.open-meteo.com"

    def __post_init__(self) -> None:
        if not 1 <= self.max_cities <= MAX_FIELDS:
            problem = f"must be from 1 to {MAX_FIELDS}, got {self.max_cities}"
            raise ConfigError("WEATHER_MAX_CITIES", problem)
        for name, url in (
            ("GEOCODING_URL", self.geocoding_url),
            ("FORECAST_URL", self.forecast_url),
        ):
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"WEATHER_{name}", f"must be an http(s) URL, got {url!r}")


plugin = Plugin("weather", help="Current weather, from Open-Meteo", config=WeatherConfig)


@plugin.command(
    help="Current weather in one or more cities: weather <city> [more…]\n"
    'Quote a name of several words or separate cities by commas: `weather "New York" Oslo`, '
    "`weather New York, Oslo`. Without a city, it asks which."
)
async def weather(ctx: Context, *cities: str) -> None:
    if not cities:
        answer = await ctx.ask("Which city? (several: separate them by commas)", timeout=60)
        if answer is None:
            return
        cities = (answer,) if "," in answer else (answer.strip(),)
    names = split_cities(cities)
    if not names:
        raise UsageError("name a city")
    cap = ctx.config.max_cities
    if len(names) > cap:
        raise UserError(f"At most {cap} cities at once, please (you asked for {len(names)}).")
    if any(len(name) > NAME_CHARS for name in names):
        raise UserError(f"A city name is at most {NAME_CHARS} characters.")
    async with ctx.typing():
        await ctx.reply(await report(ctx, names, ctx.config.units))


@plugin.on_action("units")
async def other_units(ctx: Context, value: str) -> None:
    """The "°F" / "°C" button: the same cities again, in the units it names."""
    units, _, joined = value.partition(":")
    if units not in UNITS or not joined:
        raise UserError("This button has expired.")
    await ctx.update(await report(ctx, joined.split("\n"), units))


async def report(ctx: Context, names: list[str], units: str) -> Reply:
    """The card for ``names`` in ``units``, with the button that switches units."""
    results = await ctx.gather(*(city_field(ctx, name, units) for name in names))
    fields = tuple(
        failed_field(ctx, name, r) if r.error else r.unwrap()
        for name, r in zip(names, results, strict=True)
    )
    card = Card(title="Weather now", fields=fields, footer=ATTRIBUTION)
    other = "imperial" if units == "metric" else "metric"
    # The cities travel in the button's value (a long list is kept in the store).
    toggle = Button(f"Show in {UNITS[other][1]}", "units", f"{other}:" + "\n".join(names))
    return Reply(card=card, buttons=[toggle])


NAME_CHARS = 100  # the longest place names are about 85; more is not a city, and not sent


def split_cities(words: tuple[str, ...]) -> list[str]:
    """The cities asked for: comma-separated when any word holds a comma, else one
    per word (the parser keeps a quoted "New York" whole). Repeats drop out."""
    parts = " ".join(words).split(",") if any("," in w for w in words) else words
    unique: dict[str, str] = {}
    for part in parts:
        name = " ".join(part.split())
        if name:
            unique.setdefault(name.casefold(), name)
    return list(unique.values())


async def city_field(ctx: Context, city: str, units: str) -> Field:
    """Geocode ``city``, then fetch its current conditions in ``units``: one card field."""
    config = ctx.config
    found = await ctx.fetch_json(
        f"{config.geocoding_url.rstrip('/')}/v1/search",
        params={"name": city, "count": 1, "language": "en", "format": "json"},
        cache_ttl=GEOCODE_TTL,
        service="Open-Meteo geocoding",
    )
    places = found.get("results") or []
    if not places:
        return Field(city, "❓ not found")
    place = places[0]
    query, _, _ = UNITS[units]
    forecast = await ctx.fetch_json(
        f"{config.forecast_url.rstrip('/')}/v1/forecast",
        params={
            "latitude": place["latitude"],
            "longitude": place["longitude"],
            "current": CURRENT,
            "timezone": "auto",
            **query,
        },
        cache_ttl=FORECAST_TTL,
        service="Open-Meteo",
    )
    return Field(place_name(place), conditions(forecast["current"], units))


def place_name(place: dict[str, Any]) -> str:
    """``Portland, Oregon, United States``: enough to tell which one was found."""
    parts = [place.get("name", ""), place.get("admin1", ""), place.get("country", "")]
    shown: list[str] = []
    for part in parts:
        if part and part not in shown:
            shown.append(part)
    return ", ".join(shown)


def conditions(now: dict[str, Any], units: str) -> str:
    """Two lines: the sky and the temperature, then humidity, wind and local time."""
    _, degrees, speed = UNITS[units]
    emoji, words = CONDITIONS.get(now.get("weather_code", -1), ("🌡️", "Unknown conditions"))
    line = f"{emoji} {words}, **{round(now['temperature_2m'])} {degrees}**"
    if now.get("apparent_temperature") is not None:
        line += f" (feels like {round(now['apparent_temperature'])} {degrees})"
    details = [
        f"💧 {round(now['relative_humidity_2m'])} %",
        f"💨 {round(now['wind_speed_10m'])} {speed}",
    ]
    if now.get("time"):
        details.append(f"🕒 {now['time'][-5:]} local")
    return f"{line}\n{' · '.join(details)}"


def failed_field(ctx: Context, city: str, result: Result[Field]) -> Field:
    """What a city whose lookup failed shows: the reason, fit for the user."""
    error = result.error
    if isinstance(error, FetchError):  # FetchTimeout included: its text says it timed out
        return Field(city, f"{'⏱️' if result.timed_out else '⚠️'} {error}")
    if result.timed_out:
        return Field(city, "⏱️ timed out")
    ctx.log.error("weather for %r failed", city, exc_info=error)
    return Field(city, "⚠️ unexpected answer from Open-Meteo")
