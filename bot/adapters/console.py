"""The console adapter: a terminal chat, and the embedded default.

Interactive on a terminal; with stdin piped, it reads lines until EOF and the
bot exits once every handler has finished, so ``printf '!ping\\n' | python -m bot``
is scriptable. A terminal or a pipe is watched by the event loop (``add_reader``)
and read once readable, so no thread can be left blocked in ``readline`` when the
loop stops (that aborted the interpreter on Ctrl-C); stdin stays a blocking file,
so stdout and stderr, which often share its terminal, are never put into
non-blocking mode. Only what the loop cannot watch (a regular file, an in-memory
stream) is read on a thread, which never waits long. Output is a few small
writes per reply.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import BinaryIO, TextIO

from bot.adapters.base import BuildArgs, Host
from bot.model import (
    Action,
    BotReady,
    Button,
    Card,
    ChannelRef,
    Form,
    Message,
    MessageRef,
    Reply,
    Rows,
    Sink,
    User,
)

CHANNEL = ChannelRef("console", "console")
PROMPT = "> "


# What typing a number clicks: the component's id, and the option value for a select.
Choice = tuple[str, str | None]


def render(reply: Reply, *, styled: bool = False) -> str:
    """A reply as terminal text, a card as an indented block: the Markdown subset in
    ANSI bold, italic and colour when ``styled`` (a terminal), else plain text.
    Buttons and select options show numbered: ``[1] staging  [2] prod``."""
    return render_numbered(reply, styled=styled)[0]


def render_numbered(reply: Reply, *, styled: bool = False) -> tuple[str, list[Choice]]:
    """:func:`render`, and what each number clicks (number n is item n-1)."""
    lines = [reply.text] if reply.text else []
    if reply.card is not None:
        lines += render_card(reply.card)
    choices: list[Choice] = []
    lines += render_components(reply.components, choices)
    # One user at a terminal: ephemeral changes nothing here.
    return terminal_text("\n".join(lines), styled=styled), choices


def render_components(rows: Rows, choices: list[Choice]) -> list[str]:
    """One line per row of buttons, one per select option; disabled ones unnumbered."""
    lines = []
    for row in rows:
        shown = []
        for comp in row:
            if isinstance(comp, Button):
                if comp.url:
                    shown.append(f"{comp.label} <{comp.url}>")
                elif comp.disabled:
                    shown.append(f"({comp.label})")
                else:
                    choices.append((comp.id, None))
                    shown.append(f"[{len(choices)}] {comp.label}")
            else:
                for option in comp.choices:
                    if comp.disabled:
                        lines.append(f"  ({option.label})")
                        continue
                    choices.append((comp.id, option.value))
                    lines.append(f"  [{len(choices)}] {option.label}")
        if shown:
            lines.append("  ".join(shown))
    return lines


_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:```|$)", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_STYLES = {"bold": ("\x1b[1m", "\x1b[22m"), "italic": ("\x1b[3m", "\x1b[23m")}
_STYLES |= {"code": ("\x1b[36m", "\x1b[39m")}


def terminal_text(markdown: str, *, styled: bool) -> str:
    """The Markdown subset for a terminal: code blocks lose their fences, links show
    their URL, and bold, italic and code become ANSI styles (or plain text)."""
    parts = _FENCE.split(markdown)  # odd items: the insides of code blocks, kept as typed
    out = [part.rstrip("\n") if i % 2 else _inline(part, styled) for i, part in enumerate(parts)]
    return "".join(out)


def _inline(text: str, styled: bool) -> str:
    pieces = _CODE.split(text)  # odd items: inline code, never restyled inside
    return "".join(
        _wrap("code", piece, styled) if i % 2 else _prose(piece, styled)
        for i, piece in enumerate(pieces)
    )


def _prose(text: str, styled: bool) -> str:
    text = _LINK.sub(lambda m: f"{m.group(1)} <{m.group(2)}>", text)
    text = _BOLD.sub(lambda m: _wrap("bold", m.group(1), styled), text)
    return _ITALIC.sub(lambda m: _wrap("italic", m.group(1), styled), text)


def _wrap(kind: str, text: str, styled: bool) -> str:
    on, off = _STYLES[kind] if styled else ("", "")
    return f"{on}{text}{off}"


def render_card(card: Card) -> list[str]:
    head = f"**{card.title}**" if card.title else ""
    if card.url:
        head = f"{head} <{card.url}>".strip()
    body = [head] if head else []
    if card.description:
        body += card.description.splitlines()
    body += [f"{f.name}: {f.value}" for f in card.fields]
    if card.image:
        body.append(f"[image] {card.image}")
    if card.footer:
        body.append(f"— {card.footer}")
    return ["│ " + line for line in body]


class ConsoleAdapter:
    """Chat with the bot in a terminal. Every line is a direct message to it."""

    platform = "console"
    can_edit = True  # an "edit" prints the new version below: the updates stay readable

    def __init__(
        self,
        *,
        bot_name: str = "botloop",
        stdin: BinaryIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self._stdin = stdin if stdin is not None else sys.stdin.buffer
        self._out = stdout if stdout is not None else sys.stdout
        self._interactive = self._stdin.isatty() if interactive is None else interactive
        # Styles on a terminal only, and never when the user asks for none (no-color.org).
        self._styled = self._interactive and self._out.isatty() and not os.environ.get("NO_COLOR")
        self._bot_name = bot_name
        self._user = User(id="console", name=os.environ.get("USER", "you"))
        self._ids = itertools.count(1)
        self._running = False
        self._partial = b""  # a line read in part, waiting for its newline
        self._choices: list[Choice] = []  # what a number typed now clicks (the newest shown)
        self._choices_on: MessageRef | None = None

    @property
    def is_ready(self) -> bool:
        return self._running

    def attach(self, host: Host) -> None:
        """Nothing to take: a terminal needs no network."""

    async def run(self, sink: Sink) -> None:
        """Send each input line to ``sink``; return at end of input."""
        self._running = True
        lines: asyncio.Queue[bytes | None] = asyncio.Queue()
        stop_reading = self._start_reading(asyncio.get_running_loop(), lines)
        try:
            await self._serve(sink, lines)
        finally:
            stop_reading()
            self._running = False

    def _start_reading(
        self, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[bytes | None]
    ) -> Callable[[], None]:
        """Feed ``lines`` from stdin until EOF (then None); returns how to stop."""
        try:
            fd = self._stdin.fileno()
            loop.add_reader(fd, self._readable, loop, fd, lines)
        except (OSError, ValueError):  # no fd (a BytesIO), or a regular file epoll refuses
            threading.Thread(
                target=self._read, args=(loop, lines), name="console-stdin", daemon=True
            ).start()
            return lambda: None

        def stop() -> None:
            loop.remove_reader(fd)

        return stop

    def _readable(
        self, loop: asyncio.AbstractEventLoop, fd: int, lines: asyncio.Queue[bytes | None]
    ) -> None:
        # The loop saw data waiting: this read returns at once, though the fd blocks.
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            if self._partial:
                lines.put_nowait(self._partial)
            lines.put_nowait(None)
            return
        *complete, self._partial = (self._partial + data).split(b"\n")
        for line in complete:
            lines.put_nowait(line + b"\n")

    async def _serve(self, sink: Sink, lines: asyncio.Queue[bytes | None]) -> None:
        sink(BotReady(self.platform, User("bot", self._bot_name, is_bot=True)))
        if self._interactive:
            self._write(f"{self._bot_name} is listening. Type help, or Ctrl-D to quit.")
            self._prompt()
        while (raw := await lines.get()) is not None:
            text = raw.decode("utf-8", "replace").strip()
            if text.isdigit() and 0 < int(text) <= len(self._choices):
                sink(self._click(int(text)))
            elif text:
                msg_id = str(next(self._ids))
                sink(Message("console", CHANNEL, self._user, text, msg_id, is_direct=True, raw=raw))
            elif self._interactive:
                self._prompt()

    def _read(self, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[bytes | None]) -> None:
        # Runs on the reader thread: hand each line to the loop, then None at EOF.
        try:
            for raw in iter(self._stdin.readline, b""):
                loop.call_soon_threadsafe(lines.put_nowait, raw)
            loop.call_soon_threadsafe(lines.put_nowait, None)
        except (RuntimeError, ValueError, OSError):
            pass  # the loop closed or stdin went away while we were reading: nothing to tell

    def _click(self, number: int) -> Action:
        ident, value = self._choices[number - 1]
        ref = self._choices_on or MessageRef(CHANNEL, "")
        values = (value,) if value is not None else ()
        key = str(next(self._ids))
        return Action(self.platform, CHANNEL, self._user, ident, values, ref, key=key)

    async def send(
        self, channel: ChannelRef, reply: Reply, *, reply_to: Message | Action | None = None
    ) -> MessageRef:
        ref = MessageRef(channel, str(next(self._ids)))
        text, choices = render_numbered(reply, styled=self._styled)
        if reply.components:
            self._choices, self._choices_on = choices, ref
        self._show(text)
        return ref

    async def edit(self, ref: MessageRef, reply: Reply) -> MessageRef:
        # A terminal cannot rewrite what scrolled by: print the new version.
        text, choices = render_numbered(reply, styled=self._styled)
        if ref == self._choices_on:  # the buttons shown are these: they change with it
            self._choices = choices
        self._show(text)
        return ref

    def _show(self, text: str) -> None:
        if self._interactive:
            # Start at column 0 (the prompt may be showing), then show the prompt again.
            self._write(f"\r{self._bot_name}: {text}")
            self._prompt()
        else:
            self._write(text)

    async def update(self, action: Action, reply: Reply) -> MessageRef:
        return await self.edit(action.message or MessageRef(CHANNEL, ""), reply)

    async def open_form(self, trigger: Message | Action, form: Form, form_id: str) -> bool:
        """A terminal has no modals: the form is asked field by field."""
        return False

    async def react(self, message: Message, emoji: str) -> None:
        self._write(f"({self._bot_name} reacted {emoji})")

    def typing(self, channel: ChannelRef) -> AbstractAsyncContextManager[None]:
        return self._typing()

    @asynccontextmanager
    async def _typing(self) -> AsyncIterator[None]:
        if self._interactive:
            self._write(f"({self._bot_name} is typing…)")
        yield

    def _prompt(self) -> None:
        self._out.write(PROMPT)
        self._out.flush()

    def _write(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    async def close(self) -> None:
        self._out.flush()


class ConsoleFactory:
    """The ``console`` entry point: never chosen by ``auto`` next to a platform
    (it is what ``auto`` falls back to when none is configured)."""

    def configured(self, environ: Mapping[str, str]) -> bool:
        return False

    def build(self, args: BuildArgs) -> ConsoleAdapter:
        return ConsoleAdapter(bot_name=args.settings.name)


factory = ConsoleFactory()
