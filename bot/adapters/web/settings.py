"""The web chat's settings, and the rule that keeps it private by default."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from bot.config import Secret, setting, split_list
from bot.errors import ConfigError

LOOPBACK_HOST = "127.0.0.1"


@dataclass(frozen=True)
class WebChatSettings:
    """``BOT_WEB_CHAT_*`` variables. The chat listens where the runtime's web server
    does (``BOT_HOST``, 127.0.0.1 when the web chat runs and it is not set); on any
    other address a token is required."""

    token: Secret | None = setting(
        "BOT_WEB_CHAT_TOKEN", None, "Required to open the chat when it listens beyond loopback"
    )
    origins: str = setting(
        "BOT_WEB_CHAT_ORIGINS", "", "Comma list of sites that may embed the chat (https://…)"
    )
    max_message: int = setting(
        "BOT_WEB_CHAT_MAX_MESSAGE",
        4000,
        "Longest message a user may send, in characters",
        minimum=1,
    )
    rate: float = setting(
        "BOT_WEB_CHAT_RATE", 60.0, "Messages a second one connection may send (burst: as many)",
        minimum=1,
    )  # fmt: skip
    host: str = setting("BOT_HOST", LOOPBACK_HOST, "Web server listen address")

    def __post_init__(self) -> None:
        for origin in self.allowed_origins:
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise ConfigError(
                    "BOT_WEB_CHAT_ORIGINS",
                    f"expected origins like https://example.com, got {origin!r}",
                )
        if self.token and len(self.token.reveal()) < 16:
            raise ConfigError("BOT_WEB_CHAT_TOKEN", "must be at least 16 characters")

    def check_private(self) -> None:
        """The rule that keeps the chat private: beyond loopback, a token or no start."""
        if not self.on_loopback and not self.token:
            beyond = f"the web chat would listen on {self.host} (BOT_HOST), beyond this machine"
            raise ConfigError("BOT_WEB_CHAT_TOKEN", f"is required: {beyond}")

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return tuple(o.rstrip("/") for o in split_list(self.origins))

    @property
    def on_loopback(self) -> bool:
        """Whether the address is this machine's alone (127.0.0.1, ::1, localhost)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False
