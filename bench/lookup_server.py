"""The fan-out scenario's API: ``GET /item/<i>`` answers ``{"i": i}`` after 50 ms.

Runs as its own process (``python -m bench.lookup_server``) so that serving the
requests does not share the bot's event loop or core. Prints its port, then
serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

DELAY = 0.05


async def item(request: web.Request) -> web.Response:
    await asyncio.sleep(DELAY)
    return web.json_response({"i": int(request.match_info["i"])})


async def serve() -> None:
    app = web.Application()
    app.router.add_get("/item/{i}", item)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    port = runner.addresses[0][1]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
