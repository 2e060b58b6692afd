"""Smoke test of the benchmarks: each scenario once at tiny size, so the suite does not
rot. Figures are checked for sanity only; a benchmark never fails CI on a time."""

from __future__ import annotations

import asyncio
import functools
import json
import math
from pathlib import Path
from unittest.mock import patch

import pytest

from bench import harness, platforms, run, slack_acks, startup
from bench.checks import BenchError
from bench.harness import Floor, one_at_a_time
from bench.scenarios import SCENARIOS, Scenario
from bench.table import Figures, Goal, Row, summarise

MEASURED = [s for s in SCENARIOS.values() if s.measure is not None]


@functools.cache
def tiny(name: str) -> Figures:
    """One tiny run of scenario ``name``, shared by the tests that look at its figures."""
    measure = SCENARIOS[name].measure
    assert measure is not None
    return measure("tiny")


@pytest.mark.parametrize("scenario", MEASURED, ids=lambda s: s.name)
def test_scenario_gives_every_figure_its_rows_name(scenario: Scenario) -> None:
    figures = tiny(scenario.name)
    for row in scenario.rows:
        for key in filter(None, (row.value, row.floor)):
            assert math.isfinite(figures[key]) and figures[key] >= 0, (key, figures)


def test_dispatch_figures_are_sane() -> None:
    figures = tiny("dispatch")
    assert 0 < figures["floor_p50"] <= figures["floor_p99"]
    assert 0 < figures["p50"] <= figures["p99"]
    assert figures["rate"] > 0 and figures["floor_rate"] > 0
    assert figures["messages"] == 40


def test_head_of_line_replies_only_after_the_nap() -> None:
    figures = tiny("head-of-line")
    assert 100 <= figures["first"] <= figures["last"]
    # Not a timing assertion on botloop's speed: 100 naps in a row would take 10 s.
    assert figures["last"] < 5_000


def test_platform_paths_ack_before_the_handlers_wake_and_profile_the_discord_bot() -> None:
    figures = tiny("platforms")
    # Every handler was still asleep when the last ack came: no ack waited for one.
    assert figures["asleep"] == 2 * (platforms.ACKS["tiny"] + slack_acks.WARM_UP)
    for mode in ("socket", "http", "socket_floor", "http_floor"):
        assert 0 < figures[f"{mode}_p50"] <= figures[f"{mode}_p99"]
    assert min(figures["discord_rate"], figures["dpy_rate"], figures["raw_rate"]) > 0
    shares = [v for k, v in figures.items() if k.startswith("share_")]
    assert len(shares) == 5 and math.isclose(sum(shares), 100)
    assert figures["share_botloop"] > 0 and figures["share_discord"] > 0
    assert 0 < figures["busy"] <= 100


def test_installed_extras_are_not_imported_by_a_console_bot() -> None:
    assert startup.extras_imported() == []


def test_a_wrong_reply_stops_the_scenario() -> None:
    async def wrong(floor: Floor, text: str) -> None:
        floor.reply("pnog")

    async def scenario() -> None:
        floor = Floor({"ping": wrong})
        await one_at_a_time(floor.say, floor.stamps, "!ping", 3)
        floor.stamps.take(3, "pong", "floor")

    with pytest.raises(BenchError, match="pnog"):
        asyncio.run(scenario())


def test_a_missing_reply_stops_the_scenario() -> None:
    async def scenario() -> None:
        floor = Floor({})
        floor.say("!ping")
        await asyncio.sleep(0)
        floor.stamps.take(1, "pong", "floor")

    with pytest.raises(BenchError, match="0 replies, expected 1"):
        asyncio.run(scenario())


def test_goals_judge_the_median_of_per_run_ratios() -> None:
    row = Row("latency", "µs", "x", "floor", Goal("<=", 2.0))
    runs = [{"x": 3.0, "floor": 2.0}, {"x": 10.0, "floor": 2.0}, {"x": 2.0, "floor": 2.0}]
    line = summarise("s", row, runs)
    assert (line.median, line.low, line.high, line.floor) == (3.0, 2.0, 10.0, 2.0)
    assert (line.ratio, line.ratio_low, line.ratio_high) == (1.5, 1.0, 5.0)
    assert line.met == "yes"
    assert summarise("s", Row("t", "", "x", "floor", Goal(">=", 2.0)), runs).met == "NO"


def test_full_size_unless_quick() -> None:
    assert run.parse([]).size == "full" and run.parse([]).runs == 5
    assert run.parse(["--quick"]).size == "quick"


def test_one_command_prints_the_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--runs", "1", "--size", "tiny", "--out", str(tmp_path)]
    assert run.main([*argv, "--only", "head-of-line"]) == 0
    out = capsys.readouterr().out
    assert "100th reply vs 0.1 s (ms)" in out
    (path,) = tmp_path.glob("*.json")
    result = json.loads(path.read_text())
    assert result["machine"]["cores"] >= 1 and result["machine"]["python"]
    hol = result["scenarios"]["head-of-line"]
    assert len(hol["runs"]) == 1 and hol["error"] == ""
    assert hol["rows"][0]["met"] in ("yes", "NO")


def test_a_pending_scenario_is_listed_without_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waiting = Scenario("later", "7. Later", (Row("x", "ms", "x"),), pending="not yet: needs Y")
    with patch.dict(run.SCENARIOS, {"later": waiting}):
        assert (
            run.main(["--runs", "1", "--size", "tiny", "--out", str(tmp_path), "--only", "later"])
            == 0
        )
    assert "not yet: needs Y" in capsys.readouterr().out
    (path,) = tmp_path.glob("*.json")
    assert json.loads(path.read_text())["scenarios"]["later"]["pending"] == "not yet: needs Y"


def test_a_lost_reply_stops_the_scenario_instead_of_hanging() -> None:
    async def silent(floor: Floor, text: str) -> None:
        pass

    async def scenario() -> None:
        floor = Floor({"ping": silent})
        await one_at_a_time(floor.say, floor.stamps, "!ping", 1)

    with patch.object(harness, "PATIENCE", 0.05), pytest.raises(BenchError, match="missing"):
        asyncio.run(scenario())
