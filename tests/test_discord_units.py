"""Pure parts of the Discord adapter: slash payloads and their comparison, mentions,
settings."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.discord.convert import strip_mention
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.discord.slash import command_payload, command_payloads, unchanged
from bot.config import Secret
from bot.errors import ConfigError
from bot.model import CommandInfo, Option
from tests.fakes.discord import BOT_ID, make_token

WEATHER = CommandInfo(
    "Weather",
    "weather CITY — current conditions\nLonger help that stays in !help.",
    options=(
        Option("city", "string", True),
        Option("days", "integer", False, default="1"),
        Option("unit", "string", False, choices=("c", "f"), default="c"),
        Option("more", "integer", False, greedy=True),
    ),
)


def test_command_payload_shape() -> None:
    payload = command_payload(WEATHER)
    assert payload["name"] == "weather" and payload["type"] == 1
    assert payload["description"] == "weather CITY — current conditions"
    options = {o["name"]: o for o in payload["options"]}
    assert options["days"] == {
        "type": 4, "name": "days", "description": "whole number (default 1)", "required": False,
    }  # fmt: skip
    assert options["unit"]["choices"] == [{"name": "c", "value": "c"}, {"name": "f", "value": "f"}]
    assert options["more"]["type"] == 3  # greedy: free text, whatever the element type


def test_descriptions_fit_discords_100_characters_and_are_never_empty() -> None:
    payload = command_payload(CommandInfo("x", "h" * 150))
    assert len(payload["description"]) == 100
    assert command_payload(CommandInfo("quiet", ""))["description"] == "quiet"


def test_required_options_come_first() -> None:
    info = CommandInfo(
        "say", "", options=(Option("n", "integer", False), Option("text", "string", True))
    )
    assert [o["name"] for o in command_payload(info)["options"]] == ["text", "n"]


def test_too_many_choices_leave_a_free_string() -> None:
    info = CommandInfo(
        "pick", "", options=(Option("x", "string", True, tuple(map(str, range(30)))),)
    )
    assert "choices" not in command_payload(info)["options"][0]


def test_names_discord_refuses_are_skipped() -> None:
    payloads = command_payloads([CommandInfo("ok", "fine"), CommandInfo("no spaces", "bad")])
    assert [p["name"] for p in payloads] == ["ok"]


def as_discord_returns(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What GET answers after a PUT: extra keys, `required: false` and empty options dropped."""
    out = []
    for cmd in reversed(payloads):  # order is not guaranteed either
        entry = {k: v for k, v in cmd.items() if k != "options"}
        entry |= {"id": "1", "application_id": "2", "version": "3", "nsfw": False,
                  "default_member_permissions": None, "dm_permission": True}  # fmt: skip
        options = [{k: v for k, v in o.items() if (k, v) != ("required", False)}
                   for o in cmd["options"]]  # fmt: skip
        if options:
            entry["options"] = options
        out.append(entry)
    return out


def test_an_unchanged_set_compares_equal_to_discords_answer() -> None:
    declared = command_payloads([WEATHER, CommandInfo("ping", "pong")])
    assert unchanged(declared, as_discord_returns(declared))


@pytest.mark.parametrize(
    "change",
    [
        CommandInfo("ping", "a new description"),
        CommandInfo("ping", "pong", options=(Option("n", "integer", False),)),
        CommandInfo("pong", "pong"),
    ],
)
def test_any_change_is_noticed(change: CommandInfo) -> None:
    before = command_payloads([WEATHER, CommandInfo("ping", "pong")])
    after = command_payloads([WEATHER, change])
    assert not unchanged(after, as_discord_returns(before))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"<@{BOT_ID}> weather Paris", ("weather Paris", True)),
        (f"<@!{BOT_ID}>, weather Paris", ("weather Paris", True)),
        (f"  <@{BOT_ID}>:ping", ("ping", True)),
        ("<@123> weather", ("<@123> weather", False)),  # someone else
        (f"weather <@{BOT_ID}>", (f"weather <@{BOT_ID}>", False)),  # not leading
        ("!weather", ("!weather", False)),
    ],
)
def test_strip_mention(text: str, expected: tuple[str, bool]) -> None:
    assert strip_mention(text, BOT_ID) == expected


def test_strip_mention_takes_the_bots_own_role_only() -> None:
    assert strip_mention("<@&42> ping", BOT_ID, role_id=42) == ("ping", True)
    assert strip_mention("<@&43> ping", BOT_ID, role_id=42) == ("<@&43> ping", False)
    assert strip_mention("<@&42> ping", BOT_ID) == ("<@&42> ping", False)  # no role known


def test_settings_from_the_environment() -> None:
    s = DiscordSettings.from_env(
        {"DISCORD_TOKEN": make_token(), "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "2, 0"}
    )
    assert s.token == Secret(make_token())
    assert "x" * 10 not in repr(s)  # the secret stays hidden
    assert s.shards() == (4, [0, 2])
    assert s.app_id() == str(BOT_ID)
    assert DiscordSettings.from_env({}).shards() == (None, None)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"DISCORD_SHARD_IDS": "0,1"}, "DISCORD_SHARD_IDS"),  # no count
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "2"}, "DISCORD_SHARD_IDS"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "a"}, "DISCORD_SHARD_IDS"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_DEV_GUILD": "my-server"}, "DISCORD_DEV_GUILD"),
        ({"DISCORD_API_BASE": "discord.com/api"}, "DISCORD_API_BASE"),
        ({"DISCORD_GATEWAY_URL": "https://gateway.discord.gg"}, "DISCORD_GATEWAY_URL"),
        ({"DISCORD_TOKEN": "abc"}, "DISCORD_TOKEN"),
    ],
)
def test_bad_settings_name_their_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DiscordSettings.from_env(environ)
    assert caught.value.variable == variable


def test_plain_http_and_ws_urls_are_accepted() -> None:
    s = DiscordSettings.from_env(
        {
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/",
        }
    )
    assert s.api_base.startswith("http://") and s.gateway_url.startswith("ws://")
