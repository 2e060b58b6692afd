"""The public plugin API: everything a plugin imports, re-exported by ``bot``.

The runtime's wiring (``Services``, ``Mount``, the handler declarations) lives in
:mod:`bot.plugin.wiring` and :mod:`bot.plugin.registry` and is not exported.
"""

from bot.plugin.context import Context
from bot.plugin.registry import CallNext, Plugin

__all__ = ["CallNext", "Context", "Plugin"]
