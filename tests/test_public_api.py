"""The public API is what `bot` exports: pinned here so a change to it is deliberate."""

from __future__ import annotations

import subprocess
import sys

import bot
from tests.conftest import ROOT


def test_public_names_are_pinned() -> None:
    assert sorted(bot.__all__) == sorted(
        [
            "Action", "BotError", "BotReady", "Button", "CallNext", "Card", "ChannelRef",
            "Check", "ConfigError", "Context", "FetchError", "FetchTimeout", "Field", "Form",
            "LockTaken", "MemberJoined", "Message", "MessageRef", "Option", "Plugin",
            "ReactionAdded", "Reply", "Result", "Secret", "Select", "TextInput",
            "UsageError", "User", "UserError", "WebRequest", "WebResponse", "__version__",
            "address_refusal", "check", "cooldown", "is_admin", "is_direct", "requires",
            "signature_valid",
        ]
    )  # fmt: skip
    for name in bot.__all__:
        assert getattr(bot, name) is not None


def test_package_is_typed() -> None:
    assert (ROOT / "bot" / "py.typed").is_file()


def test_a_bot_with_no_platform_configured_imports_no_platform_library(
    bot_env: dict[str, str],
) -> None:
    """Heavy platform libraries load only when their adapter is configured: `check`
    builds everything `run` would (plugins, adapters) and none of them is imported."""
    for variable in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        bot_env.pop(variable, None)
    probe = (
        "import sys; from bot.cli import main; rc = main(['check']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'discord', 'slack_bolt', 'slack_sdk'})); sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=bot_env, cwd=ROOT,
        timeout=30, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "adapters: console" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert version("botloop") == bot.__version__
