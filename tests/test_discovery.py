"""Which plugins load: the plugins directory, installed packages' ``botloop.plugins``
entry points, the PLUGINS / PLUGINS_DISABLED settings, and ``python -m bot plugins``."""

from __future__ import annotations

import asyncio
import importlib
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import describe_plugins
from bot.config import Settings
from bot.core.assemble import build_registry
from bot.core.loader import ENTRY_POINT_GROUP, PACKAGE, Loaded, LoadFailure, load_plugins
from bot.errors import ConfigError, PluginError

COMMAND_PLUGIN = """
from bot import Context, Plugin

plugin = Plugin("{name}")


@plugin.command
async def {name}(ctx: Context) -> None:
    await ctx.reply("{name} from {where}")
"""

BROKEN = """
raise RuntimeError("this module must never be imported")
"""


def write(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def command_plugin(directory: Path, name: str, where: str = "the directory") -> None:
    write(directory / f"{name}.py", COMMAND_PLUGIN.format(name=name, where=where))


def forget_modules(*prefixes: str) -> None:
    for name in [m for m in sys.modules if m.startswith(prefixes)]:
        del sys.modules[name]


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty plugins directory; the loader's modules are forgotten afterwards."""
    directory = tmp_path / "plugins"
    directory.mkdir()
    yield directory
    forget_modules(PACKAGE)


# The entry points of a real installed distribution (a .dist-info on sys.path)

DISTRIBUTION = "botloop_fake_dist"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution ``botloop-fake-dist`` whose ``botloop.plugins`` entry
    points the test writes with :func:`install`; gone (and its modules forgotten) after."""
    directory = tmp_path / "site"
    write(
        directory / f"{DISTRIBUTION}-1.0.dist-info" / "METADATA",
        "Metadata-Version: 2.1\nName: botloop-fake-dist\nVersion: 1.0\n",
    )
    monkeypatch.syspath_prepend(str(directory))
    yield directory
    forget_modules("fakeplug")
    importlib.invalidate_caches()


def install(site: Path, **entry_points: str) -> None:
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in entry_points.items())]
    write(site / f"{DISTRIBUTION}-1.0.dist-info" / "entry_points.txt", "\n".join(lines) + "\n")
    importlib.invalidate_caches()


def settings(plugins_dir: Path, **values: str) -> Settings:
    return Settings.from_env({"BOT_PLUGINS_DIR": str(plugins_dir), **values})


def loaded_names(plugins_dir: Path, **values: str) -> list[str]:
    """The plugins the cli's registry holds (help included) for these settings."""
    registry = build_registry(settings(plugins_dir, **values), {}, strict=False)
    assert registry.failures == []
    return list(registry.plugins)


# PLUGINS and PLUGINS_DISABLED


def test_every_plugin_loads_by_default(plugins_dir: Path) -> None:
    for name in ("alpha", "beta", "gamma"):
        command_plugin(plugins_dir, name)
    assert loaded_names(plugins_dir) == ["help", "alpha", "beta", "gamma"]


def test_plugins_selects_by_name(plugins_dir: Path) -> None:
    for name in ("alpha", "beta", "gamma"):
        command_plugin(plugins_dir, name)
    assert loaded_names(plugins_dir, PLUGINS=" gamma, alpha ") == ["help", "alpha", "gamma"]
    assert f"{PACKAGE}.beta" not in sys.modules


def test_plugins_disabled_skips_and_never_imports(plugins_dir: Path) -> None:
    command_plugin(plugins_dir, "alpha")
    write(plugins_dir / "broken.py", BROKEN)
    assert loaded_names(plugins_dir, PLUGINS_DISABLED="broken") == ["help", "alpha"]
    assert f"{PACKAGE}.broken" not in sys.modules


def test_a_plugin_left_out_of_plugins_is_never_imported(plugins_dir: Path) -> None:
    command_plugin(plugins_dir, "alpha")
    write(plugins_dir / "broken.py", BROKEN)
    assert loaded_names(plugins_dir, PLUGINS="alpha") == ["help", "alpha"]


def test_disabled_wins_over_selected(plugins_dir: Path) -> None:
    command_plugin(plugins_dir, "alpha")
    command_plugin(plugins_dir, "beta")
    assert loaded_names(plugins_dir, PLUGINS="alpha,beta", PLUGINS_DISABLED="beta") == [
        "help",
        "alpha",
    ]


@pytest.mark.parametrize("variable", ["PLUGINS", "PLUGINS_DISABLED"])
def test_an_unknown_name_is_a_config_error_naming_the_variable(
    plugins_dir: Path, variable: str
) -> None:
    command_plugin(plugins_dir, "alpha")
    with pytest.raises(ConfigError) as caught:
        build_registry(settings(plugins_dir, **{variable: "alpha,aplha"}), {}, strict=False)
    assert caught.value.variable == variable
    assert "no plugin named aplha" in str(caught.value)
    assert "found: alpha" in str(caught.value)
    assert f"{PACKAGE}.alpha" not in sys.modules  # checked before anything is imported


# Entry points


def test_an_entry_point_naming_a_plugin_object_loads(plugins_dir: Path, site: Path) -> None:
    command_plugin(site, "fakeplug_obj", where="a package")
    install(site, weather="fakeplug_obj:plugin")
    loaded, failures = load_plugins(plugins_dir)
    assert failures == []
    [item] = [i for i in loaded if i.plugin.name == "fakeplug_obj"]
    assert item.origin == "entry point fakeplug_obj:plugin"


def test_an_entry_point_naming_a_module_loads_its_plugin(plugins_dir: Path, site: Path) -> None:
    command_plugin(site, "fakeplug_mod", where="a package")
    install(site, fakeplug_mod="fakeplug_mod")
    registry = build_registry(settings(plugins_dir), {}, strict=False)
    assert registry.failures == []
    assert "fakeplug_mod" in registry.commands
    assert registry.origins["fakeplug_mod"] == "entry point fakeplug_mod"


async def test_an_entry_point_plugin_answers_through_the_runtime(
    plugins_dir: Path, site: Path
) -> None:
    from bot.testing import Harness

    def prepare() -> tuple[list[Loaded], list[LoadFailure]]:  # files: off the loop
        command_plugin(site, "fakeplug_run", where="a package")
        install(site, fakeplug_run="fakeplug_run:plugin")
        return load_plugins(plugins_dir)

    loaded, _ = await asyncio.to_thread(prepare)
    [plugin] = [i.plugin for i in loaded if i.plugin.name == "fakeplug_run"]
    async with Harness(plugin) as bot:
        assert await bot.ask("!fakeplug_run") == "fakeplug_run from a package"


def test_entry_points_are_selected_by_their_entry_point_name(plugins_dir: Path, site: Path) -> None:
    command_plugin(site, "fakeplug_a")
    write(site / "fakeplug_broken.py", BROKEN)
    install(site, one="fakeplug_a:plugin", two="fakeplug_broken:plugin")
    loaded, failures = load_plugins(plugins_dir, disabled=["two"])
    assert failures == []
    assert [i.plugin.name for i in loaded] == ["fakeplug_a"]
    assert "fakeplug_broken" not in sys.modules
    loaded, failures = load_plugins(plugins_dir, only=["two"])
    assert loaded == []
    assert [f.name for f in failures] == ["two"]
    assert "must never be imported" in failures[0].error


def test_an_entry_point_naming_something_else_is_a_load_failure(
    plugins_dir: Path, site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(site / "fakeplug_odd.py", "def helper() -> None: ...\n")
    command_plugin(plugins_dir, "alpha")
    install(site, odd="fakeplug_odd:helper")
    loaded, failures = load_plugins(plugins_dir)
    assert [i.plugin.name for i in loaded] == ["alpha"]
    assert failures == [
        LoadFailure(
            "odd",
            "PluginError: entry point fakeplug_odd:helper is neither a Plugin nor a module "
            "holding one",
        )
    ]
    assert any("plugin odd failed to load" in r.getMessage() for r in caplog.records)


def test_an_entry_point_to_a_missing_module_is_a_load_failure(
    plugins_dir: Path, site: Path
) -> None:
    install(site, ghost="fakeplug_nowhere:plugin")
    loaded, failures = load_plugins(plugins_dir)
    assert loaded == []
    assert [f.name for f in failures] == ["ghost"]
    assert failures[0].error.startswith("ModuleNotFoundError:")


def test_a_directory_plugin_shadows_an_entry_point_of_the_same_name(
    plugins_dir: Path, site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    command_plugin(plugins_dir, "fakeplug_dup", where="the directory")
    write(site / "fakeplug_pkg.py", BROKEN)  # the shadowed one is never imported
    install(site, fakeplug_dup="fakeplug_pkg:plugin")
    caplog.set_level(logging.WARNING, "bot.loader")
    loaded, failures = load_plugins(plugins_dir)
    assert failures == []
    [item] = loaded
    assert item.origin == str(plugins_dir / "fakeplug_dup")
    assert "fakeplug_pkg" not in sys.modules
    [warning] = [r for r in caplog.records if "shadowed" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "fakeplug_dup" in warning.getMessage() and "fakeplug_pkg:plugin" in warning.getMessage()


def test_plugins_can_name_an_entry_point(plugins_dir: Path, site: Path) -> None:
    command_plugin(plugins_dir, "alpha")
    command_plugin(site, "fakeplug_sel")
    install(site, sel="fakeplug_sel:plugin")
    assert loaded_names(plugins_dir, PLUGINS="sel") == ["help", "fakeplug_sel"]


# python -m bot plugins

LISTED = """
from bot import Context, Plugin
from bot.model import MemberJoined

plugin = Plugin("greeter", help="Says hello")


@plugin.command(aliases=["hi"])
async def hello(ctx: Context, who: str = "world") -> None:
    \"\"\"Greet someone.\"\"\"
    await ctx.reply(f"hello {who}")


@plugin.on_message(r"(?i)good morning")
async def morning(ctx: Context) -> None:
    await ctx.reply("morning!")


@plugin.on_event("member_joined")
async def welcome(ctx: Context, event: MemberJoined) -> None:
    await ctx.reply("welcome")


@plugin.on_action("wave")
async def waved(ctx: Context, value: str) -> None: ...


@plugin.every(minutes=5)
async def poll(ctx: Context) -> None: ...


@plugin.cron("0 9 * * mon-fri")
async def standup(ctx: Context) -> None: ...
"""


def list_plugins(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in env.items() if k != "BOT_PLUGINS_DIR"}  # ./plugins in cwd
    return subprocess.run(
        [sys.executable, "-m", "bot", "plugins"], capture_output=True, text=True,
        env=env, cwd=cwd, timeout=60, check=False,
    )  # fmt: skip


def test_bot_plugins_lists_commands_listeners_events_and_jobs(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    write(tmp_path / "plugins" / "greeter.py", LISTED)
    proc = list_plugins(tmp_path, bot_env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index(f"greeter ({tmp_path / 'plugins' / 'greeter'})")
    assert lines[start + 1 :] == [
        "  !hello [who=world] (also !hi) — Greet someone.",
        "  on message /(?i)good morning/ → morning",
        "  on member_joined → welcome",
        "  on click 'wave' → waved",
        "  every 300 s → poll",
        "  cron 0 9 * * mon-fri (UTC) → standup",
    ]
    assert lines[0] == "help (built in)"
    assert "failed to load" not in proc.stdout


def test_bot_plugins_reports_a_failed_plugin_and_exits_1(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    write(tmp_path / "plugins" / "greeter.py", LISTED)
    write(tmp_path / "plugins" / "broken.py", 'raise RuntimeError("no API key")\n')
    proc = list_plugins(tmp_path, bot_env)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert "  every 300 s → poll" in out  # the good one is still listed
    assert out[-2:] == ["failed to load:", "  broken: RuntimeError: no API key"]


def test_a_command_another_plugin_has_is_dropped_and_the_rest_loads(
    plugins_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    command_plugin(plugins_dir, "alpha")
    beta = COMMAND_PLUGIN.format(name="beta", where="x").replace(
        "async def beta", "async def alpha"
    )
    write(
        plugins_dir / "beta.py",
        beta + "\n\n@plugin.command\nasync def also(ctx: Context) -> None: ...\n",
    )
    registry = build_registry(settings(plugins_dir), {}, strict=False)
    assert list(registry.plugins) == ["help", "alpha", "beta"]
    assert registry.commands["alpha"].plugin == "alpha"
    assert registry.commands["also"].plugin == "beta"
    assert registry.failures == []
    line = "command 'alpha' is defined by plugins 'alpha' and 'beta'; 'beta' loads without 'alpha'"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [line]
    assert "  !alpha (not loaded: another plugin has it)" in describe_plugins(registry, "!")


def test_strict_refuses_a_command_two_plugins_define(plugins_dir: Path) -> None:
    command_plugin(plugins_dir, "alpha")
    beta = COMMAND_PLUGIN.format(name="beta", where="x").replace(
        "async def beta", "async def alpha"
    )
    write(plugins_dir / "beta.py", beta)
    with pytest.raises(PluginError, match=r"'alpha' is defined by plugins 'alpha' and 'beta'$"):
        build_registry(settings(plugins_dir), {}, strict=True)


def test_bot_plugins_with_a_bad_selection_exits_2_naming_the_variable(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    write(tmp_path / "plugins" / "greeter.py", LISTED)
    bot_env["PLUGINS_DISABLED"] = "greter"
    proc = list_plugins(tmp_path, bot_env)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("botloop: configuration error: PLUGINS_DISABLED: no plugin named greter")
    )
    assert "Traceback" not in proc.stderr
