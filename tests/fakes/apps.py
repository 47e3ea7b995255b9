"""Our real chat apps, started the way `briefbot run` starts them, for tests against the fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapters.slack import EVENTS_PATH, build_app, serve_http
from bot.app import Core, build_core
from bot.clock import Clock
from bot.config import Settings


@asynccontextmanager
async def running_bolt(settings: Settings, clock: Clock) -> AsyncIterator[tuple[str, Core]]:
    """Serve the real Bolt app on a free loopback port; yield its events URL and its core."""
    core = build_core(settings, clock)
    core.store  # noqa: B018 - open and seed before serving, as `run` does
    app = build_app(core, settings)
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve_http(app, "127.0.0.1", 0, bound.set_result))
    try:
        port = await asyncio.wait_for(bound, 10)
        yield f"http://127.0.0.1:{port}{EVENTS_PATH}", core
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        await asyncio.to_thread(core.close)
