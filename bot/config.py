"""Settings, read once from the environment (and a `.env` file beside where briefbot runs).

Secrets never get a default and are never printed: `Settings.__repr__` hides them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .errors import BadArgument

DEFAULT_DATABASE_URL = "sqlite:///briefbot.db"
# The chat platforms, each an adapter package `adapters.<name>` with its settings below.
PLATFORMS = ("slack", "discord")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Fields whose values are credentials: hidden from repr and redacted from every log line.
SECRET_FIELDS = ("slack_bot_token", "slack_signing_secret", "slack_app_token", "discord_token")


@dataclass(frozen=True)
class Settings:
    """Every setting briefbot reads; `.env.example` documents each one."""

    database_url: str = DEFAULT_DATABASE_URL
    summarizer: str = "news"
    bullets: int = 5
    load_seeds: bool = True
    http_timeout: float = 15.0
    # The fetch guard (bot/fetch.py): hosts/networks an operator opened, caps per fetch.
    fetch_allow: tuple[str, ...] = ()
    max_page_bytes: int = 5_000_000
    max_feed_bytes: int = 10_000_000
    feed_max_items: int = 200
    feed_max_pages: int = 20
    log_level: str = "WARNING"
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    digest_grace_hours: float = 12.0
    feed_interval_minutes: int = 30
    discord_token: str = ""
    discord_guild_id: str = ""
    discord_application_id: str = ""
    discord_api_url: str = ""
    discord_gateway_url: str = ""

    def __repr__(self) -> str:
        def show(name: str) -> str:
            value = getattr(self, name)
            return "'***'" if name in SECRET_FIELDS and value else repr(value)

        shown = ", ".join(f"{f.name}={show(f.name)}" for f in fields(self))
        return f"Settings({shown})"

    def secrets(self) -> list[str]:
        """The credential values that are set, for log redaction."""
        return [v for v in (getattr(self, name) for name in SECRET_FIELDS) if v]


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Build settings from `environ` (default: the process environment plus `.env`)."""
    if environ is None:
        if dotenv:
            from dotenv import find_dotenv, load_dotenv

            # Real environment variables win over the file, as operators expect.
            load_dotenv(find_dotenv(usecwd=True), override=False)
        environ = os.environ
    get = environ.get
    try:
        bullets = int(get("BRIEFBOT_BULLETS", "5"))
        timeout = float(get("BRIEFBOT_HTTP_TIMEOUT", "15"))
        port = int(get("PORT") or "3000")
        grace = float(get("BRIEFBOT_DIGEST_GRACE_HOURS") or "12")
        interval = int(get("BRIEFBOT_FEED_INTERVAL_MINUTES") or "30")
        caps = {
            name: int(get(name) or default)
            for name, default in (
                ("BRIEFBOT_MAX_PAGE_BYTES", "5000000"),
                ("BRIEFBOT_MAX_FEED_BYTES", "10000000"),
                ("BRIEFBOT_FEED_MAX_ITEMS", "200"),
                ("BRIEFBOT_FEED_MAX_PAGES", "20"),
            )
        }
    except ValueError as exc:
        raise BadArgument(f"A numeric setting is not a number: {exc}. Check your .env.") from None
    for name, value in caps.items():
        if value < (0 if name == "BRIEFBOT_FEED_MAX_PAGES" else 1):
            raise BadArgument(f"{name} must be a positive whole number, not {value}.")
    allow = _fetch_allow(get("BRIEFBOT_FETCH_ALLOW") or "")
    return Settings(
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        summarizer=get("BRIEFBOT_SUMMARIZER") or "news",
        bullets=bullets,
        load_seeds=_flag(get("BRIEFBOT_LOAD_SEEDS", "1")),
        http_timeout=timeout,
        fetch_allow=allow,
        max_page_bytes=caps["BRIEFBOT_MAX_PAGE_BYTES"],
        max_feed_bytes=caps["BRIEFBOT_MAX_FEED_BYTES"],
        feed_max_items=caps["BRIEFBOT_FEED_MAX_ITEMS"],
        feed_max_pages=caps["BRIEFBOT_FEED_MAX_PAGES"],
        log_level=(get("LOG_LEVEL") or "WARNING").upper(),
        slack_bot_token=(get("SLACK_BOT_TOKEN") or "").strip(),
        slack_signing_secret=(get("SLACK_SIGNING_SECRET") or "").strip(),
        slack_app_token=(get("SLACK_APP_TOKEN") or "").strip(),
        slack_api_url=_with_slash(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
        port=port,
        digest_grace_hours=grace,
        feed_interval_minutes=max(interval, 1),
        discord_token=(get("DISCORD_TOKEN") or "").strip(),
        discord_guild_id=(get("DISCORD_GUILD_ID") or "").strip(),
        discord_application_id=(get("DISCORD_APPLICATION_ID") or "").strip(),
        discord_api_url=(get("DISCORD_API_URL") or "").strip().rstrip("/"),
        discord_gateway_url=(get("DISCORD_GATEWAY_URL") or "").strip(),
    )


def _fetch_allow(text: str) -> tuple[str, ...]:
    """BRIEFBOT_FETCH_ALLOW checked entry by entry; a bad one is a one-line BadArgument."""
    from .fetch import AllowList

    try:
        return AllowList.parse(text).entries()
    except ValueError as exc:
        raise BadArgument(f"BRIEFBOT_FETCH_ALLOW: {exc}. Use host names, IPs or CIDRs.") from None


def _with_slash(url: str) -> str:
    # slack_sdk joins method names onto the base URL, so it must end with a slash.
    url = url.strip()
    return url if url.endswith("/") else url + "/"
