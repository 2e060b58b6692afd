"""Neutral replies → Discord message payloads (pure: no I/O, no ``discord`` import).

Limits are Discord's (developer docs, ``resources/message`` "Embed Limits" and
"Create Message"): content ≤ 2000 characters; an embed's title 256, description
4096, ≤ 25 fields (name 256, value 1024), footer 2048, and 6000 characters in all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.model import Button, Card, Form, Reply, Rows

CONTENT_LIMIT = 2000
# Above this many characters a reply goes out as a file rather than as a wall of
# messages: three messages is still readable, more is a flood.
FILE_THRESHOLD = 3 * CONTENT_LIMIT
LONG_REPLY_NOTE = "The answer is long, so here it is as a file."
LONG_REPLY_NAME = "reply.md"

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000

FENCE = "```"
BLANK = "\u200b"  # Discord rejects empty field names and values; a zero-width space is allowed


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message: content, at most one embed (a dict in the API's shape), files."""

    content: str = ""
    embed: dict[str, Any] | None = None
    files: tuple[tuple[str, bytes], ...] = ()
    components: tuple[dict[str, Any], ...] = ()  # action rows, in the API's shape


def render(reply: Reply) -> list[Outgoing]:
    """The messages that carry ``reply``, in order (at least one).

    Text over 2000 characters is split on line boundaries, a code block closed and
    reopened where it must be cut; text over :data:`FILE_THRESHOLD` becomes a file.
    The embed, any files and the components ride on the last message.
    """
    files = reply.files
    text = reply.text
    if len(text) > FILE_THRESHOLD:
        files = ((LONG_REPLY_NAME, text.encode("utf-8")), *files)
        text = LONG_REPLY_NOTE
    chunks = split(text) if text else [""]
    embed = render_card(reply.card) if reply.card is not None else None
    out = [Outgoing(content=chunk) for chunk in chunks[:-1]]
    rows = render_components(reply.components)
    out.append(Outgoing(content=chunks[-1], embed=embed, files=files, components=rows))
    return out


# Button styles (developer docs, "Message Components": primary 1 … danger 4, link 5).
STYLE = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}
LINK = 5


def render_components(rows: Rows) -> tuple[dict[str, Any], ...]:
    """Rows of buttons and selects as action rows (type 1) of buttons (type 2) and
    string selects (type 3). The neutral model was checked against these limits."""
    out = []
    for row in rows:
        items: list[dict[str, Any]] = []
        for comp in row:
            if isinstance(comp, Button):
                item: dict[str, Any] = {"type": 2, "label": comp.label}
                if comp.url:
                    item |= {"style": LINK, "url": comp.url}
                else:
                    item |= {"style": STYLE[comp.style], "custom_id": comp.id}
            else:
                options = [
                    {"label": o.label, "value": o.value}
                    | ({"description": o.description} if o.description else {})
                    for o in comp.choices
                ]
                item = {"type": 3, "custom_id": comp.id, "options": options}
                item |= {"min_values": comp.min, "max_values": comp.max}
                if comp.placeholder:
                    item["placeholder"] = comp.placeholder
            if comp.disabled:
                item["disabled"] = True
            items.append(item)
        out.append({"type": 1, "components": items})
    return tuple(out)


def render_form(form: Form, form_id: str) -> dict[str, Any]:
    """A form as a modal (interaction callback type 9's data): one text input
    (type 4; style 1 short, 2 paragraph) per action row."""
    rows = []
    for spec in form.fields:
        field: dict[str, Any] = {
            "type": 4,
            "custom_id": spec.name,
            "label": spec.label,
            "style": 2 if spec.long else 1,
            "required": spec.required,
            "max_length": spec.most,
        }
        if spec.min_length:
            field["min_length"] = spec.min_length
        if spec.placeholder:
            field["placeholder"] = spec.placeholder
        if spec.default:
            field["value"] = spec.default
        rows.append({"type": 1, "components": [field]})
    return {"custom_id": form_id, "title": form.title, "components": rows}


def allowed_mentions(reply: Reply) -> dict[str, Any]:
    """The ``allowed_mentions`` object: users and the replied-to user may be pinged;
    @everyone, @here and roles only when the plugin set ``Reply.allow_mentions``."""
    parse = ["users", "roles", "everyone"] if reply.allow_mentions else ["users"]
    return {"parse": parse, "replied_user": True}


# --- Splitting ------------------------------------------------------------------------------


def split(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut between lines.

    A code block is kept whole when it fits in one piece; a longer one is cut
    between its lines, each piece closing the fence and the next reopening it
    (with its language), so no piece ever ends inside a code block. A single line
    longer than ``limit`` is cut at a space where there is one.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for segment in _segments(text, limit):
        joined = f"{current}\n{segment}" if current else segment
        if len(joined) <= limit:
            current = joined
        else:
            if current:
                pieces.append(current)
            current = segment
    if current:
        pieces.append(current)
    return pieces


def _segments(text: str, limit: int) -> list[str]:
    """Units that may not be cut: plain lines and whole code blocks, each ≤ ``limit``."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(FENCE):
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(FENCE)), None
            )
            if end is not None:
                out += _code_block(lines[i], lines[i + 1 : end], lines[end], limit)
                i = end + 1
                continue
        out += _long_line(line, limit)
        i += 1
    return out


def _code_block(opener: str, body: list[str], closer: str, limit: int) -> list[str]:
    whole = "\n".join([opener, *body, closer])
    if len(whole) <= limit:
        return [whole]
    room = max(limit - len(opener) - len(FENCE) - 2, 1)  # less the fence lines, newlines
    blocks: list[str] = []
    current: list[str] = []
    size = 0
    for line in (piece for raw in body for piece in _long_line(raw, room)):
        if current and size + 1 + len(line) > room:
            blocks.append("\n".join([opener, *current, FENCE]))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    blocks.append("\n".join([opener, *current, closer]))
    return blocks


def _long_line(line: str, limit: int) -> list[str]:
    """``line`` cut into pieces ≤ ``limit``, at the last space before the limit if any."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 1, limit + 1)
        cut = cut if cut > 0 else limit
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ") if line[cut : cut + 1] == " " else line[cut:]
    pieces.append(line)
    return pieces


# --- Embeds ---------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_card(card: Card) -> dict[str, Any]:
    """A card as an embed dict within every embed limit; long parts are clipped with …,
    fields past the 25th or past the 6000-character total are dropped."""
    embed: dict[str, Any] = {"type": "rich"}
    title = _clip(card.title, TITLE_LIMIT)
    footer = _clip(card.footer, FOOTER_LIMIT)
    # The total counts title, description, field names and values and footer text.
    budget = EMBED_TOTAL_LIMIT - len(title) - len(footer)
    description = _clip(card.description, min(DESCRIPTION_LIMIT, budget))
    budget -= len(description)
    fields = []
    for f in card.fields[:FIELDS_LIMIT]:
        name = _clip(f.name, FIELD_NAME_LIMIT) or BLANK
        value = _clip(f.value, FIELD_VALUE_LIMIT) or BLANK
        if len(name) + len(value) > budget:
            break
        budget -= len(name) + len(value)
        fields.append({"name": name, "value": value, "inline": f.inline})
    if title:
        embed["title"] = title
    if card.url:
        embed["url"] = card.url
    if description:
        embed["description"] = description
    if fields:
        embed["fields"] = fields
    if footer:
        embed["footer"] = {"text": footer}
    if card.colour is not None:
        embed["color"] = card.colour
    if card.image:
        embed["image"] = {"url": card.image}
    return embed


def embed_size(embed: dict[str, Any]) -> int:
    """Characters that count against the 6000 total, as Discord counts them."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    return size + len(embed.get("footer", {}).get("text", ""))


def preview(reply: Reply) -> list[dict[str, Any]]:
    """The message payloads ``reply`` becomes, as the API receives them (the web
    sandbox shows this): content, embeds, components, file names, allowed mentions."""
    return [
        {
            "content": out.content,
            "embeds": [out.embed] if out.embed is not None else [],
            "components": list(out.components),
            "attachments": [name for name, _ in out.files],
            "allowed_mentions": allowed_mentions(reply),
        }
        for out in render(reply)
    ]
