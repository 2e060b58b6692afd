"""Settings from the environment, plugin settings, secrets and the .env file."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.settings import SlackSettings
from bot.adapters.web.settings import WebChatSettings
from bot.config import (
    PluginConfig,
    Secret,
    Settings,
    load_environ,
    load_plugin_config,
    parse_bool,
    read_settings,
    secrets_of,
    variables_of,
)
from bot.core.loader import load_plugins
from bot.errors import ConfigError
from bot.web import WebSettings
from tests.conftest import ROOT, SHIPPED_PLUGINS

ENV_EXAMPLE = Path(__file__).parent.parent / ".env.example"
# Every settings dataclass an operator configures: the framework's, the adapters', the web's.
SETTINGS_CLASSES: list[type] = [
    Settings, DiscordSettings, SlackSettings, WebSettings, WebChatSettings
]  # fmt: skip


@dataclass(frozen=True)
class WeatherConfig:
    api_key: Secret
    days: int = 3
    units: Literal["metric", "imperial"] = "metric"
    region: str | None = None


# --- Settings ------------------------------------------------------------------------------------


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.prefix == "!"
    assert settings.shutdown_grace == 25
    assert settings.handler_timeout == 60
    assert settings.max_concurrency == 100
    assert settings.debug is False
    assert settings.log_format == "text"


def test_values_are_converted_to_the_field_types() -> None:
    settings = Settings.from_env(
        {
            "BOT_PREFIX": "?",
            "BOT_MAX_CONCURRENCY": " 8 ",
            "BOT_HANDLER_TIMEOUT": "2.5",
            "BOT_DEBUG": "yes",
            "LOG_FORMAT": "JSON",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.prefix == "?"
    assert settings.max_concurrency == 8
    assert settings.handler_timeout == 2.5
    assert settings.debug is True
    assert settings.log_format == "json"  # the choice as declared, whatever the case given
    assert settings.log_level == "DEBUG"


def test_a_minimum_is_inclusive() -> None:
    assert Settings.from_env({"BOT_SHUTDOWN_GRACE": "0"}).shutdown_grace == 0


def test_unrelated_variables_are_ignored() -> None:
    assert Settings.from_env({"PATH": "/bin", "BOT_UNKNOWN": "x"}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_MAX_CONCURRENCY", "abc"),
        ("BOT_MAX_CONCURRENCY", "0"),
        ("BOT_MAX_CONCURRENCY", "1.5"),
        ("BOT_SHUTDOWN_GRACE", "-1"),
        ("BOT_HANDLER_TIMEOUT", "nan"),
        ("LOG_FORMAT", "xml"),
        ("LOG_FORMAT", "json\ntext"),
        ("LOG_LEVEL", "verbose"),
        ("BOT_DEBUG", "maybe"),
        ("BOT_PREFIX", "! !"),
        ("BOT_PREFIX", "   "),
    ],
)
def test_bad_value_is_a_one_line_config_error_naming_the_variable(
    variable: str, value: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        Settings.from_env({variable: value})
    message = str(exc.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message
    assert exc.value.variable == variable


def test_below_minimum_says_what_the_minimum_is() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        Settings.from_env({"BOT_MAX_CONCURRENCY": "0"})


def test_bad_choice_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="text, json"):
        Settings.from_env({"LOG_FORMAT": "xml"})


def test_variables_lists_every_setting_with_help() -> None:
    variables = dict(Settings.variables())
    assert {"BOT_PREFIX", "BOT_MAX_CONCURRENCY", "LOG_FORMAT", "BOT_DEBUG"} <= set(variables)
    assert all(help_text for help_text in variables.values())


# --- .env.example --------------------------------------------------------------------------------


def _example_assignments() -> dict[str, str]:
    """VAR=value lines of .env.example, commented out (# VAR=value) or not."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found[match[1]] = match[2].strip()
    return found


def test_env_example_mentions_every_setting() -> None:
    assert ENV_EXAMPLE.is_file(), ".env.example is missing at the repository root"
    variables = {name for cls in SETTINGS_CLASSES for name, _ in variables_of(cls)}
    missing = variables - set(_example_assignments())
    assert not missing, f".env.example does not mention {sorted(missing)}"


def test_env_example_values_are_valid_settings() -> None:
    assert ENV_EXAMPLE.is_file(), ".env.example is missing at the repository root"
    for cls in SETTINGS_CLASSES:
        read_settings(cls, _example_assignments())  # raises ConfigError on a bad value


def test_env_example_gives_every_shipped_plugin_setting_its_default() -> None:
    """Each shipped plugin's settings are listed, and the values shown are the defaults:
    reading them changes nothing (an operator copying the file gets the documented bot)."""
    assignments = _example_assignments()
    loaded, failures = load_plugins(ROOT / "plugins", only=SHIPPED_PLUGINS, entry_points=False)
    assert failures == []
    plugins = [item.plugin for item in loaded]
    configured = [p for p in plugins if p.config_schema is not None]
    assert {p.name for p in configured} >= {"weather", "wiki", "github", "status"}
    for plugin in configured:
        head = plugin.config_prefix + "_"
        names = {head + f.name.upper() for f in dataclasses.fields(plugin.config_schema)}
        assert names <= set(assignments), f".env.example lacks {sorted(names - set(assignments))}"
        shown = {k: v for k, v in assignments.items() if k in names and v}
        default = load_plugin_config(plugin.config_prefix, plugin.config_schema, {})
        assert load_plugin_config(plugin.config_prefix, plugin.config_schema, shown) == default


# --- parse_bool ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "YES", " on ", "y", "True"])
def test_parse_bool_true(raw: str) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "OFF", "n", ""])
def test_parse_bool_false(raw: str) -> None:
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "yess", "-"])
def test_parse_bool_rejects_anything_else(raw: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(raw))):
        parse_bool(raw)


# --- Secret --------------------------------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2-token")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret} {secret!r}"
    assert "hunter2" not in repr([secret])


def test_secret_reveal_gives_the_value() -> None:
    assert Secret("hunter2-token").reveal() == "hunter2-token"


def test_secrets_compare_by_value_and_empty_is_falsy() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert not Secret("")
    assert Secret("x")


# --- plugin settings -----------------------------------------------------------------------------


def test_plugin_schema_fields_are_read_and_converted() -> None:
    environ = {
        "WEATHER_API_KEY": " k-123456 ",
        "WEATHER_DAYS": "5",
        "WEATHER_UNITS": "Imperial",
    }
    config = load_plugin_config("weather", WeatherConfig, environ)
    assert isinstance(config, WeatherConfig)
    assert config.api_key == Secret("k-123456")
    assert config.days == 5
    assert config.units == "imperial"
    assert config.region is None


def test_plugin_schema_defaults_apply_and_secret_stays_hidden() -> None:
    config = load_plugin_config("weather", WeatherConfig, {"WEATHER_API_KEY": "k-123456"})
    assert config.days == 3
    assert config.units == "metric"
    assert "k-123456" not in repr(config)


def test_plugin_schema_missing_required_field_names_the_variable() -> None:
    with pytest.raises(ConfigError) as exc:
        load_plugin_config("weather", WeatherConfig, {"WEATHER_DAYS": "2"})
    assert exc.value.variable == "WEATHER_API_KEY"
    assert str(exc.value).startswith("WEATHER_API_KEY:")


@pytest.mark.parametrize(
    ("variable", "value"), [("WEATHER_DAYS", "a week"), ("WEATHER_UNITS", "kelvin")]
)
def test_plugin_schema_bad_value_names_the_variable(variable: str, value: str) -> None:
    environ = {"WEATHER_API_KEY": "k-123456", variable: value}
    with pytest.raises(ConfigError) as exc:
        load_plugin_config("weather", WeatherConfig, environ)
    assert exc.value.variable == variable


def test_plugin_schema_must_be_a_dataclass() -> None:
    with pytest.raises(TypeError, match="dataclass"):
        load_plugin_config("weather", dict, {})


def test_plugin_config_without_schema_exposes_raw_values() -> None:
    config = load_plugin_config("weather", None, {"WEATHER_UNITS": "metric", "WEATHER_DAYS": "2"})
    assert isinstance(config, PluginConfig)
    assert config.units == "metric"
    assert config["days"] == "2"
    assert dict(config) == {"units": "metric", "days": "2"}
    assert config.UNITS == "metric"  # the attribute may be spelled like the variable


def test_plugin_config_missing_attribute_names_the_variable() -> None:
    config = load_plugin_config("weather", None, {"WEATHER_UNITS": "metric"})
    with pytest.raises(AttributeError, match="WEATHER_NOPE"):
        _ = config.nope


def test_plugin_config_hides_other_plugins_variables() -> None:
    environ = {"WEATHER_UNITS": "metric", "NEWS_UNITS": "x", "WEATHERMAN_HAT": "y", "UNITS": "z"}
    config = load_plugin_config("weather", None, environ)
    assert dict(config) == {"units": "metric"}
    assert not hasattr(config, "hat")


def test_secrets_of_lists_non_empty_secret_values() -> None:
    @dataclass
    class Two:
        token: Secret
        spare: Secret
        name: str

    assert secrets_of(Two(Secret("tok-123456"), Secret(""), "not-a-secret")) == ["tok-123456"]


def test_secrets_of_a_non_dataclass_is_empty() -> None:
    assert secrets_of(PluginConfig("WEATHER", {"key": "abcdef"})) == []
    assert secrets_of(None) == []


# --- load_environ --------------------------------------------------------------------------------


def test_load_environ_reads_the_env_file_and_real_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "BOTLOOP_TEST_FILE_ONLY=from-file\nBOTLOOP_TEST_BOTH=from-file\n", encoding="utf-8"
    )
    monkeypatch.delenv("BOTLOOP_TEST_FILE_ONLY", raising=False)
    monkeypatch.setenv("BOTLOOP_TEST_BOTH", "from-env")
    environ = load_environ(env_file)
    assert environ["BOTLOOP_TEST_FILE_ONLY"] == "from-file"
    assert environ["BOTLOOP_TEST_BOTH"] == "from-env"
    assert "BOTLOOP_TEST_FILE_ONLY" not in os.environ  # the file does not leak into the process


def test_load_environ_without_the_file_is_the_process_environment(tmp_path: Path) -> None:
    assert load_environ(tmp_path / "missing.env") == dict(os.environ)


def test_load_environ_with_no_file_is_the_process_environment() -> None:
    assert load_environ(None) == dict(os.environ)
