"""Log formatting (text and JSON lines), secret redaction and the queued pipeline."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logging import JsonFormatter, LogHandle, TextFormatter, event_id, redact, setup_logging

SECRET = "supersecret-token-123"


def make_record(
    msg: str = "hello", *args: object, exc: bool = False, **extras: Any
) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(
        "bot.test", logging.ERROR if exc else logging.INFO, __file__, 1, msg, args, exc_info
    )
    record.__dict__.update(extras)
    return record


@pytest.fixture(autouse=True)
def isolated_redactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """`redact` is module-global: give each test its own copy of the registered secrets."""
    monkeypatch.setattr(redact, "_secrets", set(redact._secrets))


class LogRun:
    """One setup_logging pipeline writing to a StringIO."""

    def __init__(self, **kwargs: Any) -> None:
        self.stream = io.StringIO()
        self.handle: LogHandle | None = setup_logging(stream=self.stream, **kwargs)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def lines(self) -> list[str]:
        """Flush the queue (stops the listener thread) and return what was written."""
        self.close()
        return self.stream.getvalue().splitlines()


@pytest.fixture
def pipeline() -> Iterator[type[LogRun]]:
    """Start pipelines with `pipeline(fmt=...)`; logging state is restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in ("bot", "plugins")}
    runs: list[LogRun] = []

    class Tracked(LogRun):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            runs.append(self)

    try:
        yield Tracked
    finally:
        for run in runs:
            run.close()
        logging.captureWarnings(False)
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


# --- TextFormatter -------------------------------------------------------------------------------


def test_text_record_has_level_logger_and_message() -> None:
    out = TextFormatter(timestamps=False).format(make_record("hi %s", "bob"))
    assert out == "INFO    bot.test: hi bob"


def test_text_starts_with_a_utc_timestamp_by_default() -> None:
    record = make_record()
    record.created = 0.0
    assert TextFormatter().format(record).startswith("1970-01-01T00:00:00 INFO")


def test_text_prints_extras_as_key_value_and_skips_empty_ones() -> None:
    record = make_record(city="Paris", days=3, event="", nothing=None)
    out = TextFormatter(timestamps=False).format(record)
    assert out == "INFO    bot.test: hello city=Paris days=3"


def test_text_message_stays_on_one_line_so_user_text_cannot_forge_a_log_line() -> None:
    out = TextFormatter().format(make_record("line one\nERROR fake: line two"))
    assert "\n" not in out and "line one\\nERROR fake: line two" in out


def test_text_traceback_follows_on_lines_of_its_own() -> None:
    out = TextFormatter().format(make_record("failed", exc=True))
    lines = out.splitlines()
    assert len(lines) > 2
    assert lines[0].endswith("failed")
    assert lines[-1] == "ValueError: boom"


# --- JsonFormatter -------------------------------------------------------------------------------


def test_json_record_is_one_parsable_line() -> None:
    record = make_record("hi %s", "bob", city="Paris", days=3)
    out = JsonFormatter().format(record)
    assert "\n" not in out
    doc = json.loads(out)
    assert doc["level"] == "INFO"
    assert doc["logger"] == "bot.test"
    assert doc["msg"] == "hi bob"
    assert doc["ts"] == pytest.approx(record.created, abs=0.001)
    assert doc["city"] == "Paris"
    assert doc["days"] == 3
    assert "exc" not in doc


def test_json_error_carries_the_traceback_on_the_same_line() -> None:
    out = JsonFormatter().format(make_record("failed", exc=True))
    assert "\n" not in out
    doc = json.loads(out)
    assert doc["level"] == "ERROR"
    assert "Traceback" in doc["exc"]
    assert doc["exc"].rstrip().endswith("ValueError: boom")


def test_json_extras_that_are_not_json_become_strings() -> None:
    doc = json.loads(JsonFormatter().format(make_record(where=object)))
    assert doc["where"] == str(object)


# --- redaction -----------------------------------------------------------------------------------


def test_text_formatter_redacts_registered_secrets() -> None:
    redact.add([SECRET])
    out = TextFormatter().format(make_record(f"token is {SECRET}", token=SECRET))
    assert SECRET not in out
    assert "token is ***" in out
    assert "token=***" in out


def test_json_formatter_redacts_registered_secrets() -> None:
    redact.add([SECRET])
    out = JsonFormatter().format(make_record("token is %s", SECRET, token=SECRET))
    assert SECRET not in out
    doc = json.loads(out)
    assert doc["msg"] == "token is ***"
    assert doc["token"] == "***"


def test_secrets_in_tracebacks_are_redacted() -> None:
    redact.add([SECRET])
    try:
        raise RuntimeError(f"login failed for {SECRET}")
    except RuntimeError:
        record = logging.LogRecord("bot", logging.ERROR, "", 0, "x", None, sys.exc_info())
    assert SECRET not in TextFormatter().format(record)
    assert SECRET not in JsonFormatter().format(record)


def test_short_values_are_not_redacted() -> None:
    redact.add(["abc12", "abc123"])
    out = TextFormatter(timestamps=False).format(make_record("abc12 abc123"))
    assert out.endswith("abc12 ***")


def test_text_without_secrets_is_unchanged() -> None:
    redact.add([SECRET])
    assert redact("nothing to hide") == "nothing to hide"


# --- setup_logging -------------------------------------------------------------------------------


def test_json_pipeline_writes_one_object_per_line(pipeline: type[LogRun]) -> None:
    run = pipeline(fmt="json")
    log = logging.getLogger("bot.x")
    log.info("hello %s", "world", extra={"user": "bob"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("it failed")
    docs = [json.loads(line) for line in run.lines()]
    assert [d["msg"] for d in docs] == ["hello world", "it failed"]
    assert docs[0]["logger"] == "bot.x"
    assert docs[0]["level"] == "INFO"
    assert docs[0]["user"] == "bob"
    assert "event" not in docs[0]  # no event being handled: no empty field
    assert docs[1]["level"] == "ERROR"
    assert "ValueError: boom" in docs[1]["exc"]


def test_pipeline_tags_records_with_the_event_id(pipeline: type[LogRun]) -> None:
    run = pipeline(fmt="json")
    token = event_id.set("abc")
    try:
        logging.getLogger("bot.x").info("handling")
    finally:
        event_id.reset(token)
    logging.getLogger("bot.x").info("idle")
    docs = [json.loads(line) for line in run.lines()]
    assert docs[0]["event"] == "abc"
    assert "event" not in docs[1]


def test_pipeline_respects_the_level(pipeline: type[LogRun]) -> None:
    run = pipeline(fmt="json", level="WARNING")
    logging.getLogger("bot.x").info("quiet")
    logging.getLogger("other.lib").warning("loud")
    assert [json.loads(line)["msg"] for line in run.lines()] == ["loud"]


def test_debug_mode_opens_bot_loggers_only(pipeline: type[LogRun]) -> None:
    run = pipeline(fmt="json", level="INFO", debug=True)
    logging.getLogger("bot.x").debug("ours")
    logging.getLogger("other.lib").debug("theirs")
    assert [json.loads(line)["msg"] for line in run.lines()] == ["ours"]


def test_text_pipeline_puts_a_traceback_on_the_lines_after_its_record(
    pipeline: type[LogRun],
) -> None:
    run = pipeline(fmt="text")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.x").exception("it failed")
    lines = run.lines()
    assert lines[0].endswith("bot.x: it failed")
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"


def test_pipeline_redacts_the_secrets_it_is_given(pipeline: type[LogRun]) -> None:
    run = pipeline(fmt="json", secrets=[SECRET])
    logging.getLogger("bot.x").warning("key=%s", SECRET)
    (line,) = run.lines()
    assert SECRET not in line
    assert json.loads(line)["msg"] == "key=***"


def test_setup_replaces_existing_root_handlers(pipeline: type[LogRun]) -> None:
    stray = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(stray)
    run = pipeline(fmt="json")
    assert stray not in logging.getLogger().handlers
    run.close()
