"""What a scenario reports (rows with goals) and how runs become the printed table.

A row compares one figure of botloop with a floor measured in the same process.
The ratio is taken per run (botloop / floor, both from the same moment of the
machine) and its median is what the goal judges.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Literal

Figures = dict[str, float]


@dataclass(frozen=True)
class Goal:
    """``ratio <= bound`` (or ``>=``), or with ``on="value"`` the figure itself."""

    op: Literal["<=", ">=", "=="]
    bound: float
    on: Literal["ratio", "value"] = "ratio"

    def met(self, ratio: float | None, value: float) -> bool:
        x = value if self.on == "value" else ratio
        if x is None:
            return False
        if self.op == "<=":
            return x <= self.bound
        if self.op == ">=":
            return x >= self.bound
        return x == self.bound

    def __str__(self) -> str:
        op = {"<=": "≤", ">=": "≥", "==": "="}[self.op]
        return f"{op} {self.bound:.3g}{'×' if self.on == 'ratio' else ''}"


@dataclass(frozen=True)
class Row:
    """One line of the table: figure ``value`` against figure ``floor`` of each run."""

    metric: str
    unit: str
    value: str
    floor: str | None = None
    goal: Goal | None = None


@dataclass(frozen=True)
class Line:
    """A row summarised over the runs."""

    scenario: str
    metric: str
    unit: str
    median: float | None = None
    low: float | None = None
    high: float | None = None
    floor: float | None = None
    ratio: float | None = None
    ratio_low: float | None = None
    ratio_high: float | None = None
    goal: str = ""
    met: str = ""


def summarise(scenario: str, row: Row, runs: list[Figures]) -> Line:
    values = [r[row.value] for r in runs]
    median = statistics.median(values)
    floor = ratio = r_low = r_high = None
    if row.floor is not None:
        floor = statistics.median(r[row.floor] for r in runs)
        ratios = [r[row.value] / r[row.floor] for r in runs if r[row.floor]]
        if ratios:
            ratio, r_low, r_high = statistics.median(ratios), min(ratios), max(ratios)
    met = ""
    if row.goal is not None:
        met = "yes" if row.goal.met(ratio, median) else "NO"
    return Line(
        scenario, row.metric, row.unit, median, min(values), max(values),
        floor, ratio, r_low, r_high, str(row.goal or ""), met,
    )  # fmt: skip


def number(x: float | None) -> str:
    """A figure with three significant digits, as wide as it needs."""
    if x is None:
        return "—"
    if x == 0 or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def render(lines: list[Line]) -> str:
    """A plain-text table, one line per row."""
    head = ("scenario", "metric", "botloop median [min–max]", "floor", "ratio", "goal", "met?")
    cells = [head]
    for ln in lines:
        if ln.median is None:
            spread = "—"
        else:
            spread = f"{number(ln.median)} [{number(ln.low)}–{number(ln.high)}]"
        ratio = "—" if ln.ratio is None else f"{ln.ratio:.2f}×"
        metric = f"{ln.metric} ({ln.unit})" if ln.unit else ln.metric
        cells.append((ln.scenario, metric, spread, number(ln.floor), ratio, ln.goal, ln.met))
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    out = []
    for i, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
