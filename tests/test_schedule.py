"""Triggers, pure: Every's arithmetic, the cron subset's next_after across month ends,
leap years, DST, and a clear PluginError for each malformed expression."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from bot.errors import PluginError
from bot.plugin.schedule import Cron, Every, Job


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- Every ---------------------------------------------------------------------------


def test_every_is_one_interval_after_the_previous_run() -> None:
    assert Every(300).next_after(utc(2024, 1, 1, 12)) == utc(2024, 1, 1, 12, 5)
    assert Every(0.5).next_after(utc(2024, 1, 1)) == utc(2024, 1, 1) + timedelta(seconds=0.5)


def test_every_first_run_is_one_interval_after_start_unless_told() -> None:
    start = utc(2024, 1, 1, 12)
    assert Every(60).first_after(start) == utc(2024, 1, 1, 12, 1)
    assert Every(60, first=0).first_after(start) == start
    assert Every(60, first=5).first_after(start) == start + timedelta(seconds=5)


def test_every_describes_itself() -> None:
    assert Every(300).describe() == "every 300 s"
    assert Every(0.05).describe() == "every 0.05 s"
    assert Every(60, first=0).describe() == "every 60 s (first after 0 s)"


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf")])
def test_every_refuses_a_non_positive_interval(seconds: float) -> None:
    with pytest.raises(PluginError, match="seconds must be a positive number"):
        Every(seconds)


@pytest.mark.parametrize("first", [-1, float("nan")])
def test_every_refuses_a_negative_first_delay(first: float) -> None:
    with pytest.raises(PluginError, match="first must be 0 or more"):
        Every(10, first=first)


def test_triggers_need_aware_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        Every(1).next_after(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        Cron("* * * * *").next_after(datetime(2024, 1, 1))


# --- Cron: next_after in UTC -----------------------------------------------------------

# (expression, now, the next run as ISO text: the instant and its offset)
UTC_CASES = [
    # strictly after now, seconds dropped
    ("* * * * *", utc(2024, 1, 1, 12, 0), "2024-01-01T12:01:00+00:00"),
    ("* * * * *", utc(2024, 1, 1, 12, 0, 30), "2024-01-01T12:01:00+00:00"),
    ("*/5 * * * *", utc(2024, 1, 1, 12, 3), "2024-01-01T12:05:00+00:00"),
    ("*/5 * * * *", utc(2024, 1, 1, 23, 58), "2024-01-02T00:00:00+00:00"),
    ("*/20 * * * *", utc(2024, 1, 1, 12, 40), "2024-01-01T13:00:00+00:00"),
    # lists and ranges with steps
    ("5,10,15 3 * * *", utc(2024, 1, 1, 3, 10), "2024-01-01T03:15:00+00:00"),
    ("5,10,15 3 * * *", utc(2024, 1, 1, 3, 15), "2024-01-02T03:05:00+00:00"),
    ("0-30/10 * * * *", utc(2024, 1, 1, 12, 21), "2024-01-01T12:30:00+00:00"),
    ("0-30/10 * * * *", utc(2024, 1, 1, 12, 31), "2024-01-01T13:00:00+00:00"),
    ("0 22-23,0-4/2 * * *", utc(2024, 1, 1, 23, 0), "2024-01-02T00:00:00+00:00"),
    ("0 22-23,0-4/2 * * *", utc(2024, 1, 2, 0, 0), "2024-01-02T02:00:00+00:00"),
    ("0 22-23,0-4/2 * * *", utc(2024, 1, 2, 4, 0), "2024-01-02T22:00:00+00:00"),
    # month ends and year ends
    ("0 0 1 * *", utc(2024, 1, 31, 10), "2024-02-01T00:00:00+00:00"),
    ("0 0 31 * *", utc(2024, 4, 1), "2024-05-31T00:00:00+00:00"),
    ("0 12 30 * *", utc(2024, 2, 1), "2024-03-30T12:00:00+00:00"),
    ("59 23 31 12 *", utc(2024, 12, 31, 23, 59), "2025-12-31T23:59:00+00:00"),
    # Feb 29: only in leap years, and 2100 is not one
    ("0 0 29 2 *", utc(2024, 3, 1), "2028-02-29T00:00:00+00:00"),
    ("0 0 29 2 *", utc(2024, 2, 28, 12), "2024-02-29T00:00:00+00:00"),
    ("0 0 29 2 *", utc(2096, 3, 1), "2104-02-29T00:00:00+00:00"),
    # day-of-week: 0 and 7 are Sunday (2024-01-01 is a Monday), names, ranges through 7
    ("0 0 * * 0", utc(2024, 1, 1), "2024-01-07T00:00:00+00:00"),
    ("0 0 * * 7", utc(2024, 1, 1), "2024-01-07T00:00:00+00:00"),
    ("0 0 * * SUN", utc(2024, 1, 1), "2024-01-07T00:00:00+00:00"),
    ("0 0 * * 6-7", utc(2024, 1, 1), "2024-01-06T00:00:00+00:00"),
    ("0 0 * * 6-7", utc(2024, 1, 6), "2024-01-07T00:00:00+00:00"),
    ("0 9 * * mon-fri", utc(2024, 1, 5, 10), "2024-01-08T09:00:00+00:00"),
    ("0 9 * * Mon-Fri/2", utc(2024, 1, 1, 10), "2024-01-03T09:00:00+00:00"),
    # month names
    ("0 0 1 jan *", utc(2024, 6, 1), "2025-01-01T00:00:00+00:00"),
    ("0 0 1 JUL-aug *", utc(2024, 7, 2), "2024-08-01T00:00:00+00:00"),
    # both day fields restricted: EITHER matches (2024-01-05 and -12 are Fridays)
    ("0 0 13 * fri", utc(2024, 1, 1), "2024-01-05T00:00:00+00:00"),
    ("0 0 13 * fri", utc(2024, 1, 12), "2024-01-13T00:00:00+00:00"),
    # a field starting with * is unrestricted: both must match (odd days that are Mondays)
    ("0 0 */2 * 1", utc(2024, 1, 1), "2024-01-15T00:00:00+00:00"),
    ("0 0 1 * *", utc(2024, 1, 1), "2024-02-01T00:00:00+00:00"),
    # macros
    ("@hourly", utc(2024, 1, 1, 12, 30), "2024-01-01T13:00:00+00:00"),
    ("@daily", utc(2024, 1, 1, 12, 30), "2024-01-02T00:00:00+00:00"),
    ("@weekly", utc(2024, 1, 1, 12, 30), "2024-01-07T00:00:00+00:00"),
    ("@monthly", utc(2024, 1, 31, 12), "2024-02-01T00:00:00+00:00"),
    ("@yearly", utc(2024, 1, 1, 0, 0), "2025-01-01T00:00:00+00:00"),
    ("@DAILY", utc(2024, 1, 1, 12, 30), "2024-01-02T00:00:00+00:00"),
]


@pytest.mark.parametrize(("expression", "now", "expected"), UTC_CASES)
def test_cron_next_after(expression: str, now: datetime, expected: str) -> None:
    assert Cron(expression).next_after(now).isoformat() == expected


def test_cron_next_after_takes_now_in_any_zone() -> None:
    plus_two = timezone(timedelta(hours=2))
    now = datetime(2024, 1, 1, 14, 3, tzinfo=plus_two)  # 12:03 UTC
    assert Cron("*/5 * * * *").next_after(now) == utc(2024, 1, 1, 12, 5)


def test_cron_in_a_fixed_offset_zone() -> None:
    minus_five = timezone(timedelta(hours=-5))
    run = Cron("0 9 * * *", tz=minus_five).next_after(utc(2024, 1, 1, 13))
    assert run.isoformat() == "2024-01-01T09:00:00-05:00"
    assert run == utc(2024, 1, 1, 14)


def test_cron_first_run_is_the_next_match_after_start() -> None:
    assert Cron("*/5 * * * *").first_after(utc(2024, 1, 1, 12, 3)) == utc(2024, 1, 1, 12, 5)


def test_cron_skips_by_day_not_minute() -> None:
    """A rare expression is found in a few steps: a minute-by-minute walk over the
    eight years to the next Feb 29 would take seconds per call, not milliseconds."""
    cron = Cron("0 0 29 2 *")
    start = time.perf_counter()
    for _ in range(50):
        assert cron.next_after(utc(2096, 3, 1)) == utc(2104, 2, 29)
    assert time.perf_counter() - start < 2.0


def test_cron_describes_itself() -> None:
    assert Cron("*/5 * * * *").describe() == "cron */5 * * * * (UTC)"
    assert Cron("@daily").describe() == "cron @daily (UTC)"


# --- Cron: DST in Europe/Paris ----------------------------------------------------------


try:
    PARIS: ZoneInfo | None = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:
    PARIS = None
needs_tzdata = pytest.mark.skipif(
    PARIS is None, reason="no time zone database (/usr/share/zoneinfo or the tzdata package)"
)


# 2024: clocks go 02:00 CET → 03:00 CEST on Mar 31 (01:00 UTC) and
# 03:00 CEST → 02:00 CET on Oct 27 (01:00 UTC).
PARIS_CASES = [
    # an ordinary day: 09:00 local is 08:00 UTC in winter, 07:00 UTC in summer
    ("0 9 * * *", utc(2024, 3, 30, 8), "2024-03-31T09:00:00+02:00"),
    # 02:30 does not exist on Mar 31: it runs when the gap ends, 03:00 CEST, once
    ("30 2 * * *", utc(2024, 3, 30, 2), "2024-03-31T03:00:00+02:00"),
    ("30 2 * * *", utc(2024, 3, 31, 1), "2024-04-01T02:30:00+02:00"),
    ("*/15 * * * *", utc(2024, 3, 31, 0, 50), "2024-03-31T03:00:00+02:00"),
    ("*/15 * * * *", utc(2024, 3, 31, 1, 0), "2024-03-31T03:15:00+02:00"),
    # 02:30 happens twice on Oct 27: it runs at the first one only
    ("30 2 * * *", utc(2024, 10, 26, 12), "2024-10-27T02:30:00+02:00"),
    ("30 2 * * *", utc(2024, 10, 27, 0, 30), "2024-10-28T02:30:00+01:00"),
    ("*/30 * * * *", utc(2024, 10, 27, 0, 30), "2024-10-27T03:00:00+01:00"),
    # asked during the second 02:xx, the repeated times are already past
    ("*/30 * * * *", utc(2024, 10, 27, 1, 10), "2024-10-27T03:00:00+01:00"),
]


@needs_tzdata
@pytest.mark.parametrize(("expression", "now", "expected"), PARIS_CASES)
def test_cron_across_dst_in_paris(expression: str, now: datetime, expected: str) -> None:
    cron = Cron(expression, tz=PARIS)  # type: ignore[arg-type]
    assert cron.next_after(now).isoformat() == expected


@needs_tzdata
def test_cron_describes_its_zone() -> None:
    cron = Cron("0 9 * * *", tz=PARIS)  # type: ignore[arg-type]
    assert cron.describe() == "cron 0 9 * * * (Europe/Paris)"


# --- Cron: malformed expressions ---------------------------------------------------------

# (expression, words the message must contain besides the expression)
BAD = [
    ("*/0 * * * *", ["minute field '*/0'", "step '0' must be a whole number of at least 1"]),
    ("60 * * * *", ["minute field '60'", "60 is out of range 0-59"]),
    ("* * *", ["expected 5 fields", "got 3"]),
    ("", ["expected 5 fields", "got 0"]),
    ("* * * * * *", ["expected 5 fields", "got 6"]),
    ("5-1 * * * *", ["minute field '5-1'", "range '5-1' runs backwards"]),
    ("* * 0 * *", ["day-of-month field '0'", "0 is out of range 1-31"]),
    ("foo * * * *", ["minute field 'foo'", "'foo' is not a number"]),
    ("* 24 * * *", ["hour field '24'", "out of range 0-23"]),
    ("* * * 13 *", ["month field '13'", "out of range 1-12"]),
    ("* * * * 8", ["day-of-week field '8'", "out of range 0-7"]),
    ("* * * * mon-fry", ["day-of-week field 'mon-fry'", "'fry' is not a number or a name"]),
    ("* * * jan-mon *", ["month field 'jan-mon'", "'mon' is not a number or a name"]),
    ("5/10 * * * *", ["minute field '5/10'", "a step needs '*' or a range"]),
    ("*/x * * * *", ["minute field '*/x'", "step 'x'"]),
    ("1,,2 * * * *", ["minute field '1,,2'", "empty item"]),
    ("-1 * * * *", ["minute field '-1'", "'' is not a number"]),
    ("0 0 30 2 *", ["day-of-month field '30'", "never occurs in month field '2'"]),
    ("0 0 31 4,6 *", ["day-of-month field '31'", "never occurs"]),
    ("@reboot", ["unknown macro", "@daily"]),
]


@pytest.mark.parametrize(("expression", "words"), BAD)
def test_cron_refuses_a_malformed_expression(expression: str, words: list[str]) -> None:
    with pytest.raises(PluginError) as caught:
        Cron(expression)
    message = str(caught.value)
    assert message.startswith(f"cron expression {expression!r}: ")
    for word in words:
        assert word in message
    assert "\n" not in message


def test_cron_accepts_an_impossible_day_when_the_weekday_can_match() -> None:
    """Both day fields restricted: the weekday alone can make the 30th of Feb run."""
    assert Cron("0 0 30 2 mon").next_after(utc(2024, 1, 1)) == utc(2024, 2, 5)


# --- Job ------------------------------------------------------------------------------


async def _noop() -> None:
    return None


def test_job_is_frozen() -> None:
    job = Job("news.digest", Every(60), _noop, timeout=5)
    assert (job.name, job.trigger, job.timeout) == ("news.digest", Every(60), 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        job.name = "other"  # type: ignore[misc]
