"""Outgoing replies in neutral form; adapters render them for their platform.

Text uses a small Markdown subset that every adapter can render or degrade:
``**bold**``, ``*italic*``, ```` `code` ````, fenced code blocks and ``[text](url)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.model.components import Button, Component, Rows, layout
from bot.model.events import slot_setters


@dataclass(frozen=True, slots=True)
class Field:
    """One name/value pair of a card; ``inline`` lets platforms lay fields side by side."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Card:
    """A rich block: Discord renders an embed, Slack Block Kit, the console a box."""

    title: str = ""
    url: str | None = None
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    colour: int | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True, init=False)
class Reply:
    """What a handler sends back.

    ``thread``: answer in a thread (the trigger's, or start one where the platform can).
    ``ephemeral``: visible only to the user who asked, where the platform allows it.
    ``allow_mentions``: let the text ping @everyone/@here/roles; off by default, so
    echoing user input can never mass-ping.
    ``buttons``: a row (or rows, five to a row) of buttons below the text;
    ``components``: rows of buttons and selects, for any other layout.
    """

    text: str = ""
    card: Card | None = None
    thread: bool = False
    ephemeral: bool = False
    allow_mentions: bool = False
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    components: Rows = ()

    # Written out because one is made per answer; see Message.__init__.
    def __init__(
        self,
        text: str = "",
        card: Card | None = None,
        thread: bool = False,
        ephemeral: bool = False,
        allow_mentions: bool = False,
        files: tuple[tuple[str, bytes], ...] = (),
        components: Iterable[Iterable[Component]] = (),
        buttons: Iterable[Button] = (),
    ) -> None:
        _r_text(self, text)
        _r_card(self, card)
        _r_thread(self, thread)
        _r_ephemeral(self, ephemeral)
        _r_allow_mentions(self, allow_mentions)
        _r_files(self, files)
        _r_components(self, layout(components, buttons) if components or buttons else ())

    @classmethod
    def of(cls, value: str | Reply | Card) -> Reply:
        """Normalise what ``ctx.reply`` accepts into a Reply."""
        if isinstance(value, Reply):
            return value
        if isinstance(value, Card):
            return cls(card=value)
        return cls(text=value)


_r_text, _r_card, _r_thread, _r_ephemeral, _r_allow_mentions, _r_files, _r_components = (
    slot_setters(Reply, "text", "card", "thread", "ephemeral", "allow_mentions", "files",
                 "components")
)  # fmt: skip
