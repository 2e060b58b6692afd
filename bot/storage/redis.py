"""The shared store: Redis (or anything speaking its protocol), through redis-py's
asyncio client, for several processes that must answer once (``botloop[redis]``).

``STORAGE_URL=redis://host:6379/0`` (``rediss://`` for TLS). Every key is
``<prefix>:<namespace>:<key>``, the prefix being the bot's name, so bots can share
one Redis. TTLs are Redis's own (its clock, not ours); the primitives are single
commands or Lua scripts, atomic for every process on the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from bot.errors import ConfigError, StoreUnavailable
from bot.storage.base import Clock, check_call, decode, encode, expiry

try:
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError, ResponseError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # the extra is not installed: open_url says so
    aioredis = None  # type: ignore[assignment]

TIMEOUT = 5.0  # seconds per command: an outage answers a clear error, not a hang

# INCRBY, and the TTL only on the key's creation (the count's window starts there).
_INCR = """
local existed = redis.call('EXISTS', KEYS[1])
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return total
"""
# Delete only while the key still holds the caller's value (a lock's token).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisSubscription:
    """Messages on one channel, as :class:`~bot.storage.broker.Subscription` gives them."""

    def __init__(self, pubsub: Any, channel: str) -> None:
        self.channel = channel
        self._pubsub = pubsub

    async def get(self) -> Any:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message.get("type") == "message":
                return json.loads(message["data"])

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[Any]:
        while True:
            yield await self.get()


class RedisStore:
    """The Store protocol on one Redis database; every process sharing it sees one state."""

    shared = True  # every process that runs the bot shares it

    def __init__(self, client: Any, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._closed = False
        self._incr = client.register_script(_INCR)
        self._release = client.register_script(_RELEASE)

    def _key(self, namespace: str, key: str) -> str:
        check_call(self._closed, namespace, key)
        return f"{self._prefix}:{namespace}:{key}"

    async def get(self, namespace: str, key: str, default: Any = None) -> Any:
        text = await self._call(self._redis.get(self._key(namespace, key)))
        return default if text is None else decode(text)

    async def set(self, namespace: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        name, text = self._key(namespace, key), encode(key, value)
        milliseconds = _ms(ttl)
        await self._call(self._redis.set(name, text, px=milliseconds))

    async def delete(self, namespace: str, key: str) -> bool:
        return bool(await self._call(self._redis.delete(self._key(namespace, key))))

    async def keys(self, namespace: str, prefix: str = "") -> list[str]:
        head = self._key(namespace, "")
        pattern = _glob_escape(head + prefix) + "*"
        return sorted(k[len(head) :] for k in await self._call(self._scan(pattern)))

    async def _scan(self, pattern: str) -> list[str]:
        return [k async for k in self._redis.scan_iter(match=pattern, count=500)]

    async def incr(self, namespace: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        if type(by) is not int:
            raise TypeError(f"store incr takes a whole number, not {type(by).__name__}")
        name, milliseconds = self._key(namespace, key), _ms(ttl)
        try:
            total = await self._call(self._incr(keys=[name], args=[by, milliseconds or ""]))
        except ResponseError:  # INCRBY on a value that is not a whole number
            raise TypeError(f"store key {key!r} does not hold a count") from None
        return int(total)

    async def claim(self, namespace: str, key: str, value: Any = True, *, ttl: float) -> bool:
        name, text = self._key(namespace, key), encode(key, value)
        return bool(await self._call(self._redis.set(name, text, px=_ms(ttl), nx=True)))

    async def release(self, namespace: str, key: str, value: Any) -> bool:
        name, text = self._key(namespace, key), encode(key, value)
        return bool(await self._call(self._release(keys=[name], args=[text])))

    async def publish(self, channel: str, data: Any) -> int:
        name = self._key(channel, "")
        return int(await self._call(self._redis.publish(name, json.dumps(data, allow_nan=False))))

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[RedisSubscription]:
        return self._subscribe(self._key(channel, ""))

    @asynccontextmanager
    async def _subscribe(self, name: str) -> AsyncIterator[RedisSubscription]:
        pubsub = self._redis.pubsub()
        try:
            await self._call(pubsub.subscribe(name))
            yield RedisSubscription(pubsub, name)
        finally:
            await pubsub.aclose()

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._redis.aclose()

    async def _call(self, pending: Any) -> Any:
        """Await one command; an outage is :class:`StoreUnavailable`, fit for the user."""
        try:
            return await pending
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(
                "The bot's store is unreachable right now; try again soon."
            ) from exc

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r})"


def _ms(ttl: float | None) -> int | None:
    """``ttl`` seconds as Redis's milliseconds (validated as the other stores do)."""
    if ttl is None:
        return None
    expiry(ttl, 0.0)  # the same TypeError / ValueError as the other stores
    return max(1, round(ttl * 1000))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


async def open_url(
    url: str, *, variable: str, clock: Clock = time.time, name: str = "botloop"
) -> RedisStore:
    """The ``redis`` and ``rediss`` entry points; a server that does not answer at
    start-up is a ConfigError naming ``variable``. ``clock`` is unused: Redis keeps time."""
    if aioredis is None:
        raise ConfigError(variable, "redis:// needs the redis extra: pip install 'botloop[redis]'")
    try:
        client = aioredis.from_url(  # type: ignore[no-untyped-call]
            url, decode_responses=True, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
            health_check_interval=30,
        )  # fmt: skip
    except ValueError as exc:
        raise ConfigError(variable, f"not a Redis URL: {exc}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        raise ConfigError(variable, f"cannot reach Redis: {exc}") from None
    return RedisStore(client, name)
