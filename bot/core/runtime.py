"""The Runtime: owns the store, the HTTP session, the adapters, the dispatcher and
the scheduler, from start to a clean exit.

Start-up: open the store and the sessions, run the plugins' setup hooks, compose
the routes, start the web server (when a port is set or something serves a
route), then the adapters and the scheduled jobs. Shutdown (SIGINT/SIGTERM, or
every adapter finished) unwinds in reverse: stop taking events, let in-flight handlers and job
runs finish within the grace period and cancel the rest, run the teardown hooks
(adapters still open, so a goodbye can be posted), close the adapters, the
session and the store. A second signal skips the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import aiohttp

from bot.adapters.base import Adapter, Host
from bot.config import Settings
from bot.core.dispatch import Dispatcher
from bot.core.lifespan import job_runner, run_claim, set_up, tear_down
from bot.core.metrics import Metrics
from bot.core.registry import Registry
from bot.core.relay import Relay
from bot.core.scheduler import Scheduler
from bot.core.webhooks import mount_webhooks
from bot.errors import ConfigError
from bot.http import Fetcher, FetchPolicy, create_session
from bot.logging import plural
from bot.model import Event
from bot.plugin.wiring import Services
from bot.storage import KeyValue, Store, open_store, storage_url
from bot.web import WebSettings
from bot.web.routes import WebRoutes

if TYPE_CHECKING:
    from bot.web.server import WebServer

log = logging.getLogger("bot.runtime")


class Runtime:
    """Runs the registry's plugins on ``adapters`` in the current event loop."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        adapters: Sequence[Adapter],
        *,
        store: Store | None = None,
        web: WebSettings | None = None,
    ) -> None:
        """``store``: use this store (the test harness's) instead of opening STORAGE_URL.
        ``web``: where the web server listens (default: no port, so only when needed)."""
        self.settings = settings
        self.store = store
        self.registry = registry
        self.adapters = list(adapters)
        self.web_settings = web or WebSettings()
        self.routes = WebRoutes()
        self.web: WebServer | None = None
        self.metrics: Metrics | None = None
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Scheduler | None = None
        self._started = False
        self._stop = asyncio.Event()
        self._signals = 0
        self._config_error: ConfigError | None = None

    def request_stop(self) -> None:
        """Begin a graceful shutdown (what SIGTERM does). Twice: skip the grace period."""
        self._signals += 1
        if self.dispatcher is not None:
            self.dispatcher.close()  # take no more events from now on, not when run() wakes
        if self._signals == 1:
            log.info(
                "stopping: finishing handlers in flight (up to %g s)", self.settings.shutdown_grace
            )
        elif self.dispatcher is not None:
            log.warning("second stop request: cancelling handlers now")
            self.dispatcher.cancel_all()
        self._stop.set()

    async def run(self) -> int:
        """Run until stopped; the process exit code (0, or 1 when every adapter failed).

        An adapter that finds its settings wrong once connected (a token the platform
        rejects) raises ConfigError: everything stops and it is raised from here.
        """
        s = self.settings
        loop = asyncio.get_running_loop()
        installed = self._install_signals(loop)
        store = self.store or await open_store(
            storage_url(s.storage_url, s.data_dir),
            variable="STORAGE_URL" if s.storage_url.strip() else "DATA_DIR",
            name=s.redis_prefix or s.name,
        )
        # Plugins' requests are guarded against reaching the bot's own network; the
        # platforms' (a Slack API proxy may well be private) are not.
        http = create_session(
            s.name, s.http_timeout, s.http_connections, s.contact,
            guarded=True, allow_private=s.http_allow_private,
        )  # fmt: skip
        platform_http = create_session(s.name, s.http_timeout, s.http_connections, s.contact)
        relay: asyncio.Task[None] | None = None
        try:
            services = self._services(http, store)
            await set_up(self.registry, services, s.handler_timeout)
            await self._wire(services, platform_http)
            shared = store.shared  # several processes: each run happens once among them
            if shared:  # a conversation's answer may reach another process: handed on
                relay = await self._relay(store, services)
            scheduler = self.scheduler = Scheduler(
                job_runner(self.registry, services, s.handler_timeout),
                claim=run_claim(store) if shared else None,
            )
            for job, _ in self.registry.jobs:
                scheduler.add(job)
            pumps = [
                loop.create_task(self._pump(a), name=f"adapter:{a.platform}") for a in self.adapters
            ]
            scheduler.start()
            # What exists now (modules, plugins, adapters) lives as long as the bot:
            # out of the collector's sight, the full collections a busy bot triggers
            # cost a third as much (about 1 µs a message at 100 in flight).
            gc.freeze()
            self._started = True
            self._log_ready()
            await self._until_stopped_or_done(pumps)
            return await self._wind_down(pumps, scheduler, services)
        finally:
            gc.unfreeze()
            if relay is not None:
                relay.cancel()
                await asyncio.wait({relay})
            if self.web is not None:
                await self.web.stop()
            await http.close()
            await platform_http.close()
            await store.close()
            for sig in installed:
                loop.remove_signal_handler(sig)
            log.info("stopped")

    async def _wire(self, services: Services, platform_http: aiohttp.ClientSession) -> None:
        """Routes into pipelines, adapters and webhooks onto the web server, which
        starts listening if anything needs it (then ``/metrics`` is counted too)."""
        s = self.settings
        port = self._collect_routes(platform_http, services.store)
        self.metrics = Metrics() if port is not None else None  # nobody to read it else
        self.dispatcher = Dispatcher(
            self.registry,
            services,
            max_concurrency=s.max_concurrency,
            handler_timeout=s.handler_timeout,
            ignore_bots=s.ignore_bots,
            debug=s.debug,
            metrics=self.metrics,
        )
        mount_webhooks(
            self.registry, services, self.routes, timeout=s.handler_timeout,
            debug=s.debug, metrics=self.metrics,
        )  # fmt: skip
        if port is not None:
            await self._serve_web(port)

    @staticmethod
    async def _relay(store: Store, services: Services) -> asyncio.Task[None]:
        """Start listening to the other processes' conversations (see bot.core.relay)."""
        relay = Relay(store, services.conversations)

        async def run() -> None:
            try:
                await relay.run()
            finally:
                await relay.close()

        task = asyncio.get_running_loop().create_task(run(), name="relay")
        try:
            async with asyncio.timeout(5):
                await relay.listening()
        except TimeoutError:
            log.warning("the conversation relay is not listening yet; it keeps trying")
        return task

    def _log_ready(self) -> None:
        log.info(
            "%s ready: %s, %s, %s, adapters: %s",
            self.settings.name,
            plural(len(self.registry.plugins), "plugin"),
            plural(len(list(self.registry.infos())), "command"),
            plural(len(self.registry.jobs), "job"),
            ", ".join(a.platform for a in self.adapters),
        )

    async def _wind_down(
        self, pumps: list[asyncio.Task[bool]], scheduler: Scheduler, services: Services
    ) -> int:
        """Drain handlers and job runs, tear the plugins down, stop the adapters; the
        exit code."""
        s = self.settings
        # A signal bounds the wait by the grace period; when the input simply
        # ended, handlers run to completion (each is bounded by its own timeout).
        grace = s.shutdown_grace if self._stop.is_set() else None
        await asyncio.gather(self._drain(grace), scheduler.stop(s.shutdown_grace))
        await tear_down(self.registry, services, min(s.handler_timeout, 10))
        ended_well = any(p.done() and not p.cancelled() and p.result() for p in pumps)
        await self._stop_adapters(pumps)
        if self._config_error is not None:
            raise self._config_error
        failed_all = bool(pumps) and not ended_well and not self._stop.is_set()
        return 1 if failed_all else 0

    def _services(self, http: aiohttp.ClientSession, store: Store) -> Services:
        s = self.settings
        policy = FetchPolicy(
            timeout=s.http_timeout, retries=s.http_retries, per_host=s.http_per_host
        )
        return Services(
            http=http,
            fetcher=Fetcher(http, policy),
            prefix=s.prefix,
            bot_name=s.name,
            store=store,
            outlets={a.platform: a for a in self.adapters},
            admins=s.admin_ids,
            mounts=self.registry.mounts,
        )

    def _collect_routes(self, http: aiohttp.ClientSession, store: Store | None) -> int | None:
        """Lend the adapters the platforms' session, the web routes and (with a shared
        ``store``) a lock for what one process does; the port the web server will
        listen on, or None when nothing needs one."""
        once = None
        if store is not None and store.shared:
            locks = KeyValue(store, "\x00adapters")

            def once(name: str, ttl: float) -> AbstractAsyncContextManager[None]:
                return locks.lock(name, ttl=ttl, wait=0)

        for adapter in self.adapters:
            adapter.attach(Host(http, self.routes, once))
        needed = bool(self.routes.routes or self.registry.webhooks)
        return self.web_settings.listen_port(needed=needed)

    async def _serve_web(self, port: int) -> None:
        """Listen on ``port``; a port in use is a ConfigError naming its setting."""
        from bot.web.server import WebServer  # aiohttp.web: only for a bot that serves

        web = self.web_settings
        self.web = WebServer(
            web.host, port, self.routes, readiness=self.readiness, max_body=web.max_body,
            metrics=self._metrics_text,
        )  # fmt: skip
        try:
            await self.web.start()
        except OSError as exc:
            self.web = None
            raise ConfigError(web.port_variable, str(exc)) from None

    def _metrics_text(self) -> str:
        assert self.metrics is not None
        assert self.dispatcher is not None
        ready = {a.platform: a.is_ready for a in self.adapters}
        return self.metrics.render(self.dispatcher.in_flight, ready)

    def readiness(self) -> dict[str, str]:
        """What keeps the bot from being ready, by name; empty when it is (``/readyz``)."""
        if self._stop.is_set() or (self.dispatcher is not None and not self.dispatcher.open):
            return {"runtime": "stopping"}
        waiting = {a.platform: "not connected" for a in self.adapters if not a.is_ready}
        if not self._started:
            waiting["runtime"] = "starting"
        return waiting

    async def _until_stopped_or_done(self, pumps: list[asyncio.Task[bool]]) -> None:
        """Return on a stop request, or once every adapter has finished or failed."""
        waiter = asyncio.get_running_loop().create_task(self._stop.wait())
        pending = set(pumps)
        try:
            while pending and not self._stop.is_set():
                await asyncio.wait({*pending, waiter}, return_when=asyncio.FIRST_COMPLETED)
                pending = {p for p in pending if not p.done()}
        finally:
            waiter.cancel()

    async def _drain(self, grace: float | None) -> None:
        assert self.dispatcher is not None
        self.dispatcher.close()
        await self.dispatcher.drain(grace)

    async def _pump(self, adapter: Adapter) -> bool:
        """Run one adapter; its failure is logged and does not stop the others."""
        assert self.dispatcher is not None
        submit = self.dispatcher.submit
        events = self.metrics.events if self.metrics is not None else None

        def sink(event: Event) -> tuple[asyncio.Task[None], ...]:
            return submit(event, adapter)

        def counted(event: Event) -> tuple[asyncio.Task[None], ...]:
            events[(event.platform, event.kind)] += 1  # type: ignore[index]
            return submit(event, adapter)

        try:
            await adapter.run(sink if events is None else counted)
        except asyncio.CancelledError:
            raise
        except ConfigError as exc:
            # A setting the platform rejected: one line (no traceback) and a full stop.
            log.error("adapter %s cannot start: %s", adapter.platform, exc)
            self._config_error = self._config_error or exc
            self._stop.set()
            return False
        except Exception as exc:
            log.error("adapter %s failed: %s", adapter.platform, exc, exc_info=exc)
            return False
        log.info("adapter %s finished", adapter.platform)
        return True

    async def _stop_adapters(self, pumps: list[asyncio.Task[bool]]) -> None:
        """Cancel the adapters' pumps, then close the adapters.

        A pump that outlives its cancellation (Python 3.11's wait_for can swallow a
        cancel that lands as its inner call finishes, and libraries use it) is
        ended by closing its adapter, so shutdown never hangs on one.
        """
        for pump in pumps:
            pump.cancel()
        stuck: set[asyncio.Task[bool]] = set()
        if pumps:
            _, stuck = await asyncio.wait(pumps, timeout=5)
        if stuck:
            names = ", ".join(sorted(p.get_name() for p in stuck))
            log.warning("%s still running after cancellation; closing it", names)
        await self._close_adapters()
        if stuck:
            _, stuck = await asyncio.wait(stuck, timeout=10)
            for pump in stuck:
                log.error("%s did not stop; abandoning it", pump.get_name())

    async def _close_adapters(self) -> None:
        for adapter in reversed(self.adapters):
            try:
                async with asyncio.timeout(10):
                    await adapter.close()
            except Exception as exc:
                log.warning("adapter %s did not close cleanly: %s", adapter.platform, exc)

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> list[signal.Signals]:
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.request_stop)
                installed.append(sig)
        return installed
