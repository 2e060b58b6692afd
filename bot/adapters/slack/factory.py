"""The ``slack`` entry point: configured by ``SLACK_BOT_TOKEN``; slack-bolt is
imported by :meth:`SlackFactory.build` only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.adapters.base import BuildArgs
from bot.adapters.slack.settings import SlackSettings
from bot.config import read_settings

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


factory = SlackFactory()
