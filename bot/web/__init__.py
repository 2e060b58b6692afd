"""The bot's one aiohttp web server: ``GET /healthz`` plus routes other parts add
(Slack HTTP mode today, plugin webhooks later)."""

from bot.web.server import Handler, WebServer
from bot.web.settings import WebSettings

__all__ = ["Handler", "WebServer", "WebSettings"]
