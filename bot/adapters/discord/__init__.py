"""The Discord adapter, on discord.py.

This package's ``__init__`` and :mod:`.settings` never import ``discord``: the cli
reads the settings (and ``discord-invite`` prints a URL) without paying for the
library; only :mod:`.adapter` does, and the cli imports it only when Discord is
configured.
"""
