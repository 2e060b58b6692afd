"""The neutral model's hand-written constructors (Message, Reply) keep the dataclass contract:
the same parameters as the fields, immutable, equal and hashed by value."""

from __future__ import annotations

import dataclasses
import inspect
import time

import pytest

from bot.model import ChannelRef, Message, Reply, User


@pytest.mark.parametrize("cls", [Message, Reply])
def test_the_constructor_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    if cls is Reply:  # ``buttons``, last, is a shorthand for one kind of ``components``
        assert params[-1].name == "buttons" and params[-1].default == ()
        params = params[:-1]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for param, field in zip(params, fields, strict=True):
        if field.default_factory is not dataclasses.MISSING:
            assert param.default is None  # None: the factory's value
        else:
            expected = (
                inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
            )
            assert param.default == expected, field.name


def message(**changes: object) -> Message:
    base = Message("memory", ChannelRef("memory", "c"), User("u1", "alice"), "!ping", id="7")
    return dataclasses.replace(base, **changes)


def test_a_message_is_immutable() -> None:
    msg = message()
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.text = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Reply("hi").text = "changed"  # type: ignore[misc]


def test_messages_compare_and_hash_by_value_ignoring_raw_and_arrival() -> None:
    a = message(raw={"x": 1}, received_at=1.0)
    b = message(raw=None, received_at=2.0)
    assert a == b
    assert hash(a) == hash(b)
    assert a != message(text="!pong")
    assert Reply("hi", ephemeral=True) == Reply("hi", ephemeral=True)
    assert hash(Reply("hi")) == hash(Reply("hi"))
    assert Reply("hi") != Reply("hi", thread=True)


def test_received_at_defaults_to_now_and_survives_replace() -> None:
    before = time.monotonic()
    msg = Message("memory", ChannelRef("memory", "c"), User("u1", "alice"), "hi")
    assert before <= msg.received_at <= time.monotonic()
    assert dataclasses.replace(msg, text="other").received_at == msg.received_at
    assert message(received_at=5.0).received_at == 5.0


def test_every_field_is_stored() -> None:
    reply = Reply("t", None, True, True, True, (("a.txt", b"x"),))
    assert (reply.thread, reply.ephemeral, reply.allow_mentions) == (True, True, True)
    assert reply.files == (("a.txt", b"x"),)
    msg = message(mentioned=True, is_direct=True, raw="r")
    assert (msg.id, msg.mentioned, msg.is_direct, msg.raw) == ("7", True, True, "r")
    assert msg.invocation is None
