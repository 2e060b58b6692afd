"""Correctness checks shared by every scenario (stdlib only, so that light workers stay light)."""


class BenchError(Exception):
    """A scenario produced wrong replies (or none): its figures would mean nothing."""


def expect(condition: bool, problem: str) -> None:
    """Check a reply count or content; unlike ``assert``, never stripped by ``-O``."""
    if not condition:
        raise BenchError(problem)
