"""The Slack adapter's pure parts: settings, payload conversion, rendering, emoji, dedupe."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.slack.convert import convert_command, convert_event, plain_text
from bot.adapters.slack.emoji import to_name, to_unicode
from bot.adapters.slack.inbound import Inbound, Seen
from bot.adapters.slack.outbound import thread_of
from bot.adapters.slack.render import (
    FIELDS_PER_SECTION,
    TEXT_LIMIT,
    card_blocks,
    mrkdwn,
    render,
    split,
)
from bot.adapters.slack.settings import SlackSettings
from bot.config import read_settings
from bot.errors import ConfigError
from bot.model import Card, ChannelRef, Event, Field, Invocation, Message, Reply, User
from bot.web import WebSettings
from tests.fakes.slack import message_event

ME = "UBOT"


def body(event: dict[str, Any], event_id: str = "Ev1") -> dict[str, Any]:
    return {"type": "event_callback", "event_id": event_id, "event": event}


# --- settings ------------------------------------------------------------------------------------


def slack_settings(**env: str) -> SlackSettings:
    return read_settings(SlackSettings, env)


def test_modes_follow_the_credentials() -> None:
    socket = slack_settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    http = slack_settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s3cr3t")
    both = slack_settings(
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_MODE="http",
    )
    assert socket.connection_mode() == "socket"
    assert http.connection_mode() == "http"
    assert both.connection_mode() == "http"


def validate(env: dict[str, str]) -> None:
    """What building the adapter checks, in its order."""
    settings = slack_settings(**env)
    settings.token()
    settings.connection_mode()


@pytest.mark.parametrize(
    ("env", "variable", "problem"),
    [
        ({}, "SLACK_BOT_TOKEN", "is required"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN", "starting with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET", "set one"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN", "xapp-"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_MODE": "http"},
            "SLACK_SIGNING_SECRET",
            "required for HTTP mode",
        ),
    ],
)
def test_bad_slack_settings_name_the_variable(
    env: dict[str, str], variable: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(env)
    assert caught.value.variable == variable
    assert problem in caught.value.problem


def test_api_url_and_port_are_validated() -> None:
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        slack_settings(SLACK_API_URL="slack.com/api")
    assert slack_settings(SLACK_API_URL="http://127.0.0.1:9/api").base_url.endswith("/api/")
    with pytest.raises(ConfigError, match="PORT"):
        read_settings(WebSettings, {"PORT": "70000"})
    with pytest.raises(ConfigError, match="PORT"):
        read_settings(WebSettings, {"PORT": "-1"})
    assert read_settings(WebSettings, {"PORT": "0"}).port == 0


def test_secrets_never_show_in_reprs() -> None:
    settings = slack_settings(SLACK_BOT_TOKEN="xoxb-very-secret", SLACK_APP_TOKEN="xapp-hush")
    assert "very-secret" not in repr(settings) and "hush" not in repr(settings)
    assert settings.secrets() == ["xoxb-very-secret", "xapp-hush"]


# --- convert -------------------------------------------------------------------------------------


def test_app_mention_loses_the_leading_mention() -> None:
    event = message_event(f"<@{ME}>: weather  Paris", kind="app_mention", thread_ts="1.0")
    msg = convert_event(body(event), ME)
    assert isinstance(msg, Message)
    assert (msg.text, msg.mentioned, msg.is_direct) == ("weather  Paris", True, False)
    assert msg.channel == ChannelRef("slack", "C0001", "1.0")
    assert msg.id == event["ts"] and msg.author == User("U0001", "U0001")


def test_a_mention_later_in_the_text_is_not_addressing_the_bot() -> None:
    msg = convert_event(body(message_event(f"thanks <@{ME}>", kind="app_mention")), ME)
    assert isinstance(msg, Message)
    assert msg.mentioned is False and msg.text == f"thanks <@{ME}>"


def test_direct_messages_and_user_profiles() -> None:
    event = message_event(
        "ping", channel="D1", channel_type="im", user_profile={"display_name": "Ada"}
    )
    msg = convert_event(body(event), ME)
    assert isinstance(msg, Message)
    assert msg.is_direct and msg.author.name == "Ada"


def test_channel_messages_that_mention_the_bot_are_left_to_app_mention() -> None:
    assert convert_event(body(message_event(f"<@{ME}> ping")), ME) is None
    in_dm = message_event(f"<@{ME}> ping", channel="D1", channel_type="im")
    assert isinstance(convert_event(body(in_dm), ME), Message)


@pytest.mark.parametrize("subtype", ["message_changed", "message_deleted", "channel_join"])
def test_message_subtypes_that_are_not_new_messages_are_ignored(subtype: str) -> None:
    assert convert_event(body(message_event("!ping", subtype=subtype)), ME) is None


def test_bot_messages_are_marked_as_bots() -> None:
    for extra in ({"bot_id": "B1"}, {"subtype": "bot_message", "username": "ci"}):
        msg = convert_event(body(message_event("!ping", **extra)), ME)
        assert isinstance(msg, Message) and msg.author.is_bot


def test_text_comes_back_as_typed() -> None:
    raw = "a &lt;b&gt; &amp;amp; <https://x.io/a?b=1&amp;c=2|x.io> <mailto:a@b.c|a@b.c> <@U1>"
    assert plain_text(raw) == "a <b> &amp; x.io a@b.c <@U1>"
    assert plain_text("<https://x.io>") == "https://x.io"


def test_reactions_and_joins() -> None:
    reaction = {
        "type": "reaction_added",
        "user": "U2",
        "reaction": "thumbsup",
        "item": {"type": "message", "channel": "C1", "ts": "1.5"},
    }
    event = convert_event(body(reaction), ME)
    assert event is not None and event.kind == "reaction_added"
    assert (event.emoji, event.message_id, event.channel.id) == ("👍", "1.5", "C1")  # type: ignore[union-attr]
    on_file = reaction | {"item": {"type": "file", "file": "F1"}}
    assert convert_event(body(on_file), ME) is None
    joined = convert_event(body({"type": "member_joined_channel", "user": ME, "channel": "C9"}), ME)
    assert joined is not None and joined.kind == "member_joined"
    assert joined.user.is_bot  # type: ignore[union-attr]


def test_slash_command_becomes_an_invocation() -> None:
    payload = {
        "command": "/weather",
        "text": "Paris &amp; Oslo",
        "channel_id": "D7",
        "user_id": "U7",
        "user_name": "ada",
        "trigger_id": "t1",
        "response_url": "https://hooks.example/1",
    }
    msg = convert_command(payload)
    assert msg.invocation == Invocation("weather", "Paris & Oslo")
    assert msg.is_direct and msg.author == User("U7", "ada") and msg.raw is payload


def test_inbound_handles_each_delivery_once_and_ignores_the_rest() -> None:
    got: list[Event] = []
    inbound = Inbound(got.append, ME)
    delivery = body(message_event("!ping"), "Ev42")
    inbound.handle(delivery, {})
    inbound.handle(delivery, {"x-slack-retry-num": ["1"]})
    inbound.handle({"type": "block_actions", "actions": []}, {})
    inbound.handle({"type": "url_verification", "challenge": "c"}, {})
    assert len(got) == 1


def test_seen_forgets_the_oldest() -> None:
    seen = Seen(size=2)
    assert seen.first_time("a") and seen.first_time("b") and not seen.first_time("a")
    assert seen.first_time("c")  # b is now the oldest and goes
    assert seen.first_time("b") and not seen.first_time("c")


# --- render --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**bold** and *it*", "*bold* and _it_"),
        ("`a<b **x**`", "`a&lt;b **x**`"),
        ("[docs](https://x.io/?a=1&b=2)", "<https://x.io/?a=1&amp;b=2|docs>"),
        ("5 > 3 & 2 * 3 * 4", "5 &gt; 3 &amp; 2 * 3 * 4"),
        ("hi <@U123> in <#C1|general>", "hi <@U123> in <#C1|general>"),
        ("<!here> <!channel> <!subteam^S1>", "&lt;!here&gt; &lt;!channel&gt; &lt;!subteam^S1&gt;"),
        ("```python\nif a<b:\n  **y**\n```\n**z**", "```\nif a&lt;b:\n  **y**\n```\n*z*"),
    ],
)
def test_markdown_to_mrkdwn(markdown: str, expected: str) -> None:
    assert mrkdwn(markdown) == expected


def test_mass_mentions_pass_only_when_allowed() -> None:
    assert mrkdwn("<!here> look", allow_mentions=True) == "<!here> look"
    assert render(Reply("<!everyone>"))[0].text == "&lt;!everyone&gt;"


def test_long_text_is_split_at_lines_and_code_blocks_stay_closed() -> None:
    text = "```\n" + "\n".join(f"line {i}" for i in range(2000)) + "\n```\nend"
    pieces = split(text, 1000)
    assert len(pieces) > 10
    assert all(len(p) <= 1000 for p in pieces)
    assert all(p.count("```") % 2 == 0 for p in pieces)
    joined = "\n".join(p.removeprefix("```\n").removesuffix("\n```") for p in pieces)
    assert all(f"line {i}\n" in joined for i in range(2000))
    assert pieces[-1].endswith("end")
    sizes = [len(p) for p in split("x" * 9000)]
    assert len(sizes) == 3 and max(sizes) <= TEXT_LIMIT and sum(sizes) == 9000


def test_a_long_reply_is_several_posts_and_the_card_rides_last() -> None:
    posts = render(Reply("word " * 2000, card=Card(title="T")))
    assert len(posts) == 3
    assert all(p.blocks is None for p in posts[:-1])
    assert posts[-1].blocks is not None and posts[-1].blocks[-1]["type"] == "header"


def test_card_blocks_respect_slack_limits() -> None:
    fields = (*(Field(f"f{i}", "v") for i in range(12)), Field("wide", "w", inline=False))
    card = Card(
        title="T" * 200,
        description="d",
        fields=fields,
        footer="via **x**",
        image="https://x.io/i.png",
    )
    blocks = card_blocks(card)
    kinds = [b["type"] for b in blocks]
    assert kinds == ["header", "section", "section", "section", "section", "image", "context"]
    assert len(blocks[0]["text"]["text"]) == 150
    assert len(blocks[2]["fields"]) == FIELDS_PER_SECTION and len(blocks[3]["fields"]) == 2
    assert blocks[4]["text"]["text"] == "*wide*\nw"
    assert blocks[6]["elements"][0]["text"] == "via *x*"
    linked = card_blocks(Card(title="Oslo", url="https://yr.no/oslo"))
    assert linked == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*<https://yr.no/oslo|Oslo>*"}}
    ]


def test_a_card_alone_has_a_plain_text_fallback() -> None:
    (post,) = render(Reply(card=Card(title="Oslo", fields=(Field("Temp", "-3"),))))
    assert post.text == "*Oslo*\nTemp: -3"


def test_threads() -> None:
    channel = ChannelRef("slack", "C1")
    trigger = Message("slack", channel, User("U1", "a"), "x", id="9.1")
    assert thread_of(channel, Reply("r"), trigger, always_thread=False) is None
    assert thread_of(channel, Reply("r", thread=True), trigger, always_thread=False) == "9.1"
    assert thread_of(channel, Reply("r"), trigger, always_thread=True) == "9.1"
    threaded = ChannelRef("slack", "C1", "8.0")
    assert thread_of(threaded, Reply("r"), trigger, always_thread=False) == "8.0"
    slash = Message("slack", channel, User("U1", "a"), "/x", invocation=Invocation("x"))
    assert thread_of(channel, Reply("r"), slash, always_thread=True) is None


# --- emoji ---------------------------------------------------------------------------------------


def test_emoji_names_both_ways() -> None:
    assert to_name("👍") == "+1" and to_name("❤️") == "heart" and to_name(":tada:") == "tada"
    assert to_name("thumbsup") == "+1" and to_name("partyparrot") == "partyparrot"
    assert to_unicode("+1") == "👍" and to_unicode("thumbsup") == "👍"
    assert to_unicode("+1::skin-tone-3") == "👍" and to_unicode("partyparrot") == "partyparrot"
    with pytest.raises(ValueError, match="thumbsup"):
        to_name("🦜")


def test_a_huge_reply_is_a_few_posts_and_the_rest_a_file() -> None:
    from bot.adapters.slack.render import ATTACHED, MAX_POSTS, fit

    text = "\n".join(f"line {i} " + "x" * 60 for i in range(15_000))  # about 1 MB
    posts, files = fit(Reply(text))
    assert len(render(Reply(text))) > 200  # what used to be sent, one message each
    assert len(posts) == 1 and posts[0].text.endswith(f"attached as {ATTACHED})_")
    assert files == ((ATTACHED, text.encode()),)
    private, none = fit(Reply(text, ephemeral=True))  # no file can be shown to one person
    assert len(private) == MAX_POSTS and none == ()
    assert private[-1].text.endswith("too long to show here)_")
    short, kept = fit(Reply("short", files=(("a.txt", b"a"),)))
    assert [p.text for p in short] == ["short"] and kept == (("a.txt", b"a"),)
