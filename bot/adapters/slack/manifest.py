"""The Slack app manifest (YAML) for this bot: its slash commands, scopes and events. Pure.

Paste the output into api.slack.com/apps → Create New App → From a manifest.
Written by hand (no YAML library): every string is double-quoted JSON, which is
valid YAML, so no value can be misread as a number, a boolean or a comment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.model import CommandInfo

# Each scope and why the adapter needs it (docs.slack.dev/reference/scopes).
BOT_SCOPES = (
    "app_mentions:read",  # app_mention events
    "channels:history",  # message.channels: prefix commands in public channels
    "groups:history",  # message.groups: the same in private channels
    "im:history",  # message.im: direct messages
    "chat:write",  # chat.postMessage, chat.postEphemeral, chat.update
    "files:write",  # files.getUploadURLExternal, files.completeUploadExternal (Reply.files)
    "commands",  # slash commands
    "reactions:read",  # reaction_added events
    "reactions:write",  # reactions.add (ctx.react)
    "channels:read",  # member_joined_channel in public channels
    "groups:read",  # member_joined_channel in private channels
)
BOT_EVENTS = (
    "app_mention",
    "message.channels",
    "message.groups",
    "message.im",
    "reaction_added",
    "member_joined_channel",
)
EVENTS_PATH = "/slack/events"


def request_url(url: str) -> str:
    """The Events API URL for a base URL: ``https://bot.example.com`` → ``…/slack/events``."""
    url = url.rstrip("/")
    return url if url.endswith(EVENTS_PATH) else url + EVENTS_PATH


def manifest(
    commands: Sequence[CommandInfo], *, name: str, url: str | None = None, description: str = ""
) -> str:
    """The app manifest as YAML: Socket Mode when ``url`` is None, else HTTP mode at ``url``."""
    endpoint = request_url(url) if url else None
    slash = [_command(info, endpoint) for info in commands]
    settings: dict[str, Any] = {"event_subscriptions": {"bot_events": list(BOT_EVENTS)}}
    if endpoint:
        settings["event_subscriptions"] = {
            "request_url": endpoint,
            **settings["event_subscriptions"],
        }
    settings["interactivity"] = {
        "is_enabled": True,
        **({"request_url": endpoint} if endpoint else {}),
    }
    settings |= {
        "org_deploy_enabled": False,
        "socket_mode_enabled": endpoint is None,
        "token_rotation_enabled": False,
    }
    doc: dict[str, Any] = {
        "display_information": {
            "name": name[:35],
            "description": (description or _described(name))[:140],
        },
        "features": {
            "app_home": {"messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name[:80], "always_online": True},
            **({"slash_commands": slash} if slash else {}),
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": settings,
    }
    return "\n".join(_yaml(doc, 0)) + "\n"


def _described(name: str) -> str:
    return "A chat bot built with botloop" if name == "botloop" else f"{name}: a botloop chat bot"


def _command(info: CommandInfo, endpoint: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "command": f"/{info.name}"[:32],
        "description": (info.summary or info.name)[:2000],
    }
    hint = info.usage("").removeprefix(info.name).strip()
    if hint:
        entry["usage_hint"] = hint[:1000]
    entry["should_escape"] = False  # mentions arrive as typed, the way message text does
    if endpoint:
        entry["url"] = endpoint
    return entry


def _yaml(value: Any, indent: int) -> list[str]:
    """Block-style YAML lines for dicts and lists of dicts, scalars, and lists of scalars."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines += _yaml(item, indent + 2)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
        return lines
    for item in value:
        if isinstance(item, dict):
            first, *rest = _yaml(item, indent + 2)
            lines.append(f"{pad}- {first.lstrip()}")
            lines += rest
        else:
            lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(str(value), ensure_ascii=False)
