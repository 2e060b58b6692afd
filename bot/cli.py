"""The command line and composition root: settings → plugins → adapters → runtime.

    python -m bot [run] [--debug] [--strict] [--env-file PATH]
    python -m bot check          validate settings, plugins and adapters, then exit
    python -m bot plugins        list plugins, their commands, listeners and jobs
    python -m bot new-plugin X   write plugins/X.py and tests/test_X.py from a template
    python -m bot discord-invite print the URL that adds the Discord bot to a server
    python -m bot slack-manifest [--url URL]   print the Slack app manifest (YAML)

Adapters and stores are found by entry point (``botloop.adapters``,
``botloop.stores``), so a platform library is imported only when its adapter is
configured, and a third-party one needs no edit here.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import scaffold
from bot.adapters.base import Adapter
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.manifest import manifest
from bot.config import Settings, load_environ, read_settings, secret_values
from bot.core import Registry, Runtime
from bot.core.adapters import (
    adapter_factories,
    build_adapters,
    choose_adapters,
    identify_adapters,
)
from bot.core.assemble import build_registry, plugins_dir
from bot.errors import ConfigError, PluginError
from bot.logging import plural, redact, setup_logging
from bot.storage import open_store, storage_url
from bot.storage.url import shown
from bot.web import WebSettings

log = logging.getLogger("bot.cli")


@dataclass(frozen=True)
class Subcommand:
    """One ``python -m bot <name>`` command: ``run(args, settings, environ)`` → exit code."""

    help: str
    run: Callable[[argparse.Namespace, Settings, Mapping[str, str]], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def _options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    # Subcommands take the options too (`bot run --debug`); there they default to
    # SUPPRESS, so a subcommand never resets what was given before it.
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--debug", action="store_true", default=default(False), help="debug logs, asyncio debug"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=default(False),
        help="a plugin that fails to load is fatal",
    )
    parser.add_argument(
        "--env-file",
        default=default(None),
        help="dotenv file to read (default: .env, when there is one)",
    )
    parser.add_argument(
        "--web",
        action="store_true",
        default=default(False),
        help="also serve the web chat sandbox at /chat (in place of the console)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot", description="botloop: an asyncio chat bot")
    _options(parser, defaults=True)
    parser.set_defaults(command="run")
    sub = parser.add_subparsers(title="commands", metavar="{" + ",".join(SUBCOMMANDS) + "}")
    for name, command in SUBCOMMANDS.items():
        child = sub.add_parser(name, help=command.help, description=command.help)
        _options(child, defaults=False)
        child.set_defaults(command=name)
        command.arguments(child)
    return parser


def _fail(message: str) -> None:
    sys.stderr.write(f"botloop: {message}\n")


async def _serve(
    settings: Settings, web: WebSettings, registry: Registry, adapters: list[Adapter]
) -> int:
    if settings.debug:
        asyncio.get_running_loop().slow_callback_duration = settings.slow_callback_ms / 1000
    return await Runtime(settings, registry, adapters, web=web).run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bot`` and the ``bot`` script; returns the exit code.

    Exit codes: 0 clean stop, 1 runtime failure or (with --strict) a plugin that
    failed to load, 2 a bad setting.
    """
    args = _parser().parse_args(argv)
    if args.env_file is not None and not Path(args.env_file).exists():
        _fail(f"configuration error: --env-file: {Path(args.env_file).absolute()} does not exist")
        return 2
    environ = load_environ(args.env_file or ".env")
    redact.add(secret_values(environ))  # before anything logs, whatever adapters run
    if args.debug:
        environ["BOT_DEBUG"] = "1"
    if args.web:
        _with_web(environ)
    try:
        settings = Settings.from_env(environ)
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
        return 2
    logs = setup_logging(debug=settings.debug, level=settings.log_level, fmt=settings.log_format)
    try:
        return SUBCOMMANDS[args.command].run(args, settings, environ)
    except ConfigError as exc:
        error, code = f"configuration error: {exc}", 2
    except PluginError as exc:
        error, code = str(exc), 1
    except KeyboardInterrupt:
        return 130
    finally:
        logs.close()  # flush queued records before the final line, so it stays last
    _fail(error)
    return code


WEB_ADMIN = "web:admin"  # the sandbox's admin, when BOT_ADMINS names none


def _with_web(environ: dict[str, str]) -> None:
    """``--web``: the web chat next to the configured platforms, in place of the
    console fallback; the sandbox gets an admin to try ``@requires(is_admin)`` with."""
    chosen = environ.get("BOT_ADAPTERS", "auto").strip().lower()
    if chosen == "auto":
        environ["BOT_ADAPTERS_WEB"] = "1"  # read by _prepare: auto's choice, then web
    elif "web" not in [n.strip() for n in chosen.split(",")]:
        environ["BOT_ADAPTERS"] = f"{chosen},web"
    if not environ.get("BOT_ADMINS", "").strip():
        environ["BOT_ADMINS"] = WEB_ADMIN


def _prepare(
    args: argparse.Namespace, settings: Settings, environ: Mapping[str, str], *, check: bool = False
) -> tuple[Registry, list[str], list[Adapter]]:
    """Plugins, then adapters: everything `run` needs, validated."""
    registry = build_registry(settings, environ, strict=args.strict, check=check)
    redact.add(registry.secrets)
    known = adapter_factories()  # package metadata read from disk: once
    names = choose_adapters(settings, environ, known)
    if environ.get("BOT_ADAPTERS_WEB") == "1":  # --web with auto: the console gives way
        names = [n for n in names if n != "console"] + ["web"]
    adapters = build_adapters(names, settings, environ, list(registry.infos()), known)
    return registry, names, adapters


def _run(args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]) -> int:
    registry, names, adapters = _prepare(args, settings, environ)
    web = _web_settings(environ, names)
    # Relative paths start at the working directory: say where they landed.
    data = storage_url(settings.storage_url, str(Path(settings.data_dir).absolute()))
    log.info(
        "plugins from %s, store %s (working directory %s)",
        plugins_dir(settings, must_exist=False),
        shown(data),
        Path.cwd(),
    )
    return asyncio.run(_serve(settings, web, registry, adapters), debug=settings.debug)


def _check(args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]) -> int:
    """Everything that can be checked offline; the first problem is one line, exit 2."""
    registry, names, _ = _prepare(args, settings, environ, check=True)
    _check_port_free(_web_settings(environ, names))
    if registry.failures:
        failure = registry.failures[0]
        raise ConfigError(f"plugin {failure.name}", f"failed to load: {failure.error}")
    if registry.clashes:
        clash = registry.clashes[0]
        raise ConfigError(f"plugin {clash.dropped_from}", clash.conflict)
    asyncio.run(_open_and_close_store(settings))
    if args.online:
        for line in asyncio.run(identify_adapters(names, settings, environ)):
            print(line)
    if environ.get("DYNO") and not settings.storage_url.strip():
        sys.stderr.write(
            "botloop: warning: DATA_DIR: the SQLite store is on this dyno's disk, which "
            "Heroku wipes at every restart; set STORAGE_URL to a store that lasts\n"
        )
    print(f"ok: {plural(len(registry.plugins), 'plugin')}, adapters: {', '.join(names)}")
    return 0


def _web_settings(environ: Mapping[str, str], adapters: list[str]) -> WebSettings:
    """The web server's settings; with the web chat and no ``BOT_HOST``, it listens on
    127.0.0.1 only (the chat would need a token beyond it)."""
    if "web" in adapters and not environ.get("BOT_HOST", "").strip():
        environ = {**environ, "BOT_HOST": "127.0.0.1"}
    return read_settings(WebSettings, environ)


def _check_port_free(web: WebSettings) -> None:
    """The web port, when one is set, must be free to listen on."""
    port = web.listen_port(needed=False)
    if not port:
        return
    with socket.socket(socket.AF_INET6 if ":" in web.host else socket.AF_INET) as probe:
        try:
            probe.bind((web.host, port))
        except OSError as exc:
            raise ConfigError(
                web.port_variable, f"cannot listen on {web.host}:{port}: {exc.strerror}"
            ) from None


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--online",
        action="store_true",
        help="also ask each platform who the bot is (a rejected token: exit 2)",
    )


async def _open_and_close_store(settings: Settings) -> None:
    variable = "STORAGE_URL" if settings.storage_url.strip() else "DATA_DIR"
    url = storage_url(settings.storage_url, settings.data_dir)
    store = await open_store(url, variable=variable, name=settings.redis_prefix or settings.name)
    await store.close()


def _discord_invite(
    args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]
) -> int:
    from bot.adapters.discord.invite import invite_url

    discord = DiscordSettings.from_env(environ)
    if not discord.token and not discord.application_id:
        raise ConfigError(
            "DISCORD_TOKEN", "is needed (or DISCORD_APPLICATION_ID) for the invite URL"
        )
    print(invite_url(discord.app_id()))
    return 0


def _plugins(args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]) -> int:
    registry = build_registry(settings, environ, strict=False)
    print("\n".join(describe_plugins(registry, settings.prefix)))
    return 1 if registry.failures else 0


def describe_plugins(registry: Registry, prefix: str) -> list[str]:
    """Each plugin with where it came from, its commands, listeners, event and action
    handlers, jobs, webhooks and middleware; then the plugins that failed to load, and why."""
    lines = []
    for name, plugin in registry.plugins.items():
        lines.append(f"{name} ({registry.origins.get(name, '?')})")
        dropped = {c.command for c in registry.clashes if c.dropped_from == name}
        for cmd in plugin.commands:
            if cmd.info.name in dropped:
                lines.append(f"  {cmd.info.usage(prefix)} (not loaded: another plugin has it)")
                continue
            summary = f" — {cmd.info.summary}" if cmd.info.summary else ""
            aliases = ", ".join(f"{prefix}{a}" for a in cmd.info.aliases)
            also = f" (also {aliases})" if aliases else ""
            lines.append(f"  {cmd.info.usage(prefix)}{also}{summary}")
        for listener in plugin.listeners:
            lines.append(f"  on message /{listener.pattern.pattern}/ → {listener.func.__name__}")
        for handler in plugin.event_handlers:
            lines.append(f"  on {handler.kind} → {handler.func.__name__}")
        for action in plugin.actions:
            lines.append(f"  on click {action.name!r} → {action.func.__name__}")
        for job in plugin.jobs:
            lines.append(f"  {job.trigger.describe()} → {job.func.__name__}")
        for hook in plugin.webhooks:
            methods = ",".join(hook.methods)
            lines.append(f"  {methods} /hooks/{name}{hook.path} → {hook.func.__name__}")
        for mw in plugin.middlewares:
            lines.append(f"  middleware ({mw.scope}) → {mw.func.__name__}")
    if registry.failures:
        lines.append("failed to load:")
        lines += [f"  {f.name}: {f.error}" for f in registry.failures]
    return lines


def _new_plugin(args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]) -> int:
    written = scaffold.write(args.name, Path(settings.plugins_dir), Path(args.tests_dir))
    for path in written:
        print(f"wrote {path}")
    print(f"try it: printf '!{args.name}\\n' | python -m bot; test it: make test")
    return 0


def _new_plugin_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the plugin (and its first command): lowercase, a-z 0-9 _")
    parser.add_argument("--tests-dir", default="tests", help="where its test goes (default: tests)")


def _slack_manifest(
    args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]
) -> int:
    registry = build_registry(settings, environ, strict=False)
    sys.stdout.write(manifest(list(registry.infos()), name=settings.name, url=args.url))
    return 0


def _slack_manifest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=None,
        help="public base URL for HTTP mode, e.g. https://bot.example.com (Slack posts to "
        "URL/slack/events); without it the manifest turns Socket Mode on",
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    "run": Subcommand("run the bot (the default)", _run),
    "check": Subcommand(
        "check settings, plugins, the store and adapters, then exit", _check, _check_arguments
    ),
    "plugins": Subcommand(
        "list the plugins with their commands, listeners and jobs, and any that failed",
        _plugins,
    ),
    "new-plugin": Subcommand(
        "write plugins/NAME.py and tests/test_NAME.py from a template",
        _new_plugin,
        _new_plugin_arguments,
    ),
    "discord-invite": Subcommand(
        "print the URL that adds the Discord bot to a server", _discord_invite
    ),
    "slack-manifest": Subcommand(
        "print a Slack app manifest (YAML) with every command",
        _slack_manifest,
        _slack_manifest_arguments,
    ),
}
