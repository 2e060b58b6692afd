"""The one exception tree of botloop.

    BotError                      root: catch this to catch anything botloop raises
    ├── UserError                 the user asked for something we can't do; shown to them as is
    │   ├── UsageError            arguments did not fit the command's signature
    │   ├── LockTaken             ctx.store.lock(...) waited in vain: someone else holds it
    │   ├── StoreUnavailable      the shared store (Redis) did not answer; try again later
    │   └── FetchError            an outside API failed (ctx.fetch_json); says which, and how
    │       └── FetchTimeout      ... by not answering in time (also a TimeoutError)
    └── OperationalError          the bot or its setup is at fault; logged, never shown raw
        ├── ConfigError           a setting is missing or invalid (startup stops, exit 2)
        ├── PluginError           a plugin is malformed or failed to load
        └── AdapterError          a platform connection failed

User errors carry text fit for chat; operational errors carry text fit for a log.
"""

from __future__ import annotations


class BotError(Exception):
    """Root of every exception botloop raises on purpose."""


class UserError(BotError):
    """Raised by a handler (or the framework) to answer the user with ``str(self)``.

    The error boundary replies with the message and logs nothing above DEBUG:
    it is a normal answer, not a failure.
    """


class UsageError(UserError):
    """The message's arguments do not fit the command; the reply adds the usage line."""


class LockTaken(UserError):
    """``ctx.store.lock(key, ttl=..., wait=...)`` did not get the lock within ``wait``.

    Uncaught, the user is told the thing is busy; a handler may catch it instead.
    """


class StoreUnavailable(UserError):
    """The store could not be reached (a Redis outage): the handler that used it
    stops with this answer, the bot keeps answering what needs no store, and the
    client reconnects on its own when the server is back."""


class FetchError(UserError):
    """A lookup through ``ctx.fetch_json`` failed for good (after any retries).

    ``str()`` is fit for chat and never holds the URL's query (it may carry a key):
    "Open-Meteo answered 503 (service unavailable)". ``status`` is the HTTP status,
    or None when no answer came; ``retry_after`` is how many seconds the API asked
    us to wait, when it said. Uncaught, the user gets the message as the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.retry_after = retry_after


class FetchTimeout(FetchError, TimeoutError):
    """The API did not answer in time. A TimeoutError too, so ``Result.timed_out`` holds."""


class OperationalError(BotError):
    """Something is wrong with the bot's setup or environment, not with the user's input."""


class ConfigError(OperationalError):
    """A setting is missing or invalid. ``str()`` is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class PluginError(OperationalError):
    """A plugin is malformed (bad signature, duplicate command) or failed to import."""


class AdapterError(OperationalError):
    """A platform adapter could not connect or lost its connection for good."""
