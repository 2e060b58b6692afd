"""``python -m bench`` (``make bench``): every scenario, ``--runs`` times, each run in a
fresh process; then a table on stdout and the figures as JSON in
``bench/results/<UTC timestamp>.json``, with the machine they were measured on.

    python -m bench [--runs N] [--only SCENARIO]... [--quick] [--out DIR]

Benchmarks are not tests: a missed goal is reported, never an error. A wrong
reply is an error (exit 1): figures from a bot that answers wrongly mean nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

import bot
from bench.scenarios import SCENARIOS, Scenario
from bench.sizes import SIZES
from bench.table import Figures, Line, render, summarise

ROOT = Path(__file__).resolve().parent.parent
WORKER_TIMEOUT = 900  # seconds; a full run of the slowest scenario takes well under a minute


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=positive, default=5, help="runs per scenario (default 5)")
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), metavar="SCENARIO",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )  # fmt: skip
    parser.add_argument(
        "--quick", action="store_const", const="quick", dest="size", help="a tenth of the sizes"
    )
    parser.add_argument("--size", choices=SIZES, help=argparse.SUPPRESS)  # tiny: smoke test
    parser.set_defaults(size="full")  # one default for both options that set the size
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results", help="where the JSON goes"
    )
    return parser.parse_args(argv)


def run_worker(name: str, size: str) -> Figures:
    """One run of scenario ``name`` in a fresh interpreter; its figures."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", name, size],
        cwd=ROOT, capture_output=True, text=True, timeout=WORKER_TIMEOUT, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?")
    figures: Figures = json.loads(proc.stdout.splitlines()[-1])
    return figures


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def machine() -> dict[str, Any]:
    """What the figures depend on, recorded with every result."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "botloop": bot.__version__,
        "aiohttp": aiohttp.__version__,
        "commit": _commit(),
    }


def describe(m: dict[str, Any]) -> str:
    load = m["load_average"]
    loads = " ".join(f"{x:.2f}" for x in load) if load else "?"
    return (
        f"machine: {m['cores']} cores ({m['cpu']}), {m['implementation']} {m['python']}, "
        f"{m['platform']}, load {loads}; botloop {m['botloop']} at {m['commit']}, "
        f"aiohttp {m['aiohttp']}"
    )


def measure(scenario: Scenario, runs: int, size: str) -> tuple[list[Figures], str]:
    """Figures of each run, and the error that stopped them (empty if none)."""
    got: list[Figures] = []
    sys.stderr.write(f"{scenario.title} ")
    sys.stderr.flush()
    for _ in range(runs):
        try:
            got.append(run_worker(scenario.name, size))
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
            sys.stderr.write(f"FAILED: {exc}\n")
            return got, str(exc)
        sys.stderr.write(".")
        sys.stderr.flush()
    sys.stderr.write("\n")
    return got, ""


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    chosen = [SCENARIOS[n] for n in dict.fromkeys(args.only)] if args.only else SCENARIOS.values()
    started = datetime.datetime.now(datetime.UTC)
    facts = machine()
    sys.stderr.write(f"{describe(facts)}\n{args.runs} run(s) each, size {args.size}\n")
    lines: list[Line] = []
    report: dict[str, Any] = {}
    failed = False
    for scenario in chosen:
        if scenario.measure is None:
            lines += [
                Line(scenario.name, r.metric, r.unit, goal=str(r.goal or ""), met=scenario.pending)
                for r in scenario.rows
            ]
            report[scenario.name] = {"title": scenario.title, "pending": scenario.pending}
            continue
        runs, error = measure(scenario, args.runs, args.size)
        failed = failed or bool(error)
        if error:
            lines.append(Line(scenario.name, "(no figures)", "", met=f"FAILED: {error}"[:60]))
            rows = []
        else:
            rows = [summarise(scenario.name, row, runs) for row in scenario.rows]
            lines += rows
        report[scenario.name] = {
            "title": scenario.title,
            "runs": runs,
            "rows": [dataclasses.asdict(r) for r in rows],
            "error": error,
        }
    table = render(lines)
    sys.stdout.write(f"{describe(facts)}\n{args.runs} run(s) each, size {args.size}\n\n{table}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    result = {
        "started": started.isoformat(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(),
        "runs": args.runs,
        "size": args.size,
        "machine": facts,
        "scenarios": report,
        "table": table,
    }
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.write(f"\nJSON: {path}\n")
    return 1 if failed else 0
