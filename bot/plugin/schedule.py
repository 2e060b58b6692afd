"""When scheduled jobs run: ``Every`` (a fixed interval) and ``Cron`` (a small cron subset).

Triggers are pure: ``next_after(now)`` maps an aware datetime to the next aware
datetime a job is due, so they are tested without a loop or a clock.

The cron subset (a maintained cron library would add a dependency for ~150 lines):

- Five fields separated by spaces: minute (0–59), hour (0–23), day-of-month (1–31),
  month (1–12 or ``jan``–``dec``), day-of-week (0–7 or ``sun``–``sat``; 0 and 7 are
  both Sunday). Names are case-insensitive and may be used wherever a number can.
- Each field is ``*``, a number ``5``, a range ``1-5``, a step ``*/15`` or ``1-30/10``,
  or a comma list of those (``0,30`` or ``mon-fri,sun``). A step needs ``*`` or a
  range before it (``5/10`` is refused). Seconds, ``L``, ``W``, ``#`` and ``?`` are
  not supported.
- Day-of-month and day-of-week combine as in Vixie cron: a field is *restricted*
  unless it starts with ``*``; when both are restricted a day matches if EITHER
  matches (``0 0 13 * fri`` runs on every 13th and on every Friday), otherwise
  both must match (so ``*/2`` counts as unrestricted, as in Vixie cron).
- Macros: ``@hourly`` (``0 * * * *``), ``@daily`` (``0 0 * * *``), ``@weekly``
  (``0 0 * * 0``), ``@monthly`` (``0 0 1 * *``), ``@yearly`` (``0 0 1 1 *``).
- Times are wall-clock times in the trigger's time zone (UTC by default). Across a
  daylight-saving change: a local time that does not exist (the hour skipped in
  spring) runs at the first instant after the gap (03:00 in Paris), so a daily job
  still runs that day; a local time that occurs twice (autumn) runs once, at its
  first occurrence. For a steady interval through DST changes use ``Every`` or UTC.
- An expression that is malformed, or can never match (``0 0 30 2 *``), raises
  PluginError naming the expression, the field and why, when the trigger is built.
"""

from __future__ import annotations

import calendar
import math
import re
from bisect import bisect_left
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.errors import PluginError

__all__ = ["Cron", "Every", "Job"]


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"next_after needs an aware datetime, got {now!r}")


@dataclass(frozen=True, slots=True)
class Every:
    """Every ``seconds`` seconds, on a fixed grid from the start.

    ``first``: seconds from the scheduler's start to the first run; by default one
    full interval (a job does not run at startup unless ``first=0``).
    """

    seconds: float
    first: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds) and self.seconds > 0):
            raise PluginError(f"every: seconds must be a positive number, got {self.seconds!r}")
        if self.first is not None and not (math.isfinite(self.first) and self.first >= 0):
            raise PluginError(f"every: first must be 0 or more seconds, got {self.first!r}")

    def first_after(self, start: datetime) -> datetime:
        """When the first run is due, for a scheduler started at ``start``."""
        _require_aware(start)
        return start + timedelta(seconds=self.seconds if self.first is None else self.first)

    def aligned_after(self, start: datetime) -> datetime:
        """The first multiple of the interval since the epoch after ``start``: the grid
        every process sharing a store agrees on (``first`` does not apply there)."""
        _require_aware(start)
        ticks = math.floor(start.timestamp() / self.seconds) + 1
        return datetime.fromtimestamp(ticks * self.seconds, tz=start.tzinfo)

    def next_after(self, now: datetime) -> datetime:
        """The run after one due at ``now``: one interval later."""
        _require_aware(now)
        return now + timedelta(seconds=self.seconds)

    def describe(self) -> str:
        """``every 300 s`` (with the first delay when it is not the default)."""
        text = f"every {self.seconds:g} s"
        return text if self.first is None else f"{text} (first after {self.first:g} s)"


_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
}
# Spelled out: calendar.month_abbr follows the locale.
_MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTHS = {name: i for i, name in enumerate(_MONTH_NAMES, start=1)}
_WEEKDAYS = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_NUMBER = re.compile(r"[0-9]+", re.ASCII)
# Longest month length, Feb counted as 29: a day-of-month beyond it never occurs.
_LONGEST = {m: 29 if m == 2 else calendar.monthrange(2001, m)[1] for m in range(1, 13)}


@dataclass(frozen=True, slots=True)
class _Field:
    """How to read one of the five fields."""

    name: str
    low: int
    high: int  # highest value accepted in the text (7 for day-of-week)
    star_high: int  # highest value ``*`` stands for (6 for day-of-week)
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, 59, {}),
    _Field("hour", 0, 23, 23, {}),
    _Field("day-of-month", 1, 31, 31, {}),
    _Field("month", 1, 12, 12, _MONTHS),
    _Field("day-of-week", 0, 7, 6, _WEEKDAYS),
)


class _Bad(Exception):
    """A field's problem; Cron turns it into a PluginError naming the expression."""


def _value(spec: _Field, text: str) -> int:
    if _NUMBER.fullmatch(text):
        value = int(text)
    elif text.lower() in spec.names:
        return spec.names[text.lower()]
    else:
        raise _Bad(f"{text!r} is not a number" + (" or a name" if spec.names else ""))
    if not spec.low <= value <= spec.high:
        raise _Bad(f"{value} is out of range {spec.low}-{spec.high}")
    return value


def _item(spec: _Field, text: str) -> range:
    """One comma-separated item: ``*``, ``n``, ``a-b``, ``*/s`` or ``a-b/s``."""
    body, slash, step_text = text.partition("/")
    step = 1
    if slash:
        if not _NUMBER.fullmatch(step_text) or int(step_text) < 1:
            raise _Bad(f"step {step_text!r} must be a whole number of at least 1")
        step = int(step_text)
    if body == "*":
        return range(spec.low, spec.star_high + 1, step)
    first, dash, last = body.partition("-")
    if not dash:
        if slash:
            raise _Bad(f"a step needs '*' or a range before it, as in */{step} or 0-30/{step}")
        value = _value(spec, body)
        return range(value, value + 1)
    low, high = _value(spec, first), _value(spec, last)
    if low > high:
        raise _Bad(f"range {body!r} runs backwards")
    return range(low, high + 1, step)


def _parse(spec: _Field, text: str) -> tuple[int, ...]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _Bad("empty item in the list")
        values.update(_item(spec, item))
    if spec.name == "day-of-week":
        values = {v % 7 for v in values}  # 7 is Sunday too
    return tuple(sorted(values))


@dataclass(frozen=True, slots=True)
class _Table:
    """A parsed expression: the sorted values each field allows."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]  # 0 = Sunday
    either_day: bool  # both day fields restricted: Vixie's OR rule

    def day_matches(self, day: date) -> bool:
        dom = day.day in self.days
        dow = day.isoweekday() % 7 in self.weekdays
        return (dom or dow) if self.either_day else (dom and dow)


def _table(expression: str) -> _Table:
    text = _MACROS.get(expression.strip().lower(), expression)
    if text.strip().startswith("@"):
        macros = ", ".join(_MACROS)
        raise PluginError(f"cron expression {expression!r}: unknown macro (known: {macros})")
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise PluginError(
            f"cron expression {expression!r}: expected 5 fields (minute hour day-of-month "
            f"month day-of-week) or a macro such as @daily, got {len(parts)}"
        )
    parsed = []
    for spec, part in zip(_FIELDS, parts, strict=True):
        try:
            parsed.append(_parse(spec, part))
        except _Bad as exc:
            raise PluginError(
                f"cron expression {expression!r}: {spec.name} field {part!r}: {exc}"
            ) from None
    minutes, hours, days, months, weekdays = parsed
    dom_star, dow_star = parts[2].startswith("*"), parts[4].startswith("*")
    if dow_star and not any(days[0] <= _LONGEST[m] for m in months):
        raise PluginError(
            f"cron expression {expression!r}: day-of-month field {parts[2]!r}: "
            f"never occurs in month field {parts[3]!r}, so the job would never run"
        )
    return _Table(minutes, hours, days, months, weekdays, not dom_star and not dow_star)


def _next_in(values: tuple[int, ...], current: int) -> int | None:
    """The smallest allowed value >= current, or None."""
    i = bisect_left(values, current)
    return values[i] if i < len(values) else None


@dataclass(frozen=True, slots=True)
class Cron:
    """A cron expression (see the module docstring for the subset) in time zone ``tz``."""

    expression: str
    tz: tzinfo = UTC
    _table: _Table = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_table", _table(self.expression))

    def first_after(self, start: datetime) -> datetime:
        """When the first run is due, for a scheduler started at ``start``."""
        return self.next_after(start)

    def aligned_after(self, start: datetime) -> datetime:
        """Cron times are absolute: every process already agrees on them."""
        return self.next_after(start)

    def next_after(self, now: datetime) -> datetime:
        """The first matching minute strictly after ``now``, aware in ``self.tz``."""
        _require_aware(now)
        local = now.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0)
        wall = self._next_wall(local + timedelta(minutes=1))
        while True:
            instant = self._instant(wall)
            if instant > now:  # a repeated wall time whose first occurrence is past
                return instant
            wall = self._next_wall(wall + timedelta(minutes=1))

    def describe(self) -> str:
        """``cron */5 * * * * (UTC)``."""
        return f"cron {self.expression} ({self.tz})"

    def _next_wall(self, start: datetime) -> datetime:
        """The first naive wall-clock minute >= ``start`` the expression matches.

        Skips whole months, days and hours that cannot match, so a yearly
        expression takes a few dozen steps, not half a million minutes.
        """
        t, table = start, self._table
        # The Gregorian calendar repeats every 400 years; validation makes this unreachable.
        limit = start.year + 400
        while t.year <= limit:
            if t.month not in table.months:
                t = datetime(t.year + t.month // 12, t.month % 12 + 1, 1)
            elif not table.day_matches(t.date()) or (hour := _next_in(table.hours, t.hour)) is None:
                t = datetime.combine(t.date() + timedelta(days=1), datetime.min.time())  # next day
            elif hour != t.hour:
                t = t.replace(hour=hour, minute=0)
            elif (minute := _next_in(table.minutes, t.minute)) is None:
                t = t.replace(minute=0) + timedelta(hours=1)
            else:
                return t.replace(minute=minute)
        raise AssertionError(f"cron {self.expression!r} found no time in 400 years")

    def _instant(self, wall: datetime) -> datetime:
        """The aware instant of a local wall time: its first occurrence if it is
        repeated, the end of the gap if it was skipped by a DST change."""
        first = wall.replace(tzinfo=self.tz, fold=0)
        if first.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) == wall:
            return first
        # In a gap, fold=1 reads the wall time with the offset after the change,
        # giving an instant before the gap; fold=0 gives one after it (PEP 495).
        before = wall.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        after = first.astimezone(UTC)
        return _offset_change(before, after, self.tz).astimezone(self.tz)


def _offset_change(before: datetime, after: datetime, tz: tzinfo) -> datetime:
    """The first whole second in (before, after] whose UTC offset in ``tz`` differs
    from ``before``'s: the instant a DST gap ends. Bisection, ~17 steps for a day."""
    offset = before.astimezone(tz).utcoffset()
    low, high = 0, math.ceil((after - before).total_seconds())
    while high - low > 1:
        mid = (low + high) // 2
        if (before + timedelta(seconds=mid)).astimezone(tz).utcoffset() == offset:
            low = mid
        else:
            high = mid
    return before + timedelta(seconds=high)


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled coroutine: ``async def f(ctx)``, run when ``trigger`` says.

    ``name`` is ``plugin.function``; ``timeout`` bounds one run (None: the default).
    """

    name: str
    trigger: Every | Cron
    func: Callable[..., Awaitable[None]]
    timeout: float | None = None
