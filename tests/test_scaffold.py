"""``python -m bot new-plugin NAME`` in a fresh project: the plugin and its test are
written, the test passes as written, the bot answers the new command, and nothing is
ever overwritten or written under a bad name."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import scaffold
from bot.errors import PluginError
from tests.conftest import ROOT


def run(
    cwd: Path, env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def own_plugins_dir(bot_env: dict[str, str]) -> None:
    """These projects have their own ./plugins: not the shipped ones bot_env points at."""
    bot_env.pop("BOT_PLUGINS_DIR", None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A bot project of its own: botloop's pytest settings (asyncio_mode=auto) and a
    tests package, no plugins yet."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    return tmp_path


def new_plugin(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(project, env, "-m", "bot", "new-plugin", *args)


def test_new_plugin_writes_a_plugin_whose_test_passes_and_that_the_bot_runs(
    project: Path, bot_env: dict[str, str]
) -> None:
    made = new_plugin(project, bot_env, "hello")
    assert made.returncode == 0, made.stderr
    assert "wrote plugins/hello.py" in made.stdout
    assert "wrote tests/test_hello.py" in made.stdout
    assert (project / "plugins" / "hello.py").is_file()
    assert (project / "tests" / "test_hello.py").is_file()

    tested = run(project, bot_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout

    answered = run(project, bot_env, "-m", "bot", stdin="!hello\n!hello Ada\n")
    assert answered.returncode == 0, answered.stderr
    assert "Hello, world!" in answered.stdout
    assert "Hello, Ada!" in answered.stdout
    assert "[1] Wave back" in answered.stdout  # the console numbers the button


def test_the_scaffolded_test_passes_without_asyncio_auto_mode(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    assert new_plugin(tmp_path, bot_env, "hello").returncode == 0
    tested = run(tmp_path, bot_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scaffolded_test_fails_when_the_plugin_is_broken(
    project: Path, bot_env: dict[str, str]
) -> None:
    assert new_plugin(project, bot_env, "hello").returncode == 0
    plugin = project / "plugins" / "hello.py"
    plugin.write_text(plugin.read_text().replace('f"Hello, {who}!"', 'f"Bye, {who}!"'))
    tested = run(project, bot_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert tested.returncode == 1
    assert "FAILED tests/test_hello.py::test_hello_greets" in tested.stdout


def test_new_plugin_never_overwrites(project: Path, bot_env: dict[str, str]) -> None:
    assert new_plugin(project, bot_env, "hello").returncode == 0
    plugin = project / "plugins" / "hello.py"
    plugin.write_text("# my own work\n")
    again = new_plugin(project, bot_env, "hello")
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "botloop: new-plugin: plugins/hello.py already exists; not overwriting it"
    )
    assert plugin.read_text() == "# my own work\n"


def test_an_existing_test_file_alone_stops_both_writes(
    project: Path, bot_env: dict[str, str]
) -> None:
    (project / "tests" / "test_hello.py").write_text("# kept\n")
    refused = new_plugin(project, bot_env, "hello")
    assert refused.returncode == 1
    assert "tests/test_hello.py already exists" in refused.stderr
    assert not (project / "plugins").exists()
    assert (project / "tests" / "test_hello.py").read_text() == "# kept\n"


def test_new_plugin_follows_the_plugins_dir_setting_and_tests_dir_option(
    project: Path, bot_env: dict[str, str]
) -> None:
    bot_env["BOT_PLUGINS_DIR"] = "bots"
    made = new_plugin(project, bot_env, "weather", "--tests-dir", "checks")
    assert made.returncode == 0, made.stderr
    assert (project / "bots" / "weather.py").is_file()
    assert (project / "checks" / "test_weather.py").is_file()
    assert not (project / "plugins").exists()


@pytest.mark.parametrize("name", ["Hello", "class", "9x", "help"])
def test_a_bad_name_exits_1_and_writes_nothing(
    project: Path, bot_env: dict[str, str], name: str
) -> None:
    refused = new_plugin(project, bot_env, name)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{name!r} is not a usable name" in lines[0], refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (project / "plugins").exists()
    assert sorted(p.name for p in (project / "tests").iterdir()) == ["__init__.py"]


@pytest.mark.parametrize(
    "name", ["Hello", "class", "async", "9x", "help", "my-plugin", "_x", "", "héllo", "a b"]
)
def test_scaffold_refuses_names_that_are_not_usable(tmp_path: Path, name: str) -> None:
    with pytest.raises(PluginError, match="is not a usable name"):
        scaffold.write(name, tmp_path / "plugins", tmp_path / "tests")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["x", "weather", "dice2", "rss_feed"])
def test_scaffold_writes_valid_python_for_good_names(tmp_path: Path, name: str) -> None:
    written = scaffold.write(name, tmp_path / "plugins", tmp_path / "tests")
    assert written == [tmp_path / "plugins" / f"{name}.py", tmp_path / "tests" / f"test_{name}.py"]
    for path in written:
        compile(path.read_text(), str(path), "exec")
    assert f'Plugin("{name}"' in written[0].read_text()
    assert f"from plugins.{name} import plugin" in written[1].read_text()


AUTHORED = """
from dataclasses import dataclass

from bot import Context, Plugin


@dataclass
class Config:
    step: int = 1


plugin = Plugin("tally", config=Config)


@plugin.command(help="Count up")
async def tally(ctx: Context) -> None:
    await ctx.reply(f"+{ctx.config.step}")
"""


def test_an_authors_plugin_with_a_setting_and_a_command_keeps_the_suite_green(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    """The scaffold's promise "make test passes": in a copy of this checkout with one
    more plugin (a setting that .env.example does not list, a new command), the tests
    that read plugins/ or run the real bot still pass."""
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        ROOT / "plugins", copy / "plugins", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", ".env.example", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    (copy / "plugins" / "tally.py").write_text(AUTHORED)
    bot_env["PYTHONPATH"] = str(copy)
    affected = [
        "tests/test_config.py",
        "tests/test_process.py",
        "tests/test_check.py",
        "tests/test_discord_process.py",
    ]
    tested = run(copy, bot_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", *affected)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert " passed" in tested.stdout
