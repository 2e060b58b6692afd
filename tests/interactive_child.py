"""Child process of the restart test in test_interactive.py.

    python tests/interactive_child.py DB_PATH send         → prints the button's id
    python tests/interactive_child.py DB_PATH click ID     → prints the handler's answer

Each run is a fresh process with a fresh runtime on the same SQLite file.
"""

from __future__ import annotations

import asyncio
import sys

from bot.model import Action
from bot.storage import SQLiteStore
from bot.testing import Harness
from tests.test_interactive import deploy


async def main(path: str, mode: str, ident: str = "") -> None:
    async with Harness(deploy(), store=await SQLiteStore.open(path)) as bot:
        if mode == "send":
            (shown,) = await bot.say("!big 300")
            print(shown.reply.components[0][0].id)
        else:
            click = Action("test", bot.adapter.channel, bot.user, ident, key="k1")
            (answer,) = await bot.emit(click)
            print(answer.text)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
