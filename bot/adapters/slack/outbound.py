"""Replies out through slack_sdk: chat.postMessage / postEphemeral / update, reactions.add,
and a slash command's ``response_url``."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.convert import form_metadata
from bot.adapters.slack.emoji import to_name
from bot.adapters.slack.render import Post, fit, form_view, render
from bot.errors import AdapterError
from bot.model import Action, ChannelRef, Form, Message, MessageRef, Reply

log = logging.getLogger("bot.adapters.slack")

# chat.postMessage errors that mean "the bot may not post here", where a slash
# command's response_url still can (it works in any channel the command was used in).
_NOT_HERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# A trigger_id opens a modal for 3 s after the click or command (docs.slack.dev,
# "Handling user interaction"); past this, asking views.open is not worth it.
TRIGGER_LIFE = 2.5
_TRIGGER_GONE = frozenset({"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"})


def thread_of(
    channel: ChannelRef, reply: Reply, reply_to: Message | Action | None, always_thread: bool
) -> str | None:
    """The thread_ts a reply goes to: the trigger's thread, or a new one under the trigger
    when the reply (or SLACK_ALWAYS_THREAD) asks for one."""
    if channel.thread:
        return channel.thread
    if not isinstance(reply_to, Message) or reply_to.invocation is not None or not reply_to.id:
        return None  # a slash command or a click has no message of the user's to thread under
    return reply_to.id if reply.thread or always_thread else None


class Outbound:
    """The Outlet half of the Slack adapter, on one AsyncWebClient."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient, *, always_thread: bool = False) -> None:
        self.client = client
        self.always_thread = always_thread

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        posts, files = fit(reply)
        if not posts and not files:
            raise ValueError("an empty reply: give it text, a card or files")
        thread = thread_of(channel, reply, reply_to, self.always_thread)
        where = ChannelRef(channel.platform, channel.id, thread)
        response_url = _response_url(reply_to)
        # A click's response_url must be told not to replace the message clicked.
        click = False if isinstance(reply_to, Action) else None
        private_to = reply_to if reply.ephemeral else None  # ephemeral needs someone to see it
        refs = []
        for post in posts:
            if private_to is not None:
                refs.append(await self._ephemeral(where, post, private_to, response_url, click))
            else:
                refs.append(await self._post(where, post, response_url, click))
        if files:
            if private_to is not None:
                # Slack shares a file with the whole channel or not at all.
                log.warning("slack: %d file(s) of an ephemeral reply not sent", len(files))
            else:
                await self._upload(where, files)
        return refs[0] if refs else MessageRef(where, "")

    async def _upload(self, where: ChannelRef, files: tuple[tuple[str, bytes], ...]) -> None:
        """``Reply.files`` as one share below the text: getUploadURLExternal, the upload,
        completeUploadExternal (the old files.upload is retired)."""
        await self.client.files_upload_v2(
            file_uploads=[
                {"filename": name, "content": data, "title": name} for name, data in files
            ],
            channel=where.id,
            thread_ts=where.thread,
        )

    async def _post(
        self, where: ChannelRef, post: Post, response_url: str | None, click: bool | None = None
    ) -> MessageRef:
        try:
            resp = await self.client.chat_postMessage(
                channel=where.id, text=post.text, blocks=post.blocks, thread_ts=where.thread
            )
        except SlackApiError as exc:
            if response_url is None or exc.response.get("error") not in _NOT_HERE:
                raise
            # The bot is not in this channel, but the slash command's URL answers anywhere.
            await self._respond(response_url, post, "in_channel", replace=click)
            return MessageRef(where, "")
        return MessageRef(where, str(resp["ts"]))

    async def _ephemeral(
        self,
        where: ChannelRef,
        post: Post,
        reply_to: Message | Action,
        response_url: str | None,
        click: bool | None = None,
    ) -> MessageRef:
        if response_url is not None:
            await self._respond(response_url, post, "ephemeral", replace=click)
            return MessageRef(where, "")
        resp = await self.client.chat_postEphemeral(
            channel=where.id,
            user=reply_to.author.id if isinstance(reply_to, Message) else reply_to.user.id,
            text=post.text,
            blocks=post.blocks,
            thread_ts=where.thread,
        )
        return MessageRef(where, str(resp.get("message_ts") or ""))

    async def _respond(
        self, url: str, post: Post, response_type: str | None, *, replace: bool | None = None
    ) -> None:
        """Answer through a slash command's or a click's response_url (5 uses within
        30 minutes); ``replace``: whether to take the clicked message's place."""
        hook = AsyncWebhookClient(
            url,
            timeout=int(self.client.timeout),
            session=self.client.session,
            retry_handlers=self.client.retry_handlers,
        )
        body: dict[str, Any] = {"text": post.text}
        if response_type is not None:
            body["response_type"] = response_type
        if post.blocks:
            body["blocks"] = post.blocks
        if replace is not None:
            body["replace_original"] = replace
        resp = await hook.send_dict(body)
        if resp.status_code != 200:
            raise AdapterError(f"slack response_url answered {resp.status_code}: {resp.body}")

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        """chat.update; a message that cannot be updated (ephemeral) gets a new one instead."""
        posts = render(reply)
        if not ref.id or not posts:
            return await self.send(ref.channel, reply)
        first, *rest = posts
        await self.client.chat_update(
            channel=ref.channel.id, ts=ref.id, text=first.text, blocks=first.blocks or []
        )
        for post in rest:  # text that grew past one message continues below it
            await self._post(ref.channel, post, None)
        return ref

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        """The clicked message, replaced: chat.update where it is a channel message,
        through the click's response_url where it is ephemeral (chat.update cannot
        reach those)."""
        raw = action.raw if isinstance(action.raw, dict) else {}
        ephemeral = bool((raw.get("container") or {}).get("is_ephemeral"))
        ref = action.message
        if ref is not None and ref.id and not ephemeral:
            return await self.edit(ref, reply)
        url = raw.get("response_url")
        if isinstance(url, str) and url:
            posts = render(reply) or [Post(" ")]
            await self._respond(url, posts[0], None, replace=True)
            return ref or MessageRef(action.channel, "")
        return await self.send(action.channel, reply, reply_to=action)

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        """``views.open`` with the trigger's trigger_id, while it is fresh enough."""
        raw = trigger.raw if isinstance(trigger.raw, dict) else {}
        trigger_id = raw.get("trigger_id")
        if not trigger_id or time.monotonic() - trigger.received_at > TRIGGER_LIFE:
            return False
        view = form_view(form, form_id, form_metadata(trigger.channel))
        try:
            await self.client.views_open(trigger_id=str(trigger_id), view=view)
        except SlackApiError as exc:
            if exc.response.get("error") not in _TRIGGER_GONE:
                raise
            log.info("slack: the trigger to open %r expired; asking in the channel", form.title)
            return False
        return True

    async def react(self, message: Message, emoji: str) -> None:
        if message.invocation is not None or not message.id:
            log.debug("slack: a slash command has no message to react to")
            return
        try:
            await self.client.reactions_add(
                channel=message.channel.id, timestamp=message.id, name=to_name(emoji)
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                raise

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        # Slack's Web API has no typing indicator for bots (only the legacy RTM
        # API had one), so this shows nothing.
        return _nothing()


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


def _response_url(reply_to: Message | Action | None) -> str | None:
    """Where a slash command or a click can be answered, also in a channel the bot is not in."""
    if reply_to is None or not isinstance(reply_to.raw, dict):
        return None
    if isinstance(reply_to, Message) and reply_to.invocation is None:
        return None
    url = reply_to.raw.get("response_url")
    return url if isinstance(url, str) and url else None
