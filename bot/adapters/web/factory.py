"""The ``web`` entry point: chosen by name (``BOT_ADAPTERS=web``, or ``--web``), never
by ``auto``; ``aiohttp.web`` is imported by :meth:`WebChatFactory.build` only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

from bot.adapters.base import BuildArgs
from bot.adapters.web.settings import LOOPBACK_HOST, WebChatSettings
from bot.config import read_settings
from bot.model import Reply

if TYPE_CHECKING:
    from bot.adapters.web.adapter import WebChatAdapter

PREVIEWS = "botloop.previews"  # entry points: platform name → render(Reply) as JSON


class WebChatFactory:
    def configured(self, environ: Mapping[str, str]) -> bool:
        return False  # a sandbox or a widget is asked for, never assumed

    def build(self, args: BuildArgs) -> WebChatAdapter:
        environ = dict(args.environ)
        environ.setdefault("BOT_HOST", LOOPBACK_HOST)  # the cli binds the server there too
        settings = read_settings(WebChatSettings, environ)
        settings.check_private()
        from bot.adapters.web.adapter import WebChatAdapter

        admins = sorted(user for platform, user in args.settings.admin_ids if platform == "web")
        return WebChatAdapter(
            settings, bot_name=args.settings.name, admins=admins, previews=previews()
        )


def previews() -> dict[str, Callable[[Reply], Any]]:
    """How each installed platform would render a reply (the sandbox's preview), found
    by entry point so that this adapter imports no other."""
    return {entry.name: entry.load() for entry in metadata.entry_points(group=PREVIEWS)}


factory = WebChatFactory()
