"""The runtime's view of all loaded plugins, as routes: commands by name, patterns
in load order, event handlers by kind, actions by plugin and name, webhooks by
path; and the scheduled jobs."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.config import load_plugin_config, secrets_of
from bot.core.loader import LoadFailure
from bot.core.routes import (
    ActionRoute,
    CommandRoute,
    EventRoute,
    PatternRoute,
    Route,
    WebhookRoute,
)
from bot.errors import PluginError
from bot.model import CommandInfo
from bot.plugin import Plugin
from bot.plugin.registry import MiddlewareFunc
from bot.plugin.schedule import Job
from bot.plugin.wiring import Mount


@dataclass(frozen=True, slots=True)
class Clash:
    """A command name two plugins both define: the first loaded keeps it, and the
    second loads without that command (``name`` may be one of its aliases)."""

    name: str
    command: str
    kept_by: str
    dropped_from: str

    @property
    def conflict(self) -> str:
        kept, dropped = self.kept_by, self.dropped_from
        return f"command {self.name!r} is defined by plugins {kept!r} and {dropped!r}"

    def __str__(self) -> str:
        return f"{self.conflict}; {self.dropped_from!r} loads without {self.command!r}"


class Registry:
    """Routes by key (a dict lookup per message), patterns in load order."""

    def __init__(self) -> None:
        self.commands: dict[str, CommandRoute] = {}
        self.patterns: list[PatternRoute] = []
        self.events: dict[str, list[EventRoute]] = {}
        self.webhooks: dict[str, WebhookRoute] = {}
        self.actions: dict[str, ActionRoute] = {}  # by "plugin:action"
        self.jobs: list[tuple[Job, Mount]] = []
        self.plugins: dict[str, Plugin] = {}
        self.mounts: dict[str, Mount] = {}
        self.secrets: list[str] = []
        self.origins: dict[str, str] = {}  # plugin name → where it was loaded from
        self.failures: list[LoadFailure] = []  # plugins that did not load, and why
        self.clashes: list[Clash] = []  # commands dropped because another plugin has them

    def add(self, plugin: Plugin, environ: Mapping[str, str], origin: str = "") -> None:
        """Mount ``plugin``: read its settings, make its routes, claim its names.

        A command name (or alias) another plugin already has stays with that one:
        this plugin's command is left out and recorded in :attr:`clashes`. Raises
        PluginError when the plugin's name is taken or it clashes with itself,
        ConfigError on a bad setting; then nothing of it is mounted.
        """
        if plugin.name in self.plugins:
            raise PluginError(f"plugin name {plugin.name!r} is already taken")
        self._check_own_names(plugin)
        config = load_plugin_config(plugin.config_prefix, plugin.config_schema, environ)
        mount = Mount(plugin.name, config, logging.getLogger(f"plugins.{plugin.name}"))
        webhooks = [WebhookRoute(hook, mount) for hook in plugin.webhooks]
        for hook in webhooks:
            if hook.checks or hook.cooldown:
                raise PluginError(f"webhook {hook.label}: checks and cooldowns need a chat user")
        self.plugins[plugin.name] = plugin
        self.mounts[plugin.name] = mount
        self.origins[plugin.name] = origin
        self.secrets += secrets_of(config)
        for command in plugin.commands:
            self._add_command(CommandRoute(command, mount))
        self.patterns += [PatternRoute(listener, mount) for listener in plugin.listeners]
        for handler in plugin.event_handlers:
            self.events.setdefault(handler.kind, []).append(EventRoute(handler, mount))
        self.webhooks.update((hook.path, hook) for hook in webhooks)
        self.actions.update((r.key, r) for r in (ActionRoute(a, mount) for a in plugin.actions))
        self.jobs += [(job, mount) for job in plugin.jobs]

    @staticmethod
    def _check_own_names(plugin: Plugin) -> None:
        seen: set[str] = set()
        for command in plugin.commands:
            for name in (command.info.name, *command.info.aliases):
                if name in seen:
                    raise PluginError(f"plugin {plugin.name!r} defines command {name!r} twice")
                seen.add(name)
        paths = [hook.path.rstrip("/") for hook in plugin.webhooks]
        if len(set(paths)) < len(paths):
            raise PluginError(f"plugin {plugin.name!r} defines a webhook path twice")

    def _add_command(self, route: CommandRoute) -> None:
        for name in route.keys:
            taken = self.commands.get(name)
            if taken is not None:
                self.clashes.append(Clash(name, route.info.name, taken.plugin, route.plugin))
                return
        self.commands.update((name, route) for name in route.keys)

    def remove(self, name: str) -> None:
        """Unmount plugin ``name``: its routes and jobs go.

        Mutates in place: the dispatcher holds these very containers.
        """
        self.plugins.pop(name, None)
        self.mounts.pop(name, None)
        for key in [k for k, r in self.commands.items() if r.plugin == name]:
            del self.commands[key]
        self.patterns[:] = [r for r in self.patterns if r.plugin != name]
        for routes in self.events.values():
            routes[:] = [r for r in routes if r.plugin != name]
        for path in [p for p, r in self.webhooks.items() if r.plugin == name]:
            del self.webhooks[path]
        for key in [k for k, r in self.actions.items() if r.plugin == name]:
            del self.actions[key]
        self.jobs[:] = [(job, mount) for job, mount in self.jobs if mount.name != name]

    def routes(self) -> Iterator[Route]:
        """Every route once (a command's aliases folded), in load order per kind."""
        yield from {id(r): r for r in self.commands.values()}.values()
        yield from self.patterns
        for routes in self.events.values():
            yield from routes
        yield from self.actions.values()
        yield from self.webhooks.values()

    def middlewares(self, plugin: str | None = None) -> list[MiddlewareFunc]:
        """``plugin``'s own middlewares, or (None) every scope="all" one in load order."""
        if plugin is not None:
            owner = self.plugins.get(plugin)
            mws = owner.middlewares if owner else []
            return [mw.func for mw in mws if mw.scope == "plugin"]
        return [mw.func for p in self.plugins.values() for mw in p.middlewares if mw.scope == "all"]

    def command_routes(self) -> Iterator[CommandRoute]:
        """Each command once (aliases folded), sorted by name."""
        unique = {id(r): r for r in self.commands.values()}
        yield from sorted(unique.values(), key=lambda r: r.info.name)

    def infos(self) -> Iterator[CommandInfo]:
        """Each command's info once (aliases folded), sorted by name."""
        for route in self.command_routes():
            yield route.info
