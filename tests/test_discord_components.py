"""Buttons, selects, modals and conversations on Discord, end to end: the real discord.py
client against the fake Discord, which delivers MESSAGE_COMPONENT (type 3) and
MODAL_SUBMIT (type 5) interactions and records the callbacks (types 4, 6, 7, 9)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot import Context, Plugin
from bot.model import Button, Form, Select, TextInput
from tests.discord_helpers import DEFER_AFTER, discord_bot
from tests.fakes.discord import APP_ID, BOB, FakeDiscord


def deploy() -> Plugin:
    plugin = Plugin("deploy")

    @plugin.command(help="Deploy somewhere")
    async def ship(ctx: Context) -> None:
        buttons = [Button("Staging", "go", "staging"), Button("Prod", "go", "prod", "danger")]
        await ctx.reply("Deploy where?", buttons=buttons)

    @plugin.on_action("go")
    async def go(ctx: Context, value: str) -> None:
        await ctx.update(f"Deploying **{value}**…")

    @plugin.command(help="Pick a region")
    async def region(ctx: Context) -> None:
        await ctx.reply("Region?", components=[[Select("where", ["eu", "us", "ap"])]])

    @plugin.on_action("where")
    async def where(ctx: Context, values: list[str]) -> None:
        await ctx.reply(f"region {values[0]}", ephemeral=True)

    @plugin.on_action("slow")
    async def slow(ctx: Context) -> None:
        await asyncio.sleep(DEFER_AFTER * 2)
        await ctx.update("slow but done")

    @plugin.on_action("quiet")
    async def quiet(ctx: Context) -> None:
        ctx.log.info("clicked, said nothing")

    @plugin.command(help="Slow or quiet")
    async def two(ctx: Context) -> None:
        await ctx.reply("two", buttons=[Button("Slow", "slow"), Button("Quiet", "quiet")])

    @plugin.command(help="Report a bug")
    async def bug(ctx: Context) -> None:
        fields = [TextInput("title", "Title", max_length=20), TextInput("body", "What happened?")]
        answers = await ctx.form(Form("Report a bug", fields), timeout=10)
        await ctx.reply(f"filed: {answers}" if answers else "no report")

    @plugin.command(help="Choose")
    async def env(ctx: Context) -> None:
        picked = await ctx.choose("Which environment?", ["staging", "prod"], timeout=10)
        await ctx.reply(f"chose {picked}")

    return plugin


async def _message(fake: FakeDiscord, count: int = 1) -> dict[str, Any]:
    await fake.wait_until(lambda: len(fake.messages_with_components()) >= count)
    return fake.messages_with_components()[count - 1]


async def test_buttons_go_out_as_action_rows_with_our_custom_ids(fake: FakeDiscord) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!ship")
        msg = await _message(fake)
    (row,) = msg["components"]
    assert row["type"] == 1
    assert [(b["type"], b["style"], b["label"], b["custom_id"]) for b in row["components"]] == [
        (2, 2, "Staging", "botloop:deploy:go:staging"),
        (2, 4, "Prod", "botloop:deploy:go:prod"),
    ]


async def test_a_click_updates_the_message_in_the_first_response(fake: FakeDiscord) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!ship")
        msg = await _message(fake)
        iid, _ = await fake.click(msg, "botloop:deploy:go:prod")
        await fake.wait_until(lambda: fake.callbacks(iid))
        await asyncio.sleep(0.1)  # the settle that follows adds nothing
        (callback,) = fake.callbacks(iid)
    assert callback["type"] == 7  # UPDATE_MESSAGE
    assert callback["data"]["content"] == "Deploying **prod**…"
    assert callback["data"]["components"] == []  # the buttons went with the old content


async def test_a_select_choice_arrives_as_values_and_answers_ephemerally(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!region")
        msg = await _message(fake)
        select = msg["components"][0]["components"][0]
        assert select["type"] == 3 and [o["value"] for o in select["options"]] == ["eu", "us", "ap"]
        iid, _ = await fake.click(msg, select["custom_id"], values=["us"])
        await fake.wait_until(lambda: fake.callbacks(iid))
    (callback,) = fake.callbacks(iid)
    assert callback["type"] == 4 and callback["data"]["content"] == "region us"
    assert callback["data"]["flags"] & 64


async def test_a_slow_click_is_deferred_then_edits_the_original(fake: FakeDiscord) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!two")
        msg = await _message(fake)
        iid, token = await fake.click(msg, "botloop:deploy:slow:")
        (edit,) = await fake.wait_requests(
            "PATCH", rf"/webhooks/{APP_ID}/{token}/messages/@original"
        )
    assert [c["type"] for c in fake.callbacks(iid)] == [6]  # DEFERRED_UPDATE_MESSAGE in time
    assert edit.json["content"] == "slow but done"


async def test_a_click_nobody_answers_is_acknowledged_silently(fake: FakeDiscord) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!two")
        msg = await _message(fake)
        iid, _ = await fake.click(msg, "botloop:deploy:quiet:")
        await fake.wait_until(lambda: fake.callbacks(iid))
    assert [c["type"] for c in fake.callbacks(iid)] == [6]


async def test_an_unknown_or_forged_id_is_told_expired_without_a_traceback(
    fake: FakeDiscord, caplog: Any
) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!ship")
        msg = await _message(fake)
        gone, _ = await fake.click(msg, "botloop:deploy:nosuch:x")
        forged, _ = await fake.click(msg, "something-else")
        await fake.wait_until(lambda: fake.callbacks(gone) and fake.callbacks(forged))
    for iid in (gone, forged):
        (callback,) = fake.callbacks(iid)
        assert callback["type"] == 4 and callback["data"]["flags"] & 64
        assert callback["data"]["content"] == "This button has expired."
    assert "Traceback" not in caplog.text
    assert "no handler for action deploy:nosuch" in caplog.text


async def test_a_form_opens_a_modal_and_its_submission_comes_back(fake: FakeDiscord) -> None:
    async with discord_bot(fake, deploy()):
        iid, token = await fake.interact("bug")
        await fake.wait_until(lambda: fake.callbacks(iid))
        (modal,) = fake.callbacks(iid)
        assert modal["type"] == 9  # MODAL
        data = modal["data"]
        assert data["title"] == "Report a bug"
        inputs = [row["components"][0] for row in data["components"]]
        assert [(i["custom_id"], i["style"], i["max_length"]) for i in inputs] == [
            ("title", 1, 20),
            ("body", 1, 3000),
        ]
        sub, _ = await fake.submit_modal(data["custom_id"], {"title": "Crash", "body": "boom"})
        (followup,) = await fake.wait_requests("POST", rf"/webhooks/{APP_ID}/{token}")
        await fake.wait_until(lambda: fake.callbacks(sub))
    assert followup.json["content"] == "filed: {'title': 'Crash', 'body': 'boom'}"
    assert [c["type"] for c in fake.callbacks(sub)] == [6]  # the modal closes quietly


async def test_a_prefix_command_asks_the_form_in_the_channel(fake: FakeDiscord) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!bug")
        await fake.wait_requests("POST", r"/channels/\d+/messages")
        await fake.say("Crash")
        await fake.wait_requests("POST", r"/channels/\d+/messages", count=2)
        await fake.say("boom")
        posts = await fake.wait_requests("POST", r"/channels/\d+/messages", count=3)
    texts = [p.json["content"] for p in posts]
    assert texts == [
        "**Report a bug** · Title?",
        "**Report a bug** · What happened?",
        "filed: {'title': 'Crash', 'body': 'boom'}",
    ]


async def test_choose_only_counts_the_askers_click_and_disables_the_buttons(
    fake: FakeDiscord,
) -> None:
    async with discord_bot(fake, deploy()):
        await fake.say("!env")
        msg = await _message(fake)
        prod = msg["components"][0]["components"][1]["custom_id"]
        other, _ = await fake.click(msg, prod, who=BOB)
        await fake.wait_until(lambda: fake.callbacks(other))
        mine, _ = await fake.click(msg, prod)
        posts = await fake.wait_requests("POST", r"/channels/\d+/messages", count=2)
    (refusal,) = fake.callbacks(other)
    assert refusal["type"] == 4 and refusal["data"]["flags"] & 64
    assert refusal["data"]["content"] == "This isn't yours to answer."
    (update,) = fake.callbacks(mine)
    assert update["type"] == 7
    buttons = update["data"]["components"][0]["components"]
    assert all(b["disabled"] for b in buttons)
    assert [b["style"] for b in buttons] == [2, 1]  # the chosen one stands out
    assert posts[-1].json["content"] == "chose prod"
