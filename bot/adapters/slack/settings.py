"""The Slack adapter's settings, and which connection mode they select.

No slack import here: the cli reads these to decide whether Slack is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.config import Secret, setting
from bot.errors import ConfigError

Mode = Literal["socket", "http"]


@dataclass(frozen=True)
class SlackSettings:
    """``SLACK_*`` variables. A bot token enables the adapter; an app token or a
    signing secret chooses Socket Mode or HTTP mode."""

    bot_token: Secret | None = setting(
        "SLACK_BOT_TOKEN", None, "Bot token (xoxb-…); setting it enables the Slack adapter"
    )
    app_token: Secret | None = setting(
        "SLACK_APP_TOKEN", None, "App-level token (xapp-…) for Socket Mode: no public URL needed"
    )
    signing_secret: Secret | None = setting(
        "SLACK_SIGNING_SECRET", None, "Signing secret for HTTP mode (requests to /slack/events)"
    )
    mode: Literal["auto", "socket", "http"] = setting(
        "SLACK_MODE", "auto", "socket, http, or auto: Socket Mode when SLACK_APP_TOKEN is set"
    )
    api_url: str = setting(
        "SLACK_API_URL", "https://slack.com/api/", "Web API base URL (a proxy, or a test server)"
    )
    always_thread: bool = setting(
        "SLACK_ALWAYS_THREAD", False, "Answer every message in a thread, not only threaded ones"
    )

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ConfigError("SLACK_API_URL", f"must be an http(s) URL, got {self.api_url!r}")

    @property
    def base_url(self) -> str:
        """The API URL with the trailing slash slack_sdk joins method names onto."""
        return self.api_url if self.api_url.endswith("/") else self.api_url + "/"

    def token(self) -> str:
        """The revealed bot token, checked to be one."""
        if not self.bot_token:
            raise ConfigError("SLACK_BOT_TOKEN", "is required for the Slack adapter")
        value = self.bot_token.reveal()
        if not value.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN", "must be a bot token, starting with xoxb-")
        return value

    def connection_mode(self) -> Mode:
        """Socket Mode or HTTP mode, with the credential that mode needs present and well-formed."""
        if self.app_token and not self.app_token.reveal().startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN", "must be an app-level token, starting with xapp-")
        mode = self.mode
        if mode == "auto":
            if not self.app_token and not self.signing_secret:
                raise ConfigError(
                    "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET",
                    "set one: SLACK_APP_TOKEN for Socket Mode, SLACK_SIGNING_SECRET for HTTP mode",
                )
            mode = "socket" if self.app_token else "http"
        if mode == "socket" and not self.app_token:
            raise ConfigError("SLACK_APP_TOKEN", "is required for Socket Mode (SLACK_MODE=socket)")
        if mode == "http" and not self.signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET", "is required for HTTP mode")
        return mode

    def secrets(self) -> list[str]:
        """Every revealed secret, for log redaction."""
        found = (self.bot_token, self.app_token, self.signing_secret)
        return [s.reveal() for s in found if s]
