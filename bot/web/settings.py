"""Where the web server listens. ``PORT`` is the PaaS convention for a web process."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import setting
from bot.errors import ConfigError


@dataclass(frozen=True)
class WebSettings:
    """Listen address of the web server (used by Slack HTTP mode)."""

    host: str = setting("BOT_HOST", "0.0.0.0", "Web server listen address (Slack HTTP mode)")
    port: int = setting(
        "PORT", 3000, "Web server port; a PaaS sets it; 0 picks a free port", minimum=0
    )

    def __post_init__(self) -> None:
        if self.port > 65535:
            raise ConfigError("PORT", f"must be at most 65535, got {self.port}")
        if not self.host:
            raise ConfigError("BOT_HOST", "must not be empty")
