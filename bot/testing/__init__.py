"""Testing plugins offline: the :class:`Harness` runs them through the real runtime on an
in-memory adapter and store; :class:`FakeAPI` is a scripted HTTP server on loopback
for their lookups. ``pytest`` gets a ``fake_api`` fixture from ``bot.testing.pytest_plugin``
(registered as a pytest plugin when botloop is installed).
"""

from bot.adapters.memory import Sent
from bot.testing.fake_api import FakeAPI, Recorded, Respond
from bot.testing.harness import Harness

__all__ = ["FakeAPI", "Harness", "Recorded", "Respond", "Sent"]
