"""Unicode emoji ↔ Slack emoji names, for the common ones.

Slack's Web API (reactions.add) and events (reaction_added) speak names such as
``thumbsup``; plugins speak Unicode (``"👍"``) so that one handler works on every
platform. Names outside this table pass through unchanged (custom emoji, too).
"""

from __future__ import annotations

import re

# Unicode → Slack's canonical short name (the names Slack's emoji picker shows).
NAMES: dict[str, str] = {
    "👍": "+1",
    "👎": "-1",
    "❤": "heart",
    "😄": "smile",
    "😀": "grinning",
    "🙂": "slightly_smiling_face",
    "😉": "wink",
    "😂": "joy",
    "😢": "cry",
    "😮": "open_mouth",
    "🤔": "thinking_face",
    "🎉": "tada",
    "🙏": "pray",
    "👏": "clap",
    "👋": "wave",
    "👌": "ok_hand",
    "👀": "eyes",
    "✅": "white_check_mark",
    "✔": "heavy_check_mark",
    "❌": "x",
    "⚠": "warning",
    "🔥": "fire",
    "🚀": "rocket",
    "✨": "sparkles",
    "⭐": "star",
    "💯": "100",
    "⏳": "hourglass_flowing_sand",
    "🐛": "bug",
    "💡": "bulb",
    "📌": "pushpin",
}
# Slack spells some emoji several ways; events use the canonical name, people type either.
ALIASES = {"thumbsup": "+1", "thumbsdown": "-1"}
UNICODE: dict[str, str] = {name: char for char, name in NAMES.items()}

_VARIATION = "\ufe0f"  # "❤️" is "❤" + VS16; the table keys omit it
_SKIN_TONE = re.compile(r"::skin-tone-\d$")


def to_name(emoji: str) -> str:
    """A Slack name for ``emoji`` (``"👍"``, ``":thumbsup:"`` or ``"thumbsup"``)."""
    bare = emoji.strip().replace(_VARIATION, "")
    if bare in NAMES:
        return NAMES[bare]
    name = bare.strip(":")
    if not name or not re.fullmatch(r"[\w+\-']+(?:::skin-tone-\d)?", name):
        raise ValueError(f"no Slack emoji name known for {emoji!r}; pass a name like 'thumbsup'")
    return ALIASES.get(name, name)


def to_unicode(name: str) -> str:
    """The Unicode emoji for a Slack reaction name when we know it, else the name."""
    base = _SKIN_TONE.sub("", name)
    return UNICODE.get(ALIASES.get(base, base), name)
