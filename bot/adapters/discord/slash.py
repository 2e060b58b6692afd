"""Commands → Discord application commands (pure: no I/O, no ``discord`` import).

Shapes and limits from Discord's developer docs (``interactions/application-commands``):
a CHAT_INPUT command (type 1) has a lowercase name of 1–32 characters, a 1–100
character description, ≤ 25 options with the same rules, ≤ 25 choices each, and
required options before optional ones; an application has ≤ 100 global commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.model import CommandInfo, Option

log = logging.getLogger("bot.adapters.discord")

CHAT_INPUT = 1
OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "number": 10}
MAX_COMMANDS = 100
MAX_OPTIONS = 25
MAX_CHOICES = 25
DESCRIPTION_LIMIT = 100
# Discord's pattern is ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, lowercase where the
# script has case; \w (letters, digits, _) plus - is the part that matters here.
_NAME = re.compile(r"^[-\w]{1,32}$")


def command_payloads(commands: Iterable[CommandInfo]) -> list[dict[str, Any]]:
    """The bulk-overwrite body for ``commands``; names Discord would refuse are skipped
    (and logged), as is anything past the 100-command limit."""
    out: list[dict[str, Any]] = []
    for info in commands:
        name = info.name.lower()
        if not _NAME.match(name):
            log.warning("command %r cannot be a slash command (name); skipped", info.name)
            continue
        if len(out) == MAX_COMMANDS:
            log.warning("more than %d commands: %s and later ones are not slash commands",
                        MAX_COMMANDS, name)  # fmt: skip
            break
        out.append(command_payload(info))
    return out


def command_payload(info: CommandInfo) -> dict[str, Any]:
    """One command: its name, its help's first line, and its options."""
    options = [_option(opt) for opt in info.options[:MAX_OPTIONS] if _NAME.match(opt.name.lower())]
    # Discord requires the required options first; Python signatures mostly already are.
    options.sort(key=lambda o: not o["required"])
    return {
        "type": CHAT_INPUT,
        "name": info.name.lower(),
        "description": _describe(info.summary, fallback=info.name),
        "options": options,
    }


def _option(opt: Option) -> dict[str, Any]:
    # A greedy parameter (*words, or a keyword-only str) is one free-text option:
    # the handler's own parser splits it, so its element type does not matter here.
    kind = "string" if opt.greedy else opt.type
    what = {"string": "text", "integer": "whole number", "number": "number", "boolean": "yes/no"}
    help_text = "the rest of the line" if opt.greedy else what[kind]
    if opt.default is not None and not opt.required:
        help_text += f" (default {opt.default})"
    payload: dict[str, Any] = {
        "type": OPTION_TYPES[kind],
        "name": opt.name.lower(),
        "description": _describe(help_text, fallback=opt.name),
        "required": opt.required,
    }
    if opt.choices and not opt.greedy and len(opt.choices) <= MAX_CHOICES:
        payload["choices"] = [{"name": c, "value": c} for c in opt.choices]
    return payload


def _describe(text: str, *, fallback: str) -> str:
    return (text.strip() or fallback)[:DESCRIPTION_LIMIT]


def normalise(commands: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """What we declare, from either our payload or Discord's answer to GET, so that an
    unchanged set compares equal: Discord adds ids, versions, permissions and
    localisations, and leaves out ``required`` and ``options`` when empty or false."""
    return sorted((_norm_command(c) for c in commands), key=lambda c: (c["type"], c["name"]))


def _norm_command(cmd: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": cmd.get("type", CHAT_INPUT),
        "name": cmd["name"],
        "description": cmd.get("description", ""),
        "options": [_norm_option(o) for o in cmd.get("options") or ()],
    }


def _norm_option(opt: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": opt["type"],
        "name": opt["name"],
        "description": opt.get("description", ""),
        "required": bool(opt.get("required", False)),
        "choices": [(c["name"], c["value"]) for c in opt.get("choices") or ()],
    }


def unchanged(declared: Sequence[dict[str, Any]], registered: Sequence[dict[str, Any]]) -> bool:
    """True when Discord already has exactly the commands we declare."""
    return normalise(declared) == normalise(registered)
