"""Argument parsing derived from handler signatures: tokenizer, converters, usage lines.

This module uses ``from __future__ import annotations``, so every handler below has
string annotations: the tests prove ArgSpec resolves them (``eval_str=True``).
"""

from __future__ import annotations

import enum
from typing import Any, Literal

import pytest

from bot import Context
from bot.errors import PluginError, UsageError
from bot.model import CommandInfo
from bot.plugin.params import ArgSpec, tokenize


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


Units = Literal["metric", "imperial"]


# --- handlers (module level, so their string annotations resolve) ---------------------------


async def weather(ctx: Context, city: str, days: int = 1, *more: str) -> None: ...


async def typed(ctx: Context, word: str, count: int, ratio: float, loud: bool) -> None: ...


async def convert(ctx: Context, units: Units) -> None: ...


async def pick(ctx: Context, n: Literal[1, 2, 3]) -> None: ...


async def paint(ctx: Context, size: Size = Size.SMALL) -> None: ...


async def greet(ctx: Context, name: str | None = None) -> None: ...


async def add(ctx: Context, *nums: int) -> None: ...


async def echo(ctx: Context, *, text: str) -> None: ...


async def maybe_echo(ctx: Context, *, text: str = "") -> None: ...


async def remind(ctx: Context, who: str, *, text: str) -> None: ...


def words(text: str) -> list[str]:
    return [token for token, _ in tokenize(text)]


def usage(func: Any, name: str) -> str:
    return CommandInfo(name=name, help="", options=ArgSpec(func).options).usage("!")


# --- tokenize ---------------------------------------------------------------------------------


def test_tokenize_splits_on_any_whitespace() -> None:
    assert words("  a\tb \n c  ") == ["a", "b", "c"]


def test_tokenize_reports_the_end_offset_of_each_token() -> None:
    assert tokenize('ab "c d" e') == [("ab", 2), ("c d", 8), ("e", 10)]


def test_tokenize_keeps_double_quoted_text_whole() -> None:
    assert words('weather "New York" 3') == ["weather", "New York", "3"]


def test_tokenize_keeps_single_quoted_text_whole() -> None:
    assert words("say 'hello there' now") == ["say", "hello there", "now"]


def test_tokenize_understands_smart_quotes() -> None:
    assert words("weather “New York” 3") == ["weather", "New York", "3"]


def test_tokenize_keeps_apostrophes_inside_words() -> None:
    assert words("don't stop it's fine") == ["don't", "stop", "it's", "fine"]


def test_tokenize_quoted_text_may_contain_an_apostrophe() -> None:
    assert words("'don't stop' now") == ["don't stop", "now"]


def test_tokenize_reads_an_unclosed_quote_literally() -> None:
    assert words('"New York 3') == ['"New', "York", "3"]


def test_tokenize_empty_text_has_no_tokens() -> None:
    assert tokenize("   ") == []


# --- string annotations -------------------------------------------------------------------------


def test_string_annotations_are_resolved() -> None:
    assert weather.__annotations__["days"] == "int"  # really a string, thanks to __future__
    assert ArgSpec(weather).parse("Paris 3") == (["Paris", 3], {})


def test_an_unresolvable_annotation_is_a_plugin_error() -> None:
    async def broken(ctx: Context, x: NoSuchType) -> None: ...  # noqa: F821

    with pytest.raises(PluginError, match="broken"):
        ArgSpec(broken)


# --- conversions --------------------------------------------------------------------------------


def test_basic_types_are_converted() -> None:
    assert ArgSpec(typed).parse("hi 3 2.5 yes") == (["hi", 3, 2.5, True], {})
    assert ArgSpec(typed).parse("hi -1 1e3 off")[0] == ["hi", -1, 1000.0, False]


def test_a_missing_optional_argument_gets_its_default() -> None:
    assert ArgSpec(weather).parse("Paris") == (["Paris", 1], {})


def test_trailing_star_args_take_every_remaining_token() -> None:
    args, kwargs = ArgSpec(weather).parse('Paris 3 Oslo "New York" Rome')
    assert args == ["Paris", 3, "Oslo", "New York", "Rome"]
    assert kwargs == {}


def test_star_args_convert_each_token() -> None:
    assert ArgSpec(add).parse("1 2 30") == ([1, 2, 30], {})
    assert ArgSpec(add).parse("") == ([], {})


def test_star_args_reject_a_bad_token() -> None:
    with pytest.raises(UsageError, match=r"nums.*'x'"):
        ArgSpec(add).parse("1 x 3")


def test_literal_choice_is_case_insensitive_and_returns_the_literal() -> None:
    assert ArgSpec(convert).parse("IMPERIAL") == (["imperial"], {})


def test_literal_choice_returns_the_literal_value_not_the_text() -> None:
    assert ArgSpec(pick).parse("2") == ([2], {})


def test_bad_choice_lists_the_choices() -> None:
    with pytest.raises(UsageError) as exc:
        ArgSpec(convert).parse("kelvin")
    message = str(exc.value)
    assert "units" in message
    assert "metric" in message
    assert "imperial" in message
    assert "kelvin" in message


@pytest.mark.parametrize("text", ["large", "LARGE", "l", "L"])
def test_enum_is_matched_by_name_or_value(text: str) -> None:
    assert ArgSpec(paint).parse(text) == ([Size.LARGE], {})


def test_enum_default_is_used_when_absent() -> None:
    assert ArgSpec(paint).parse("") == ([Size.SMALL], {})


def test_bad_enum_value_lists_the_same_choices_as_the_usage_line() -> None:
    with pytest.raises(UsageError) as exc:
        ArgSpec(paint).parse("medium")
    assert str(exc.value) == "size must be one of small | large, not 'medium'"


def test_optional_argument_is_none_when_absent() -> None:
    assert ArgSpec(greet).parse("") == ([None], {})
    assert ArgSpec(greet).parse("bob") == (["bob"], {})


# --- keyword-only rest of line ------------------------------------------------------------------


def test_keyword_only_str_takes_the_rest_of_the_line_verbatim() -> None:
    text = "  say   \"hi\"  to 'them'  "
    assert ArgSpec(echo).parse(text) == ([], {"text": "say   \"hi\"  to 'them'"})


def test_keyword_only_str_is_required_without_default() -> None:
    with pytest.raises(UsageError, match="text"):
        ArgSpec(echo).parse("   ")


def test_optional_keyword_only_str_is_left_to_its_default() -> None:
    assert ArgSpec(maybe_echo).parse("") == ([], {})


def test_fixed_argument_then_rest_of_line() -> None:
    args, kwargs = ArgSpec(remind).parse('bob  call   "mom"  now')
    assert args == ["bob"]
    assert kwargs == {"text": 'call   "mom"  now'}


def test_quoted_fixed_argument_then_rest_of_line() -> None:
    args, kwargs = ArgSpec(remind).parse('"Bob Smith" call mom')
    assert args == ["Bob Smith"]
    assert kwargs == {"text": "call mom"}


def test_fixed_argument_without_rest_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="text"):
        ArgSpec(remind).parse("bob")


# --- usage errors -------------------------------------------------------------------------------


def test_missing_required_argument_names_it() -> None:
    with pytest.raises(UsageError, match="city"):
        ArgSpec(weather).parse("")


def test_too_many_arguments_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="too many"):
        ArgSpec(convert).parse("metric extra")


def test_bad_int_names_the_parameter_and_the_value() -> None:
    with pytest.raises(UsageError) as exc:
        ArgSpec(weather).parse("Paris soon")
    assert "days" in str(exc.value)
    assert "'soon'" in str(exc.value)


def test_bad_float_and_bool_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="ratio"):
        ArgSpec(typed).parse("hi 1 half yes")
    with pytest.raises(UsageError, match="loud"):
        ArgSpec(typed).parse("hi 1 0.5 maybe")


# --- malformed signatures -----------------------------------------------------------------------


def test_unsupported_annotation_is_rejected() -> None:
    async def handler(ctx: Context, data: list[str]) -> None: ...

    with pytest.raises(PluginError, match="data"):
        ArgSpec(handler)


def test_var_keyword_is_rejected() -> None:
    async def handler(ctx: Context, **options: str) -> None: ...

    with pytest.raises(PluginError, match="options"):
        ArgSpec(handler)


def test_required_rest_after_optional_argument_is_rejected() -> None:
    # Python forbids a required positional after an optional one; a required rest of
    # line after an optional argument is the legal spelling, and its default could
    # never be used: any text fills the optional argument first.
    async def handler(ctx: Context, who: str = "me", *, text: str) -> None: ...

    with pytest.raises(PluginError, match="text"):
        ArgSpec(handler)


def test_optional_rest_after_optional_argument_is_accepted() -> None:
    async def handler(ctx: Context, days: int = 1, *, text: str = "") -> None: ...

    assert ArgSpec(handler).parse("") == ([1], {})
    assert ArgSpec(handler).parse("2 go  on") == ([2], {"text": "go  on"})


def test_context_must_be_the_first_positional_parameter() -> None:
    async def keyword_only(*, ctx: Context) -> None: ...

    async def nothing() -> None: ...

    async def star_first(*args: str) -> None: ...

    for handler in (keyword_only, nothing, star_first):
        with pytest.raises(PluginError, match="first parameter"):
            ArgSpec(handler)


def test_two_keyword_only_parameters_are_rejected() -> None:
    async def handler(ctx: Context, *, a: str, b: str) -> None: ...

    with pytest.raises(PluginError, match="only one keyword-only"):
        ArgSpec(handler)


def test_keyword_only_rest_with_star_args_is_rejected() -> None:
    async def handler(ctx: Context, *words: str, text: str) -> None: ...

    with pytest.raises(PluginError, match="only one keyword-only"):
        ArgSpec(handler)


def test_keyword_only_non_str_is_rejected() -> None:
    async def handler(ctx: Context, *, count: int) -> None: ...

    with pytest.raises(PluginError, match="keyword-only"):
        ArgSpec(handler)


def test_union_of_two_types_is_rejected() -> None:
    async def handler(ctx: Context, value: int | str) -> None: ...

    with pytest.raises(PluginError, match="unions"):
        ArgSpec(handler)


# --- usage lines --------------------------------------------------------------------------------


def test_usage_of_fixed_default_and_star_args() -> None:
    assert usage(weather, "weather") == "!weather <city> [days=1] [more…]"


def test_usage_shows_choices() -> None:
    assert usage(convert, "convert") == "!convert <units: metric|imperial>"


def test_usage_shows_enum_choices_and_default() -> None:
    assert usage(paint, "paint") == "!paint [size: small|large=small]"


def test_usage_of_optional_without_default_value() -> None:
    assert usage(greet, "greet") == "!greet [name]"


def test_usage_of_rest_of_line() -> None:
    assert usage(echo, "echo") == "!echo <text…>"
    assert usage(remind, "remind") == "!remind <who> <text…>"


def test_usage_without_arguments() -> None:
    async def ping(ctx: Context) -> None: ...

    assert usage(ping, "ping") == "!ping"
