"""Pure rendering: splitting long text, embed limits, allowed mentions."""

from __future__ import annotations

import pytest

from bot import Card, Field, Reply
from bot.adapters.discord.render import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    FILE_THRESHOLD,
    LONG_REPLY_NAME,
    allowed_mentions,
    embed_size,
    render,
    render_card,
    split,
)


def test_short_text_is_one_piece() -> None:
    assert split("hello\nworld") == ["hello\nworld"]


def test_long_text_is_cut_between_lines_under_the_limit() -> None:
    lines = [f"{i:03d} " + "a" * 95 for i in range(50)]  # 50 lines of 99 characters
    pieces = split("\n".join(lines))
    assert all(len(p) <= CONTENT_LIMIT for p in pieces)
    assert "\n".join(pieces).split("\n") == lines  # nothing lost, no line cut
    assert len(pieces) == 3


def test_a_code_block_that_fits_is_never_cut() -> None:
    prose = "\n".join("p" * 90 for _ in range(18))  # 1637 characters
    block = "```py\n" + "\n".join(f"x = {i}" for i in range(60)) + "\n```"
    pieces = split(prose + "\n" + block + "\nafter")
    assert any(block in p for p in pieces)  # whole, in one piece
    for piece in pieces:
        assert piece.count("```") % 2 == 0  # every piece is balanced


def test_a_code_block_too_long_for_one_message_is_closed_and_reopened() -> None:
    block = "```py\n" + "\n".join(f"value_{i:04d} = {i}" for i in range(300)) + "\n```"
    pieces = split(block)
    assert len(pieces) >= 3
    for piece in pieces:
        assert len(piece) <= CONTENT_LIMIT
        assert piece.startswith("```py\n") and piece.endswith("\n```")
    body = [line for p in pieces for line in p.split("\n")[1:-1]]
    assert body == [f"value_{i:04d} = {i}" for i in range(300)]


def test_a_single_huge_line_is_cut_at_spaces() -> None:
    words = " ".join(["word"] * 1000)  # 4999 characters, one line
    pieces = split(words)
    assert all(len(p) <= CONTENT_LIMIT for p in pieces)
    assert " ".join(pieces).split() == words.split()


def test_a_line_without_spaces_is_cut_hard() -> None:
    pieces = split("z" * 4500)
    assert [len(p) for p in pieces] == [2000, 2000, 500]


def test_render_puts_the_embed_and_files_on_the_last_message() -> None:
    text = "\n".join("l" * 99 for _ in range(25))  # 2499 characters
    out = render(Reply(text, card=Card("T"), files=(("a.txt", b"a"),)))
    assert len(out) == 2
    assert out[0].embed is None and not out[0].files
    assert out[1].embed == {"type": "rich", "title": "T"}
    assert out[1].files == (("a.txt", b"a"),)


def test_render_sends_very_long_text_as_a_file() -> None:
    text = "y" * (FILE_THRESHOLD + 1)
    (out,) = render(Reply(text))
    assert out.files[0] == (LONG_REPLY_NAME, text.encode())
    assert len(out.content) < 100


def test_a_card_without_text_is_one_message_with_empty_content() -> None:
    (out,) = render(Reply(card=Card("only a card")))
    assert out.content == "" and out.embed is not None


def test_embed_parts_are_clipped_to_their_limits() -> None:
    card = Card(
        title="t" * 300,
        description="d" * 5000,
        fields=tuple(Field("n" * 300, "v" * 2000) for _ in range(30)),
        footer="f" * 3000,
    )
    embed = render_card(card)
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    assert len(embed["description"]) <= 4096
    assert len(embed["footer"]["text"]) == 2048
    assert embed_size(embed) <= EMBED_TOTAL_LIMIT  # the description used up the rest


def test_fields_are_clipped_and_dropped_past_the_total() -> None:
    embed = render_card(Card(fields=tuple(Field("n" * 300, "v" * 2000) for _ in range(30))))
    assert all(len(f["name"]) == 256 and len(f["value"]) == 1024 for f in embed["fields"])
    assert len(embed["fields"]) == EMBED_TOTAL_LIMIT // (256 + 1024)  # 4 fit in 6000
    assert embed_size(embed) <= EMBED_TOTAL_LIMIT


def test_at_most_25_fields_and_empty_ones_get_a_placeholder() -> None:
    embed = render_card(Card(fields=tuple(Field(str(i), "") for i in range(40))))
    assert len(embed["fields"]) == 25
    assert embed["fields"][0] == {"name": "0", "value": "\u200b", "inline": True}


def test_card_colour_url_and_image_map_to_embed_keys() -> None:
    embed = render_card(Card("T", url="https://x.test", colour=0xFF0000, image="https://i.test"))
    assert embed["color"] == 0xFF0000
    assert embed["url"] == "https://x.test"
    assert embed["image"] == {"url": "https://i.test"}
    assert "fields" not in embed and "footer" not in embed and "description" not in embed


@pytest.mark.parametrize(
    ("allow", "parse"), [(False, ["users"]), (True, ["users", "roles", "everyone"])]
)
def test_allowed_mentions(allow: bool, parse: list[str]) -> None:
    assert allowed_mentions(Reply("x", allow_mentions=allow)) == {
        "parse": parse,
        "replied_user": True,
    }
