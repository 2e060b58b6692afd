"""Neutral replies → Slack message payloads (mrkdwn text, Block Kit). Pure.

Limits, from Slack's docs: ``text`` is best kept within 4,000 characters (it is
truncated above 40,000); a section's text holds 3,000, a section at most 10
fields of 2,000 each, a header 150 plain-text characters, a message 50 blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.model import Button, Card, Field, Form, Reply, Rows

TEXT_LIMIT = 4000
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
BLOCK_LIMIT = 50

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Post:
    """One Slack message: mrkdwn ``text`` (the notification and fallback) and optional blocks."""

    text: str
    blocks: list[Block] | None = None


# Tokens that pass through as Slack markup: user and channel mentions always; the
# ones that ping many people (@here, @channel, @everyone, user groups) only when allowed.
_SAFE = r"<[@#][UWC][A-Z0-9]+(?:\|[^<>]*)?>"
_LOUD = r"<!(?:here|channel|everyone)(?:\|[^<>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^<>]*)?>"
_INLINE = re.compile(
    rf"(?P<code>`[^`\n]+`)|(?P<safe>{_SAFE})|(?P<loud>{_LOUD})"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
_BOLD_MARK = "\x00"  # stands for a Slack bold `*` while italics are converted


def escape(text: str) -> str:
    """Slack's three control characters (docs.slack.dev, formatting: escaping text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(markdown: str, *, allow_mentions: bool = False) -> str:
    """Our Markdown subset as Slack mrkdwn; text in code is escaped but not restyled."""
    parts = re.split(r"(```.*?(?:```|$))", markdown, flags=re.DOTALL)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a fenced block: Slack has no language tag, so drop it
            body = part[3:].removesuffix("```")
            body = re.sub(r"^[\w+-]*\n", "\n", body, count=1)
            out.append(f"```{escape(body)}```")
        else:
            out.append(_inline(part, allow_mentions))
    return "".join(out)


def _inline(text: str, allow_mentions: bool) -> str:
    out, pos = [], 0
    for match in _INLINE.finditer(text):
        out.append(_styled(text[pos : match.start()]))
        if match["code"]:
            out.append(escape(match["code"]))
        elif match["safe"] or (match["loud"] and allow_mentions):
            out.append(match[0])
        elif match["loud"]:
            out.append(escape(match[0]))  # shown as typed, pings nobody
        else:
            url = match["url"].replace("|", "%7C").replace(">", "%3E")
            out.append(f"<{escape(url)}|{_styled(match['label'])}>")
        pos = match.end()
    out.append(_styled(text[pos:]))
    return "".join(out)


def _styled(text: str) -> str:
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m[1]}{_BOLD_MARK}", escape(text))
    text = _ITALIC.sub(r"_\1_", text)
    return text.replace(_BOLD_MARK, "*")


def split(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at line breaks where it can.

    A code block cut in two is closed at the end of one piece and reopened in the next.
    """
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    fenced = False  # is the current piece inside a ``` block?
    opened = False  # did the current piece start by reopening one?
    budget = limit - 4  # room to close a block: "\n```"
    for line in _lines(text, budget - 4):
        if current and size + 1 + len(line) > budget:
            piece = "\n".join(current)
            pieces.append(piece + "\n```" if fenced else piece)
            current, size, opened = (["```"], 3, True) if fenced else ([], 0, False)
        current.append(line)
        size += len(line) + (1 if len(current) > 1 else 0)
        if line.count("```") % 2:
            fenced = not fenced
    if current and not (opened and current == ["```"]):
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()]


def _lines(text: str, width: int) -> list[str]:
    """The lines of ``text``; a line longer than ``width`` is cut, at a space if it has one."""
    out = []
    for line in text.split("\n"):
        while len(line) > width:
            cut = line.rfind(" ", width // 2, width)
            cut = cut if cut > 0 else width
            out.append(line[:cut])
            line = line[cut:].lstrip(" ")
        out.append(line)
    return out


def render(reply: Reply) -> list[Post]:
    """The messages that make up ``reply``: long text in several, a card and the
    components as blocks in the last."""
    text = mrkdwn(reply.text, allow_mentions=reply.allow_mentions) if reply.text else ""
    chunks = split(text) if text.strip() else []
    if reply.card is None and not reply.components:
        return [Post(chunk) for chunk in chunks]
    blocks = card_blocks(reply.card, reply.allow_mentions) if reply.card else []
    blocks += component_blocks(reply.components)
    fallback = card_fallback(reply.card, reply.allow_mentions) if reply.card else ""
    if chunks and len(chunks[-1]) <= SECTION_LIMIT:
        # Text and card together, as one message: the text leads as its own section.
        last = chunks.pop()
        blocks = [_section(last), *blocks]
        fallback = last
    posts = [Post(chunk) for chunk in chunks]
    posts.append(Post(fallback[:TEXT_LIMIT], blocks[:BLOCK_LIMIT]))
    return posts


# Button styles: Slack has primary and danger; the others are its default look.
_STYLE = {"primary": "primary", "danger": "danger", "success": "primary"}
LINK_PREFIX = "link:"  # action_id of a link button: Slack sends its click too, to be ignored


def component_blocks(rows: Rows) -> list[Block]:
    """Each row as an ``actions`` block of buttons or a select. Slack cannot disable
    an element, so a row whose components are disabled shows as a context line
    (the chosen button in bold), which nobody can click."""
    blocks: list[Block] = []
    for n, row in enumerate(rows):
        if all(comp.disabled for comp in row):
            blocks.append(_context([_disabled_label(comp) for comp in row]))
            continue
        elements = [_element(comp, f"{n}.{i}") for i, comp in enumerate(row) if not comp.disabled]
        blocks.append({"type": "actions", "block_id": f"row{n}", "elements": elements})
    return blocks


def _disabled_label(comp: Button | Any) -> str:
    if isinstance(comp, Button):
        label = escape(comp.label)
        return f"*{label}*" if comp.style == "primary" else label
    return " · ".join(escape(o.label) for o in comp.choices)


def _context(labels: list[str]) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "  ·  ".join(labels)}]}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _element(comp: Button | Any, where: str) -> dict[str, Any]:
    if isinstance(comp, Button):
        element: dict[str, Any] = {"type": "button", "text": _plain(comp.label)}
        if comp.url:
            return element | {"url": comp.url, "action_id": LINK_PREFIX + where}
        element["action_id"] = comp.id
        if comp.style in _STYLE:
            element["style"] = _STYLE[comp.style]
        return element
    options = [
        {"text": _plain(o.label), "value": o.value}
        | ({"description": _plain(o.description)} if o.description else {})
        for o in comp.choices
    ]
    multi = comp.max > 1
    element = {
        "type": "multi_static_select" if multi else "static_select",
        "action_id": comp.id,
        "options": options,
    }
    if multi:
        element["max_selected_items"] = comp.max
    if comp.placeholder:
        element["placeholder"] = _plain(comp.placeholder)
    return element


def form_view(form: Form, form_id: str, private: str) -> dict[str, Any]:
    """A form as a modal view for ``views.open``: one ``input`` block per field, its
    block_id the field's name; ``private``: what comes back with the submission."""
    blocks = []
    for spec in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": spec.long,
            "max_length": spec.most,
        }
        if spec.min_length:
            element["min_length"] = spec.min_length
        if spec.placeholder:
            element["placeholder"] = _plain(spec.placeholder)
        if spec.default:
            element["initial_value"] = spec.default
        blocks.append(
            {
                "type": "input",
                "block_id": spec.name,
                "label": _plain(spec.label),
                "optional": not spec.required,
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": form_id,
        "title": _plain(form.title),
        "submit": _plain(form.submit),
        "close": _plain("Cancel"),
        "private_metadata": private,
        "blocks": blocks,
    }


MAX_POSTS = 4  # a longer answer is a few messages and a file, not hundreds of messages
ATTACHED = "answer.txt"


def fit(reply: Reply) -> tuple[list[Post], tuple[tuple[str, bytes], ...]]:
    """The posts and files that carry ``reply``: text that would take more than
    :data:`MAX_POSTS` messages is cut there, and the whole of it attached as a file
    (an ephemeral reply, which cannot share a file, says it was cut instead)."""
    posts = render(reply)
    if len(posts) <= MAX_POSTS:
        return posts, reply.files
    if reply.ephemeral:
        note = "\n_(cut: the answer is too long to show here)_"
        return [*posts[: MAX_POSTS - 1], _noted(posts[MAX_POSTS - 1], note)], reply.files
    note = f"\n_(the whole answer is attached as {ATTACHED})_"
    kept = [*posts[:1], *([posts[-1]] if posts[-1].blocks else [])]  # the card stays
    kept[0] = _noted(kept[0], note)
    return kept, ((ATTACHED, reply.text.encode()), *reply.files)


def _noted(post: Post, note: str) -> Post:
    return Post(post.text[: TEXT_LIMIT - len(note)] + note, post.blocks)


def card_blocks(card: Card, allow_mentions: bool = False) -> list[Block]:
    """A card as Block Kit: header (or a linked title), description, fields, image, footer."""

    def md(text: str) -> str:
        return mrkdwn(text, allow_mentions=allow_mentions)

    blocks: list[Block] = []
    if card.title and card.url:
        blocks.append(_section(f"*<{escape(card.url)}|{escape(card.title)}>*"[:SECTION_LIMIT]))
    elif card.title:
        text = {"type": "plain_text", "text": card.title[:HEADER_LIMIT], "emoji": True}
        blocks.append({"type": "header", "text": text})
    if card.description:
        blocks += [_section(part) for part in split(md(card.description), SECTION_LIMIT)]
    blocks += _field_blocks(card.fields, md)
    if card.image:
        alt = card.title or "image"
        blocks.append({"type": "image", "image_url": card.image, "alt_text": alt[:2000]})
    if card.footer:
        footer = {"type": "mrkdwn", "text": md(card.footer)[:SECTION_LIMIT]}
        blocks.append({"type": "context", "elements": [footer]})
    return blocks


def _field_blocks(fields: tuple[Field, ...], md: Any) -> list[Block]:
    """Inline fields side by side (≤ 10 per section); a wide field gets its own section."""
    blocks: list[Block] = []
    row: list[Block] = []
    for field in fields:
        text = f"*{escape(field.name)}*\n{md(field.value)}"
        if not field.inline:
            if row:
                blocks.append({"type": "section", "fields": row})
                row = []
            blocks.append(_section(text[:SECTION_LIMIT]))
            continue
        row.append({"type": "mrkdwn", "text": text[:FIELD_LIMIT]})
        if len(row) == FIELDS_PER_SECTION:
            blocks.append({"type": "section", "fields": row})
            row = []
    if row:
        blocks.append({"type": "section", "fields": row})
    return blocks


def card_fallback(card: Card, allow_mentions: bool = False) -> str:
    """The card as mrkdwn lines: the notification text, and what clients without blocks show."""
    lines = [f"*{escape(card.title)}*"] if card.title else []
    if card.url:
        lines.append(escape(card.url))
    if card.description:
        lines.append(mrkdwn(card.description, allow_mentions=allow_mentions))
    lines += [f"{escape(f.name)}: {mrkdwn(f.value)}" for f in card.fields]
    if card.footer:
        lines.append(mrkdwn(card.footer, allow_mentions=allow_mentions))
    return "\n".join(lines) or "(card)"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def preview(reply: Reply) -> list[dict[str, Any]]:
    """The chat.postMessage arguments ``reply`` becomes (the web sandbox shows this),
    with the names of the files uploaded below it."""
    posts, files = fit(reply)
    shown: list[dict[str, Any]] = [
        {"text": post.text, **({"blocks": post.blocks} if post.blocks else {})} for post in posts
    ]
    if files:
        shown.append({"files": [name for name, _ in files]})
    return shown
