"""The bot's one web server and what plugin webhooks see.

The server itself (:mod:`bot.web.server`, on ``aiohttp.web``) is imported only by
the runtime that starts it; plugins see :class:`WebRequest` and :class:`WebResponse`.
"""

from bot.web.messages import WebRequest, WebResponse, signature_valid
from bot.web.settings import WebSettings

__all__ = ["WebRequest", "WebResponse", "WebSettings", "signature_valid"]
