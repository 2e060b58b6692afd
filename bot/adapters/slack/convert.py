"""Slack payloads → neutral events. Pure: no I/O, no slack import.

Payload shapes follow Slack's Events API (``event_callback`` bodies) and the
slash-command form post; see docs.slack.dev/reference/events and
docs.slack.dev/interactivity/implementing-slash-commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.adapters.slack.emoji import to_unicode
from bot.model import ChannelRef, Event, Invocation, MemberJoined, Message, ReactionAdded, User

PLATFORM = "slack"

# Message subtypes that are still someone talking; every other subtype (edits as
# message_changed, deletions, channel_join notices…) is not a new message.
_TALKING = frozenset({None, "thread_broadcast", "file_share", "me_message", "bot_message"})
# Links as Slack encodes them in message text: <https://x|label>, <mailto:a@b>.
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]*)(?:\|([^>]*))?>")


def plain_text(text: str) -> str:
    """Slack message text as the user typed it: links to their label, entities unescaped.

    Mentions (``<@U…>``, ``<#C…>``, ``<!here>``) stay encoded so a reply can echo them.
    """
    text = _LINK.sub(lambda m: m[2] or m[1].removeprefix("mailto:"), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, me: str) -> tuple[str, bool]:
    """Remove a leading ``<@me>`` (with a ``:`` or ``,`` after it); say whether it was there."""
    match = re.match(rf"\s*<@{re.escape(me)}(?:\|[^>]*)?>[\s:,]*", text)
    if match is None:
        return text, False
    return text[match.end() :], True


def convert_event(body: Mapping[str, Any], me: str) -> Event | None:
    """The neutral event for an ``event_callback`` body, or None to ignore it.

    ``me`` is the bot's user id. A channel message that mentions the bot is
    skipped: Slack sends it again as ``app_mention``, which is the one we keep.
    """
    event = body.get("event") or {}
    kind = event.get("type")
    if kind == "app_mention":
        return _message(event, me, body)
    if kind == "message":
        if event.get("channel_type") != "im" and f"<@{me}" in (event.get("text") or ""):
            return None
        return _message(event, me, body)
    if kind == "reaction_added":
        return _reaction(event, me, body)
    if kind == "member_joined_channel":
        user = event.get("user", "")
        channel = ChannelRef(PLATFORM, event.get("channel", ""))
        return MemberJoined(PLATFORM, User(user, user, is_bot=user == me), channel, raw=body)
    return None


def _message(event: Mapping[str, Any], me: str, body: Mapping[str, Any]) -> Message | None:
    subtype = event.get("subtype")
    if subtype not in _TALKING or "ts" not in event or "channel" not in event:
        return None
    author = _author(event, me)
    # "mentioned" means addressed to the bot: the mention leads the text. A mention
    # further on ("thanks @bot") reaches listeners, not commands.
    text, mentioned = strip_mention(event.get("text") or "", me)
    channel = ChannelRef(PLATFORM, event["channel"], event.get("thread_ts"))
    return Message(
        PLATFORM,
        channel,
        author,
        plain_text(text).strip(),
        id=event["ts"],
        mentioned=mentioned,
        is_direct=event.get("channel_type") == "im",
        raw=body,
    )


def _author(event: Mapping[str, Any], me: str) -> User:
    user = event.get("user") or event.get("bot_id") or ""
    profile = event.get("user_profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or event.get("username") or user
    is_bot = bool(event.get("bot_id")) or event.get("subtype") == "bot_message" or user == me
    return User(user, name, is_bot=is_bot)


def _reaction(event: Mapping[str, Any], me: str, body: Mapping[str, Any]) -> ReactionAdded | None:
    item = event.get("item") or {}
    if item.get("type") != "message":
        return None  # reactions on files carry no message to answer next to
    user = event.get("user", "")
    return ReactionAdded(
        PLATFORM,
        ChannelRef(PLATFORM, item.get("channel", "")),
        User(user, user, is_bot=user == me),
        item.get("ts", ""),
        to_unicode(event.get("reaction", "")),
        raw=body,
    )


def convert_command(body: Mapping[str, Any]) -> Message:
    """A slash command (``/weather Paris``) as a Message carrying its Invocation.

    ``raw`` is the command payload, so replies can use its ``response_url``.
    """
    name = str(body.get("command", "")).lstrip("/")
    args = plain_text(str(body.get("text", ""))).strip()
    channel_id = str(body.get("channel_id", ""))
    user_id = str(body.get("user_id", ""))
    return Message(
        PLATFORM,
        ChannelRef(PLATFORM, channel_id),
        User(user_id, str(body.get("user_name") or user_id)),
        f"/{name} {args}".strip(),
        is_direct=channel_id.startswith("D") or body.get("channel_name") == "directmessage",
        raw=body,
        invocation=Invocation(name, args),
    )
