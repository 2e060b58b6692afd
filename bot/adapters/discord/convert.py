"""discord.py objects → neutral events (pure: reads attributes, no I/O)."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.model import (
    Action,
    ChannelRef,
    Invocation,
    MemberJoined,
    Message,
    MessageRef,
    ReactionAdded,
    User,
)

PLATFORM = "discord"

# A user mention is <@id>; <@!id> is the older nickname form clients still send
# (developer docs, "Message Formatting").
_LEADING_MENTION = re.compile(r"^\s*<@!?(\d+)>[\s,:]*")


_LEADING_ROLE = re.compile(r"^\s*<@&(\d+)>[\s,:]*")


def strip_mention(
    text: str, bot_id: int | str, role_id: int | str | None = None
) -> tuple[str, bool]:
    """``text`` without a leading mention of the bot, and whether there was one.

    ``role_id``: the bot's own managed role in this server. Discord's autocomplete
    often offers it first, so ``@botloop`` may arrive as a role mention.
    """
    for pattern, wanted in ((_LEADING_MENTION, bot_id), (_LEADING_ROLE, role_id)):
        match = pattern.match(text)
        if match is not None and wanted is not None and match[1] == str(wanted):
            return text[match.end() :].strip(), True
    return text, False


def user_of(user: discord.abc.User) -> User:
    return User(str(user.id), user.display_name, is_bot=user.bot)


def channel_of(channel: Any) -> ChannelRef:
    """A thread is its parent channel plus the thread's id; anything else is itself."""
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return ChannelRef(PLATFORM, str(channel.parent_id), thread=str(channel.id))
    return ChannelRef(PLATFORM, str(channel.id))


def message_of(msg: discord.Message, bot_id: int) -> Message:
    own_role = msg.guild.self_role if msg.guild is not None else None
    text, mentioned = strip_mention(msg.content, bot_id, own_role.id if own_role else None)
    return Message(
        PLATFORM,
        channel_of(msg.channel),
        user_of(msg.author),
        text,
        id=str(msg.id),
        mentioned=mentioned,
        is_direct=msg.guild is None,
        raw=msg,
    )


def invocation_of(interaction: discord.Interaction[Any]) -> Message | None:
    """A slash command as a Message carrying an Invocation; None for other interactions."""
    if interaction.type is not discord.InteractionType.application_command:
        return None
    data: Any = interaction.data or {}
    if data.get("type", 1) != 1:  # user and message context-menu commands: not ours
        return None
    options = {o["name"]: o.get("value") for o in data.get("options") or ()}
    shown = " ".join(f"{name}:{value}" for name, value in options.items())
    return Message(
        PLATFORM,
        _where(interaction),
        user_of(interaction.user),
        f"/{data['name']} {shown}".strip(),
        id=str(interaction.id),
        is_direct=interaction.guild_id is None,
        raw=interaction,
        invocation=Invocation(data["name"], options=options),
    )


def _where(interaction: discord.Interaction[Any]) -> ChannelRef:
    channel = interaction.channel
    if channel is not None:
        return channel_of(channel)
    return ChannelRef(PLATFORM, str(interaction.channel_id))


def action_of(interaction: discord.Interaction[Any]) -> Action | None:
    """A component click (type 3) or a modal submission (type 5) as an Action; None
    for other interactions. ``key`` is the interaction id, which answers it."""
    kind = interaction.type
    data: Any = interaction.data or {}
    where = _where(interaction)
    user = user_of(interaction.user)
    key = str(interaction.id)
    if kind is discord.InteractionType.component:
        message = MessageRef(where, str(interaction.message.id)) if interaction.message else None
        values = tuple(str(v) for v in data.get("values") or ())
        ident = str(data.get("custom_id", ""))
        return Action(PLATFORM, where, user, ident, values, message, key=key, raw=interaction)
    if kind is discord.InteractionType.modal_submit:
        fields = dict(_inputs(data.get("components") or ()))
        ident = str(data.get("custom_id", ""))
        return Action(PLATFORM, where, user, ident, fields=fields, key=key, raw=interaction)
    return None


def _inputs(rows: Any) -> Any:
    """(custom_id, value) of each text input of a submitted modal: in action rows
    (``components``), or in labels (``component``, the newer layout)."""
    for row in rows:
        inner = row.get("components") or ([row["component"]] if "component" in row else [])
        for item in inner:
            if "custom_id" in item:
                yield str(item["custom_id"]), str(item.get("value") or "")


def reaction_of(
    event: discord.RawReactionActionEvent,
    user: discord.abc.User | None,
    channel: Any,
    bot_id: int,
) -> ReactionAdded:
    """``user``: the member or cached user who reacted, when discord.py knows them;
    ``channel``: the cached channel or thread, if any."""
    if user is not None:
        who = user_of(user)
    else:  # not cached (a DM reaction without the members intent): the id is all we have
        who = User(str(event.user_id), str(event.user_id), is_bot=event.user_id == bot_id)
    where = (
        channel_of(channel) if channel is not None else ChannelRef(PLATFORM, str(event.channel_id))
    )
    return ReactionAdded(PLATFORM, where, who, str(event.message_id), str(event.emoji), raw=event)


def member_joined_of(member: discord.Member) -> MemberJoined:
    """A join, placed in the server's system channel (where Discord itself posts its
    welcome), so ``ctx.reply`` greets there; None when the server has none."""
    system = member.guild.system_channel
    where = channel_of(system) if system is not None else None
    return MemberJoined(PLATFORM, user_of(member), where, raw=member)
