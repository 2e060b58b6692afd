"""The web chat's wire format: neutral replies as JSON frames for the page, and the
page's frames as neutral events. Pure (no I/O, no aiohttp).

The page renders every string as text (``textContent``), never as HTML: the
Markdown subset is sent as written and turned into elements there. Frames the
page sends are checked here field by field; anything else is a :class:`BadFrame`,
answered with an error frame, never a traceback.

Page → bot: ``say`` (text, channel, thread), ``click`` (id, message, values),
``submit`` (form, fields), ``react`` (message, emoji), ``hello`` (who, where).
Bot → page: ``welcome``, ``message``, ``edit``, ``form``, ``typing``, ``react``, ``error``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.model import (
    Action,
    Button,
    Card,
    ChannelRef,
    Form,
    Message,
    MessageRef,
    ReactionAdded,
    Reply,
    Rows,
    User,
)

PLATFORM = "web"
CHANNELS = ("general", "random")  # the sandbox's channels; "dm" is each user's own
_NAME = re.compile(r"^[\w .'-]{1,32}$")
_ID = re.compile(r"^[\w.:~-]{1,120}$")


class BadFrame(ValueError):
    """A frame from the page that is not one we understand; its text is for the page."""


def reply_frame(reply: Reply) -> dict[str, Any]:
    """A reply as the page draws it: text, card, rows of components, files' names."""
    frame: dict[str, Any] = {"text": reply.text}
    if reply.card is not None:
        frame["card"] = card_frame(reply.card)
    if reply.components:
        frame["components"] = components_frame(reply.components)
    if reply.files:
        frame["files"] = [name for name, _ in reply.files]
    if reply.ephemeral:
        frame["ephemeral"] = True
    return frame


def card_frame(card: Card) -> dict[str, Any]:
    colour = f"#{card.colour:06x}" if card.colour is not None else None
    return {
        "title": card.title,
        "url": _http(card.url),
        "description": card.description,
        "fields": [{"name": f.name, "value": f.value, "inline": f.inline} for f in card.fields],
        "footer": card.footer,
        "colour": colour,
        "image": _http(card.image),
    }


def components_frame(rows: Rows) -> list[list[dict[str, Any]]]:
    out = []
    for row in rows:
        items = []
        for comp in row:
            if isinstance(comp, Button):
                item: dict[str, Any] = {"kind": "button", "label": comp.label, "style": comp.style}
                if comp.url:
                    item["url"] = _http(comp.url)
                else:
                    item["id"] = comp.id
            else:
                item = {
                    "kind": "select",
                    "id": comp.id,
                    "placeholder": comp.placeholder or "Choose…",
                    "min": comp.min,
                    "max": comp.max,
                    "options": [
                        {"label": o.label, "value": o.value, "description": o.description}
                        for o in comp.choices
                    ],
                }
            item["disabled"] = comp.disabled
            items.append(item)
        out.append(items)
    return out


def form_frame(form: Form, form_id: str) -> dict[str, Any]:
    return {
        "type": "form",
        "id": form_id,
        "title": form.title,
        "submit": form.submit,
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "long": f.long,
                "required": f.required,
                "placeholder": f.placeholder or "",
                "value": f.default or "",
                "max": f.most,
            }
            for f in form.fields
        ],
    }


def previews_of(reply: Reply, previews: Mapping[str, Callable[[Reply], Any]]) -> dict[str, Any]:
    """How each platform would render ``reply`` (what it would send its API); a
    renderer that fails says so in its place rather than failing the reply."""
    shown: dict[str, Any] = {}
    for name, render in previews.items():
        try:
            shown[name] = render(reply)
        except Exception as exc:  # a third party's renderer: show, don't fail
            shown[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return shown


def _http(url: str | None) -> str | None:
    """Only web links reach the page's href and src (no javascript:, no data:)."""
    return url if url and url.startswith(("https://", "http://")) else None


# --- Page → bot ------------------------------------------------------------------------------


def _text(frame: Mapping[str, Any], key: str, *, most: int, empty: bool = False) -> str:
    value = frame.get(key, "")
    if not isinstance(value, str) or (not value.strip() and not empty):
        raise BadFrame(f"{key}: expected text")
    if len(value) > most:
        raise BadFrame(f"{key}: at most {most} characters, got {len(value)}")
    return value


def _ident(frame: Mapping[str, Any], key: str) -> str:
    value = frame.get(key, "")
    if not isinstance(value, str) or not _ID.match(value):
        raise BadFrame(f"{key}: not an id")
    return value


def who(frame: Mapping[str, Any]) -> User:
    """The user a sandbox tab speaks as (``hello``): a name, which is also the id."""
    name = frame.get("user", "")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise BadFrame("user: 1–32 letters, digits, spaces, . ' - or _")
    name = name.strip()
    return User(name.lower().replace(" ", "_"), name)


def where(frame: Mapping[str, Any], user: User) -> ChannelRef:
    """The channel a tab looks at: one of :data:`CHANNELS`, or ``dm`` (the user's own)."""
    channel = frame.get("channel", CHANNELS[0])
    if channel == "dm":
        return ChannelRef(PLATFORM, f"dm-{user.id}")
    if channel not in CHANNELS:
        raise BadFrame(f"channel: one of {', '.join(CHANNELS)} or dm")
    return ChannelRef(PLATFORM, str(channel))


def message_of(
    frame: Mapping[str, Any], user: User, channel: ChannelRef, ident: str, *, most: int
) -> Message:
    """A ``say`` frame as a Message; ``thread``: the id of the message it answers."""
    text = _text(frame, "text", most=most)
    thread = frame.get("thread")
    if thread is not None:
        thread = _ident(frame, "thread")
    where = ChannelRef(PLATFORM, channel.id, thread)
    direct = channel.id.startswith("dm-")
    return Message(PLATFORM, where, user, text.strip(), id=ident, is_direct=direct)


def action_of(frame: Mapping[str, Any], user: User, channel: ChannelRef, key: str) -> Action:
    """A ``click`` (a button, or a select's chosen values) or a ``submit`` (a form)."""
    if frame.get("type") == "submit":
        raw = frame.get("fields")
        if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= 4000 for k, v in raw.items()
        ):
            raise BadFrame("fields: expected names and texts")
        return Action(PLATFORM, channel, user, _ident(frame, "form"), fields=dict(raw), key=key)
    values = frame.get("values") or []
    if not isinstance(values, list) or not all(
        isinstance(v, str) and len(v) <= 100 for v in values
    ):
        raise BadFrame("values: expected a list of texts")
    message = MessageRef(channel, _ident(frame, "message"))
    return Action(PLATFORM, channel, user, _ident(frame, "id"), tuple(values), message, key=key)


def reaction_of(frame: Mapping[str, Any], user: User, channel: ChannelRef) -> ReactionAdded:
    emoji = _text(frame, "emoji", most=16)
    return ReactionAdded(PLATFORM, channel, user, _ident(frame, "message"), emoji)
