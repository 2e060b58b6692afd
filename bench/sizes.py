"""How big a run is: ``full`` (the issue's sizes), ``quick`` (a tenth), ``tiny`` (smoke test)."""

from typing import Literal

Size = Literal["full", "quick", "tiny"]
SIZES: tuple[Size, ...] = ("full", "quick", "tiny")
