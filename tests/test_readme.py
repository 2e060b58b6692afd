"""The README's plugin example is real: this runs the very block the README shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import Plugin
from bot.core.loader import load_directory
from tests.conftest import ROOT
from tests.helpers import running

README = (ROOT / "README.md").read_text()


def example(name: str) -> str:
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", README, re.S)
    assert found, f"README has no example {name!r}"
    return found.group(1)


@pytest.fixture
def greet(tmp_path: Path) -> Plugin:
    code = example("greet")
    assert len(code.strip().splitlines()) <= 20  # the README promises a short example
    (tmp_path / "greet.py").write_text(code)
    plugins, failures = load_directory(tmp_path)
    assert failures == []
    return plugins[0]


async def test_readme_example_answers_as_the_readme_says(greet: Plugin) -> None:
    async with running(greet) as (adapter, _):
        adapter.say("!greet Ada fr")
        adapter.say("!hi Ada")
        adapter.say("!greet")
    # leaving `running` ends the input and waits for every handler
    texts = sorted(s.text for s in adapter.sent)
    assert len(texts) == 3
    assert "Bonjour, **Ada**!" in texts
    assert "Hello, **Ada**!" in texts
    usage = next(t for t in texts if "Usage" in t)
    assert usage.endswith("Usage: !greet <name> [lang: en|fr|no=en]")
    assert "`!greet` answers the usage line `!greet <name> [lang: en|fr|no=en]`" in README


async def test_readme_example_listener_reacts(greet: Plugin) -> None:
    async with running(greet) as (adapter, _):
        msg = adapter.say("thanks, bot")
        adapter.say("no gratitude here")
    assert adapter.reactions == [(msg, "🙏")]
    assert adapter.sent == []


def test_readme_config_example_reads_typed_settings() -> None:
    from bot.config import load_plugin_config

    namespace: dict[str, object] = {"__name__": "readme_config"}
    # dont_inherit: this module's `from __future__ import annotations` must not leak in
    exec(compile(example("config"), "README.md", "exec", dont_inherit=True), namespace)
    plugin = namespace["plugin"]
    assert isinstance(plugin, Plugin)
    environ = {"WEATHER_UNITS": "Imperial", "WEATHER_API_KEY": "k-123456789"}
    config = load_plugin_config(plugin.config_prefix, plugin.config_schema, environ)
    assert config.units == "imperial"
    assert config.api_key.reveal() == "k-123456789"
    assert "k-123456789" not in repr(config)


def test_the_readme_example_is_the_shipped_plugin_in_full() -> None:
    assert (ROOT / "plugins" / "greet.py").read_text() == example("greet")
