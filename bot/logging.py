"""Log records fit for a PaaS log stream: one line each, tagged, secrets scrubbed.

Records are handed to a queue and written by a listener thread, so a slow log
pipe never blocks the event loop. Each record carries the id of the event being
handled (a context variable set by the dispatcher), so one command's lines can
be followed through the stream.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import logging.handlers
import queue
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

event_id: contextvars.ContextVar[str] = contextvars.ContextVar("event_id", default="")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class _Redactor:
    """Replaces every registered secret value with ``***`` in formatted output."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        # Very short values would redact innocent text; real tokens are long.
        self._secrets.update(v for v in values if len(v) >= 6)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


redact = _Redactor()


def plural(count: int, noun: str) -> str:
    """``1 plugin``, ``3 plugins``: counts in log lines and messages."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message key=value …``, one line per record.

    The message is one line (newlines in it are escaped, so text a user typed can
    never forge a log line); a traceback follows on lines of its own, as people and
    log viewers read them (JSON keeps it in one field).
    """

    def __init__(self, *, timestamps: bool = True) -> None:
        super().__init__()
        self.timestamps = timestamps

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if self.timestamps:
            parts.append(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)))
        parts += [f"{record.levelname:<7}", f"{record.name}:", record.getMessage()]
        parts += [f"{k}={v}" for k, v in _extras(record).items() if v not in ("", None)]
        text = " ".join(parts).replace("\n", "\\n")
        exc = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
        if exc:
            text += "\n" + exc
        return redact(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the extras and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            k: v for k, v in _extras(record).items() if v not in ("", None)
        }  # the standard fields below win over extras of the same name
        doc |= {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        exc = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
        if exc:
            doc["exc"] = exc
        # Redact before encoding: JSON escaping could otherwise split a secret.
        safe = {k: redact(v) if isinstance(v, str) else v for k, v in doc.items()}
        return redact(json.dumps(safe, default=str, ensure_ascii=False))


class _QueueHandler(logging.handlers.QueueHandler):
    """Freezes a record in the logging thread: message, traceback text and event id."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record = copy.copy(record)
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if not hasattr(record, "event"):
            record.event = event_id.get()
        return record


class LogHandle:
    """The running log pipeline; :meth:`close` flushes what is queued."""

    def __init__(self, listener: logging.handlers.QueueListener, handler: logging.Handler) -> None:
        self._listener = listener
        self._handler = handler
        self._closed = False

    def close(self) -> None:
        """Detach from logging first (nothing new is queued), then drain the queue. Idempotent."""
        if self._closed:
            return
        self._closed = True
        logging.getLogger().removeHandler(self._handler)
        self._listener.stop()
        logging.captureWarnings(False)


def setup_logging(
    *,
    debug: bool = False,
    level: str = "INFO",
    fmt: str = "text",
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> LogHandle:
    """Route all logging through a queue to ``stream`` (stderr) in the chosen format.

    Debug mode puts botloop's own loggers at DEBUG; other libraries stay at ``level``.
    """
    stream = stream or sys.stderr
    redact.add(secrets)
    out = logging.StreamHandler(stream)
    if fmt == "json":
        out.setFormatter(JsonFormatter())
    else:
        out.setFormatter(TextFormatter(timestamps=True))
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = _QueueHandler(q)
    listener = logging.handlers.QueueListener(q, out, respect_handler_level=False)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("bot").setLevel(logging.DEBUG if debug else logging.NOTSET)
    logging.getLogger("plugins").setLevel(logging.DEBUG if debug else logging.NOTSET)
    logging.captureWarnings(True)
    listener.start()
    return LogHandle(listener, handler)
