"""What ``GET /metrics`` reports, in the Prometheus text format: how many events came
in, what each route did with them and how long it took, what is in flight, and
whether each adapter is connected. Counting is a dict update per handler run: the
``measured`` stage is composed into the pipeline only when the web server runs.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bot.core.routes import Chain, Route
from bot.errors import UserError
from bot.plugin.context import Context

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters and one duration histogram per route, read by :meth:`render`."""

    def __init__(self) -> None:
        self.started = time.time()
        self.events: Counter[tuple[str, str]] = Counter()  # (platform, kind)
        self.outcomes: Counter[tuple[str, str, str]] = Counter()  # (plugin, route, outcome)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = {}

    def stage(self, route: Route) -> Callable[[Context, Chain], Any]:
        """A pipeline stage that times ``route`` and counts how each run ended."""
        key = (route.plugin, route.label)
        buckets = self._buckets.setdefault(key, [0] * (len(BUCKETS) + 1))
        outcomes = self.outcomes

        async def measured(ctx: Context, call_next: Chain) -> None:
            start = time.perf_counter()
            outcome = "error"
            try:
                await call_next(ctx)
                outcome = "ok"
            except asyncio.CancelledError:
                outcome = "cancelled"  # a timeout or a shutdown
                raise
            except UserError:
                outcome = "refused"  # a usage line or the handler's own UserError
                raise
            finally:
                elapsed = time.perf_counter() - start
                outcomes[(*key, outcome)] += 1
                buckets[bisect.bisect_left(BUCKETS, elapsed)] += 1
                self._sums[key] = self._sums.get(key, 0.0) + elapsed

        return measured

    def render(self, in_flight: int, adapters: Mapping[str, bool]) -> str:
        """The exposition text (``text/plain; version=0.0.4``)."""
        return "\n".join(self._lines(in_flight, adapters)) + "\n"

    def _lines(self, in_flight: int, adapters: Mapping[str, bool]) -> Iterator[str]:
        yield from _family("botloop_uptime_seconds", "gauge", "Seconds since start-up")
        yield f"botloop_uptime_seconds {time.time() - self.started:.3f}"
        yield from _family("botloop_adapter_ready", "gauge", "1 while the adapter is connected")
        for platform, ready in sorted(adapters.items()):
            yield f'botloop_adapter_ready{{platform="{_esc(platform)}"}} {int(ready)}'
        yield from _family("botloop_handlers_in_flight", "gauge", "Handler runs now")
        yield f"botloop_handlers_in_flight {in_flight}"
        yield from _family("botloop_events_total", "counter", "Events the adapters delivered")
        for (platform, kind), n in sorted(self.events.items()):
            yield f'botloop_events_total{{platform="{_esc(platform)}",kind="{kind}"}} {n}'
        yield from _family("botloop_handler_runs_total", "counter", "Handler runs by outcome")
        for (plugin, label, outcome), n in sorted(self.outcomes.items()):
            labels = f'plugin="{_esc(plugin)}",route="{_esc(label)}",outcome="{outcome}"'
            yield f"botloop_handler_runs_total{{{labels}}} {n}"
        yield from self._histogram()

    def _histogram(self) -> Iterator[str]:
        name = "botloop_handler_seconds"
        yield from _family(name, "histogram", "How long handler runs took")
        for (plugin, label), counts in sorted(self._buckets.items()):
            labels = f'plugin="{_esc(plugin)}",route="{_esc(label)}"'
            total = 0
            for bound, count in zip((*BUCKETS, "+Inf"), counts, strict=True):
                total += count
                yield f'{name}_bucket{{{labels},le="{bound}"}} {total}'
            yield f"{name}_sum{{{labels}}} {self._sums.get((plugin, label), 0.0):.6f}"
            yield f"{name}_count{{{labels}}} {total}"


def _family(name: str, kind: str, help: str) -> Iterator[str]:
    yield f"# HELP {name} {help}"
    yield f"# TYPE {name} {kind}"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
