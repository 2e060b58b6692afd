"""The ``discord`` entry point: configured by ``DISCORD_TOKEN``; discord.py is
imported by :meth:`DiscordFactory.build` only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.adapters.base import BuildArgs
from bot.adapters.discord.settings import DiscordSettings

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter


class DiscordFactory:
    def configured(self, environ: Mapping[str, str]) -> bool:
        return bool(environ.get("DISCORD_TOKEN", "").strip())

    def build(self, args: BuildArgs) -> DiscordAdapter:
        settings = DiscordSettings.from_env(args.environ)
        settings.require_token()  # the one-line error before paying for the import
        from bot.adapters.discord.adapter import DiscordAdapter

        return DiscordAdapter(settings, args.commands)


factory = DiscordFactory()
