"""The runtime's view of all loaded plugins: one dict of command names, one list of listeners."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.config import load_plugin_config, secrets_of
from bot.errors import PluginError
from bot.model import CommandInfo
from bot.plugin import Command, EventHandler, Listener, Mount, Plugin


@dataclass(frozen=True, slots=True)
class Route:
    """A command bound to the plugin that owns it."""

    command: Command
    mount: Mount


class Registry:
    """Commands by name and alias (a dict lookup per message), listeners in load order."""

    def __init__(self) -> None:
        self.commands: dict[str, Route] = {}
        self.listeners: list[tuple[Listener, Mount]] = []
        self.events: dict[str, list[tuple[EventHandler, Mount]]] = {}
        self.plugins: dict[str, Plugin] = {}
        self.secrets: list[str] = []

    def add(self, plugin: Plugin, environ: Mapping[str, str]) -> None:
        """Mount ``plugin``: read its settings, claim its names. All or nothing.

        Raises PluginError on a name another plugin already has, ConfigError on a
        bad setting.
        """
        if plugin.name in self.plugins:
            raise PluginError(f"plugin name {plugin.name!r} is already taken")
        names: dict[str, Command] = {}
        for cmd in plugin.commands:
            for name in (cmd.info.name, *cmd.info.aliases):
                taken = self.commands.get(name)
                if taken is not None or name in names:
                    owner = taken.mount.name if taken else plugin.name
                    raise PluginError(f"command {name!r} is already defined by plugin {owner!r}")
                names[name] = cmd
        config = load_plugin_config(plugin.config_prefix, plugin.config_schema, environ)
        mount = Mount(plugin.name, config, logging.getLogger(f"plugins.{plugin.name}"))
        self.plugins[plugin.name] = plugin
        self.secrets += secrets_of(config)
        self.commands.update((name, Route(cmd, mount)) for name, cmd in names.items())
        self.listeners += [(listener, mount) for listener in plugin.listeners]
        for handler in plugin.event_handlers:
            self.events.setdefault(handler.kind, []).append((handler, mount))

    def infos(self) -> Iterator[CommandInfo]:
        """Each command once (aliases folded), sorted by name."""
        unique = {id(r.command): r.command.info for r in self.commands.values()}
        yield from sorted(unique.values(), key=lambda info: info.name)
