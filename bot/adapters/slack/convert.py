"""Slack payloads → neutral events. Pure: no I/O, no slack import.

Payload shapes follow Slack's Events API (``event_callback`` bodies) and the
slash-command form post; see docs.slack.dev/reference/events and
docs.slack.dev/interactivity/implementing-slash-commands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.adapters.slack.emoji import to_unicode
from bot.model import (
    Action,
    ChannelRef,
    Event,
    Invocation,
    MemberJoined,
    Message,
    MessageRef,
    ReactionAdded,
    User,
)

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


def _user(body: Mapping[str, Any]) -> User:
    user = body.get("user") or {}
    ident = str(user.get("id", ""))
    return User(ident, str(user.get("username") or user.get("name") or ident))


def convert_block_action(body: Mapping[str, Any]) -> Action | None:
    """A ``block_actions`` payload (a click on a button or a select) as an Action;
    None for a link button's click, which Slack reports too. ``raw`` keeps the
    ``trigger_id`` (a modal, within 3 s) and ``response_url``."""
    actions = body.get("actions") or [{}]
    action = actions[0]
    ident = str(action.get("action_id", ""))
    if ident.startswith("link:") or not ident:
        return None
    if action.get("selected_options") is not None:
        values = tuple(str(o["value"]) for o in action["selected_options"])
    elif action.get("selected_option"):
        values = (str(action["selected_option"]["value"]),)
    else:
        values = ()
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    ts = str(container.get("message_ts") or message.get("ts") or "")
    thread = message.get("thread_ts")
    where = ChannelRef(PLATFORM, channel, str(thread) if thread and thread != ts else None)
    ref = MessageRef(where, ts) if ts else None
    key = str(body.get("trigger_id") or action.get("action_ts") or "")
    return Action(PLATFORM, where, _user(body), ident, values, ref, key=key, raw=body)


def _input_value(inputs: Mapping[str, Any]) -> str:
    """The text of an input block's one element (``{action_id: {"value": …}}``)."""
    for element in inputs.values():
        return str((element or {}).get("value") or "")
    return ""


def form_metadata(channel: ChannelRef) -> str:
    """What a modal carries back to say where it was opened (``private_metadata``)."""
    return json.dumps({"channel": channel.id, "thread": channel.thread})


def convert_view_submission(body: Mapping[str, Any]) -> Action:
    """A ``view_submission`` (a modal's form sent) as an Action: ``fields`` by block
    id, the channel from the view's ``private_metadata``."""
    view = body.get("view") or {}
    state = (view.get("state") or {}).get("values") or {}
    fields = {str(block): _input_value(inputs) for block, inputs in state.items()}
    try:
        where = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        where = {}
    channel = ChannelRef(PLATFORM, str(where.get("channel", "")), where.get("thread"))
    ident = str(view.get("callback_id", ""))
    key = str(view.get("id", ""))
    return Action(PLATFORM, channel, _user(body), ident, fields=fields, key=key, raw=body)


def view_errors(body: Mapping[str, Any]) -> dict[str, str]:
    """Fields of a submitted modal that break the limits its own blocks set
    (``max_length``, ``min_length``, required), as ``response_action: errors`` wants
    them: block id → message. Slack's client checks these too; a forged or
    replayed submission does not get past here."""
    view = body.get("view") or {}
    submitted = convert_view_submission(body).fields or {}
    errors = {}
    for block in view.get("blocks") or ():
        if block.get("type") != "input":
            continue
        name = str(block.get("block_id", ""))
        element = block.get("element") or {}
        value = submitted.get(name, "")
        most, least = element.get("max_length"), element.get("min_length")
        if not value.strip() and not block.get("optional"):
            errors[name] = "Please fill this in."
        elif most is not None and len(value) > int(most):
            errors[name] = f"At most {most} characters, please ({len(value)} now)."
        elif value and least is not None and len(value) < int(least):
            errors[name] = f"At least {least} characters, please."
    return errors
