"""Adapters by name, found through the ``botloop.adapters`` entry points.

The built-in console, discord and slack are registered the same way (see
pyproject.toml), so a third-party platform is a package, not an edit here.
Loading an entry point imports only its factory; the platform library loads
when the factory builds an adapter, so only for the adapters configured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import metadata

import aiohttp

from bot.adapters.base import ENTRY_POINT_GROUP, Adapter, AdapterFactory, BuildArgs, Identifies
from bot.config import Settings
from bot.errors import ConfigError
from bot.model import CommandInfo

FALLBACK = "console"  # what `auto` runs when no platform is configured


def adapter_factories() -> dict[str, metadata.EntryPoint]:
    """Every registered adapter, by name."""
    return {ep.name.lower(): ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _load(entry: metadata.EntryPoint) -> AdapterFactory:
    factory: AdapterFactory = entry.load()
    return factory


def choose_adapters(
    settings: Settings,
    environ: Mapping[str, str],
    known: Mapping[str, metadata.EntryPoint] | None = None,
) -> list[str]:
    """BOT_ADAPTERS as a list of names; ``auto`` asks each factory whether it is
    configured, and falls back to the console when none is. ``known``: the
    registered adapters, when the caller has already read them."""
    known = adapter_factories() if known is None else known
    if settings.adapters.strip().lower() == "auto":
        names = [name for name, entry in known.items() if _load(entry).configured(environ)]
        return names or [FALLBACK]
    names = [n.strip().lower() for n in settings.adapters.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        listed = ", ".join(["auto", *sorted(known)])
        raise ConfigError(
            "BOT_ADAPTERS", f"unknown adapter {', '.join(unknown) or '(none)'}; known: {listed}"
        )
    return list(dict.fromkeys(names))


def build_adapters(
    names: Sequence[str],
    settings: Settings,
    environ: Mapping[str, str],
    commands: Sequence[CommandInfo],
    known: Mapping[str, metadata.EntryPoint] | None = None,
) -> list[Adapter]:
    """Each named adapter, built by its factory from the settings and the commands."""
    known = adapter_factories() if known is None else known
    args = BuildArgs(settings, environ, commands)
    return [_load(known[name]).build(args) for name in names]


async def identify_adapters(
    names: Sequence[str], settings: Settings, environ: Mapping[str, str]
) -> list[str]:
    """Ask each named platform who the bot is (``bot check --online``): one line each.

    A rejected credential raises ConfigError naming it; an adapter whose factory
    cannot ask (the console) is skipped.
    """
    known = adapter_factories()
    args = BuildArgs(settings, environ, ())
    lines = []
    timeout = aiohttp.ClientTimeout(total=settings.http_timeout)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for name in names:
            factory = _load(known[name])
            if isinstance(factory, Identifies):
                lines.append(await factory.identify(args, http))
    return lines
