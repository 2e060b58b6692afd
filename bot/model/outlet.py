"""The outbound half of an adapter, as handlers reach it through the Context."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.model.events import ChannelRef, Message, MessageRef
from bot.model.reply import Reply


class Outlet(Protocol):
    """Sends neutral replies to one platform. Every adapter is one."""

    platform: str
    can_edit: bool
    """Whether :meth:`edit` changes the message in place (progress reports need it)."""

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | None = None
    ) -> MessageRef:
        """Render and post ``reply``; ``reply_to`` is the triggering message, if any."""
        ...

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        """Replace a message the bot sent with ``reply``.

        A platform that cannot edit posts ``reply`` as a new message instead and
        returns its ref, so callers never need to know.
        """
        ...

    async def react(self, message: Message, emoji: str) -> None:
        """Add ``emoji`` (a Unicode emoji or a platform name like ``thumbsup``) to ``message``."""
        ...

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        """Show a typing indicator in ``channel`` while the block runs."""
        ...
