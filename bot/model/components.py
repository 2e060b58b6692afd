"""Interactive parts of a reply (buttons, selects) and forms, in neutral form.

Each is checked when it is built against the stricter of Discord's and Slack's
limits (PLATFORMS.md), so a reply that builds renders on every platform; a
ValueError names the limit. A component's platform id (``id``) is set when the
reply is sent: ``botloop:<plugin>:<action>:<value>`` routes a click to its
handler after a restart, with nothing kept in memory (see ``bot.plugin.actions``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.model.events import frozen_set

Style = Literal["primary", "secondary", "success", "danger"]
STYLES: tuple[Style, ...] = ("primary", "secondary", "success", "danger")

ROWS = 5  # Discord: action rows per message
PER_ROW = 5  # Discord: buttons per row (a select fills a row)
LABEL_MAX = 75  # Slack button text (Discord allows 80)
OPTIONS_MAX = 25  # Discord select options (Slack allows 100)
OPTION_LABEL_MAX = 75  # Slack option text (Discord allows 100)
OPTION_VALUE_MAX = 100  # Discord option value (Slack allows 150)
PLACEHOLDER_MAX = 150  # both
URL_MAX = 512  # Discord link buttons (Slack allows 3,000)
ID_MAX = 100  # Discord custom_id (Slack's action_id allows 255)

FORM_TITLE_MAX = 24  # Slack modal title (Discord allows 45)
FORM_FIELDS_MAX = 5  # Discord modal rows
FIELD_LABEL_MAX = 45  # Discord text input label
FIELD_LENGTH_MAX = 3000  # Slack plain_text_input max_length (Discord allows 4,000)

_ACTION = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_FIELD = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _limit(what: str, text: str, most: int) -> None:
    if len(text) > most:
        raise ValueError(f"{what} is {len(text)} characters; the limit is {most}: {text[:30]!r}…")


def _action_name(action: str) -> None:
    if not _ACTION.match(action):
        raise ValueError(f"action {action!r} must be lowercase letters, digits, - or _")


@dataclass(frozen=True, slots=True)
class Button:
    """A button: a click runs the plugin's ``@plugin.on_action(action)`` handler with
    ``value``. A link button has a ``url`` and no action: the platform opens it."""

    label: str
    action: str = ""
    value: str = ""
    style: Style = "secondary"
    url: str | None = None
    disabled: bool = False
    id: str = field(default="", compare=False)
    """The platform id, set when the reply is sent (empty for a link button)."""

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("a button needs a label")
        _limit("button label", self.label, LABEL_MAX)
        if self.style not in STYLES:
            raise ValueError(f"button style {self.style!r} must be one of {', '.join(STYLES)}")
        if self.url is not None:
            if self.action:
                raise ValueError(f"button {self.label!r}: a link button has a url or an action")
            if not self.url.startswith(("https://", "http://")):
                raise ValueError(f"button {self.label!r}: the url must be http(s)")
            _limit("button url", self.url, URL_MAX)
        elif not self.action and not self.id:
            raise ValueError(f"button {self.label!r} needs an action (or a url)")
        elif self.action:
            _action_name(self.action)


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a :class:`Select`: what the user sees and what the handler gets."""

    label: str
    value: str = ""
    description: str | None = None

    def __post_init__(self) -> None:
        if not self.value:
            frozen_set(self, "value", self.label)
        _limit("option label", self.label, OPTION_LABEL_MAX)
        _limit("option value", self.value, OPTION_VALUE_MAX)
        if self.description is not None:
            _limit("option description", self.description, OPTION_LABEL_MAX)


@dataclass(frozen=True, slots=True)
class Select:
    """A drop-down: the handler gets the chosen values (``values: list[str]``).

    ``options``: Options or plain strings (label and value alike); ``min``/``max``:
    how many may be chosen.
    """

    action: str
    options: Sequence[Option | str] = ()
    placeholder: str | None = None
    min: int = 1
    max: int = 1
    disabled: bool = False
    id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        options = tuple(o if isinstance(o, Option) else Option(o) for o in self.options)
        frozen_set(self, "options", options)
        if self.action:
            _action_name(self.action)
        elif not self.id:
            raise ValueError("a select needs an action")
        if not 1 <= len(options) <= OPTIONS_MAX:
            raise ValueError(f"a select holds 1 to {OPTIONS_MAX} options, got {len(options)}")
        values = [o.value for o in options]
        if len(set(values)) < len(values):
            raise ValueError("two options of a select have the same value")
        if not 0 <= self.min <= self.max <= len(options):
            raise ValueError(f"select: need 0 ≤ min ≤ max ≤ {len(options)} options")
        if self.placeholder is not None:
            _limit("select placeholder", self.placeholder, PLACEHOLDER_MAX)

    @property
    def choices(self) -> tuple[Option, ...]:
        """``options``, each an Option (plain strings were made Options when built)."""
        return self.options  # type: ignore[return-value]


Component = Button | Select
Rows = tuple[tuple[Component, ...], ...]


def layout(components: Iterable[Iterable[Component]] = (), buttons: Iterable[Button] = ()) -> Rows:
    """Rows from ``components`` (rows given) and ``buttons`` (laid out five to a row
    after them), checked against the platforms' limits."""
    rows = [tuple(row) for row in components]
    loose = list(buttons)
    rows += [tuple(loose[i : i + PER_ROW]) for i in range(0, len(loose), PER_ROW)]
    rows = [row for row in rows if row]
    if len(rows) > ROWS:
        raise ValueError(f"a reply holds at most {ROWS} rows of components, got {len(rows)}")
    keys: set[tuple[str, str]] = set()
    for row in rows:
        if any(isinstance(c, Select) for c in row) and len(row) > 1:
            raise ValueError("a select fills its row alone")
        if len(row) > PER_ROW:
            raise ValueError(f"a row holds at most {PER_ROW} buttons, got {len(row)}")
        for comp in row:
            if not isinstance(comp, Button | Select):
                raise TypeError(f"a component is a Button or a Select, got {comp!r}")
            key = _key(comp)
            if key is not None and key in keys:
                raise ValueError(f"two components of a reply share action and value {key}")
            if key is not None:
                keys.add(key)
    return tuple(rows)


def _key(comp: Component) -> tuple[str, str] | None:
    if isinstance(comp, Button):
        return None if comp.url else (comp.action or comp.id, comp.value)
    return (comp.action or comp.id, "")


def disabled(rows: Rows, chosen: str | None = None) -> Rows:
    """The same rows with every component disabled; the button whose id is ``chosen``
    stays primary and the others turn secondary, so the answer shows."""
    out = []
    for row in rows:
        new: list[Component] = []
        for comp in row:
            if isinstance(comp, Select):
                new.append(replace(comp, disabled=True))
            elif comp.url is None:
                style: Style = "primary" if comp.id == chosen else "secondary"
                new.append(replace(comp, disabled=True, style=style))
            else:
                new.append(comp)  # a link stays a link
        out.append(tuple(new))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class TextInput:
    """One field of a :class:`Form`; its answer is keyed by ``name``."""

    name: str
    label: str
    long: bool = False
    required: bool = True
    placeholder: str | None = None
    default: str | None = None
    min_length: int | None = None
    max_length: int | None = None

    def __post_init__(self) -> None:
        if not _FIELD.match(self.name):
            raise ValueError(f"field name {self.name!r}: 1–40 letters, digits, - or _")
        if not self.label.strip():
            raise ValueError(f"field {self.name!r} needs a label")
        _limit("field label", self.label, FIELD_LABEL_MAX)
        if self.placeholder is not None:
            _limit("field placeholder", self.placeholder, PLACEHOLDER_MAX)
        most = self.max_length if self.max_length is not None else FIELD_LENGTH_MAX
        least = self.min_length or 0
        if not 0 <= least <= most <= FIELD_LENGTH_MAX or most < 1:
            raise ValueError(
                f"field {self.name!r}: need 0 ≤ min_length ≤ max_length ≤ {FIELD_LENGTH_MAX}"
            )

    @property
    def most(self) -> int:
        return self.max_length if self.max_length is not None else FIELD_LENGTH_MAX

    def problem(self, value: str) -> str | None:
        """Why ``value`` does not fit this field, in words for the user; None if it fits."""
        if not value.strip():
            return f"{self.label} is required." if self.required else None
        if len(value) > self.most:
            return f"{self.label} is {len(value)} characters; at most {self.most}."
        if self.min_length and len(value) < self.min_length:
            return f"{self.label} needs at least {self.min_length} characters."
        return None


@dataclass(frozen=True, slots=True, init=False)
class Form:
    """A form: a modal where the platform can open one (in answer to a slash command
    or a click), else asked field by field in the channel. See ``ctx.form``."""

    title: str
    fields: tuple[TextInput, ...]
    submit: str = "Submit"

    def __init__(self, title: str, fields: Iterable[TextInput], submit: str = "Submit") -> None:
        frozen_set(self, "title", title)
        frozen_set(self, "fields", tuple(fields))
        frozen_set(self, "submit", submit)
        if not title.strip():
            raise ValueError("a form needs a title")
        _limit("form title", title, FORM_TITLE_MAX)
        _limit("form submit label", submit, FORM_TITLE_MAX)
        if not 1 <= len(self.fields) <= FORM_FIELDS_MAX:
            raise ValueError(f"a form holds 1 to {FORM_FIELDS_MAX} fields, got {len(self.fields)}")
        names = [f.name for f in self.fields]
        if len(set(names)) < len(names):
            raise ValueError("two fields of a form have the same name")

    def problems(self, values: dict[str, str]) -> dict[str, str]:
        """Each field whose submitted value does not fit, with why."""
        found = {}
        for spec in self.fields:
            why = spec.problem(values.get(spec.name, ""))
            if why:
                found[spec.name] = why
        return found
