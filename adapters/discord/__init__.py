"""Discord: `briefbot run discord` and `briefbot discord invite`."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re

import aiohttp
import discord
import yarl

from adapters import not_the_api, refuse_credentials_in, unreachable
from bot.app import Core
from bot.config import Settings
from bot.digests import Scheduler
from bot.errors import BadArgument

from .client import BriefBot, DigestPoster, NotDiscord, intents, make_client

__all__ = [
    "BriefBot",
    "apply_endpoints",
    "check_settings",
    "configured",
    "digest_poster",
    "intents",
    "invite_url",
    "is_snowflake",
    "run",
    "serve",
    "token_shape_ok",
    "verify_poster",
]

log = logging.getLogger(__name__)
_WHERE = "See README § Add to Discord."


_TOKEN_PART = re.compile(r"[A-Za-z0-9_-]+")


def is_snowflake(value: str) -> bool:
    """Whether `value` is a Discord id: a positive 64-bit integer written in decimal.

    Source: https://discord.com/developers/docs/reference#snowflakes
    """
    return value.isascii() and value.isdigit() and 0 < int(value) < 2**64


def token_shape_ok(token: str) -> bool:
    """Whether `token` looks like a bot token: three base64url parts separated by dots, the
    first the base64 of the bot's id (a snowflake).  Checked before connecting, so a pasted
    client secret or a truncated token is named at once rather than after a login attempt.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(_TOKEN_PART.fullmatch(part) for part in parts):
        return False
    head = parts[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return is_snowflake(decoded)


def _check_token_shape(settings: Settings) -> None:
    if not token_shape_ok(settings.discord_token):
        raise BadArgument(
            "DISCORD_TOKEN is not a bot token (three parts separated by dots): copy it from "
            "the Developer Portal → your application → Bot → Reset Token, not the client "
            f"secret or public key. {_WHERE}"
        )


def check_settings(settings: Settings) -> None:
    """Say in one line what is missing or malformed and where to get it (`BadArgument`)."""
    if not settings.discord_token:
        raise BadArgument(
            "DISCORD_TOKEN is not set: in the Discord Developer Portal open your application → "
            f"Bot → Reset Token, and put the token in .env. {_WHERE}"
        )
    _check_token_shape(settings)
    if settings.discord_guild_id and not is_snowflake(settings.discord_guild_id):
        raise BadArgument(
            "DISCORD_GUILD_ID must be a server id (digits): enable Developer Mode in Discord, "
            "right-click the server → Copy Server ID."
        )
    if settings.discord_application_id and not is_snowflake(settings.discord_application_id):
        raise BadArgument(
            "DISCORD_APPLICATION_ID must be an application id (digits): Developer Portal → "
            f"your application → General Information → Application ID. {_WHERE}"
        )


def _login_failure(exc: BaseException) -> BadArgument | None:
    """One line naming the setting for a failed Discord login (the worker's REST login or
    the bot's start), or None for an error that is not about logging in."""
    base = discord.http.Route.BASE
    if isinstance(exc, NotDiscord):
        return BadArgument(
            not_the_api("Discord", "DISCORD_API_URL", base, exc.status, exc.content_type)
        )
    if isinstance(exc, discord.LoginFailure):
        return BadArgument(
            f"Discord refused DISCORD_TOKEN: reset it under Bot → Reset Token. {_WHERE}"
        )
    if isinstance(exc, discord.HTTPException):
        content_type = getattr(exc.response, "content_type", "")
        if content_type != "application/json":  # a proxy, a portal, a mistyped URL
            return BadArgument(
                not_the_api("Discord", "DISCORD_API_URL", base, exc.status, content_type)
            )
        return BadArgument(
            f"Discord answered HTTP {exc.status} to the login with DISCORD_TOKEN; try again later."
        )
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        return BadArgument(unreachable("Discord", "DISCORD_API_URL", base, exc))
    return None


async def verify_poster(settings: Settings, poster: DigestPoster) -> None:
    """`briefbot run worker`: check DISCORD_TOKEN (its form, then a REST login, which the
    poster keeps for its digests) before any digest is posted; raises `BadArgument` with one
    line naming the setting (or DISCORD_API_URL when Discord cannot be reached)."""
    _check_token_shape(settings)
    refuse_credentials_in("DISCORD_API_URL", discord.http.Route.BASE)
    try:
        await poster.login()
    except Exception as exc:
        failure = _login_failure(exc)
        if failure is None:
            raise
        raise failure from None


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_URL / DISCORD_GATEWAY_URL when they are set.

    discord.py has no setting for either: REST routes are built on `Route.BASE`, and a plain
    client connects to `DiscordWebSocket.DEFAULT_GATEWAY` without asking `/gateway`.
    """
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


# Read Message History: a retried digest reads the channel back to see if it already landed.
# Create Public Threads and Send Messages in Threads: More, Sources and threaded digests
# answer in a thread under the message.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
)


def application_id(settings: Settings) -> str:
    """DISCORD_APPLICATION_ID, or the bot's id, which a bot token begins with (base64)."""
    if settings.discord_application_id:
        if not is_snowflake(settings.discord_application_id):
            raise BadArgument(
                "DISCORD_APPLICATION_ID must be an application id (digits): Developer Portal → "
                f"your application → General Information → Application ID. {_WHERE}"
            )
        return settings.discord_application_id
    if settings.discord_token:
        head = settings.discord_token.split(".", 1)[0]
        try:
            decoded = base64.b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if decoded.isdigit():
            return decoded
    raise BadArgument(
        "Set DISCORD_APPLICATION_ID (Developer Portal → your application → General "
        f"Information → Application ID) or DISCORD_TOKEN to print the invite link. {_WHERE}"
    )


def invite_url(settings: Settings) -> str:
    """The OAuth2 link that adds the bot with exactly the scopes and permissions it uses."""
    return discord.utils.oauth_url(
        application_id(settings),
        permissions=PERMISSIONS,
        scopes=("bot", "applications.commands"),
    )


def configured(settings: Settings) -> bool:
    """Whether Discord settings are present (digests can be posted)."""
    return bool(settings.discord_token)


def digest_poster(settings: Settings) -> DigestPoster:
    """Post digests over REST alone (`briefbot digest run-due`)."""
    apply_endpoints(settings)
    return DigestPoster(settings)


class _NoVoiceNotice(logging.Filter):
    """discord.py warns at start that voice needs PyNaCl; briefbot never uses voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


def _quiet_voice_notice() -> None:
    client_log = logging.getLogger("discord.client")
    if not any(isinstance(f, _NoVoiceNotice) for f in client_log.filters):
        client_log.addFilter(_NoVoiceNotice())


async def serve(
    core: Core,
    settings: Settings,
    *,
    host: str | None = None,
    scheduler: Scheduler | None = None,
    stop: asyncio.Event,
) -> None:
    """Run the Discord client until `stop` is set."""
    check_settings(settings)
    apply_endpoints(settings)
    _quiet_voice_notice()
    client = make_client(core, settings, scheduler)
    if scheduler is not None:
        # Scheduled digests go through the running bot's session and rate limits.
        scheduler.posters["discord"] = DigestPoster(settings, client)
    # The token's REST login first, as the worker checks it: a refusal, an answer that is
    # not Discord's or no answer at all is one line naming the setting, before any gateway.
    checker = DigestPoster(settings)
    try:
        await verify_poster(settings, checker)
    except BaseException:
        await client.close()
        raise
    finally:
        await checker.close()
    runner = asyncio.create_task(client.start(settings.discord_token))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        await client.close()
        await asyncio.gather(runner, return_exceptions=True)
    if runner.done() and not runner.cancelled() and runner.exception() is not None:
        exc = runner.exception()
        # client.start logs in over REST again, then connects to the gateway (which
        # discord.py retries itself): what ends it here is most likely the login's answer.
        raise _login_failure(exc) or exc  # type: ignore[misc]


def run(core: Core, settings: Settings, host: str | None = None) -> None:
    """Run the Discord bot (and the digest scheduler) until interrupted."""
    from adapters import run as run_platforms

    run_platforms(core, settings, ["discord"], host or "0.0.0.0")
