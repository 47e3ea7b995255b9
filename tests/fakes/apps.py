"""Our real chat apps, started the way `briefbot run` starts them, for tests against the fakes;
and the settings that point them at the fakes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from adapters.discord.client import DigestPoster as DiscordPoster
from adapters.slack import EVENTS_PATH, build_app, serve_http
from bot.app import Core, build_core
from bot.clock import Clock
from bot.config import Settings
from bot.digests import run_due
from bot.ledger import Ledger

from .discord import GUILD_ID, TOKEN, FakeDiscord
from .slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack


def slack_settings_for(settings: Settings, fake: FakeSlack, **more: object) -> Settings:
    """`settings` for one workspace (SLACK_BOT_TOKEN) whose Web API is `fake`; `more` replaces
    further fields (e.g. load_seeds)."""
    fields: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
    }
    return dataclasses.replace(settings, **(fields | more))  # type: ignore[arg-type]


def discord_settings_for(settings: Settings, fake: FakeDiscord, **more: object) -> Settings:
    """`settings` for a bot with guild commands (GUILD_ID) whose REST API and gateway are
    `fake`'s; `more` replaces further fields (e.g. load_seeds)."""
    fields: dict[str, object] = {
        "discord_token": TOKEN,
        "discord_guild_id": GUILD_ID,
        "discord_api_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
    }
    return dataclasses.replace(settings, **(fields | more))  # type: ignore[arg-type]


async def run_discord_digest_due(core: Core, settings: Settings, *where: str) -> list[str]:
    """Run the due pass a day after the one Discord digest was made (exactly one subscription
    on Discord, narrowed by `where`: workspace, channel; asserted), posting through REST alone
    as `briefbot digest run-due` does; the outcomes' statuses."""
    [subscription] = Ledger(core.store).subscriptions("discord", *where)
    poster = DiscordPoster(settings)
    try:
        now = subscription.created_at + timedelta(days=1)
        outcomes = await run_due(core, {"discord": poster}, now=now)
    finally:
        await poster.close()
    return [o.status for o in outcomes]


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
