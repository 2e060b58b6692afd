"""``Harness``: run plugins offline, through the real runtime, and read their replies."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import Mapping
from types import SimpleNamespace, TracebackType
from typing import Any

import aiohttp

from bot.adapters.memory import MemoryAdapter, Opened, Sent
from bot.config import Settings
from bot.core import Registry, Runtime
from bot.core.builtins import help_plugin
from bot.errors import PluginError
from bot.model import Card, ChannelRef, Event, Invocation, MessageRef, Reply, Select, User
from bot.plugin import Plugin
from bot.storage import KeyValue, MemoryStore, Store
from bot.web import WebSettings


class Harness:
    """The real Runtime and dispatcher on an in-memory adapter and store: no network,
       no credentials, the same code path as production. ::

           async with Harness(plugin, env={"WEATHER_UNITS": "imperial"}) as bot:
               assert await bot.ask("!greet Ada") == "Hello, **Ada**!"

       Every call that delivers something (:meth:`say`, :meth:`invoke`, :meth:`emit`,
       :meth:`click`, :meth:`choose`, :meth:`submit`, :meth:`run_job`) returns once
       every handler it started has finished or waits for the user (``ctx.ask``,
       ``ctx.choose``, ``ctx.form``), with the replies sent meanwhile, so a test can
       drive a conversation step by step::

           await bot.say("!deploy")          # → "Deploy where?" with two buttons
           replies = await bot.click("prod") # → the message updated: "Deploying prod…"
    ``settings`` override framework settings by field
       name (``prefix="?"``, ``admins="test:u1"``). Plugins may reach private
       addresses here (the fakes live on 127.0.0.1); ``http_allow_private=False``
       tests the guard the bot applies in production. ``web``: where the web server
       listens (by default a free loopback port, when a plugin has a webhook).
    ``store``: the store to run on (default a fresh in-memory one), closed on exit;
    ``SQLiteStore.open(path)`` twice on one file plays a restart.
    """

    def __init__(
        self,
        *plugins: Plugin,
        env: Mapping[str, str] | None = None,
        platform: str = "test",
        user: User | None = None,
        web: WebSettings | None = None,
        store: Store | None = None,
        **settings: Any,
    ) -> None:
        self.adapter = MemoryAdapter(platform)
        self.user = user or self.adapter.user
        self.store = store if store is not None else MemoryStore()
        self.registry = Registry()
        self.registry.add(help_plugin(self.registry), {}, origin="built in")
        for plugin in plugins:
            self.registry.add(plugin, env or {}, origin="harness")
        if self.registry.clashes:
            raise PluginError(str(self.registry.clashes[0]))
        settings.setdefault("shutdown_grace", 5.0)
        # Offline tests talk to fakes on 127.0.0.1 (FakeAPI): let plugins reach it.
        settings.setdefault("http_allow_private", True)
        self.runtime = Runtime(
            dataclasses.replace(Settings(), **settings),
            self.registry,
            [self.adapter],
            store=self.store,
            # Webhooks are served on a free port of the loopback only (see request).
            web=web or (WebSettings(host="127.0.0.1", port=0) if self.registry.webhooks else None),
        )
        self._task: asyncio.Task[int] | None = None

    async def __aenter__(self) -> Harness:
        self._task = asyncio.get_running_loop().create_task(self.runtime.run(), name="harness")
        ready = asyncio.ensure_future(self.adapter.ready())
        await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():  # the runtime ended before the adapter started: say why
            ready.cancel()
            self._task.result()
            raise PluginError("the runtime stopped before it started")
        await self.settle()  # bot_ready handlers
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.adapter.finish()
        if self._task is not None:
            code = await self._task
            if code != 0 and kind is None:
                raise AssertionError(f"the runtime exited with code {code}")

    # Deliver

    async def say(
        self,
        text: str,
        *,
        user: User | str | None = None,
        channel: str | ChannelRef | None = None,
        mentioned: bool = False,
        direct: bool = False,
    ) -> list[Sent]:
        """Post ``text`` and return the replies once every handler finished.

        ``user``: a User, or a user id (``"u2"``, named after it); default the
        harness's user. ``channel``: a ChannelRef or a channel id on the harness's
        platform; default its one channel.
        """
        before = len(self.adapter.sent)
        self.adapter.say(
            text,
            user=self._user(user),
            channel=self._channel(channel),
            mentioned=mentioned,
            is_direct=direct,
        )
        await self.settle()
        return self.adapter.sent[before:]

    def _user(self, user: User | str | None) -> User:
        if user is None:
            return self.user
        if isinstance(user, str):
            return User(user, user)
        if not isinstance(user, User):
            raise TypeError(f"user must be a User or a user id string, got {user!r}")
        return user

    def _channel(self, channel: ChannelRef | str | None) -> ChannelRef | None:
        if channel is None or isinstance(channel, ChannelRef):
            return channel
        if isinstance(channel, str):
            return ChannelRef(self.adapter.platform, channel)
        raise TypeError(f"channel must be a ChannelRef or a channel id string, got {channel!r}")

    async def ask(self, text: str, **options: Any) -> str:
        """The text of the one reply to ``text``; fails the test on none or several."""
        replies = await self.say(text, **options)
        if len(replies) != 1:
            shown = [r.text for r in replies]
            raise AssertionError(f"expected one reply to {text!r}, got {len(replies)}: {shown}")
        return replies[0].text

    async def ask_card(self, text: str, **options: Any) -> Card:
        """The card of the one reply to ``text``; fails the test on none, several, or no card."""
        replies = await self.say(text, **options)
        if len(replies) != 1 or replies[0].reply.card is None:
            shown = [r.text or r.reply.card for r in replies]
            raise AssertionError(f"expected one card in answer to {text!r}, got {shown}")
        return replies[0].reply.card

    async def invoke(
        self, command: str, args: str = "", *, user: User | str | None = None
    ) -> list[Sent]:
        """Run ``command`` as a slash command does (``/weather Paris``)."""
        before = len(self.adapter.sent)
        text = f"/{command} {args}".strip()
        self.adapter.say(text, user=self._user(user), invocation=Invocation(command, args))
        await self.settle()
        return self.adapter.sent[before:]

    async def emit(self, event: Event) -> list[Sent]:
        """Deliver a neutral event (ReactionAdded, MemberJoined…) and return the replies."""
        before = len(self.adapter.sent)
        self.adapter.emit(event)
        await self.settle()
        return self.adapter.sent[before:]

    async def click(self, label_or_action: str, *, user: User | str | None = None) -> list[Sent]:
        """Click the newest button with this label (or action) that the bot shows, or
        pick the select option with this label or value; the replies it caused
        (an update of the clicked message is one, with ``replaces`` set)."""
        before = len(self.adapter.sent)
        self.adapter.click(label_or_action, user=self._user(user))
        await self.settle()
        return self.adapter.sent[before:]

    async def choose(self, *labels: str, user: User | str | None = None) -> list[Sent]:
        """Choose one or more options (by label or value) of the newest select that
        has the first of them; the replies it caused."""
        _, comp, _ = self.adapter.component(labels[0])
        if not isinstance(comp, Select):
            raise LookupError(f"{labels[0]!r} is a button; use click")
        by_label = {o.label: o.value for o in comp.choices}
        by_label.update((o.value, o.value) for o in comp.choices)
        values = tuple(by_label[label] for label in labels)
        before = len(self.adapter.sent)
        self.adapter.click(labels[0], user=self._user(user), values=values)
        await self.settle()
        return self.adapter.sent[before:]

    async def submit(
        self,
        fields: Mapping[str, str] | None = None,
        *,
        user: User | str | None = None,
        **values: str,
    ) -> list[Sent]:
        """Submit the form the bot opened last (``submit(title="Crash", body="…")``);
        the replies it caused."""
        before = len(self.adapter.sent)
        self.adapter.submit({**(fields or {}), **values}, user=self._user(user) if user else None)
        await self.settle()
        return self.adapter.sent[before:]

    @property
    def forms(self) -> list[Opened]:
        """Every form the bot opened as a modal, in order (``forms[-1].form.title``)."""
        return self.adapter.forms

    async def run_job(self, name: str) -> list[Sent]:
        """Run the scheduled job ``name`` (``plugin.function``) once now."""
        if self.runtime.scheduler is None:
            raise RuntimeError("the harness is not running")
        before = len(self.adapter.sent)
        await self.runtime.scheduler.run_now(name)
        await self.settle()
        return self.adapter.sent[before:]

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str = b"",
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """Call a plugin webhook over loopback HTTP (``path`` as declared, under
        ``/hooks/<plugin>``): its status and body text, once the handler finished."""
        if self.runtime.web is None:
            raise PluginError("no web server runs: give a plugin a webhook, or pass web=")
        url = f"http://127.0.0.1:{self.runtime.web.port}{path}"
        data = io.BytesIO(body.encode() if isinstance(body, str) else body)
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method,
                url,
                data=None if json is not None else data,
                json=json,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=30),
            ) as resp,
        ):
            text = await resp.text()
        await self.settle()
        return resp.status, text

    async def settle(self) -> None:
        """Wait until no handler is running."""
        if self.runtime.dispatcher is not None:
            await self.runtime.dispatcher.idle()

    # Read

    @property
    def sent(self) -> list[Sent]:
        """Every reply so far, in order."""
        return self.adapter.sent

    @property
    def edits(self) -> list[tuple[MessageRef, Reply]]:
        return self.adapter.edits

    @property
    def reactions(self) -> list[tuple[Any, str]]:
        return self.adapter.reactions

    def store_of(self, plugin: str) -> KeyValue:
        """The store plugin ``plugin`` sees as ``ctx.store``, to seed or inspect."""
        return KeyValue(self.store, plugin)

    def state_of(self, plugin: str) -> SimpleNamespace:
        """What plugin ``plugin`` keeps in ``ctx.state`` (what its setup made), to inspect."""
        return self.registry.mounts[plugin].state
