"""The OAuth2 URL that adds the bot to a server (``python -m bot discord-invite``).

No ``discord`` import: the permission bits are Discord's documented values
(developer docs, "Permissions → Bitwise Permission Flags").
"""

from __future__ import annotations

from urllib.parse import urlencode

# What the adapter's features use, and nothing more.
PERMISSIONS = {
    "ADD_REACTIONS": 1 << 6,  # ctx.react
    "VIEW_CHANNEL": 1 << 10,  # read the channels it answers in
    "SEND_MESSAGES": 1 << 11,  # ctx.reply
    "EMBED_LINKS": 1 << 14,  # cards are embeds
    "ATTACH_FILES": 1 << 15,  # very long replies and Reply.files
    "READ_MESSAGE_HISTORY": 1 << 16,  # replies reference the triggering message
    "SEND_MESSAGES_IN_THREADS": 1 << 38,  # answering inside threads
}
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: str) -> str:
    """The authorize URL with the bot and slash-command scopes and the needed permissions."""
    query = urlencode(
        {
            "client_id": application_id,
            "scope": " ".join(SCOPES),
            "permissions": str(sum(PERMISSIONS.values())),
        }
    )
    return f"https://discord.com/oauth2/authorize?{query}"
