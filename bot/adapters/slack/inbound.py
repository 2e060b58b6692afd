"""Every request Slack sends, to at most one neutral event in the sink. No slack import.

Slack redelivers what it thinks went unanswered: Events API retries carry
``X-Slack-Retry-Num`` (up to 3 times: at once, after 1 min, after 5 min) and the
same ``event_id``; Socket Mode redelivers with ``retry_attempt``. Each delivery
is recognised by its id and handled once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from bot.adapters.slack.convert import (
    convert_block_action,
    convert_command,
    convert_event,
    convert_view_submission,
    view_errors,
)
from bot.model import Event, Sink

log = logging.getLogger("bot.adapters.slack")


class Seen:
    """The last ``size`` delivery ids, oldest forgotten first."""

    def __init__(self, size: int = 2048) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` is offered (and remember it); False after."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


class Inbound:
    """Converts request bodies and pushes the events; ``me`` is the bot's user id."""

    def __init__(self, sink: Sink, me: str) -> None:
        self._sink = sink
        self._me = me
        self._seen = Seen()

    def handle(
        self, body: Mapping[str, Any], headers: Mapping[str, Sequence[str]]
    ) -> dict[str, Any] | None:
        """One delivery: an ``event_callback``, a slash command, a click or a form
        submission; the rest is ignored. The body of the ack, when it has one (a
        form whose fields do not fit gets its errors shown in the modal)."""
        if body.get("type") == "view_submission":
            errors = view_errors(body)
            if errors:
                return {"response_action": "errors", "errors": errors}
        event, key = self._convert(body)
        if event is None:
            return None
        if key and not self._seen.first_time(key):
            retry = (headers.get("x-slack-retry-num") or ["0"])[0]
            log.info("slack: ignored a repeated delivery of %s (retry %s)", key, retry)
            return None
        self._sink(event)
        return None

    def _convert(self, body: Mapping[str, Any]) -> tuple[Event | None, str]:
        kind = body.get("type")
        if kind == "event_callback":
            return convert_event(body, self._me), str(body.get("event_id") or "")
        if kind == "block_actions":
            action = convert_block_action(body)
            return action, action.key if action else ""
        if kind == "view_submission":
            action = convert_view_submission(body)
            return action, action.key
        if "command" in body and "trigger_id" in body:
            # A slash command: trigger_id is unique to one invocation.
            return convert_command(body), str(body["trigger_id"])
        return None, ""
