"""Answering one interaction: respond, defer automatically, follow up.

Discord invalidates an interaction that gets no response within 3 s; its token
then lives 15 minutes for edits and follow-ups (developer docs,
``interactions/receiving-and-responding``). A slash command whose handler has
not answered within ``defer_after`` seconds (about 2) gets a deferred
"thinking…" response (type 5) on its behalf; its reply later fills that message
in. A click or a form submission gets a deferred update (type 6) instead: the
user sees nothing change until the handler updates the message or answers.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import discord

from bot.adapters.discord.render import Outgoing, allowed_mentions, render
from bot.model import Reply

log = logging.getLogger("bot.adapters.discord")

DEFER_TIMEOUT = 5.0


def mentions_of(reply: Reply) -> discord.AllowedMentions:
    policy = allowed_mentions(reply)
    parse = policy["parse"]
    return discord.AllowedMentions(
        everyone="everyone" in parse,
        roles="roles" in parse,
        users="users" in parse,
        replied_user=policy["replied_user"],
    )


def files_of(out: Outgoing) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in out.files]


def embeds_of(out: Outgoing) -> list[discord.Embed]:
    return [discord.Embed.from_dict(out.embed)] if out.embed is not None else []


class RawView:
    """Components in the API's shape, where discord.py's calls take a ``view``.

    Not a ``discord.ui.View``: our component ids route a click after a restart,
    so discord.py need not keep a view per message (``is_finished`` keeps them
    out of its view store, which would grow with every message sent).
    """

    __discord_ui_view__ = True
    timeout = None

    def __init__(self, rows: tuple[dict[str, Any], ...] | dict[str, Any]) -> None:
        self._rows = rows

    def to_components(self) -> Any:
        return list(self._rows) if isinstance(self._rows, tuple) else self._rows["components"]

    def to_dict(self) -> dict[str, Any]:  # as a modal: send_modal reads this
        assert isinstance(self._rows, dict)
        return self._rows

    def has_components_v2(self) -> bool:
        return False

    def is_finished(self) -> bool:
        return True

    def is_dispatchable(self) -> bool:
        return False


def view_of(out: Outgoing) -> Any:
    """The ``view`` argument for ``out``: its components, or none at all."""
    return RawView(out.components)


class Responder:
    """Owns the response to one interaction: the first reply answers it (or fills in
    the automatic defer), later ones are follow-ups; the auto-defer timer is a task
    this object owns and :meth:`cancel` stops."""

    def __init__(self, interaction: discord.Interaction[Any], defer_after: float) -> None:
        self.interaction = interaction
        # A click or a form submission, rather than a slash command.
        self.on_message = interaction.type is not discord.InteractionType.application_command
        self._lock = asyncio.Lock()
        self._deferred = False  # answered with "thinking…", still to be filled in
        self._updating = False  # the first response updated (or deferred updating) the message
        self._original: str | None = None  # id of the original response message, once known
        self._timer = asyncio.get_running_loop().create_task(
            self._auto_defer(defer_after), name=f"discord-defer:{interaction.id}"
        )

    def expired(self) -> bool:
        return self.interaction.is_expired()

    def cancel(self) -> None:
        self._timer.cancel()

    async def _auto_defer(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._lock:
            if self.interaction.response.is_done():
                return
            try:
                # Bounded: a defer later than Discord's 3 s is useless anyway.
                async with asyncio.timeout(DEFER_TIMEOUT):
                    await self.interaction.response.defer(thinking=not self.on_message)
            except Exception as exc:  # a task nobody awaits: log here or lose it
                log.warning("could not defer interaction %s: %r", self.interaction.id, exc)
                return
            if self.on_message:
                self._updating = True
            else:
                self._deferred = True
            log.debug("interaction %s deferred after %g s", self.interaction.id, delay)

    async def settle(self) -> None:
        """The handlers are done: close an interaction they left unanswered.

        Without this, a handler that posted nothing (it only reacted, or wrote to
        another channel) leaves "thinking…" up until the token expires, or, if it
        finished within the 3 s, Discord's own "the application did not respond".
        """
        async with self._lock:
            self._timer.cancel()
            try:
                async with asyncio.timeout(DEFER_TIMEOUT):
                    if self._deferred:
                        self._deferred = False
                        await self.interaction.delete_original_response()
                    elif self.interaction.response.is_done():
                        return
                    elif self.on_message:  # a silent acknowledgement: type 6
                        await self.interaction.response.defer()
                        self._updating = True
                    else:
                        await self.interaction.response.send_message("Done.", ephemeral=True)
            except Exception as exc:  # a task nobody awaits: log here or lose it
                log.warning("could not close interaction %s: %r", self.interaction.id, exc)
                return
            log.debug("interaction %s closed: its handlers answered nothing", self.interaction.id)

    async def send(self, reply: Reply) -> str:
        """Deliver ``reply``; the id of the (first) message it became."""
        async with self._lock:
            self._timer.cancel()
            first, *rest = render(reply)
            ident = await self._first(first, reply)
            for out in rest:
                await self._follow_up(out, reply)
            return ident

    async def _first(self, out: Outgoing, reply: Reply) -> str:
        response = self.interaction.response
        if not response.is_done():
            done = await response.send_message(
                out.content,
                embeds=embeds_of(out),
                files=files_of(out),
                ephemeral=reply.ephemeral,
                allowed_mentions=mentions_of(reply),
                view=view_of(out),
            )
            self._original = str(done.message_id or self.interaction.id)
            return self._original
        if self._deferred:
            self._deferred = False
            if reply.ephemeral:
                # The public "thinking…" cannot turn ephemeral: remove it, answer privately.
                await self.interaction.delete_original_response()
                return await self._follow_up(out, reply)
            msg = await self.interaction.edit_original_response(
                content=out.content,
                embeds=embeds_of(out),
                attachments=files_of(out),
                allowed_mentions=mentions_of(reply),
                view=view_of(out),
            )
            self._original = str(msg.id)
            return self._original
        return await self._follow_up(out, reply)

    async def _follow_up(self, out: Outgoing, reply: Reply) -> str:
        msg = await self.interaction.followup.send(
            out.content,
            embeds=embeds_of(out),
            files=files_of(out),
            ephemeral=reply.ephemeral,
            allowed_mentions=mentions_of(reply),
            view=view_of(out),
            wait=True,
        )
        return str(msg.id)

    async def update(self, reply: Reply, message: discord.PartialMessage | None) -> None:
        """Replace the message the clicked component was on: as the response (type 7)
        while none was given, else by editing it (``message``: it, for when the
        response was something else, an ephemeral answer say)."""
        out = render(reply)[0]
        content = {"content": out.content, "embeds": embeds_of(out), "view": view_of(out)}
        async with self._lock:
            self._timer.cancel()
            response = self.interaction.response
            if not response.is_done():
                await response.edit_message(**content, allowed_mentions=mentions_of(reply))
                self._updating = True
            elif self._updating:
                await self.interaction.edit_original_response(
                    **content, allowed_mentions=mentions_of(reply)
                )
            elif message is not None:
                await message.edit(**content, allowed_mentions=mentions_of(reply))

    async def open_form(self, modal: dict[str, Any]) -> bool:
        """Answer with a modal (type 9), which only a first response can be."""
        async with self._lock:
            if self.interaction.response.is_done():
                return False
            self._timer.cancel()
            await self.interaction.response.send_modal(RawView(modal))  # type: ignore[arg-type]
            return True

    async def edit(self, message_id: str, reply: Reply) -> str:
        """Replace the original response or a follow-up with ``reply``'s first message."""
        out = render(reply)[0]
        async with self._lock:
            msg: discord.Message
            if message_id == self._original:
                msg = await self.interaction.edit_original_response(
                    content=out.content,
                    embeds=embeds_of(out),
                    allowed_mentions=mentions_of(reply),
                    view=view_of(out),
                )
            else:
                msg = await self.interaction.followup.edit_message(
                    int(message_id),
                    content=out.content,
                    embeds=embeds_of(out),
                    allowed_mentions=mentions_of(reply),
                    view=view_of(out),
                )
            return str(msg.id)
