"""Child process of the SIGKILL durability test in test_storage.py.

    python tests/storage_child.py DB_PATH KEY JSON_VALUE

Opens the SQLite store, sets KEY and deletes "doomed" in the "durable" namespace,
prints "written" once both calls have returned, then sleeps with the store still
open until it is killed.
"""

from __future__ import annotations

import asyncio
import json
import sys

from bot.storage import SQLiteStore


async def main(path: str, key: str, value: str) -> None:
    store = await SQLiteStore.open(path)
    await store.set("durable", key, json.loads(value))
    await store.delete("durable", "doomed")
    print("written", flush=True)
    await asyncio.sleep(3600)  # never closes the store: the parent kills us here


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
