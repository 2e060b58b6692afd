"""The Registry's name claims, and loading plugins from a directory.

Loader tests are plain ``def``: importing reads files, which blockbuster would flag.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Context, Plugin
from bot.core import LoadFailure, Registry, load_directory
from bot.core.loader import PACKAGE
from bot.errors import PluginError


def plugin_with(name: str, command: str, *aliases: str) -> Plugin:
    plugin = Plugin(name)

    async def handler(ctx: Context) -> None: ...

    plugin.command(command, aliases=aliases)(handler)
    return plugin


# Registry


def test_registry_routes_names_and_aliases_to_the_owner() -> None:
    registry = Registry()
    registry.add(plugin_with("a", "one", "uno"), {})
    assert registry.commands["one"].plugin == "a"
    assert registry.commands["uno"] is registry.commands["one"]
    assert [info.name for info in registry.infos()] == ["one"]


@pytest.mark.parametrize(
    ("first", "second", "clashing"),
    [
        (("go",), ("go",), "go"),  # the same command
        (("go",), ("run", "go"), "go"),  # an alias on another plugin's command
        (("go", "g"), ("g",), "g"),  # a command on another plugin's alias
    ],
)
def test_a_clashing_command_is_dropped_and_the_rest_of_its_plugin_loads(
    first: tuple[str, ...], second: tuple[str, ...], clashing: str
) -> None:
    registry = Registry()
    registry.add(plugin_with("first", *first), {})
    late = plugin_with("second", *second)
    late.command("other")(late.commands[0].func)

    @late.on_message(r"anything")
    async def listen(ctx: Context) -> None: ...

    registry.add(late, {})
    assert registry.commands[clashing].plugin == "first"
    assert registry.commands["other"].plugin == "second"  # the rest of it loaded
    assert [r.plugin for r in registry.patterns] == ["second"]
    [clash] = registry.clashes
    assert (clash.name, clash.kept_by, clash.dropped_from) == (clashing, "first", "second")
    assert str(clash) == (
        f"command {clashing!r} is defined by plugins 'first' and 'second'; "
        f"'second' loads without {second[0]!r}"
    )
    if len(second) > 1:  # the whole command goes, its other names too
        assert second[0] not in registry.commands


def test_duplicate_within_one_plugin_names_that_plugin_and_mounts_nothing() -> None:
    registry = Registry()
    with pytest.raises(PluginError, match=r"'solo'.*'go'"):
        registry.add(plugin_with("solo", "go", "go"), {})
    assert registry.plugins == {} and registry.commands == {}


def test_duplicate_plugin_name_is_refused() -> None:
    registry = Registry()
    registry.add(plugin_with("same", "one"), {})
    with pytest.raises(PluginError, match="'same'"):
        registry.add(plugin_with("same", "two"), {})
    assert "two" not in registry.commands


# Loader

GOOD = """
from bot import Context, Plugin

plugin = Plugin("good")


@plugin.command
async def good(ctx: Context) -> None:
    await ctx.reply("good")
"""


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty plugins directory; the loader's modules are forgotten afterwards."""
    yield tmp_path
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def write(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def test_module_plugin_loads(plugins_dir: Path) -> None:
    write(plugins_dir / "good.py", GOOD)
    plugins, failures = load_directory(plugins_dir)
    assert [p.name for p in plugins] == ["good"]
    assert [c.info.name for c in plugins[0].commands] == ["good"]
    assert failures == []


def test_package_plugin_with_a_relative_import_loads(plugins_dir: Path) -> None:
    write(plugins_dir / "pkg" / "helpers.py", "ANSWER = 42\n")
    write(
        plugins_dir / "pkg" / "__init__.py",
        """
        from bot import Context, Plugin

        from .helpers import ANSWER

        plugin = Plugin("pkg", help=f"answers {ANSWER}")
        """,
    )
    plugins, failures = load_directory(plugins_dir)
    assert failures == []
    assert [(p.name, p.help) for p in plugins] == [("pkg", "answers 42")]


def test_private_files_and_plain_directories_are_skipped(plugins_dir: Path) -> None:
    write(plugins_dir / "good.py", GOOD)
    write(plugins_dir / "_private.py", "raise RuntimeError('must not be imported')\n")
    write(plugins_dir / "data" / "notes.txt", "not a plugin\n")
    write(plugins_dir / "README.md", "# plugins\n")
    plugins, failures = load_directory(plugins_dir)
    assert [p.name for p in plugins] == ["good"]
    assert failures == []


def test_missing_directory_loads_nothing(tmp_path: Path) -> None:
    assert load_directory(tmp_path / "absent") == ([], [])


def broken_directory(root: Path) -> None:
    write(root / "good.py", GOOD)
    write(root / "a_syntax.py", "def broken(:\n")
    write(root / "b_imports.py", "import botloop_no_such_module_xyz\n")
    write(root / "c_empty.py", "VALUE = 1\n")
    write(
        root / "d_twice.py",
        """
        from bot import Plugin

        one = Plugin("one")
        two = Plugin("two")
        """,
    )


def test_broken_plugins_are_reported_while_the_good_one_loads(plugins_dir: Path) -> None:
    broken_directory(plugins_dir)
    plugins, failures = load_directory(plugins_dir)
    assert [p.name for p in plugins] == ["good"]
    assert [f.name for f in failures] == ["a_syntax", "b_imports", "c_empty", "d_twice"]
    assert all(isinstance(f, LoadFailure) for f in failures)
    errors = {f.name: f.error for f in failures}
    assert errors["a_syntax"].startswith("SyntaxError: ")
    assert errors["b_imports"].startswith("ModuleNotFoundError: ")
    assert "botloop_no_such_module_xyz" in errors["b_imports"]
    assert errors["c_empty"].startswith("PluginError: ")
    assert "no Plugin object" in errors["c_empty"]
    assert errors["d_twice"].startswith("PluginError: ")
    assert "2 Plugin objects" in errors["d_twice"]


def test_load_failures_are_logged(plugins_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(plugins_dir / "c_empty.py", "VALUE = 1\n")
    load_directory(plugins_dir)
    [record] = [r for r in caplog.records if r.name == "bot.loader"]
    assert "c_empty" in record.getMessage()
    assert record.exc_info is not None


def test_plugin_that_raises_at_import_is_a_failure(plugins_dir: Path) -> None:
    write(plugins_dir / "crash.py", "raise SystemExit('plugin called exit')\n")
    write(plugins_dir / "good.py", GOOD)
    plugins, failures = load_directory(plugins_dir)
    assert [p.name for p in plugins] == ["good"]
    assert failures == [LoadFailure("crash", "SystemExit: plugin called exit")]


def test_failed_module_is_removed_from_sys_modules(plugins_dir: Path) -> None:
    broken_directory(plugins_dir)
    load_directory(plugins_dir)
    for name in ("a_syntax", "b_imports", "c_empty", "d_twice"):
        assert f"{PACKAGE}.{name}" not in sys.modules
    assert f"{PACKAGE}.good" in sys.modules


def test_failed_package_rolls_back_its_submodules(plugins_dir: Path) -> None:
    write(plugins_dir / "half" / "helpers.py", "ANSWER = 42\n")
    write(
        plugins_dir / "half" / "__init__.py",
        """
        from .helpers import ANSWER
        import botloop_no_such_module_xyz
        """,
    )
    plugins, failures = load_directory(plugins_dir)
    assert plugins == []
    assert [f.name for f in failures] == ["half"]
    assert not [m for m in sys.modules if m.startswith(f"{PACKAGE}.half")]


def test_fixed_plugin_loads_on_the_next_attempt(plugins_dir: Path) -> None:
    write(plugins_dir / "flaky.py", "VALUE = 1\n")
    assert load_directory(plugins_dir)[0] == []
    write(plugins_dir / "flaky.py", GOOD.replace('"good"', '"flaky"') + "\n# fixed\n")
    plugins, failures = load_directory(plugins_dir)
    assert [p.name for p in plugins] == ["flaky"]
    assert failures == []


def test_each_directory_loads_its_own_plugins(tmp_path: Path, plugins_dir: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first / "same.py", GOOD.replace('"good"', '"from_first"'))
    write(second / "same.py", GOOD.replace('"good"', '"from_second"'))
    assert [p.name for p in load_directory(first)[0]] == ["from_first"]
    assert [p.name for p in load_directory(second)[0]] == ["from_second"]
