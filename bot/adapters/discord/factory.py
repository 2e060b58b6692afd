"""The ``discord`` entry point: configured by ``DISCORD_TOKEN``; discord.py is
imported by :meth:`DiscordFactory.build` only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp

from bot.adapters.base import BuildArgs
from bot.adapters.discord.settings import DiscordSettings
from bot.errors import AdapterError, ConfigError

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

    async def identify(self, args: BuildArgs, http: aiohttp.ClientSession) -> str:
        """Who the token belongs to, from ``GET /users/@me``."""
        settings = DiscordSettings.from_env(args.environ)
        token = settings.require_token().reveal()
        url = f"{settings.api_base.rstrip('/')}/users/@me"
        try:
            async with http.get(url, headers={"Authorization": f"Bot {token}"}) as resp:
                if resp.status == 401:
                    raise ConfigError("DISCORD_TOKEN", "rejected by Discord (401 Unauthorized)")
                if resp.status != 200:
                    raise AdapterError(f"discord: /users/@me answered {resp.status}")
                me = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AdapterError(f"discord: cannot reach {settings.api_base}: {exc}") from None
        return f"discord: as {me.get('username')} (id {me.get('id')})"


factory = DiscordFactory()
