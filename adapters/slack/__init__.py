"""Slack: `briefbot run slack` (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from adapters import not_the_api, refuse_credentials_in, unreachable
from bot.app import Core
from bot.config import Settings
from bot.digests import Scheduler
from bot.errors import BadArgument
from bot.store import Store

from .app import EVENTS_PATH, TOKEN_REFUSED, DigestPoster, build_app

if TYPE_CHECKING:
    from .oauth import TeamDigestPoster

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
    "verify_poster",
    "verify_tokens",
]

log = logging.getLogger(__name__)
MANIFEST = Path(__file__).with_name("manifest.yml")
_WHERE = "See README § Add to Slack."


def _check_bot_token_shape(settings: Settings) -> None:
    if not settings.slack_bot_token.startswith("xoxb-"):
        raise BadArgument(
            "SLACK_BOT_TOKEN should start with xoxb- (the Bot User OAuth Token on OAuth & "
            f"Permissions), not a user or app-level token. {_WHERE}"
        )


def check_settings(settings: Settings) -> bool:
    """Say in one line which setting is missing and where to get it; return Socket Mode?

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth mode, any workspace) no bot token is
    needed: HTTP mode, with the signing secret (bot.config checks the combination)."""
    if settings.slack_oauth:
        if not settings.slack_signing_secret:
            raise BadArgument(
                "SLACK_SIGNING_SECRET is not set: installing into any workspace needs the "
                f"Signing Secret from your Slack app's Basic Information page. {_WHERE}"
            )
        return False
    if not settings.slack_bot_token:
        raise BadArgument(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
            f"Slack app's OAuth & Permissions page into .env. {_WHERE}"
        )
    _check_bot_token_shape(settings)
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


# Slack API errors that mean "this token is wrong", not "Slack is having a bad moment"
# (https://api.slack.com/methods/auth.test, https://api.slack.com/methods/apps.connections.open).
_REFUSED = TOKEN_REFUSED | {"not_allowed_token_type", "missing_scope"}


def _not_slack(response: object) -> tuple[int | None, str] | None:
    """(HTTP status, content type) of an answer to a Web API call that is not Slack's JSON
    (it has no "ok" field), or None if it is.  slack_sdk hands over a `SlackResponse` (its
    `data` is {} or text when the body was not JSON) or, for a body labelled JSON that is
    not, aiohttp's `ClientResponse`."""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and "ok" in data:
        return None
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    kind = getattr(response, "content_type", None)
    if kind is None:
        headers = getattr(response, "headers", None) or {}
        kind = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    return (int(status) if status is not None else None), kind.split(";")[0].strip()


async def verify_tokens(settings: Settings, socket_mode: bool) -> str | None:
    """Ask Slack whether the tokens work before serving anything.

    Calls `auth.test` with SLACK_BOT_TOKEN and, in Socket Mode, `apps.connections.open` with
    SLACK_APP_TOKEN; returns the WebSocket URL the latter issued (None in HTTP mode), so the
    handler connects with it instead of asking again (the method is rate-limited to about one
    call a minute).  Raises `BadArgument` with one line naming the setting Slack refused, or
    saying that SLACK_API_URL could not be reached.
    """
    import aiohttp
    from slack_sdk.errors import SlackApiError

    from .app import web_client

    async def call(setting: str, method: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await method()
        except SlackApiError as exc:
            stranger = _not_slack(exc.response)
            if stranger is not None:
                raise BadArgument(
                    not_the_api("Slack", "SLACK_API_URL", settings.slack_api_url, *stranger)
                ) from None
            error = str(exc.response.get("error", ""))
            if error in _REFUSED:
                raise BadArgument(
                    f"Slack refused {setting} ({error}): copy it again from your Slack app's "
                    f"settings into .env. {_WHERE}"
                ) from None
            raise BadArgument(f"Slack answered {error or 'an error'} to {setting}.") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise BadArgument(
                unreachable("Slack", "SLACK_API_URL", settings.slack_api_url, exc)
            ) from None

    if settings.slack_oauth:
        return None  # each workspace's token is checked as its requests arrive
    refuse_credentials_in("SLACK_API_URL", settings.slack_api_url)
    client = web_client(settings)
    await call("SLACK_BOT_TOKEN", client.auth_test)
    if not socket_mode:
        return None
    opened = await call(
        "SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=settings.slack_app_token)
    )
    return str(opened["url"])


async def verify_poster(settings: Settings, poster: object) -> None:
    """`briefbot run worker`: check SLACK_BOT_TOKEN (its form, then `auth.test`) before any
    digest is posted with it; raises `BadArgument` with one line naming the setting.  In
    OAuth mode each workspace's token is checked as its digests are posted."""
    if settings.slack_oauth:
        return
    _check_bot_token_shape(settings)
    await verify_tokens(settings, socket_mode=False)


class _SignatureFailures(logging.Filter):
    """Bolt logs every request whose signature fails, body included; say it once instead."""

    def __init__(self) -> None:
        super().__init__()
        self.warned = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "Invalid request signature" not in record.getMessage():
            return True
        if not self.warned:
            self.warned = True
            log.warning(
                "Requests to %s fail Slack's signature check: SLACK_SIGNING_SECRET does not "
                "match your Slack app's Signing Secret (Basic Information), or something "
                "else is posting there. Further failures are not logged.",
                EVENTS_PATH,
            )
        return False


def _warn_once_on_signature_failures() -> None:
    # Bolt's async verifier logs under its sync parent's name; it exists once the app is built.
    bolt_log = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _SignatureFailures) for f in bolt_log.filters):
        bolt_log.addFilter(_SignatureFailures())
        # Bolt logs these at INFO; the filter must see them whatever LOG_LEVEL says.
        bolt_log.setLevel(logging.INFO)


async def serve_http(
    app: AsyncApp, host: str, port: int, on_ready: Callable[[int], None] | None = None
) -> None:
    """Serve Bolt's endpoint at EVENTS_PATH until cancelled (port 0: any free port).

    Prints one line once the socket is bound, and calls `on_ready(port)`, so scripts and
    tests wait on that, not on time.
    """
    from aiohttp import web

    # A stop waits at most a second for requests in flight (handlers ack at once anyway).
    runner = web.AppRunner(app.web_app(path=EVENTS_PATH, port=port), shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        print(f"briefbot: Slack HTTP mode listening on {host}:{bound}{EVENTS_PATH}", flush=True)
        if app.oauth_flow is not None:
            print(
                f"briefbot: install into a workspace at {app.oauth_flow.install_path}", flush=True
            )
        if on_ready is not None:
            on_ready(bound)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def configured(settings: Settings) -> bool:
    """Whether Slack settings are present (digests can be posted)."""
    return bool(settings.slack_bot_token) or settings.slack_oauth


def digest_poster(
    settings: Settings, store: Store | None = None
) -> DigestPoster | TeamDigestPoster:
    """Post digests through the Web API alone: with SLACK_BOT_TOKEN, or in OAuth mode with
    each workspace's token from the installation store (on `store`, else its own)."""
    if settings.slack_oauth:
        from .oauth import TeamDigestPoster

        return TeamDigestPoster(settings, store)
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
    wss_url = await verify_tokens(settings, socket_mode)
    app = build_app(core, settings, socket_mode=socket_mode, scheduler=scheduler)
    _warn_once_on_signature_failures()
    if scheduler is not None:
        scheduler.posters["slack"] = digest_poster(settings, core.store)
    if socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token)
        handler.client.wss_uri = wss_url  # the URL verify_tokens was just given
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
