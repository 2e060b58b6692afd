"""The public API is what `bot` exports: pinned here so a change to it is deliberate."""

from __future__ import annotations

import subprocess
import sys

import bot
from tests.conftest import ROOT


def test_public_names_are_pinned() -> None:
    assert sorted(bot.__all__) == sorted(
        [
            "BotError", "BotReady", "Card", "ChannelRef", "Check", "ConfigError", "Context",
            "Field", "MemberJoined", "Message", "MessageRef", "Plugin", "ReactionAdded", "Reply",
            "Result", "Secret", "UsageError", "User", "UserError", "__version__", "check",
            "cooldown", "is_admin", "is_direct", "requires",
        ]
    )  # fmt: skip
    for name in bot.__all__:
        assert getattr(bot, name) is not None


def test_package_is_typed() -> None:
    assert (ROOT / "bot" / "py.typed").is_file()


def test_importing_bot_loads_no_platform_library() -> None:
    code = (
        "import sys, bot, bot.cli; "
        "bad = [m for m in ('discord', 'slack_bolt', 'slack_sdk') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "[]"


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert version("botloop") == bot.__version__
