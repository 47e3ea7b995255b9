"""Slack: `briefbot run slack` (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from slack_bolt.async_app import AsyncApp

from bot.app import Core
from bot.config import Settings
from bot.digests import Scheduler
from bot.errors import BadArgument

from .app import EVENTS_PATH, DigestPoster, build_app

__all__ = [
    "EVENTS_PATH",
    "MANIFEST",
    "build_app",
    "check_settings",
    "configured",
    "digest_poster",
    "run",
    "serve",
    "serve_http",
]

log = logging.getLogger(__name__)
MANIFEST = Path(__file__).with_name("manifest.yml")
_WHERE = "See README § Add to Slack."


def check_settings(settings: Settings) -> bool:
    """Say in one line which setting is missing and where to get it; return Socket Mode?"""
    if not settings.slack_bot_token:
        raise BadArgument(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
            f"Slack app's OAuth & Permissions page into .env. {_WHERE}"
        )
    if not settings.slack_bot_token.startswith("xoxb-"):
        raise BadArgument(
            "SLACK_BOT_TOKEN should start with xoxb- (the Bot User OAuth Token on OAuth & "
            f"Permissions), not a user or app-level token. {_WHERE}"
        )
    if settings.slack_app_token:
        if not settings.slack_app_token.startswith("xapp-"):
            raise BadArgument(
                "SLACK_APP_TOKEN should start with xapp-: create it under Basic Information → "
                f"App-Level Tokens with the connections:write scope. {_WHERE}"
            )
        return True
    if not settings.slack_signing_secret:
        raise BadArgument(
            "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
            "Basic Information page into .env (or set SLACK_APP_TOKEN to use Socket Mode, "
            f"which needs no public URL). {_WHERE}"
        )
    return False


async def serve_http(
    app: AsyncApp, host: str, port: int, on_ready: Callable[[int], None] | None = None
) -> None:
    """Serve Bolt's endpoint at EVENTS_PATH until cancelled (port 0: any free port).

    Prints one line once the socket is bound, and calls `on_ready(port)`, so scripts and
    tests wait on that, not on time.
    """
    from aiohttp import web

    runner = web.AppRunner(app.web_app(path=EVENTS_PATH, port=port))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        print(f"briefbot: Slack HTTP mode listening on {host}:{bound}{EVENTS_PATH}", flush=True)
        if on_ready is not None:
            on_ready(bound)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def configured(settings: Settings) -> bool:
    """Whether Slack settings are present (digests can be posted)."""
    return bool(settings.slack_bot_token)


def digest_poster(settings: Settings) -> DigestPoster:
    """Post digests through the Web API alone."""
    return DigestPoster(settings)


async def serve(
    core: Core,
    settings: Settings,
    *,
    host: str,
    scheduler: Scheduler | None,
    stop: asyncio.Event,
) -> None:
    """Serve Slack (Socket Mode or HTTP) until `stop` is set."""
    socket_mode = check_settings(settings)
    app = build_app(core, settings, socket_mode=socket_mode, scheduler=scheduler)
    if scheduler is not None:
        scheduler.posters["slack"] = DigestPoster(settings)
    if socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        await handler.connect_async()
        print("briefbot: Slack Socket Mode connected", flush=True)
        try:
            await stop.wait()
        finally:
            await handler.close_async()
        return
    server = asyncio.create_task(serve_http(app, host, settings.port))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({server, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.cancel()
        stopper.cancel()
    if server.done() and not server.cancelled() and server.exception() is not None:
        exc = server.exception()
        if isinstance(exc, OSError):
            raise BadArgument(
                f"Cannot listen on port {settings.port}: {exc.strerror}. Set PORT to a free port."
            )
        raise exc  # type: ignore[misc]


def run(core: Core, settings: Settings, host: str = "0.0.0.0") -> None:
    """Run the Slack bot (and the digest scheduler) until interrupted."""
    from adapters import run as run_platforms

    run_platforms(core, settings, ["slack"], host)
