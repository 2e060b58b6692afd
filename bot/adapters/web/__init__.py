"""The web chat adapter: a chat page at ``/chat`` on the runtime's web server, a
WebSocket per tab, and a widget for other sites (``/chat/embed``, ``/chat/widget.js``).

``factory`` and ``settings`` are light; ``adapter`` imports ``aiohttp.web`` and is
loaded only when ``BOT_ADAPTERS`` names ``web`` (or ``--web`` is given).
"""
