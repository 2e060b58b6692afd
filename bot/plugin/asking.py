"""The conversation flows behind ``ctx.ask``, ``ctx.choose`` and ``ctx.form``: what is
posted, what is waited for (:mod:`bot.plugin.conversation`), and what the answer
becomes. Kept apart from the Context, which only names them (this module is its
own package's, so it uses the Context's private ``_outlet`` and ``_update``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import PluginError
from bot.model import Action, Button, Form, Message, Reply, Select, SelectOption, User, disabled
from bot.model.components import LABEL_MAX
from bot.plugin import actions
from bot.plugin.conversation import ask_key
from bot.plugin.guards import wait_text

if TYPE_CHECKING:
    from bot.plugin.context import Context


def asker(ctx: Context) -> tuple[Message | Action, User]:
    """The message or click being answered, and who sent it."""
    event = ctx.event
    if isinstance(event, Message):
        return event, event.author
    if isinstance(event, Action):
        return event, event.user
    raise PluginError("ctx.ask, ctx.choose and ctx.form need a message or a click to answer")


async def ask(ctx: Context, question: str | Reply, timeout: float) -> str | None:
    event, _ = asker(ctx)
    await ctx.reply(question)
    conv = ctx.services.conversations
    waiter = conv.expect_message(ask_key(event), ctx.task)
    answer: Message | None = await conv.wait(waiter, timeout)
    if answer is None:
        await ctx.reply(_no_answer(timeout))
        return None
    return answer.text


async def choose(
    ctx: Context, question: str, choices: list[str] | tuple[str, ...], timeout: float
) -> str | None:
    if not 1 <= len(choices) <= 25:
        raise PluginError(f"ctx.choose takes 1 to 25 choices, got {len(choices)}")
    _, user = asker(ctx)
    key = actions.token()
    ident = actions.encode(actions.WAITER, key)
    rows: list[list[Button | Select]]
    if len(choices) <= 5:
        rows = [[Button(_label(c), id=ident + str(i)) for i, c in enumerate(choices)]]
    else:
        opts = [SelectOption(_label(c), str(i)) for i, c in enumerate(choices)]
        rows = [[Select("", opts, placeholder="Choose…", id=ident)]]
    shown = Reply(question, components=rows)
    conv = ctx.services.conversations
    waiter = conv.expect_action(key, user.id, ctx.task)
    ref = await ctx.reply(shown)
    click: Action | None = await conv.wait(waiter, timeout)
    if click is None:
        await ctx.edit(ref, Reply(question, components=disabled(shown.components)))
        await ctx.reply(_no_answer(timeout))
        return None
    index = int(click.values[0] if click.values else click.id.rpartition(":")[2])
    chosen = disabled(shown.components, click.id)
    await ctx._update(click, Reply(f"{question}\n→ **{choices[index]}**", components=chosen))
    return choices[index]


async def form(ctx: Context, spec: Form, timeout: float) -> dict[str, str] | None:
    trigger, user = asker(ctx)
    key = actions.token()
    conv = ctx.services.conversations
    waiter = conv.expect_action(key, user.id, ctx.task, spec)
    open_form = getattr(ctx._outlet(), "open_form", None)  # None: an older adapter
    if open_form is not None and await open_form(
        trigger, spec, actions.encode(actions.WAITER, key)
    ):
        submitted: Action | None = await conv.wait(waiter, timeout)
        if submitted is None:
            return None
        fields = submitted.fields or {}
        return {field.name: fields.get(field.name, "").strip() for field in spec.fields}
    conv.tokens.pop(key, None)
    return await _in_channel(ctx, spec, timeout)


async def _in_channel(ctx: Context, spec: Form, timeout: float) -> dict[str, str] | None:
    """The form asked field by field, where no modal can open; a field that does not
    fit is asked again, with why."""
    answers: dict[str, str] = {}
    for field in spec.fields:
        skip = " (optional: `-` skips it)" if not field.required else ""
        label = field.label if field.label.endswith(("?", ":")) else f"{field.label}?"
        question = f"**{spec.title}** · {label}{skip}"
        while True:
            text = await ask(ctx, question, timeout)
            if text is None:
                return None
            text = "" if not field.required and text.strip() == "-" else text.strip()
            problem = field.problem(text)
            if problem is None:
                break
            question = f"{problem} {label}{skip}"
        answers[field.name] = text
    return answers


def _no_answer(timeout: float) -> str:
    return f"No answer within {wait_text(timeout).removeprefix('in ')}; I stopped waiting."


def _label(choice: str) -> str:
    """A choice as a button label fits: the platforms' limit, cut with an ellipsis."""
    return choice if len(choice) <= LABEL_MAX else choice[: LABEL_MAX - 1] + "…"
