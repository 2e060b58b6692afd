"""The Discord adapter's settings, and what can be known from the token alone.

No ``discord`` import here: the cli reads these to decide whether Discord is
configured and to print the invite URL.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Secret, read_settings, setting
from bot.errors import ConfigError

# A bot token is three dot-separated base64url parts; the first is the bot user's id
# (which is also the application id) in base64 (discord.py `Client.login` docs; Discord
# developer docs, "Authorization header").
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class DiscordSettings:
    """Everything the Discord adapter reads from the environment."""

    # setting() returns a dataclasses.field, which RUF009 cannot see.
    token: Secret | None = setting(
        "DISCORD_TOKEN", None, "Bot token from the developer portal (Bot → Reset Token)"
    )
    dev_guild: str = setting(
        "DISCORD_DEV_GUILD",
        "",
        "Guild (server) id to register slash commands to, instantly; empty: globally",
    )
    application_id: str = setting(
        "DISCORD_APPLICATION_ID", "", "Application id; empty: read from the token"
    )
    api_base: str = setting(
        "DISCORD_API_BASE",
        "https://discord.com/api/v10",
        "REST base URL (an API proxy's, or a test server's)",
    )
    gateway_url: str = setting(
        "DISCORD_GATEWAY_URL",
        "wss://gateway.discord.gg/",
        "Gateway websocket URL (set it together with DISCORD_API_BASE)",
    )
    shard_count: int | None = setting(
        "DISCORD_SHARD_COUNT", None, "Total number of shards; empty: no sharding"
    )
    shard_ids: str = setting(
        "DISCORD_SHARD_IDS", "", "Comma list of the shards this process runs; empty: all"
    )
    members_intent: bool = setting(
        "DISCORD_MEMBERS_INTENT",
        False,
        "Ask for the privileged Server Members intent (member_joined events)",
    )

    def __post_init__(self) -> None:
        if self.token:
            application_id_from(self.token)  # raises ConfigError when malformed
        if self.dev_guild and not self.dev_guild.isdigit():
            raise ConfigError("DISCORD_DEV_GUILD", f"must be a numeric id, got {self.dev_guild!r}")
        if self.application_id and not self.application_id.isdigit():
            raise ConfigError(
                "DISCORD_APPLICATION_ID", f"must be a numeric id, got {self.application_id!r}"
            )
        for variable, url, schemes in (
            ("DISCORD_API_BASE", self.api_base, ("http://", "https://")),
            ("DISCORD_GATEWAY_URL", self.gateway_url, ("ws://", "wss://")),
        ):
            if not url.startswith(schemes):
                wanted = " or ".join(schemes)
                raise ConfigError(variable, f"must start with {wanted}, got {url!r}")
        if self.shard_count is not None and self.shard_count < 1:
            raise ConfigError("DISCORD_SHARD_COUNT", f"must be at least 1, got {self.shard_count}")
        self.shards()  # validates DISCORD_SHARD_IDS against DISCORD_SHARD_COUNT

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DiscordSettings:
        return read_settings(cls, environ)

    def require_token(self) -> Secret:
        """The token, or the one-line error an operator needs."""
        if not self.token:
            raise ConfigError("DISCORD_TOKEN", "is required for the discord adapter but not set")
        return self.token

    def app_id(self) -> str:
        """DISCORD_APPLICATION_ID, else the id encoded in the token."""
        if self.application_id:
            return self.application_id
        return application_id_from(self.require_token())

    def shards(self) -> tuple[int | None, list[int] | None]:
        """(shard count, shard ids) for AutoShardedClient; (None, None): no sharding."""
        if not self.shard_ids.strip():
            return self.shard_count, None
        try:
            ids = sorted({int(part) for part in self.shard_ids.split(",") if part.strip()})
        except ValueError:
            raise ConfigError(
                "DISCORD_SHARD_IDS", f"must be a comma list of numbers, got {self.shard_ids!r}"
            ) from None
        if self.shard_count is None:
            raise ConfigError("DISCORD_SHARD_IDS", "needs DISCORD_SHARD_COUNT as well")
        bad = [i for i in ids if not 0 <= i < self.shard_count]
        if bad:
            raise ConfigError(
                "DISCORD_SHARD_IDS", f"shard {bad[0]} is outside 0..{self.shard_count - 1}"
            )
        return self.shard_count, ids


def application_id_from(token: Secret) -> str:
    """The bot's user id (= application id) from the token's first part; ConfigError if malformed.

    The message never includes the token itself.
    """
    raw = token.reveal()
    if not _TOKEN.match(raw):
        raise ConfigError("DISCORD_TOKEN", "is malformed: a bot token is three dot-separated parts")
    head = raw.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if not decoded.isdigit():
        raise ConfigError("DISCORD_TOKEN", "is malformed: its first part is not a base64 user id")
    return decoded
