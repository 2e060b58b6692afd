"""The runtime's view of all loaded plugins: one dict of command names, one list of
listeners, event handlers by kind, and the scheduled jobs."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.config import load_plugin_config, secrets_of
from bot.core.loader import LoadFailure
from bot.errors import PluginError
from bot.model import CommandInfo
from bot.plugin import Command, EventHandler, Listener, Mount, Plugin
from bot.plugin.guards import Check, Cooldown, guards_of
from bot.plugin.schedule import Job

H = TypeVar("H", Command, Listener, EventHandler)


@dataclass(frozen=True, slots=True)
class Bound(Generic[H]):
    """A handler mounted with its plugin, its checks and its live cooldown."""

    handler: H
    mount: Mount
    checks: tuple[Check, ...] = ()
    cooldown: Cooldown | None = None


def bind(handler: H, mount: Mount) -> Bound[H]:
    # Guards are read at mount time, so @requires/@cooldown work above or below
    # @plugin.command, and each registry gets fresh cooldown state.
    checks, spec = guards_of(handler.func)
    return Bound(handler, mount, checks, Cooldown(spec) if spec else None)


class Registry:
    """Commands by name and alias (a dict lookup per message), listeners in load order."""

    def __init__(self) -> None:
        self.commands: dict[str, Bound[Command]] = {}
        self.listeners: list[Bound[Listener]] = []
        self.events: dict[str, list[Bound[EventHandler]]] = {}
        self.jobs: list[tuple[Job, Mount]] = []
        self.plugins: dict[str, Plugin] = {}
        self.mounts: dict[str, Mount] = {}
        self.secrets: list[str] = []
        self.origins: dict[str, str] = {}  # plugin name → where it was loaded from
        self.failures: list[LoadFailure] = []  # plugins that did not load, and why

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
        self.mounts[plugin.name] = mount
        self.secrets += secrets_of(config)
        bound = {id(cmd): bind(cmd, mount) for cmd in plugin.commands}
        self.commands.update((name, bound[id(cmd)]) for name, cmd in names.items())
        self.listeners += [bind(listener, mount) for listener in plugin.listeners]
        for handler in plugin.event_handlers:
            self.events.setdefault(handler.kind, []).append(bind(handler, mount))
        self.jobs += [(job, mount) for job in plugin.jobs]

    def remove(self, name: str) -> None:
        """Unmount plugin ``name``: its commands, listeners, event handlers and jobs go.

        Mutates in place: the dispatcher holds these very containers.
        """
        self.plugins.pop(name, None)
        self.mounts.pop(name, None)
        for key in [k for k, b in self.commands.items() if b.mount.name == name]:
            del self.commands[key]
        self.listeners[:] = [b for b in self.listeners if b.mount.name != name]
        for handlers in self.events.values():
            handlers[:] = [b for b in handlers if b.mount.name != name]
        self.jobs[:] = [(job, mount) for job, mount in self.jobs if mount.name != name]

    def infos(self) -> Iterator[CommandInfo]:
        """Each command once (aliases folded), sorted by name."""
        unique = {id(r.handler): r.handler.info for r in self.commands.values()}
        yield from sorted(unique.values(), key=lambda info: info.name)
