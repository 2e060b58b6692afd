"""One run of one scenario in a fresh process: ``python -m bench.worker NAME SIZE``.

Prints the figures as one JSON line on stdout; a wrong reply (BenchError) or
any other failure exits non-zero with the traceback on stderr.
"""

from __future__ import annotations

import json
import sys

from bench.scenarios import SCENARIOS


def main(argv: list[str]) -> int:
    name, size = argv
    measure = SCENARIOS[name].measure
    if measure is None or size not in ("full", "quick", "tiny"):
        sys.stderr.write(f"cannot run {name} at size {size}\n")
        return 2
    figures = measure(size)  # type: ignore[arg-type]  # checked just above
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
