"""Getting discord.py's client connected, and keeping it so: the client built for
our intents and shards, the REST login and the gateway, each tried again through
a network blip (a deploy during one must not crash-loop), a rejected token never.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
import yarl

from bot.adapters.discord.respond import mentions_of
from bot.adapters.discord.settings import DiscordSettings
from bot.errors import AdapterError, ConfigError
from bot.http.backoff import until_reached
from bot.model import Reply

log = logging.getLogger("bot.adapters.discord")

LOGIN_TIMEOUT = 30.0


def intents_for(settings: DiscordSettings) -> discord.Intents:
    """What the features need: messages and their content, guilds, DMs, reactions;
    the privileged members intent only when asked for."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True  # privileged: enable "Message Content" in the portal
    intents.guild_reactions = True
    intents.dm_reactions = True
    intents.members = settings.members_intent
    return intents


def apply_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at DISCORD_API_BASE and DISCORD_GATEWAY_URL.

    Both are class attributes, so this is process-wide: one Discord per process.
    A plain client connects to DEFAULT_GATEWAY without asking /gateway/bot, so the
    gateway must be set as well as the REST base (PLATFORMS.md).
    """
    discord.http.Route.BASE = settings.api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


class _GatewayUnreachable(AdapterError):
    """The first gateway connection failed (network, DNS): worth trying again."""


# What a login attempt may meet that is worth trying again.
_UNREACHABLE = (aiohttp.ClientConnectionError, AdapterError, discord.DiscordServerError)


async def _drop_session(client: discord.Client) -> None:
    """Close the HTTP session a failed login opened; the next login opens a fresh one
    (with a fresh connector: closing the session closed the old one)."""
    await client.http.close()
    client.http.connector = discord.utils.MISSING


def _cancel_ready_delay(client: discord.Client) -> None:
    """Cancel discord.py's pending "ready" countdown before the client closes.

    discord.py 2.7 does not cancel it on close: it would fire after the close and
    schedule the ready event on a loop the client has dropped (an AttributeError
    and a never-awaited coroutine). A private attribute, so looked up defensively.
    """
    task = getattr(getattr(client, "_connection", None), "_ready_task", None)
    if isinstance(task, asyncio.Task):
        task.cancel()


def build_client(settings: DiscordSettings, ready_timeout: float) -> discord.Client:
    """The client for our intents (sharded when the settings say so); ``ready_timeout``
    is discord.py's wait for the last GUILD_CREATE before it reports ready."""
    # A chat bot uses no voice: silence discord.py's warnings about voice libraries.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    options: dict[str, Any] = {
        "intents": intents_for(settings),
        "allowed_mentions": mentions_of(Reply()),  # safe default for every send
        "chunk_guilds_at_startup": False,  # the member list is not needed, and big
        "guild_ready_timeout": ready_timeout,
    }
    count, ids = settings.shards()
    if count is not None:
        if ids is not None:
            options["shard_ids"] = ids
        return discord.AutoShardedClient(shard_count=count, **options)
    return discord.Client(**options)


async def login(
    client: discord.Client, settings: DiscordSettings, token: str, retry_first: float
) -> None:
    """Log in over REST, trying again while Discord cannot be reached."""
    await until_reached(
        lambda: _login_once(client, settings, token),
        what=f"discord: logging in at {settings.api_base}",
        transient=_UNREACHABLE,
        log=log,
        first=retry_first,
    )


async def _login_once(client: discord.Client, settings: DiscordSettings, token: str) -> None:
    try:
        async with asyncio.timeout(LOGIN_TIMEOUT):
            await client.login(token)
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN", "rejected by Discord (401 Unauthorized)") from None
    except TimeoutError:
        await _drop_session(client)
        raise AdapterError(
            f"no answer from {settings.api_base} within {LOGIN_TIMEOUT:g} s"
        ) from None
    except _UNREACHABLE:
        await _drop_session(client)
        raise


async def serve(client: discord.Client, settings: DiscordSettings, retry_first: float) -> None:
    """Serve the gateway until the client closes or we are cancelled; a refused
    privileged intent is a ConfigError naming the setting to change."""
    try:
        await until_reached(
            lambda: _first_connect(client),
            what=f"discord: gateway at {settings.gateway_url}",
            transient=(_GatewayUnreachable,),
            log=log,
            first=retry_first,
        )
    except discord.PrivilegedIntentsRequired:
        variable = "DISCORD_MEMBERS_INTENT" if settings.members_intent else "DISCORD_TOKEN"
        raise ConfigError(
            variable,
            "Discord refused privileged intents: enable Message Content"
            + (" and Server Members" if settings.members_intent else "")
            + " for the bot in the developer portal",
        ) from None
    except discord.ConnectionClosed as exc:
        raise AdapterError(f"Discord closed the gateway connection (code {exc.code})") from exc
    finally:
        _cancel_ready_delay(client)


async def _first_connect(client: discord.Client) -> None:
    """Serve the gateway; a first connection that fails is tried again by us.

    discord.py reconnects on its own once a session has run, but when the very
    first connection fails it trips over the websocket it never had (an
    AttributeError reading its ``sequence``) and gives up.
    """
    try:
        await _connect(client)
    except AttributeError as exc:
        if getattr(client, "ws", None) is not None or client.is_closed():
            raise
        raise _GatewayUnreachable("the first gateway connection failed") from exc


async def _connect(client: discord.Client) -> None:
    """Serve the gateway until the client closes or we are cancelled.

    discord.py awaits its handshake with ``asyncio.wait_for``, which on Python
    3.11 can swallow a cancel that lands as the handshake finishes, leaving the
    connection polling forever. So the connection runs as its own task, shielded
    from our cancel, and is cancelled until the cancel takes.
    """
    connection = asyncio.ensure_future(client.connect(reconnect=True))
    try:
        await asyncio.shield(connection)
    except asyncio.CancelledError:
        for _ in range(20):
            connection.cancel()
            done, _ = await asyncio.wait({connection}, timeout=0.5)
            if done:
                break
        if connection.done() and not connection.cancelled():
            connection.exception()  # retrieved: a late error while stopping is moot
        raise
