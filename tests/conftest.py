"""Shared fixtures: every async test runs under blockbuster, so a call that blocks the
event loop fails the test; pytest's `filterwarnings = error` makes never-awaited
coroutines and unclosed sessions fail too."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from tests.fakes.discord import FakeDiscord
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent

# The plugins botloop ships, by name: the suite tests these, never "whatever is in
# plugins/ today", so a plugin an author adds there cannot turn it red.
SHIPPED_PLUGINS = ("echo", "gh", "greet", "ping", "status", "weather", "wiki")


def shipped_plugins_dir(where: Path) -> Path:
    """A plugins directory at ``where`` holding links to the shipped plugins only."""
    where.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_PLUGINS:
        source = ROOT / "plugins" / name
        source = source if source.is_dir() else source.with_suffix(".py")
        (where / source.name).symlink_to(source)
    return where


@pytest.fixture(autouse=True)
def blockbuster(request: pytest.FixtureRequest) -> Iterator[BlockBuster | None]:
    """Fail async tests that block the loop (sync tests may block: they own no loop)."""
    if not request.node.get_closest_marker("asyncio") and not _is_async(request):
        yield None
        return
    with blockbuster_ctx() as bb:
        yield bb


def _is_async(request: pytest.FixtureRequest) -> bool:
    import inspect

    return inspect.iscoroutinefunction(getattr(request.node, "obj", None))


@pytest.fixture
def bot_env(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment for a `python -m bot` child: no proxies, no stray BOT_ settings,
    its data (the SQLite store) in a temporary directory, the shipped plugins only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "LOG_"))}
    env["DATA_DIR"] = str(tmp_path / "data")
    env["BOT_PLUGINS_DIR"] = str(shipped_plugins_dir(tmp_path_factory.mktemp("shipped")))
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(key, None)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def python() -> str:
    return sys.executable


@pytest.fixture(autouse=True, scope="session")
def no_stray_data_dir() -> Iterator[None]:
    """In-process runtimes use memory:// and children get a temporary DATA_DIR: a
    test that writes the checkout's ./data is a bug (it would leak state between runs)."""
    existed = (ROOT / "data").exists()
    yield
    assert existed or not (ROOT / "data").exists(), "a test created ./data; use memory://"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord (REST v10 and the gateway) on 127.0.0.1, for the Discord adapter tests."""
    async with FakeDiscord() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the session (tests use key prefixes of their own)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
