"""The outbound half of an adapter, as handlers reach it through the Context."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.model.components import Form
from bot.model.events import Action, ChannelRef, Message, MessageRef
from bot.model.reply import Reply


class Outlet(Protocol):
    """Sends neutral replies to one platform. Every adapter is one."""

    platform: str
    can_edit: bool
    """Whether :meth:`edit` changes the message in place (progress reports need it)."""

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        """Render and post ``reply``; ``reply_to`` is the triggering message or click,
        if any (an ephemeral answer to a click is seen by the clicker only)."""
        ...

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        """Replace the message ``action``'s component was on with ``reply``, in
        answer to the click (within the platform's deadline, or after it)."""
        ...

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        """Open ``form`` as a modal in answer to ``trigger``; its submission comes
        back as an Action whose ``id`` is ``form_id``. False where no modal can
        open (a typed command, a platform without them, a trigger too old)."""
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
