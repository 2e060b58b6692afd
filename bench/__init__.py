"""botloop's benchmarks (not tests, not shipped): ``python -m bench`` or ``make bench``.

Each scenario measures botloop and a floor (the least any asyncio bot could do)
in the same process, so the ratio holds on a noisy machine; see ``bench/run.py``.
"""
