"""Serving an aiohttp fake on a free port of 127.0.0.1: shared by the platform fakes."""

from __future__ import annotations

from aiohttp import web


async def serve_app(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start `app` on 127.0.0.1 (any free port); return its runner and the port."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]
