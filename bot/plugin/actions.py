"""Component ids: what a button carries so that a click finds its handler after a restart.

``botloop:<plugin>:<action>:<value>``: the plugin and action name the route, the
value is the handler's argument. A value that would push the id past the
platforms' limit (Discord's 100 characters) is kept in the store under a short
random key for :data:`VALUE_TTL`, and the id carries ``~<key>`` instead. Waiters
(``ctx.choose``, ``ctx.form``) use the plugin part ``~``, which no plugin name
can be, and a token of their own.
"""

from __future__ import annotations

import dataclasses
import secrets

from bot.errors import PluginError, UserError
from bot.model import ID_MAX, Button, Reply, Rows, Select
from bot.storage import Store

PREFIX = "botloop"
WAITER = "~"  # the plugin part of a waiter's ids
STORED = "~"  # a value that starts with it is a store key
VALUES = "\x00values"  # the store namespace of values too long for an id
VALUE_TTL = 30 * 24 * 3600.0  # seconds a long value is kept: buttons outlive restarts
EXPIRED = "This button has expired."


def encode(plugin: str, action: str, value: str = "") -> str:
    return f"{PREFIX}:{plugin}:{action}:{value}"


def decode(ident: str) -> tuple[str, str, str] | None:
    """(plugin, action, value) of a botloop id; None for anything else."""
    parts = ident.split(":", 3)
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2], parts[3]


def token() -> str:
    """A fresh id for one waiter or one stored value (72 random bits, 12 characters)."""
    return secrets.token_urlsafe(9)


async def bind(reply: Reply, plugin: str, store: Store | None) -> Reply:
    """``reply`` with every component's id set for ``plugin``."""
    rows: list[tuple[Button | Select, ...]] = []
    for row in reply.components:
        bound: list[Button | Select] = []
        for comp in row:
            if comp.id or (isinstance(comp, Button) and comp.url):
                bound.append(comp)
                continue
            value = comp.value if isinstance(comp, Button) else ""
            ident = await _ident(plugin, comp.action, value, store)
            bound.append(dataclasses.replace(comp, id=ident))
        rows.append(tuple(bound))
    new: Rows = tuple(rows)
    return dataclasses.replace(reply, components=new)


async def _ident(plugin: str, action: str, value: str, store: Store | None) -> str:
    ident = encode(plugin, action, value)
    if len(ident) <= ID_MAX and not value.startswith(STORED):
        return ident
    if store is None:
        raise PluginError(f"a button value of {len(value)} characters needs a store to be kept in")
    key = token()
    await store.set(VALUES, key, value, ttl=VALUE_TTL)
    ident = encode(plugin, action, STORED + key)
    if len(ident) > ID_MAX:
        raise PluginError(f"action {plugin}:{action}: the plugin and action names are too long")
    return ident


async def value_of(value: str, store: Store | None) -> str:
    """The value an id carried: itself, or what the store kept for it. A value the
    store no longer has (its TTL ran out) is an expired button, told to the user."""
    if not value.startswith(STORED):
        return value
    kept = await store.get(VALUES, value[len(STORED) :]) if store is not None else None
    if not isinstance(kept, str):
        raise UserError(EXPIRED)
    return kept
