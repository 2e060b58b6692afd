"""Interactive replies through the real runtime (the Harness): components and their
limits, actions as routes, ctx.update, ask, choose, confirm and form, waiting
handlers' slots and deadlines, expired and forged ids, and a click after a restart."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from bot import Context, Plugin, Reply, cooldown, is_admin, requires
from bot.adapters.memory import MemoryAdapter
from bot.errors import PluginError
from bot.model import Action, Button, Form, Select, SelectOption, TextInput
from bot.plugin.actions import VALUES, decode
from bot.storage import SQLiteStore
from bot.testing import Harness
from tests.helpers import running


def deploy() -> Plugin:
    plugin = Plugin("deploy")

    @plugin.command
    async def ship(ctx: Context) -> None:
        await ctx.reply(
            "Where?", buttons=[Button("Staging", "go", "staging"), Button("Prod", "go", "prod")]
        )

    @plugin.on_action("go")
    async def go(ctx: Context, value: str) -> None:
        await ctx.update(f"Deploying {value}…")

    @plugin.command
    async def big(ctx: Context, size: int) -> None:
        await ctx.reply("Big value", buttons=[Button("Take", "take", "v" * size)])

    @plugin.on_action("take")
    async def take(ctx: Context, value: str) -> None:
        await ctx.reply(f"took {len(value)} {value[:3]}", ephemeral=True)

    @plugin.command
    async def pick(ctx: Context) -> None:
        options = [SelectOption("Europe", "eu"), SelectOption("America", "us"), "ap"]
        await ctx.reply("Region?", components=[[Select("region", options, max=2)]])

    @plugin.on_action("region")
    async def region(ctx: Context, values: list[str], value: str) -> None:
        await ctx.reply(f"{values} first={value}")

    @plugin.command
    async def admin(ctx: Context) -> None:
        await ctx.reply("Danger", buttons=[Button("Wipe", "wipe", style="danger")])

    @plugin.on_action("wipe")
    @requires(is_admin)
    async def wipe(ctx: Context) -> None:
        await ctx.update("wiped")

    @plugin.command
    async def spam(ctx: Context) -> None:
        await ctx.reply("Again?", buttons=[Button("Again", "again")])

    @plugin.on_action("again")
    @cooldown(1, 60)
    async def again(ctx: Context) -> None:
        await ctx.reply("again!")

    return plugin


# --- The model ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Button("x" * 76, "a"), "button label is 76 characters; the limit is 75"),
        (lambda: Button("ok"), "needs an action"),
        (lambda: Button("ok", "a", url="https://x.test"), "a url or an action"),
        (lambda: Button("ok", "Bad Name"), "lowercase"),
        (lambda: Button("ok", "a", style="blue"), "must be one of primary"),  # type: ignore[arg-type]
        (lambda: Select("s", [str(i) for i in range(26)]), "1 to 25 options, got 26"),
        (lambda: Select("s", ["a", "a"]), "same value"),
        (lambda: Select("s", ["a"], max=2), "max ≤ 1"),
        (
            lambda: Reply("x", buttons=[Button(str(i), "a", str(i)) for i in range(26)]),
            "at most 5 rows",
        ),
        (
            lambda: Reply("x", components=[[Button(str(i), "a", str(i)) for i in range(6)]]),
            "at most 5 buttons",
        ),
        (
            lambda: Reply("x", components=[[Select("s", ["a"]), Button("b", "b")]]),
            "fills its row alone",
        ),
        (
            lambda: Reply("x", buttons=[Button("a", "a"), Button("b", "a")]),
            "share action and value",
        ),
        (
            lambda: Form("x" * 25, [TextInput("a", "A")]),
            "form title is 25 characters; the limit is 24",
        ),
        (lambda: Form("F", [TextInput(f"f{i}", "A") for i in range(6)]), "1 to 5 fields, got 6"),
        (lambda: TextInput("a", "A", max_length=3001), "max_length ≤ 3000"),
    ],
)
def test_components_are_checked_when_built_naming_the_limit(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        build()  # type: ignore[operator]


def test_buttons_lay_out_five_to_a_row() -> None:
    reply = Reply("x", buttons=[Button(str(i), "a", str(i)) for i in range(7)])
    assert [len(row) for row in reply.components] == [5, 2]


def test_an_action_handler_must_take_value_or_values() -> None:
    plugin = Plugin("p")
    with pytest.raises(PluginError, match="takes \\(ctx, value: str\\)"):

        @plugin.on_action("x")
        async def x(ctx: Context, city: str) -> None: ...


# --- Actions as routes ---------------------------------------------------------------------------


async def test_a_click_routes_by_its_id_and_updates_the_message() -> None:
    async with Harness(deploy()) as bot:
        (shown,) = await bot.say("!ship")
        assert [b.id for b in shown.reply.components[0]] == [
            "botloop:deploy:go:staging",
            "botloop:deploy:go:prod",
        ]
        (update,) = await bot.click("Prod")
    assert update.text == "Deploying prod…" and update.replaces == shown.ref
    assert bot.adapter.shown[shown.ref.id].reply.components == ()  # the buttons went with it


async def test_a_select_gives_values_and_the_first_as_value() -> None:
    async with Harness(deploy()) as bot:
        await bot.say("!pick")
        (answer,) = await bot.choose("America", "ap")
    assert answer.text == "['us', 'ap'] first=us"


async def test_a_long_value_is_kept_in_the_store_and_reaches_the_handler() -> None:
    async with Harness(deploy()) as bot:
        (shown,) = await bot.say("!big 500")
        ident = shown.reply.components[0][0].id
        assert len(ident) <= 100
        plugin, action, value = decode(ident) or ("", "", "")
        assert (plugin, action) == ("deploy", "take") and value.startswith("~")
        assert await bot.store.get(VALUES, value[1:]) == "v" * 500
        (answer,) = await bot.click("Take")
        assert answer.text == "took 500 vvv" and answer.reply.ephemeral
        await bot.store.delete(VALUES, value[1:])  # as its TTL would
        (expired,) = await bot.click("Take")
    assert expired.text == "This button has expired." and expired.reply.ephemeral


async def test_checks_and_cooldowns_apply_to_clicks() -> None:
    async with Harness(deploy(), admins="test:boss") as bot:
        await bot.say("!admin")
        (refused,) = await bot.click("Wipe")
        assert refused.text == "Only admins can use `deploy.wipe`." and refused.reply.ephemeral
        (done,) = await bot.click("Wipe", user="boss")
        assert done.text == "wiped"
        await bot.say("!spam")
        assert [s.text for s in await bot.click("Again")] == ["again!"]
        (slow,) = await bot.click("Again")
    assert slow.text.startswith("Slow down")


async def test_middleware_sees_an_action_route() -> None:
    seen = []
    plugin = deploy()

    @plugin.middleware(scope="all")
    async def audit(ctx: Context, call_next: object) -> None:
        assert ctx.route is not None
        seen.append((ctx.route.kind, ctx.route.label))
        await call_next(ctx)  # type: ignore[operator]

    async with Harness(plugin) as bot:
        await bot.say("!ship")
        await bot.click("Staging")
    assert seen == [("command", "!ship"), ("action", "deploy.go")]


async def test_an_unknown_or_forged_id_answers_expired_and_logs_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with Harness(deploy()) as bot:
        channel = bot.adapter.channel
        for ident in ("botloop:deploy:nosuch:x", "botloop:nobody:go:x", "<script>", ""):
            (answer,) = await bot.emit(Action("test", channel, bot.user, ident, key=ident))
            assert answer.text == "This button has expired." and answer.reply.ephemeral
    assert "Traceback" not in caplog.text
    assert "no handler for action deploy:nosuch" in caplog.text
    assert "not ours: '<script>'" in caplog.text


# --- Conversations -------------------------------------------------------------------------------


def talk() -> Plugin:
    plugin = Plugin("talk")

    @plugin.command
    async def city(ctx: Context, wait: float = 5) -> None:
        answer = await ctx.ask("Which city?", timeout=wait)
        await ctx.reply(f"city={answer}")

    @plugin.command
    async def env(ctx: Context, count: int = 2, wait: float = 5) -> None:
        picked = await ctx.choose("Where?", [f"e{i}" for i in range(count)], timeout=wait)
        await ctx.reply(f"picked={picked}")

    @plugin.command
    async def sure(ctx: Context) -> None:
        await ctx.reply(f"sure={await ctx.confirm('Really?')}")

    @plugin.command
    async def bug(ctx: Context, wait: float = 5) -> None:
        fields = [
            TextInput("title", "Title", max_length=10),
            TextInput("note", "Note", required=False),
        ]
        await ctx.reply(f"form={await ctx.form(Form('Bug', fields), timeout=wait)}")

    @plugin.command
    async def ping(ctx: Context) -> None:
        await ctx.reply("pong")

    return plugin


async def test_ask_takes_the_askers_next_message_which_no_command_sees() -> None:
    async with Harness(talk()) as bot:
        assert await bot.ask("!city") == "Which city?"
        # Someone else talking in the channel is not the answer; their command runs.
        assert await bot.ask("!ping", user="u2") == "pong"
        # The asker's answer is not a command, even when it looks like one.
        assert await bot.ask("!ping") == "city=!ping"


async def test_ask_times_out_to_none_with_a_note() -> None:
    async with Harness(talk()) as bot:
        await bot.say("!city 0.2")
        await asyncio.sleep(0.4)
        await bot.settle()
    assert [s.text for s in bot.sent[-2:]] == [
        "No answer within 1 s; I stopped waiting.",
        "city=None",
    ]


async def test_choose_counts_only_the_askers_click_and_disables_the_buttons() -> None:
    async with Harness(talk()) as bot:
        (question,) = await bot.say("!env")
        (refusal,) = await bot.click("e1", user="u2")
        assert refusal.text == "This isn't yours to answer." and refusal.reply.ephemeral
        update, answer = await bot.click("e1")
        assert update.replaces == question.ref and update.text == "Where?\n→ **e1**"
        assert all(b.disabled for b in update.reply.components[0])
        assert [b.style for b in update.reply.components[0]] == ["secondary", "primary"]
        assert answer.text == "picked=e1"
        with pytest.raises(LookupError, match="disabled"):
            await bot.click("e0")


async def test_choose_past_five_is_a_select_and_a_timeout_disables_it() -> None:
    async with Harness(talk()) as bot:
        (question,) = await bot.say("!env 7 0.2")
        (select,) = question.reply.components[0]
        assert isinstance(select, Select) and len(select.choices) == 7
        await asyncio.sleep(0.4)
        await bot.settle()
        ref, closed = bot.edits[-1]
    assert ref == question.ref and all(c.disabled for row in closed.components for c in row)
    assert bot.sent[-1].text == "picked=None"


async def test_confirm_is_a_bool() -> None:
    async with Harness(talk()) as bot:
        await bot.say("!sure")
        assert (await bot.click("Yes"))[-1].text == "sure=True"
        await bot.say("!sure")
        assert (await bot.click("No"))[-1].text == "sure=False"


async def test_a_form_opens_as_a_modal_from_a_slash_command_and_checks_its_fields() -> None:
    async with Harness(talk()) as bot:
        assert await bot.invoke("bug") == []
        assert bot.forms[-1].form.title == "Bug"
        (refusal,) = await bot.submit(title="far too long a title")
        assert refusal.text == "Title is 20 characters; at most 10." and refusal.reply.ephemeral
        (answer,) = await bot.submit(title="Crash")
    assert answer.text == "form={'title': 'Crash', 'note': ''}"


async def test_a_form_from_a_typed_command_is_asked_field_by_field() -> None:
    async with Harness(talk()) as bot:
        assert await bot.ask("!bug") == "**Bug** · Title?"
        assert await bot.ask("") == "Title is required. Title?"
        assert await bot.ask("Crash") == "**Bug** · Note? (optional: `-` skips it)"
        assert await bot.ask("-") == "form={'title': 'Crash', 'note': ''}"


async def test_a_waiting_handler_holds_no_slot_and_its_clock_stops() -> None:
    # One slot, and 0.3 s per handler: the asker waits 0.6 s for its answer while
    # another command takes the slot, and still finishes.
    async with Harness(talk(), max_concurrency=1, handler_timeout=0.3) as bot:
        await bot.say("!city")
        assert await bot.ask("!ping", user="u2") == "pong"
        await asyncio.sleep(0.6)
        assert await bot.ask("Oslo") == "city=Oslo"


async def test_a_shutdown_does_not_wait_for_a_pending_ask() -> None:
    loop = asyncio.get_running_loop()
    async with Harness(talk(), shutdown_grace=20) as bot:
        await bot.say("!city 30")
        started = loop.time()
    assert loop.time() - started < 5


# --- A click after a restart -------------------------------------------------------------------


async def test_a_click_after_a_restart_reaches_its_handler(tmp_path: Path) -> None:
    """Two runtimes, one after the other, on one SQLite file: the second knows nothing of
    the first but its store, and a click on the first's button still works."""
    path = tmp_path / "bot.db"
    async with Harness(deploy(), store=await SQLiteStore.open(path)) as first:
        (shown,) = await first.say("!big 300")
        button = shown.reply.components[0][0]
    async with Harness(deploy(), store=await SQLiteStore.open(path)) as second:
        click = Action("test", shown.channel, second.user, button.id, message=shown.ref, key="k1")
        (answer,) = await second.emit(click)
    assert answer.text == "took 300 vvv"


async def test_a_click_after_a_restart_in_a_new_process(tmp_path: Path) -> None:
    child = Path(__file__).with_name("interactive_child.py")
    db = str(tmp_path / "bot.db")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}

    async def run(*args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(child), db, *args, stdout=asyncio.subprocess.PIPE, env=env
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0
        return out.decode().strip()

    ident = await run("send")
    assert ident.startswith("botloop:deploy:take:~")
    assert await run("click", ident) == "took 300 vvv"


class OlderAdapter(MemoryAdapter):
    """An adapter written before interactions: no update, no open_form."""

    update = None  # type: ignore[assignment]
    open_form = None  # type: ignore[assignment]


async def test_an_adapter_without_update_or_forms_edits_and_asks_instead() -> None:
    adapter = OlderAdapter()
    async with running(deploy(), talk(), adapter=adapter) as (_, runtime):
        assert runtime.dispatcher is not None
        adapter.say("!ship")
        (shown,) = await adapter.wait_for(1)
        adapter.click("Prod")
        await runtime.dispatcher.idle()
        assert adapter.edits == [(shown.ref, Reply("Deploying prod…"))]
        adapter.invoke("bug")  # a slash command, yet no modal: asked in the channel
        sent = await adapter.wait_for(2)
    assert sent[-1].text == "**Bug** · Title?"
