"""Plugins from a directory (each module or package holding one ``Plugin`` object)
and from installed packages (entry-point group ``botloop.plugins``).

A plugin that fails to import is reported with its name and error and rolled
back (its modules leave ``sys.modules``); the others still load. ``PLUGINS`` and
``PLUGINS_DISABLED`` choose by name (module or entry-point name) before import,
so a disabled plugin is never imported at all.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import types
from collections.abc import Callable, Collection
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bot.errors import ConfigError, PluginError
from bot.plugin import Plugin

log = logging.getLogger("bot.loader")

# Plugin modules are imported as submodules of this synthetic package, whose
# __path__ is the plugins directory: no sys.path edits, and relative imports
# inside package plugins work.
PACKAGE = "botloop_plugins"


ENTRY_POINT_GROUP = "botloop.plugins"


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A plugin that did not load, and why (one line)."""

    name: str
    error: str


@dataclass(frozen=True, slots=True)
class Loaded:
    """A plugin and where it came from (a file, or an installed package's entry point)."""

    plugin: Plugin
    origin: str


def discover(directory: Path) -> list[str]:
    """Names of the plugin modules and packages in ``directory``, sorted."""
    if not directory.is_dir():
        log.warning(
            "plugins directory %s does not exist (BOT_PLUGINS_DIR; relative paths start at the"
            " working directory); no plugins loaded from it",
            directory,
        )
        return []
    names = []
    for path in directory.iterdir():
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").is_file()):
            names.append(path.stem)
    return sorted(names)


def _package(directory: Path) -> None:
    pkg = sys.modules.get(PACKAGE)
    if pkg is None or list(getattr(pkg, "__path__", [])) != [str(directory)]:
        # Modules imported from another directory must not stand in for this one's.
        for stale in [m for m in sys.modules if m.startswith(PACKAGE + ".")]:
            del sys.modules[stale]
        pkg = types.ModuleType(PACKAGE, "botloop's plugins directory")
        pkg.__path__ = [str(directory)]
        sys.modules[PACKAGE] = pkg
        importlib.invalidate_caches()


def plugin_of(module: types.ModuleType) -> Plugin:
    """The one Plugin object a module holds."""
    found = [v for v in vars(module).values() if isinstance(v, Plugin)]
    if len(found) != 1:
        what = "no Plugin object" if not found else f"{len(found)} Plugin objects"
        raise PluginError(f"module {module.__name__} holds {what}; a plugin holds exactly one")
    return found[0]


def import_plugin(directory: Path, name: str) -> Plugin:
    """Import one plugin, rolling back its modules if anything fails."""
    _package(directory)
    qualified = f"{PACKAGE}.{name}"
    before = set(sys.modules)
    try:
        return plugin_of(importlib.import_module(qualified))
    except BaseException:
        for mod in set(sys.modules) - before:
            if mod == qualified or mod.startswith(qualified + "."):
                del sys.modules[mod]
        raise


def load_directory(directory: Path) -> tuple[list[Plugin], list[LoadFailure]]:
    """Every plugin in ``directory``; failures are logged and returned, not raised."""
    loaded, failures = load_plugins(directory, entry_points=False)
    return [item.plugin for item in loaded], failures


def load_plugins(
    directory: Path,
    *,
    only: Collection[str] = (),
    disabled: Collection[str] = (),
    entry_points: bool = True,
) -> tuple[list[Loaded], list[LoadFailure]]:
    """Plugins from ``directory``, then from the ``botloop.plugins`` entry points.

    ``only`` (if any) and ``disabled`` select by name before anything is imported;
    a name in either that matches no plugin raises ConfigError (a typo would
    otherwise silently run, or silently drop, a plugin).
    """
    found: dict[str, Callable[[], Plugin]] = {}
    origins: dict[str, str] = {}
    for name in discover(directory):
        found[name] = functools.partial(import_plugin, directory, name)
        origins[name] = str(directory / name)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if entry_points else ():
        if ep.name in found:
            log.warning(
                "plugin %s: the entry point %s is shadowed by %s",
                ep.name,
                ep.value,
                origins[ep.name],
            )
            continue
        found[ep.name] = functools.partial(_from_entry_point, ep)
        origins[ep.name] = f"entry point {ep.value}"
    for variable, names in (("PLUGINS", only), ("PLUGINS_DISABLED", disabled)):
        unknown = sorted(set(names) - set(found))
        if unknown:
            known = ", ".join(sorted(found)) or "none"
            raise ConfigError(variable, f"no plugin named {', '.join(unknown)} (found: {known})")
    loaded: list[Loaded] = []
    failures: list[LoadFailure] = []
    for name, load in found.items():
        if (only and name not in only) or name in disabled:
            log.info("plugin %s not loaded: disabled by settings", name)
            continue
        try:
            loaded.append(Loaded(load(), origins[name]))
        except (Exception, SystemExit) as exc:
            failures.append(LoadFailure(name, f"{type(exc).__name__}: {exc}"))
            log.error(
                "plugin %s failed to load: %s: %s", name, type(exc).__name__, exc, exc_info=exc
            )
    return loaded, failures


def _from_entry_point(ep: metadata.EntryPoint) -> Plugin:
    """An entry point names a Plugin object or a module that holds one."""
    target = ep.load()
    if isinstance(target, Plugin):
        return target
    if isinstance(target, types.ModuleType):
        return plugin_of(target)
    raise PluginError(f"entry point {ep.value} is neither a Plugin nor a module holding one")
