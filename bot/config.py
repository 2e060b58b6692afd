"""Typed settings from the environment (and a local ``.env``), validated once at startup.

Every setting is a field of :class:`Settings` carrying its variable name and a
one-line help; ``.env.example`` lists them all (a test keeps the two in step).
A bad value raises :class:`~bot.errors.ConfigError` naming the variable.

Per-plugin settings come from the plugin's prefix: ``WEATHER_UNITS`` reaches the
``weather`` plugin as ``ctx.config.units``.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.errors import ConfigError

_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n", ""})


class Secret:
    """A string that never shows itself: ``repr`` and ``str`` print ``***``.

    Call :meth:`reveal` at the one place the real value is needed (a login call).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def parse_bool(raw: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); ValueError otherwise."""
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected yes/no, true/false, on/off or 1/0, got {raw!r}")


def coerce(variable: str, raw: str, annotation: Any) -> Any:
    """Turn the raw string of ``variable`` into ``annotation``'s type, or raise ConfigError."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if raw == "":
            return None
        return coerce(variable, raw, inner[0])
    if origin is Literal:
        choices = [str(c) for c in typing.get_args(annotation)]
        for choice in choices:
            if raw.strip().lower() == choice.lower():
                return choice
        raise ConfigError(variable, f"must be one of {', '.join(choices)}, got {raw!r}")
    try:
        if annotation is bool:
            return parse_bool(raw)
        if annotation is int:
            return int(raw.strip())
        if annotation is float:
            return float(raw.strip())
    except ValueError:
        kind = {bool: "yes/no", int: "a whole number", float: "a number"}[annotation]
        raise ConfigError(variable, f"must be {kind}, got {raw!r}") from None
    if annotation is Secret:
        return Secret(raw.strip())
    if annotation is str:
        return raw.strip()
    raise TypeError(f"{variable}: unsupported setting type {annotation!r}")


def setting(
    env: str, default: Any = dataclasses.MISSING, help: str = "", *, minimum: float | None = None
) -> Any:
    """Declare one setting: its variable name, default, one-line help and lower bound."""
    meta = {"env": env, "help": help, "minimum": minimum}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """The framework's own settings. Adapters' and plugins' settings live apart."""

    prefix: str = setting("BOT_PREFIX", "!", "Command prefix in channels, e.g. ! for !ping")
    name: str = setting(
        "BOT_NAME", "botloop", "The bot's name, shown in the console and User-Agent"
    )
    contact: str = setting(
        "BOT_CONTACT",
        "",
        "How API providers reach you (a URL or an email), sent in the User-Agent",
    )
    adapters: str = setting(
        "BOT_ADAPTERS",
        "auto",
        "Comma list of adapters, or auto: every configured one, else console",
    )
    plugins_dir: str = setting("BOT_PLUGINS_DIR", "plugins", "Directory the plugins load from")
    debug: bool = setting(
        "BOT_DEBUG", False, "Debug mode: DEBUG logs, asyncio debug, per-event timing"
    )
    log_format: Literal["text", "json"] = setting(
        "LOG_FORMAT", "text", "text (one line per record) or json (JSON lines)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting(
        "LOG_LEVEL", "INFO", "Log level outside debug mode"
    )
    max_concurrency: int = setting(
        "BOT_MAX_CONCURRENCY", 100, "Handlers running at once; more wait their turn", minimum=1
    )
    handler_timeout: float = setting(
        "BOT_HANDLER_TIMEOUT", 60.0, "Seconds a handler may run before it is stopped", minimum=0.001
    )
    shutdown_grace: float = setting(
        "BOT_SHUTDOWN_GRACE", 25.0, "Seconds in-flight handlers get to finish on SIGTERM", minimum=0
    )
    http_timeout: float = setting(
        "BOT_HTTP_TIMEOUT",
        10.0,
        "Timeout of one ctx.http request, or of one try of ctx.fetch_json, seconds",
        minimum=0.001,
    )
    http_retries: int = setting(
        "BOT_HTTP_RETRIES",
        2,
        "ctx.fetch_json: retries after a connection error, 5xx or 429 (with backoff)",
        minimum=0,
    )
    http_per_host: int = setting(
        "BOT_HTTP_PER_HOST",
        10,
        "ctx.fetch_json: requests at once to one host; the rest wait their turn",
        minimum=1,
    )
    http_connections: int = setting(
        "BOT_HTTP_CONNECTIONS",
        100,
        "Open connections of the shared HTTP session in all (0: no limit)",
        minimum=0,
    )
    redis_prefix: str = setting(
        "REDIS_PREFIX", "", "Prefix of this bot's keys in a shared Redis (default: BOT_NAME)"
    )
    http_allow_private: bool = setting(
        "BOT_HTTP_ALLOW_PRIVATE",
        False,
        "Let plugins' HTTP requests reach loopback and private addresses (on-premise, tests)",
    )
    ignore_bots: bool = setting("BOT_IGNORE_BOTS", True, "Ignore messages from bots (and itself)")
    admins: str = setting(
        "BOT_ADMINS", "", "Admin users as platform:id, comma separated (discord:123,slack:U456)"
    )
    plugins: str = setting(
        "PLUGINS", "", "Comma list of plugins to load (by module or entry point name); empty: all"
    )
    plugins_disabled: str = setting("PLUGINS_DISABLED", "", "Comma list of plugins not to load")
    data_dir: str = setting("DATA_DIR", "data", "Directory for the bot's files (the SQLite store)")
    storage_url: str = setting(
        "STORAGE_URL",
        "",
        "Plugin store: sqlite:///path.db or memory://; empty: sqlite in DATA_DIR",
    )
    slow_callback_ms: float = setting(
        "BOT_SLOW_CALLBACK_MS",
        100.0,
        "Debug mode: warn when a callback blocks the loop longer",
        minimum=1,
    )

    def __post_init__(self) -> None:
        if not self.prefix or any(c.isspace() for c in self.prefix):
            raise ConfigError(
                "BOT_PREFIX", f"must be non-empty with no spaces, got {self.prefix!r}"
            )
        self.admin_ids  # noqa: B018 - validates BOT_ADMINS now, at startup

    @property
    def admin_ids(self) -> frozenset[tuple[str, str]]:
        """BOT_ADMINS as (platform, user id) pairs."""
        pairs = set()
        for item in split_list(self.admins):
            platform, sep, user = item.partition(":")
            if not sep or not platform or not user:
                raise ConfigError("BOT_ADMINS", f"expected platform:id entries, got {item!r}")
            pairs.add((platform.lower(), user))
        return frozenset(pairs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read and validate every setting; the first bad one raises ConfigError."""
        return read_settings(cls, environ)

    @classmethod
    def variables(cls) -> Iterator[tuple[str, str]]:
        """(variable, help) for every setting, for ``.env.example`` and ``bot check``."""
        return variables_of(cls)


S = typing.TypeVar("S")


SECRET_NAMES = ("_TOKEN", "_SECRET", "_KEY", "_PASSWORD")


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """What the log must never show: the values of variables whose names say they
    hold a secret (``*_TOKEN``, ``*_SECRET``, ``*_KEY``, ``*_PASSWORD``), and the
    password in any URL with user info (``redis://:pw@host``), whether or not the
    adapter or plugin that reads them is running."""
    found = []
    for name, value in environ.items():
        value = value.strip()
        if name.upper().endswith(SECRET_NAMES) and value:
            found.append(value)
        _, sep, rest = value.partition("://")
        userinfo, at, _ = rest.partition("@")
        if sep and at and "/" not in userinfo and ":" in userinfo:
            found.append(userinfo.partition(":")[2])
    return found


def split_list(raw: str) -> list[str]:
    """A comma-separated setting as its non-empty, trimmed items."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def read_settings(cls: type[S], environ: Mapping[str, str]) -> S:
    """Build the dataclass ``cls``, whose fields are declared with :func:`setting`,
    from ``environ``. The framework's, and each adapter's, settings are read so."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        env = f.metadata["env"]
        raw = environ.get(env)
        if raw is None:
            continue
        value = coerce(env, raw, hints[f.name])
        minimum = f.metadata["minimum"]
        if minimum is not None and value is not None and not value >= minimum:  # also nan
            raise ConfigError(env, f"must be at least {minimum:g}, got {raw!r}")
        values[f.name] = value
    return cls(**values)


def variables_of(cls: type) -> Iterator[tuple[str, str]]:
    """(variable, help) for every field of a settings dataclass."""
    for f in dataclasses.fields(cls):
        yield f.metadata["env"], f.metadata["help"]


def load_environ(env_file: str | os.PathLike[str] | None = ".env") -> dict[str, str]:
    """The process environment over the values of ``env_file`` (when it exists).

    Real environment variables win, as on a PaaS where ``.env`` is not deployed.
    """
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return merged


class PluginConfig(Mapping[str, str]):
    """A plugin's raw settings: ``WEATHER_UNITS`` is ``config.units`` for prefix ``WEATHER``.

    Used when a plugin declares no typed config class. A missing key raises
    AttributeError naming the variable to set, rather than quietly giving None.
    """

    def __init__(self, prefix: str, values: Mapping[str, str]) -> None:
        self._prefix = prefix
        self._values = dict(values)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):  # internals (copy, pickle) must not look like settings
            raise AttributeError(name)
        try:
            return self._values[name.lower()]  # variables are upper case, attributes either
        except KeyError:
            raise AttributeError(f"setting {self._prefix}_{name.upper()} is not set") from None

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"PluginConfig({self._prefix}_*: {sorted(self._values)})"


def load_plugin_config(prefix: str, schema: type | None, environ: Mapping[str, str]) -> Any:
    """Build a plugin's ``ctx.config`` from the variables starting with ``PREFIX_``.

    With ``schema`` (a dataclass), each field ``units`` reads ``PREFIX_UNITS``, is
    converted to the field's type and validated now, at startup; a field without
    a default is required. Without a schema, a :class:`PluginConfig` of raw strings.
    """
    head = prefix.upper() + "_"
    if schema is None:
        raw = {k[len(head) :].lower(): v for k, v in environ.items() if k.startswith(head)}
        return PluginConfig(prefix.upper(), raw)
    if not dataclasses.is_dataclass(schema):
        raise TypeError(f"plugin config for {prefix} must be a dataclass, got {schema!r}")
    hints = typing.get_type_hints(schema)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(schema):
        env = head + f.name.upper()
        if env in environ:
            values[f.name] = coerce(env, environ[env], hints[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(env, "is required but not set")
    return schema(**values)


def secrets_of(config: object) -> list[str]:
    """The revealed values of every Secret field of a dataclass, for log redaction."""
    if not dataclasses.is_dataclass(config):
        return []
    found = (getattr(config, f.name) for f in dataclasses.fields(config))
    return [s.reveal() for s in found if isinstance(s, Secret) and s]
