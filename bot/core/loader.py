"""Plugins from a directory: each module or package holding one ``Plugin`` object.

A plugin that fails to import is reported with its name and error and rolled
back (its modules leave ``sys.modules``); the others still load.
"""

from __future__ import annotations

import importlib
import logging
import sys
import types
from dataclasses import dataclass
from pathlib import Path

from bot.errors import PluginError
from bot.plugin import Plugin

log = logging.getLogger("bot.loader")

# Plugin modules are imported as submodules of this synthetic package, whose
# __path__ is the plugins directory: no sys.path edits, and relative imports
# inside package plugins work.
PACKAGE = "botloop_plugins"


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A plugin that did not load, and why (one line)."""

    name: str
    error: str


def discover(directory: Path) -> list[str]:
    """Names of the plugin modules and packages in ``directory``, sorted."""
    if not directory.is_dir():
        log.warning("plugins directory %s does not exist; no plugins loaded from it", directory)
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
    plugins: list[Plugin] = []
    failures: list[LoadFailure] = []
    for name in discover(directory):
        try:
            plugins.append(import_plugin(directory, name))
        except (Exception, SystemExit) as exc:
            failures.append(LoadFailure(name, f"{type(exc).__name__}: {exc}"))
            log.error(
                "plugin %s failed to load: %s: %s", name, type(exc).__name__, exc, exc_info=exc
            )
    return plugins, failures
