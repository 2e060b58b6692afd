"""The ``slack`` entry point: configured by ``SLACK_BOT_TOKEN``; slack-bolt is
imported by :meth:`SlackFactory.build` only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp

from bot.adapters.base import BuildArgs
from bot.adapters.slack.settings import SlackSettings
from bot.config import read_settings
from bot.errors import AdapterError, ConfigError

if TYPE_CHECKING:
    from bot.adapters.slack.adapter import SlackAdapter


class SlackFactory:
    def configured(self, environ: Mapping[str, str]) -> bool:
        return bool(environ.get("SLACK_BOT_TOKEN", "").strip())

    def build(self, args: BuildArgs) -> SlackAdapter:
        settings = read_settings(SlackSettings, args.environ)
        settings.token()  # the one-line error before paying for the import
        settings.connection_mode()
        from bot.adapters.slack.adapter import SlackAdapter

        return SlackAdapter(settings, args.commands, bot_name=args.settings.name)

    async def identify(self, args: BuildArgs, http: aiohttp.ClientSession) -> str:
        """Who the token belongs to, from ``auth.test``."""
        settings = read_settings(SlackSettings, args.environ)
        url = f"{settings.base_url}auth.test"
        headers = {"Authorization": f"Bearer {settings.token()}"}
        try:
            async with http.post(url, headers=headers) as resp:
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise AdapterError(f"slack: cannot reach {settings.base_url}: {exc}") from None
        if not answer.get("ok"):
            error = str(answer.get("error", "not ok"))
            raise ConfigError("SLACK_BOT_TOKEN", f"rejected by Slack ({error})")
        return (
            f"slack: as {answer.get('user')} (id {answer.get('user_id')}) in {answer.get('team')}"
        )


factory = SlackFactory()
