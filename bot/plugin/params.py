"""From a handler's signature to an argument parser and a usage line.

    async def weather(ctx, city: str, days: int = 1, *more: str)

parses ``Paris 3 Oslo Rome`` into ``("Paris", 3, "Oslo", "Rome")``. Supported
annotations: str, int, float, bool, ``Literal[...]`` and Enum choices, and
``X | None``. A trailing ``*args`` is greedy; a keyword-only ``str`` takes the
rest of the line verbatim (quotes and all), as in ``async def echo(ctx, *, text: str)``.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.config import parse_bool
from bot.errors import PluginError, UsageError
from bot.model import Option, OptionType

_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}


def tokenize(text: str) -> list[tuple[str, int]]:
    """Split on whitespace, keeping quoted stretches whole: ``(token, end offset)`` pairs.

    A quote opens a token only at its start and closes only before whitespace,
    so apostrophes inside words (``don't``) stay literal; an unclosed quote is
    read as a plain character.
    """
    tokens: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        close = _QUOTES.get(text[i])
        if close is not None:
            j = text.find(close, i + 1)
            while j != -1 and j + 1 < n and not text[j + 1].isspace():
                j = text.find(close, j + 1)
            if j != -1:
                tokens.append((text[i + 1 : j], j + 1))
                i = j + 1
                continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        tokens.append((text[i:j], j))
        i = j
    return tokens


@dataclass(frozen=True, slots=True)
class _Param:
    option: Option
    convert: Callable[[str], Any]
    default: Any


def _converter(
    name: str, annotation: Any
) -> tuple[OptionType, tuple[str, ...], Callable[[str], Any]]:
    """(option type, choices, str → value) for one annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner) != 1:
            raise PluginError(f"parameter {name!r}: unions other than X | None are not supported")
        return _converter(name, inner[0])
    if annotation is inspect.Parameter.empty or annotation is str:
        return "string", (), str
    if annotation is int:
        return "integer", (), _wrap(name, int, "a whole number")
    if annotation is float:
        return "number", (), _wrap(name, float, "a number")
    if annotation is bool:
        return "boolean", (), _wrap(name, parse_bool, "yes or no")
    if origin is Literal:
        values = typing.get_args(annotation)
        shown = tuple(str(v) for v in values)
        return "string", shown, _choice(name, {str(v): v for v in values}, shown)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        members = {m.name.lower(): m for m in annotation}
        members.update({str(m.value).lower(): m for m in annotation})
        shown = tuple(m.name.lower() for m in annotation)
        return "string", shown, _choice(name, members, shown)
    raise PluginError(f"parameter {name!r}: unsupported annotation {annotation!r}")


def _wrap(name: str, fn: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    def convert(token: str) -> Any:
        try:
            return fn(token)
        except ValueError:
            raise UsageError(f"{name} must be {what}, not {token!r}") from None

    return convert


def _choice(name: str, table: dict[str, Any], shown: tuple[str, ...]) -> Callable[[str], Any]:
    """Case-insensitive lookup in ``table``; the error lists ``shown``, as the usage line does."""
    folded = {k.lower(): v for k, v in table.items()}
    listed = " | ".join(shown)

    def convert(token: str) -> Any:
        try:
            return folded[token.lower()]
        except KeyError:
            raise UsageError(f"{name} must be one of {listed}, not {token!r}") from None

    return convert


class ArgSpec:
    """The parser derived from one handler's signature."""

    __slots__ = ("_fixed", "_greedy", "_rest", "options")

    def __init__(self, func: Callable[..., Any]) -> None:
        try:
            sig = inspect.signature(func, eval_str=True)
        except (NameError, TypeError) as exc:
            raise PluginError(f"{func.__qualname__}: cannot read its signature: {exc}") from exc
        params = list(sig.parameters.values())
        if not params or params[0].kind not in (
            params[0].POSITIONAL_ONLY,
            params[0].POSITIONAL_OR_KEYWORD,
        ):
            raise PluginError(f"{func.__qualname__}: the first parameter must be the context")
        self._fixed: list[_Param] = []
        self._greedy: _Param | None = None
        self._rest: _Param | None = None
        for p in params[1:]:
            self._add(func.__qualname__, p)
        tail = self._greedy or self._rest
        self.options = tuple(x.option for x in (*self._fixed, *([tail] if tail else [])))

    def _add(self, where: str, p: inspect.Parameter) -> None:
        kind, choices, convert = _converter(p.name, p.annotation)
        has_default = p.default is not p.empty
        shown = (
            None
            if not has_default or p.default is None
            else str(p.default.name.lower() if isinstance(p.default, enum.Enum) else p.default)
        )
        if p.kind is p.VAR_POSITIONAL:
            opt = Option(p.name, kind, required=False, choices=choices, greedy=True)
            self._greedy = _Param(opt, convert, ())
        elif p.kind is p.KEYWORD_ONLY:
            if self._rest is not None or self._greedy is not None or kind != "string" or choices:
                raise PluginError(
                    f"{where}: only one keyword-only str (rest of line) is allowed, "
                    "and not together with *args"
                )
            if self._fixed and not has_default and self._fixed[-1].option.required is False:
                raise PluginError(f"{where}: required {p.name!r} follows an optional parameter")
            opt = Option(p.name, "string", required=not has_default, default=shown, greedy=True)
            self._rest = _Param(opt, str, p.default)
        elif p.kind is p.VAR_KEYWORD:
            raise PluginError(f"{where}: **{p.name} cannot be filled from a message")
        else:  # Python's own syntax already forbids a required one after an optional one
            opt = Option(p.name, kind, required=not has_default, choices=choices, default=shown)
            self._fixed.append(_Param(opt, convert, p.default))

    def parse(self, text: str) -> tuple[list[Any], dict[str, Any]]:
        """Positional args and keyword args for the handler, or UsageError."""
        if not text and not self.options:  # the common `!ping`: nothing to tokenize
            return [], {}
        if self._rest is not None and not self._fixed:
            return [], self._rest_kwargs(text.strip())
        tokens = tokenize(text)
        args: list[Any] = []
        for i, param in enumerate(self._fixed):
            if i < len(tokens):
                args.append(param.convert(tokens[i][0]))
            elif param.option.required:
                raise UsageError(f"missing {param.option.name}")
            else:
                args.append(param.default)
        extra = tokens[len(self._fixed) :]
        if self._greedy is not None:
            args.extend(self._greedy.convert(tok) for tok, _ in extra)
            return args, {}
        if self._rest is not None:
            if not extra:
                return args, self._rest_kwargs("")
            start = tokens[len(self._fixed) - 1][1]  # the rest begins after the last fixed token
            return args, self._rest_kwargs(text[start:].strip())
        if extra:
            raise UsageError(f"too many arguments: {' '.join(tok for tok, _ in extra)!r}")
        return args, {}

    def bind(self, options: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Like :meth:`parse`, from values a platform already split by option name
        (a Discord slash command). Each value is converted as its text would be."""
        known = {p.option.name for p in self._fixed} | {
            p.option.name for p in (self._greedy, self._rest) if p is not None
        }
        unknown = sorted(set(options) - known)
        if unknown:
            raise UsageError(f"unknown option {unknown[0]!r}")
        args: list[Any] = []
        for param in self._fixed:
            value = options.get(param.option.name)
            if value is None:
                if param.option.required:
                    raise UsageError(f"missing {param.option.name}")
                args.append(param.default)
            else:
                args.append(param.convert(str(value)))
        if self._greedy is not None:
            rest = str(options.get(self._greedy.option.name) or "")
            args.extend(self._greedy.convert(tok) for tok, _ in tokenize(rest))
        elif self._rest is not None:
            return args, self._rest_kwargs(str(options.get(self._rest.option.name) or "").strip())
        return args, {}

    def _rest_kwargs(self, rest: str) -> dict[str, Any]:
        assert self._rest is not None
        if rest:
            return {self._rest.option.name: rest}
        if self._rest.option.required:
            raise UsageError(f"missing {self._rest.option.name}")
        return {}
