"""Settings, read once from the environment (and a `.env` file in the working directory).

Secrets never get a default and are never printed: `Settings.__repr__` hides them.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import summarizers

from .errors import BadSettings

DEFAULT_DATABASE_URL = "sqlite:///briefbot.db"
# PostgreSQL URLs without a driver (and Heroku-style `postgres://`) mean psycopg 3, the one
# PostgreSQL driver briefbot ships (`pip install 'briefbot[postgres]'`).
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
POSTGRES_DRIVER = "postgresql+psycopg://"
# The chat platforms, each an adapter package `adapters.<name>` with its settings below.
PLATFORMS = ("slack", "discord")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Fields whose values are credentials: hidden from repr and redacted from every log line.
SECRET_FIELDS = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "slack_client_secret",
    "discord_token",
)
# A Slack app's Client ID (Basic Information → App Credentials): two runs of digits.
_SLACK_CLIENT_ID = re.compile(r"^\d+\.\d+$", re.ASCII)
# The path slack-bolt's OAuth flow serves the redirect on (AsyncOAuthSettings default).
SLACK_REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True)
class Settings:
    """Every setting briefbot reads; `.env.example` documents each one."""

    database_url: str = DEFAULT_DATABASE_URL
    # Apply schema migrations on start; 0: operators run `briefbot db upgrade` themselves.
    auto_migrate: bool = True
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
    log_format: str = "text"  # "json": one JSON object per line
    # Port of /healthz and /metrics (bot.health); None: not served.
    metrics_port: int | None = None
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # Install into any workspace (Slack OAuth): both set means OAuth mode.
    slack_client_id: str = ""
    slack_client_secret: str = ""
    slack_redirect_uri: str = ""
    port: int = 3000
    digest_grace_hours: float = 12.0
    # How long a worker's claim on a digest holds before another may take it over (a worker
    # that dies mid-post delays that digest by this much; bot.ledger.CLAIM_LEASE).
    digest_lease_minutes: float = 15.0
    feed_interval_minutes: int = 30
    discord_token: str = ""
    discord_guild_id: str = ""
    discord_application_id: str = ""
    discord_api_url: str = ""
    discord_gateway_url: str = ""
    # Discord shards (https://discord.com/developers/docs/events/gateway#sharding): how many
    # the bot has in all, and which this process runs (empty: all of them).  None: unsharded.
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] = ()

    def __repr__(self) -> str:
        def show(name: str) -> str:
            value = getattr(self, name)
            return "'***'" if name in SECRET_FIELDS and value else repr(value)

        shown = ", ".join(f"{f.name}={show(f.name)}" for f in fields(self))
        return f"Settings({shown})"

    @property
    def slack_oauth(self) -> bool:
        """Whether Slack runs in OAuth mode (any workspace installs it through
        /slack/install) rather than with one workspace's SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def secrets(self) -> list[str]:
        """The credential values that are set, for log redaction."""
        return [v for v in (getattr(self, name) for name in SECRET_FIELDS) if v]


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


# Ranges a setting must fall in; a value outside is reported at start, never clamped silently.
MAX_BULLETS = 20  # the same cap chat commands apply (bot.commands.MAX_BULLETS)
MAX_HTTP_TIMEOUT = 300.0  # seconds; longer would hold a command for minutes
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class _Reader:
    """Reads settings from a mapping, collecting one line per bad value instead of stopping."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.get = environ.get
        self.problems: list[str] = []

    def text(self, name: str, default: str = "") -> str:
        return (self.get(name) or default).strip()

    def number(
        self,
        name: str,
        default: float,
        kind: type[int] | type[float],
        low: float,
        high: float | None,
        *,
        above: bool = False,
        unit: str = "",
    ) -> Any:
        raw = (self.get(name) or "").strip()
        if not raw:
            return default
        word = "a whole number" if kind is int else "a number"
        within = f"greater than {low:g}" if above else f"at least {low:g}"
        if high is not None:
            within = f"from {low:g} to {high:g}" if not above else f"{within} and at most {high:g}"
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            self.problems.append(f"{name}={raw!r} is not {word}: use {word} {within}{unit}.")
            return default
        if (value <= low if above else value < low) or (high is not None and value > high):
            self.problems.append(f"{name}={raw!r} is out of range: use {word} {within}{unit}.")
            return default
        return value


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Build settings from `environ` (default: the process environment plus `./.env`).

    The `.env` file is read from the working directory only, never from a parent folder, and
    real environment variables win over it.  Every value is checked; raises `BadSettings`
    listing one line per bad setting (all of them, not only the first).
    """
    if environ is None:
        path = Path.cwd() / ".env" if dotenv else None
        if path is not None and path.is_file():
            from dotenv import load_dotenv  # ~2 ms of a start: only when there is a file

            load_dotenv(path, override=False)
        environ = os.environ
    read = _Reader(environ)
    bullets = read.number("BRIEFBOT_BULLETS", 5, int, 1, MAX_BULLETS)
    timeout = read.number(
        "BRIEFBOT_HTTP_TIMEOUT", 15.0, float, 0, MAX_HTTP_TIMEOUT, above=True, unit=" seconds"
    )
    port = read.number("PORT", 3000, int, 0, 65535, unit=" (0: any free port)")
    grace = read.number("BRIEFBOT_DIGEST_GRACE_HOURS", 12.0, float, 0, None, unit=" hours")
    interval = read.number("BRIEFBOT_FEED_INTERVAL_MINUTES", 30, int, 1, None, unit=" minutes")
    lease = read.number("BRIEFBOT_DIGEST_LEASE_MINUTES", 15.0, float, 1, None, unit=" minutes")
    log_level = read.text("LOG_LEVEL", "WARNING").upper()
    if log_level not in LOG_LEVELS:
        read.problems.append(
            f"LOG_LEVEL={read.text('LOG_LEVEL')!r} is not a log level: use one of "
            f"{', '.join(LOG_LEVELS)}."
        )
        log_level = "WARNING"
    log_format = read.text("LOG_FORMAT", "text").lower()
    if log_format not in LOG_FORMATS:
        read.problems.append(
            f"LOG_FORMAT={read.text('LOG_FORMAT')!r} is not a log format: use text or json."
        )
        log_format = "text"
    metrics_port = None
    if read.text("BRIEFBOT_METRICS_PORT"):
        metrics_port = read.number(
            "BRIEFBOT_METRICS_PORT", 0, int, 0, 65535, unit=" (0: any free port)"
        )
    summarizer = read.text("BRIEFBOT_SUMMARIZER", "news")
    if summarizer.lower() not in summarizers.available():
        read.problems.append(
            f"BRIEFBOT_SUMMARIZER={summarizer!r} is not a summarizer: use one of "
            f"{', '.join(summarizers.available())}."
        )
    caps = {
        name: read.number(name, default, int, low, None)
        for name, default, low in (
            ("BRIEFBOT_MAX_PAGE_BYTES", 5_000_000, 1),
            ("BRIEFBOT_MAX_FEED_BYTES", 10_000_000, 1),
            ("BRIEFBOT_FEED_MAX_ITEMS", 200, 1),
            ("BRIEFBOT_FEED_MAX_PAGES", 20, 0),
        )
    }
    shard_count, shard_ids = _discord_shards(read)
    allow: tuple[str, ...] = ()
    try:
        allow = _fetch_allow(read.text("BRIEFBOT_FETCH_ALLOW"))
    except ValueError as exc:
        read.problems.append(f"BRIEFBOT_FETCH_ALLOW: {exc}. Use host names, IPs or CIDRs.")
    read.problems.extend(_slack_oauth_problems(read))
    if read.problems:
        raise BadSettings(read.problems)
    return Settings(
        database_url=database_url(read.text("DATABASE_URL")),
        auto_migrate=_flag(read.get("BRIEFBOT_AUTO_MIGRATE", "1")),
        summarizer=summarizer,
        bullets=bullets,
        load_seeds=_flag(read.get("BRIEFBOT_LOAD_SEEDS", "1")),
        http_timeout=timeout,
        fetch_allow=allow,
        max_page_bytes=caps["BRIEFBOT_MAX_PAGE_BYTES"],
        max_feed_bytes=caps["BRIEFBOT_MAX_FEED_BYTES"],
        feed_max_items=caps["BRIEFBOT_FEED_MAX_ITEMS"],
        feed_max_pages=caps["BRIEFBOT_FEED_MAX_PAGES"],
        log_level=log_level,
        log_format=log_format,
        metrics_port=metrics_port,
        slack_bot_token=read.text("SLACK_BOT_TOKEN"),
        slack_signing_secret=read.text("SLACK_SIGNING_SECRET"),
        slack_app_token=read.text("SLACK_APP_TOKEN"),
        slack_api_url=_with_slash(read.text("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
        slack_client_id=read.text("SLACK_CLIENT_ID"),
        slack_client_secret=read.text("SLACK_CLIENT_SECRET"),
        slack_redirect_uri=read.text("SLACK_REDIRECT_URI"),
        port=port,
        digest_grace_hours=grace,
        digest_lease_minutes=lease,
        feed_interval_minutes=interval,
        discord_token=read.text("DISCORD_TOKEN"),
        discord_guild_id=read.text("DISCORD_GUILD_ID"),
        discord_application_id=read.text("DISCORD_APPLICATION_ID"),
        discord_api_url=read.text("DISCORD_API_URL").rstrip("/"),
        discord_gateway_url=read.text("DISCORD_GATEWAY_URL"),
        discord_shard_count=shard_count,
        discord_shard_ids=shard_ids,
    )


def _discord_shards(read: _Reader) -> tuple[int | None, tuple[int, ...]]:
    """DISCORD_SHARD_COUNT (1 or more) and DISCORD_SHARD_IDS (comma-separated shard numbers,
    each from 0 to count - 1); problems are added to `read.problems`."""
    count = None
    if read.text("DISCORD_SHARD_COUNT"):
        count = read.number("DISCORD_SHARD_COUNT", None, int, 1, None)
    raw = read.text("DISCORD_SHARD_IDS")
    if not raw:
        return count, ()
    if count is None:
        read.problems.append(
            "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT: set how many shards the bot has."
        )
        return None, ()
    ids: list[int] = []
    for part in raw.split(","):
        word = part.strip()
        if not word.isdigit() or int(word) >= count:
            read.problems.append(
                f"DISCORD_SHARD_IDS={raw!r}: {word!r} is not a shard number; use numbers "
                f"from 0 to {count - 1}, separated by commas."
            )
            return count, ()
        ids.append(int(word))
    return count, tuple(sorted(set(ids)))


def database_url(url: str) -> str:
    """`url` (an SQLAlchemy database URL) with a driverless PostgreSQL scheme
    (`postgresql://`, `postgres://`) mapped to psycopg 3 (`postgresql+psycopg://`); any other
    URL unchanged.  Surrounding spaces are removed; an empty URL means the SQLite default."""
    url = url.strip() or DEFAULT_DATABASE_URL
    for scheme in _POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return POSTGRES_DRIVER + url[len(scheme) :]
    return url


def _slack_oauth_problems(read: _Reader) -> list[str]:
    """One line per inconsistent Slack OAuth setting (README § Install into any workspace)."""
    client_id, secret = read.text("SLACK_CLIENT_ID"), read.text("SLACK_CLIENT_SECRET")
    redirect = read.text("SLACK_REDIRECT_URI")
    where = "(your Slack app's Basic Information → App Credentials)"
    problems: list[str] = []
    if client_id and not _SLACK_CLIENT_ID.match(client_id):
        problems.append(
            f"SLACK_CLIENT_ID={client_id!r} is not a Slack Client ID: copy it from {where}; "
            "it looks like 1234567890.1234567890."
        )
    if bool(client_id) != bool(secret):
        have, missing = (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
            if client_id
            else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
        )
        problems.append(f"{have} is set but {missing} is not: set both {where}, or neither.")
    if not (client_id and secret):
        if redirect:
            problems.append(
                "SLACK_REDIRECT_URI is set but SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are not: "
                "it is used only to install into any workspace."
            )
        return problems
    if read.text("SLACK_BOT_TOKEN"):
        problems.append(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: use SLACK_BOT_TOKEN for one "
            "workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install into any, not both."
        )
    if read.text("SLACK_APP_TOKEN"):
        problems.append(
            "SLACK_APP_TOKEN is set with SLACK_CLIENT_ID: installing into any workspace serves "
            "/slack/install over HTTP, so leave SLACK_APP_TOKEN (Socket Mode) empty."
        )
    if not read.text("SLACK_SIGNING_SECRET"):
        problems.append(
            f"SLACK_SIGNING_SECRET is not set: installing into any workspace needs it {where}."
        )
    if redirect:
        parts = urlsplit(redirect)
        local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            problems.append(
                f"SLACK_REDIRECT_URI={redirect!r} is not a web address: use "
                f"https://YOUR-HOST{SLACK_REDIRECT_PATH}."
            )
        elif parts.scheme == "http" and not local:
            problems.append(
                f"SLACK_REDIRECT_URI={redirect!r} must use https (Slack refuses http except "
                "for localhost)."
            )
        elif parts.path != SLACK_REDIRECT_PATH:
            problems.append(
                f"SLACK_REDIRECT_URI={redirect!r} must end in {SLACK_REDIRECT_PATH}, the path "
                "briefbot serves the OAuth redirect on."
            )
    return problems


def _fetch_allow(text: str) -> tuple[str, ...]:
    """BRIEFBOT_FETCH_ALLOW checked entry by entry; raises ValueError naming a bad entry."""
    if not text.replace(",", "").strip():
        return ()  # nothing to check: spares every command importing bot.fetch (~10 ms)
    from .fetch import AllowList

    return AllowList.parse(text).entries()


def _with_slash(url: str) -> str:
    # slack_sdk joins method names onto the base URL, so it must end with a slash.
    url = url.strip()
    return url if url.endswith("/") else url + "/"
