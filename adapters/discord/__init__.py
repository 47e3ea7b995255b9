"""Discord: `briefbot run discord` and `briefbot discord invite`."""

from __future__ import annotations

import base64
import binascii
import logging

import discord
import yarl

from bot.app import Core
from bot.config import Settings
from bot.errors import BadArgument

from .client import BriefBot, intents

__all__ = ["BriefBot", "apply_endpoints", "check_settings", "intents", "invite_url", "run"]

log = logging.getLogger(__name__)
_WHERE = "See README § Add to Discord."


def check_settings(settings: Settings) -> None:
    """Say in one line what is missing and where to get it."""
    if not settings.discord_token:
        raise BadArgument(
            "DISCORD_TOKEN is not set: in the Discord Developer Portal open your application → "
            f"Bot → Reset Token, and put the token in .env. {_WHERE}"
        )
    if settings.discord_guild_id and not settings.discord_guild_id.isdigit():
        raise BadArgument(
            "DISCORD_GUILD_ID must be a server id (digits): enable Developer Mode in Discord, "
            "right-click the server → Copy Server ID."
        )


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_URL / DISCORD_GATEWAY_URL when they are set.

    discord.py has no setting for either: REST routes are built on `Route.BASE`, and a plain
    client connects to `DiscordWebSocket.DEFAULT_GATEWAY` without asking `/gateway`.
    """
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)


def application_id(settings: Settings) -> str:
    """DISCORD_APPLICATION_ID, or the bot's id, which a bot token begins with (base64)."""
    if settings.discord_application_id:
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


def run(core: Core, settings: Settings, host: str | None = None) -> None:
    """Run the Discord bot until interrupted."""
    check_settings(settings)
    apply_endpoints(settings)
    core.store  # open the store and load seeds before the first command  # noqa: B018
    client = BriefBot(core, settings)
    try:
        # log_handler=None: keep our logging set-up, which redacts the token.
        client.run(settings.discord_token, log_handler=None)
    except discord.LoginFailure:
        raise BadArgument(
            f"Discord refused DISCORD_TOKEN: reset it under Bot → Reset Token. {_WHERE}"
        ) from None
    except discord.PrivilegedIntentsRequired:  # pragma: no cover - we ask for none
        raise BadArgument("Discord asked for privileged intents; briefbot needs none.") from None
