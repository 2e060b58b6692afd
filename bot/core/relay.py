"""Conversations across processes: an answer that reaches the wrong one is passed on.

With several processes on one shared store, the message that answers a
``ctx.ask``, or the click that answers a ``ctx.choose`` or submits a
``ctx.form``, may arrive at a process other than the one whose handler waits.
Each process tells the others (publish/subscribe on the store) when one of its
handlers starts and stops waiting, and for whom; the others keep that in a
dict, so checking a message costs a dict lookup, never a store call. A process
that receives an answer for someone else's handler does not dispatch it: it
publishes it, and the waiting process takes it as if it had come in itself.

Two limits, stated: an answer that arrives within milliseconds of the question,
before the others have heard of it, is handled as an ordinary message; and a
form answered in another process is checked there only by the platform's own
limits (the waiting process checks it again and keeps waiting if it does not fit).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from bot.errors import StoreUnavailable
from bot.model import Action, ChannelRef, Message, MessageRef, User
from bot.plugin.conversation import AskKey, Conversations, Waiter
from bot.storage import Store

log = logging.getLogger("bot.dispatch")

CHANNEL = "\x00conversations"


class Relay:
    """This process's end of the conversation channel: tells, listens and passes on."""

    def __init__(self, store: Store, conversations: Conversations) -> None:
        self._store = store
        self._conv = conversations
        self._me = secrets.token_hex(6)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listening = asyncio.Event()
        conversations.relay = self

    # --- What this process tells the others --------------------------------------------------

    def started(self, waiter: Waiter, timeout: float) -> None:
        self._tell({"op": "wait", "key": _wire_key(waiter.key), "user": waiter.user,
                    "until": time.time() + timeout})  # fmt: skip

    def ended(self, waiter: Waiter) -> None:
        self._tell({"op": "done", "key": _wire_key(waiter.key)})

    def pass_message(self, key: AskKey, msg: Message) -> None:
        self._tell({"op": "answer", "key": list(key), "message": _message(msg)})

    def pass_action(self, token: str, action: Action) -> None:
        self._tell({"op": "answer", "key": token, "action": _action(action)})

    def _tell(self, data: dict[str, Any]) -> None:
        data["from"] = self._me
        task = asyncio.get_running_loop().create_task(self._publish(data), name="relay")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, data: dict[str, Any]) -> None:
        try:
            async with asyncio.timeout(5):
                await self._store.publish(CHANNEL, data)
        except (StoreUnavailable, TimeoutError) as exc:
            log.warning("could not tell the other processes about a conversation: %s", exc)

    # --- What it hears --------------------------------------------------------------------------

    async def run(self) -> None:
        """Listen until cancelled; a lost subscription is opened again."""
        while True:
            try:
                async with self._store.subscribe(CHANNEL) as messages:
                    self._listening.set()
                    async for data in messages:
                        self._heard(data)
            except StoreUnavailable as exc:
                self._listening.clear()
                log.warning("conversation relay lost the store (%s); retrying in 1 s", exc)
                await asyncio.sleep(1)

    async def listening(self) -> None:
        """Wait until the subscription is open (tests, and the runtime's start)."""
        await self._listening.wait()

    def _heard(self, data: dict[str, Any]) -> None:
        if data.get("from") == self._me:
            return
        try:
            op, key = data["op"], _local_key(data["key"])
            if op == "wait":
                self._conv.remote_wait(key, str(data["user"]), float(data["until"]))
            elif op == "done":
                self._conv.remote_done(key)
            elif op == "answer" and isinstance(key, tuple):
                self._conv.take_message(_unmessage(data["message"]), relayed=True)
            elif op == "answer":
                self._conv.take_action(_unaction(data["action"]), str(key), relayed=True)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("conversation relay: ignored a malformed message (%r)", exc)

    async def close(self) -> None:
        for task in list(self._tasks):
            if not task.done():
                await asyncio.wait({task}, timeout=2)  # a last "done" is worth sending
        self._conv.relay = None


def _wire_key(key: AskKey | str) -> list[Any] | str:
    return list(key) if isinstance(key, tuple) else key


def _local_key(key: Any) -> AskKey | str:
    if isinstance(key, list):
        platform, channel, thread, user = key
        return (str(platform), str(channel), None if thread is None else str(thread), str(user))
    return str(key)


def _channel(ref: ChannelRef) -> list[Any]:
    return [ref.platform, ref.id, ref.thread]


def _unchannel(data: list[Any]) -> ChannelRef:
    return ChannelRef(str(data[0]), str(data[1]), None if data[2] is None else str(data[2]))


def _user(user: User) -> list[Any]:
    return [user.id, user.name, user.is_bot]


def _message(msg: Message) -> dict[str, Any]:
    return {"platform": msg.platform, "channel": _channel(msg.channel),
            "author": _user(msg.author), "text": msg.text, "id": msg.id,
            "mentioned": msg.mentioned, "direct": msg.is_direct}  # fmt: skip


def _unmessage(data: dict[str, Any]) -> Message:
    author = data["author"]
    return Message(
        str(data["platform"]),
        _unchannel(data["channel"]),
        User(str(author[0]), str(author[1]), bool(author[2])),
        str(data["text"]),
        id=str(data["id"]),
        mentioned=bool(data["mentioned"]),
        is_direct=bool(data["direct"]),
    )


def _action(action: Action) -> dict[str, Any]:
    message = action.message
    return {
        "platform": action.platform,
        "channel": _channel(action.channel),
        "user": _user(action.user),
        "id": action.id,
        "values": list(action.values),
        "message": [_channel(message.channel), message.id] if message else None,
        "fields": dict(action.fields) if action.fields is not None else None,
        "key": action.key,
    }


def _unaction(data: dict[str, Any]) -> Action:
    user, message = data["user"], data["message"]
    return Action(
        str(data["platform"]),
        _unchannel(data["channel"]),
        User(str(user[0]), str(user[1]), bool(user[2])),
        str(data["id"]),
        tuple(str(v) for v in data["values"]),
        MessageRef(_unchannel(message[0]), str(message[1])) if message else None,
        {str(k): str(v) for k, v in data["fields"].items()} if data["fields"] else None,
        key=str(data["key"]),
    )
