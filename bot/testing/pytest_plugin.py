"""pytest fixtures for plugin tests, loaded through the ``pytest11`` entry point.

``fake_api``: a running :class:`~bot.testing.FakeAPI`, closed after the test. The
fixtures need pytest-asyncio (in botloop's ``dev`` extra); without it this plugin
defines nothing rather than break an unrelated pytest run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.testing.fake_api import FakeAPI

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - only without the dev extra
    pass
else:

    @pytest_asyncio.fixture
    async def fake_api() -> AsyncIterator[FakeAPI]:
        """A scripted HTTP API on 127.0.0.1; route answers, point the plugin at ``.url``."""
        async with FakeAPI() as api:
            yield api
