"""The table of scenarios: a name, the rows it reports, the function measuring it.

To add a scenario: write ``measure(size) -> Figures`` in its own module, list
the rows it reports (figure names with their floors and goals), and add one
entry here. Each run calls ``measure`` once, in a fresh worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench import dispatch, fanout, head_of_line, interactions, platforms, startup, web_idle
from bench.sizes import Size
from bench.table import Figures, Row


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    rows: tuple[Row, ...]
    measure: Callable[[Size], Figures] | None = None  # None while it waits on something
    pending: str = ""  # why it is not measured yet


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "dispatch",
            "1. Dispatch overhead: !ping through the real runtime path",
            dispatch.DISPATCH_ROWS,
            dispatch.measure_dispatch,
        ),
        Scenario(
            "scaling",
            "2. Command scaling: 1, 50, 200 commands + 20 listeners, last command hit",
            dispatch.SCALING_ROWS,
            dispatch.measure_scaling,
        ),
        Scenario(
            "head-of-line",
            "3. Head-of-line: 100 messages at once, each handler awaits 0.1 s",
            head_of_line.ROWS,
            head_of_line.measure,
        ),
        Scenario(
            "fan-out",
            "4. Fan-out: 100 ctx.fetch_json lookups at once, API in another process (50 ms each)",
            fanout.ROWS,
            fanout.measure,
        ),
        Scenario(
            "startup",
            "5. Start-up and footprint: piped !ping on the console adapter",
            startup.ROWS,
            startup.measure,
        ),
        Scenario(
            "platforms",
            "6. Platform paths: Slack ack latency, Discord gateway → REST send",
            platforms.ROWS,
            platforms.measure,
        ),
        Scenario(
            "interactions",
            "7. Interactions: a click → ctx.update against !ping; 1,000 pending ctx.ask",
            interactions.ROWS,
            interactions.measure,
        ),
        Scenario(
            "web-idle",
            "8. The web chat loaded and idle: !ping beside it against !ping alone",
            web_idle.ROWS,
            web_idle.measure,
        ),
    )
}
