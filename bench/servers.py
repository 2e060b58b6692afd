"""Servers the scenarios start in a process of their own, so that serving does not
share the bot's event loop (or core) with what is measured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.checks import expect

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serving(module: str) -> Iterator[int]:
    """Run ``python -m module``, which prints its port on its first line; the port.

    Stopped with SIGTERM on the way out, whatever happened meanwhile.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", module], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        expect(port.isdigit(), f"{module} did not start (it said {port!r})")
        yield int(port)
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
