"""Where the web server listens, and what it accepts. ``PORT`` is the PaaS
convention for a web process; ``BOT_WEB_PORT`` wins when both are set."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import setting
from bot.errors import ConfigError

DEFAULT_PORT = 3000


@dataclass(frozen=True)
class WebSettings:
    """The runtime's web server: /healthz, /readyz, Slack HTTP mode, plugin webhooks.

    It runs when a port is set, or when something needs it (Slack HTTP mode, a
    plugin webhook), then on port 3000 unless told otherwise.
    """

    host: str = setting("BOT_HOST", "0.0.0.0", "Web server listen address")
    port: int | None = setting(
        "PORT", None, "Web server port (a PaaS sets it); 0 picks a free port", minimum=0
    )
    web_port: int | None = setting(
        "BOT_WEB_PORT", None, "Web server port, when PORT is meant for something else", minimum=0
    )
    max_body: int = setting(
        "BOT_WEB_MAX_BODY", 1 << 20, "Largest webhook request body in bytes (413 above)", minimum=1
    )

    def __post_init__(self) -> None:
        for variable, port in (("PORT", self.port), ("BOT_WEB_PORT", self.web_port)):
            if port is not None and port > 65535:
                raise ConfigError(variable, f"must be at most 65535, got {port}")
        if not self.host:
            raise ConfigError("BOT_HOST", "must not be empty")

    def listen_port(self, needed: bool) -> int | None:
        """The port to listen on: the one set, else 3000 when ``needed``, else None (no server)."""
        for port in (self.web_port, self.port):
            if port is not None:
                return port
        return DEFAULT_PORT if needed else None

    @property
    def port_variable(self) -> str:
        return "BOT_WEB_PORT" if self.web_port is not None else "PORT"
