"""A strict reader for the block-style YAML this project writes and ships (the Slack
manifest, render.yaml): no dependency on PyYAML."""

from __future__ import annotations

import json
from typing import Any


def parse_yaml(text: str) -> dict[str, Any]:
    """A strict reader for block-style YAML whose scalars are JSON strings or booleans
    (what the manifest writer emits; PyYAML is not a dependency), whole numbers, and
    comment lines. Raises on anything else."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    value, rest = _block(lines, 0)
    assert not rest, f"unparsed lines: {rest[:3]}"
    assert isinstance(value, dict)
    return value


def _block(lines: list[str], indent: int) -> tuple[Any, list[str]]:
    if lines[0].startswith(" " * indent + "- "):
        items: list[Any] = []
        while lines and lines[0].startswith(" " * indent + "- "):
            head = " " * (indent + 2) + lines[0][indent + 2 :]
            if ":" in head and not head.strip().startswith('"'):
                item, lines = _block([head, *lines[1:]], indent + 2)
            else:
                item, lines = _scalar(head.strip()), lines[1:]
            items.append(item)
        return items, lines
    mapping: dict[str, Any] = {}
    while lines and len(lines[0]) - len(lines[0].lstrip(" ")) == indent:
        key, sep, tail = lines[0].strip().partition(":")
        assert sep and key.replace("_", "").isalnum(), f"not a mapping line: {lines[0]!r}"
        if tail.strip():
            mapping[key], lines = _scalar(tail.strip()), lines[1:]
        else:
            mapping[key], lines = _block(lines[1:], indent + 2)
    return mapping, lines


def _scalar(token: str) -> Any:
    if token in ("true", "false"):
        return token == "true"
    value = json.loads(token)
    assert isinstance(value, str | int), token
    return value
