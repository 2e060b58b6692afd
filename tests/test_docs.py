"""docs/plugins.md is true: every example there is loaded as a plugin and driven here
through the test harness, as the guide says it behaves."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiohttp import web

from bot import ChannelRef, MemberJoined, Plugin, ReactionAdded, Reply, User
from bot.core.loader import load_directory
from bot.testing import FakeAPI, Harness, Respond
from bot.testing.fake_api import Handler
from tests.conftest import ROOT

GUIDE = (ROOT / "docs" / "plugins.md").read_text()
ADMIN = User("u1", "alice")
BOB = User("u2", "bob")


def example(name: str) -> str:
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", GUIDE, re.S)
    assert found, f"docs/plugins.md has no example {name!r}"
    return found.group(1)


@pytest.fixture
def plugins(tmp_path: Path) -> dict[str, Plugin]:
    """Every example but the test one, loaded as the bot loads plugins (before the
    loop runs: file I/O would block it)."""
    for name in EXAMPLES:
        (tmp_path / f"{name}.py").write_text(example(name))
    loaded, failures = load_directory(tmp_path)
    assert failures == []
    return {plugin.name: plugin for plugin in loaded}


EXAMPLES = [
    "dice", "card", "greeter", "ops", "notes", "lookups", "reminders", "counter", "ops_guard",
    "github_hook", "deploy",
]  # fmt: skip


def test_the_readme_links_the_guide() -> None:
    assert "docs/plugins.md" in (ROOT / "README.md").read_text()


def test_every_example_is_tested_here() -> None:
    named = set(re.findall(r"<!-- example: (\w+) -->", GUIDE))
    assert named == {*EXAMPLES, "test"}


async def test_dice_parses_its_signature_and_answers_usage(plugins: dict[str, Plugin]) -> None:
    async with Harness(plugins["dice"]) as bot:
        assert re.fullmatch(r"🎲 \d+", await bot.ask("!roll 3 20"))
        assert re.fullmatch(r"🎲 \d+, \d+", await bot.ask("!r 2 6 each"))
        assert await bot.ask("!roll 500") == "Roll between 1 and 100 dice."
        usage = await bot.ask("!roll x")
        assert "count must be a whole number, not 'x'" in usage
        assert "Usage: !roll [count=1] [sides=6] [mode: sum|each=sum]" in usage
        assert "Usage: !roll [count=1] [sides=6] [mode: sum|each=sum]" in GUIDE
        [slash] = await bot.invoke("roll", "3")
        assert slash.text.startswith("🎲 ")


async def test_card_replaces_a_placeholder(plugins: dict[str, Plugin]) -> None:
    async with Harness(plugins["about"]) as bot:
        [sent] = await bot.say("!about")
    assert sent.text == "Looking it up…"
    [(ref, edited)] = bot.edits
    assert ref == sent.ref
    card = edited.card
    assert card is not None
    assert card.title == "botloop"
    assert [(f.name, f.value) for f in card.fields] == [("Platform", "test"), ("Prefix", "!")]


async def test_greeter_listens_and_handles_events(plugins: dict[str, Plugin]) -> None:
    room = ChannelRef("test", "room")
    async with Harness(plugins["greeter"]) as bot:
        assert await bot.ask("Good MORNING all") == "Good morning, alice!"
        [welcome] = await bot.emit(MemberJoined("test", BOB, room))
        assert await bot.emit(ReactionAdded("test", room, BOB, "m9", "⭐")) == []
        assert await bot.emit(ReactionAdded("test", room, BOB, "m8", "👍")) == []
        assert await bot.store_of("greeter").keys() == ["stars:m9"]
    assert welcome.text == "Welcome, bob!"
    assert welcome.channel == room


async def test_ops_checks_and_cooldown(plugins: dict[str, Plugin]) -> None:
    ops = plugins["ops"]
    async with Harness(ops, admins="test:u1") as bot:
        assert await bot.ask("!deploy prod", user=BOB, channel="ops") == (
            "Only admins can use `!deploy`."
        )
        assert await bot.ask("!deploy prod", user=ADMIN) == "`!deploy` works only in #ops."
        assert await bot.ask("!deploy prod", user=ADMIN, channel="ops") == "Deploying to prod…"
        refusal = await bot.ask("!deploy prod", user=ADMIN, channel="ops")
        assert re.fullmatch(r"Slow down: try `!deploy` again in (59|60) s\.", refusal)
        assert await bot.say("!deploy prod", user=ADMIN, channel="ops") == []  # told once
        assert await bot.ask("!token") == "`!token` works only in a direct message to me."
        assert await bot.ask("token", direct=True) == "Your token: 1234"


async def test_notes_store_per_plugin(plugins: dict[str, Plugin]) -> None:
    async with Harness(plugins["notes"]) as bot:
        assert await bot.ask("!recall") == "No notes yet."
        assert await bot.ask("!note wifi  the password is  hunter2") == "Noted wifi."
        assert await bot.ask("!recall wifi") == "the password is  hunter2 (by alice)"
        assert await bot.ask("!recall") == "wifi"
        assert await bot.store_of("other").get("note:wifi") is None


async def test_lookups_fan_out_and_answer_per_item(
    plugins: dict[str, Plugin], fake_api: FakeAPI
) -> None:
    fake_api.route("GET", "/price", handler=price_of({"btc": 64000.5, "eth": 3100}))
    env = {"LOOKUPS_API": fake_api.url}
    async with Harness(plugins["lookups"], env=env, http_retries=0) as bot:
        [sent] = await bot.say("!prices btc eth doge")
        assert sent.reply.card is not None
        fields = [(f.name, f.value) for f in sent.reply.card.fields]
        assert fields == [
            ("btc", "$64,000.50"),
            ("eth", "$3,100.00"),
            ("doge", "⚠️ Prices answered 404 (not found)"),
        ]
        await bot.say("!prices btc")  # cached for 60 s: no request
        assert "Usage: !prices <coin> [more…]" in await bot.ask("!prices")
    assert sorted(r.query["coin"] for r in fake_api.requests) == ["btc", "doge", "eth"]


async def test_lookups_report_progress_then_the_answer(
    plugins: dict[str, Plugin], fake_api: FakeAPI
) -> None:
    fake_api.route("GET", "/health/db", Respond(json={"ok": True}))
    fake_api.route("GET", "/health/web", Respond(503))
    async with Harness(plugins["lookups"], env={"LOOKUPS_API": fake_api.url}) as bot:
        [status] = await bot.say(
            "!health db web",
        )
    assert status.text == "Checking services… 0/2"
    assert bot.edits[-1] == (status.ref, Reply("✅ db\n❌ web"))
    assert fake_api.count("/health/web") == 3  # a 503 is retried twice


def price_of(prices: dict[str, float]) -> Handler:
    async def answer(request: web.Request) -> web.Response:
        coin = request.query["coin"]
        if coin not in prices:
            return web.json_response({"error": "unknown coin"}, status=404)
        return web.json_response({"usd": prices[coin]})

    return answer


async def test_reminders_jobs_post_to_the_configured_channel(plugins: dict[str, Plugin]) -> None:
    plugin = plugins["reminders"]
    assert [job.trigger.describe() for job in plugin.jobs] == [
        "every 3600 s",
        "cron 0 9 * * mon-fri (UTC)",
    ]
    async with Harness(plugin, env={"REMINDERS_CHANNEL": "test:team"}) as bot:
        [stretch] = await bot.run_job("reminders.stretch")
        await bot.run_job("reminders.standup")
        [second] = await bot.run_job("reminders.standup")
    assert stretch.channel == ChannelRef("test", "team")
    assert stretch.text == "Time to stretch!"
    assert second.text == "Stand-up #2 in 5 minutes."


async def test_counter_setup_listener_and_teardown(
    plugins: dict[str, Plugin], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    async with Harness(plugins["counter"]) as bot:
        await bot.say("one")
        await bot.say("two")
        # "!seen" matches the listener too; the command's task was started first.
        assert await bot.ask("!seen") == "2 messages so far."
        assert bot.state_of("counter").seen == 3
    assert "counted 3 messages" in caplog.text
    async with Harness(plugins["counter"]) as again:  # a runtime of its own: fresh state
        assert again.state_of("counter").seen == 0


async def test_ops_guard_audits_every_run_and_refuses_all_but_admins_in_maintenance(
    plugins: dict[str, Plugin], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    async with Harness(plugins["ops_guard"], plugins["dice"], admins="test:u1") as bot:
        assert re.fullmatch(r"🎲 \d+", await bot.ask("!roll 1 6", user=BOB))
        assert await bot.ask("!maintenance_mode on", user=BOB) == (
            "Only admins can use `!maintenance_mode`."
        )
        assert await bot.ask("!maintenance_mode on", user=ADMIN) == "Maintenance mode is on."
        assert await bot.ask("!roll 1 6", user=BOB) == "Down for maintenance; back soon."
        assert re.fullmatch(r"🎲 \d+", await bot.ask("!roll 1 6", user=ADMIN))
        await bot.ask("!maintenance_mode off", user=ADMIN)
        assert re.fullmatch(r"🎲 \d+", await bot.ask("!roll 1 6", user=BOB))
    audit = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audit:")]
    assert len(audit) == 7
    assert audit[0].startswith("audit: u2 ran !roll in ")
    assert audit[1].startswith("audit: u2 ran !maintenance_mode in ")  # refused, still logged


async def test_github_hook_checks_the_signature_and_announces_a_push(
    plugins: dict[str, Plugin], caplog: pytest.LogCaptureFixture
) -> None:
    import hashlib
    import hmac
    import json

    secret = "s3cret-hook-key"
    env = {"GITHUB_HOOK_SECRET": secret, "GITHUB_HOOK_CHANNEL": "test:builds"}
    push = {"ref": "refs/heads/main", "pusher": {"name": "ada"}, "commits": [{}, {}]}
    body = json.dumps(push).encode()
    signed = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    path = "/hooks/github_hook/push"
    async with Harness(plugins["github_hook"], env=env) as bot:
        ok = await bot.request("POST", path, body=body, headers={"X-Hub-Signature-256": signed})
        forged = await bot.request(
            "POST", path, body=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
        )
        unsigned = await bot.request("POST", path, body=body)
        ping = await bot.request(
            "POST", path, body=body,
            headers={"X-Hub-Signature-256": signed, "X-GitHub-Event": "ping"},
        )  # fmt: skip
        not_json = b"{nope"
        sig = "sha256=" + hmac.new(secret.encode(), not_json, hashlib.sha256).hexdigest()
        broken = await bot.request(
            "POST", path, body=not_json, headers={"X-Hub-Signature-256": sig}
        )
        assert [s.text for s in bot.sent] == ["**ada** pushed 2 commit(s) to `main`"]
        assert bot.sent[0].channel == ChannelRef("test", "builds")
    assert ok == (204, "")
    assert forged == (401, "bad signature") and unsigned == (401, "bad signature")
    assert ping == (200, "pong")
    assert broken == (400, "the request body is not JSON")
    assert secret not in caplog.text


async def test_the_testing_example_passes(fake_api: FakeAPI) -> None:
    module = ModuleType("docs_test_example")
    namespace: dict[str, Any] = module.__dict__
    exec(compile(example("test"), "docs/plugins.md", "exec", dont_inherit=True), namespace)
    await namespace["test_quote"](fake_api)
    assert fake_api.requests[0].path == "/today"


async def test_deploy_buttons_confirm_select_form_and_ask(plugins: dict[str, Plugin]) -> None:
    async with Harness(plugins["deploy"], admins="test:u1") as bot:
        (question,) = await bot.say("!deploy")
        assert [b.label for b in question.reply.components[0]] == ["Staging", "Prod"]
        (refused,) = await bot.click("Prod", user=BOB)
        assert refused.text == "Only admins can use `deploy.ship`."
        (confirm,) = await bot.click("Prod")
        assert confirm.text == "Really deploy to prod?"
        *_, done = await bot.click("Yes")
        assert done.text == "Deploying **prod**…" and done.replaces == question.ref
        await bot.say("!regions")
        (picked,) = await bot.choose("eu", "ap")
        assert picked.text == "Regions: eu, ap" and picked.reply.ephemeral
        assert await bot.ask("!bug") == "**Report a bug** · Title?"
        assert (
            await bot.ask("Crash") == "**Report a bug** · What happened? (optional: `-` skips it)"
        )
        assert await bot.ask("-") == "Filed: **Crash**"
        await bot.invoke("bug")
        assert [f.name for f in bot.forms[-1].form.fields] == ["title", "body"]
        assert [s.text for s in await bot.submit(title="Boom")] == ["Filed: **Boom**"]
        assert await bot.ask("!city") == "Which city?"
        assert await bot.ask("Oslo") == "Saved Oslo."
        assert await bot.store_of("deploy").get("city:u1") == "Oslo"
