"""A command's shape in neutral form, for help texts and for platforms that
register commands ahead of time (Discord and Slack slash commands)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionType = Literal["string", "integer", "number", "boolean"]


@dataclass(frozen=True, slots=True)
class Option:
    """One argument of a command, as derived from the handler's signature.

    ``greedy``: takes the rest of the line (a trailing ``*args`` or keyword-only str).
    """

    name: str
    type: OptionType
    required: bool
    choices: tuple[str, ...] = ()
    default: str | None = None
    greedy: bool = False


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """Name, aliases, help and options of one command."""

    name: str
    help: str
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    plugin: str = ""

    @property
    def summary(self) -> str:
        """The first line of the help text."""
        return self.help.strip().splitlines()[0] if self.help.strip() else ""

    def usage(self, prefix: str) -> str:
        """The usage line, e.g. ``!weather <city> [days=1] [more…]``."""
        parts = [f"{prefix}{self.name}"]
        for opt in self.options:
            label = opt.name
            if opt.choices:
                label = f"{opt.name}: {'|'.join(opt.choices)}"
            if opt.greedy:
                label += "…"
            if opt.required:
                parts.append(f"<{label}>")
            elif opt.default is not None and not opt.greedy:
                parts.append(f"[{label}={opt.default}]")
            else:
                parts.append(f"[{label}]")
        return " ".join(parts)
