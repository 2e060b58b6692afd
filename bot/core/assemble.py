"""Putting a bot together from its settings: the plugins into a registry, and
the adapters the settings ask for. The composition root (``bot.cli``) calls these."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from bot.config import Settings, split_list
from bot.core.builtins import help_plugin
from bot.core.loader import LoadFailure, load_plugins
from bot.core.registry import Registry
from bot.errors import ConfigError, PluginError

log = logging.getLogger("bot.loader")


def plugins_dir(settings: Settings, *, must_exist: bool) -> Path:
    """BOT_PLUGINS_DIR, resolved against the working directory.

    ``must_exist``: a missing directory is a ConfigError (``bot check``); else the
    loader warns and loads none from it.
    """
    path = Path(settings.plugins_dir).expanduser().absolute()
    if must_exist and not path.is_dir():
        raise ConfigError(
            "BOT_PLUGINS_DIR",
            f"{path} is not a directory (relative paths start at the working directory)",
        )
    return path


def build_registry(
    settings: Settings, environ: Mapping[str, str], *, strict: bool, check: bool = False
) -> Registry:
    """The built-in help plus the chosen plugins (BOT_PLUGINS_DIR, then entry points).

    A plugin that fails to load, or a command two plugins define, is logged and
    left out (the second plugin loads without that command); ``strict`` makes
    either fatal (PluginError). ``check``: the plugins directory must exist.
    """
    registry = Registry()
    registry.add(help_plugin(registry), environ, origin="built in")
    loaded, failures = load_plugins(
        plugins_dir(settings, must_exist=check),
        only=split_list(settings.plugins),
        disabled=split_list(settings.plugins_disabled),
    )
    if strict and failures:
        raise PluginError(f"plugin {failures[0].name} failed to load: {failures[0].error}")
    registry.failures += failures
    for item in loaded:
        try:
            registry.add(item.plugin, environ, origin=item.origin)
        except PluginError as exc:
            if strict:
                raise
            log.error("plugin %s not loaded: %s", item.plugin.name, exc)
            registry.failures.append(LoadFailure(item.plugin.name, str(exc)))
    for clash in registry.clashes:
        if strict:
            raise PluginError(clash.conflict)
        log.error("%s", clash)
    return registry
