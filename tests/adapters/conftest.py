"""Fixtures shared by the adapter suites.

`bot` runs the real discord.py client against the loopback fake Discord; each suite defines
its own `fake` (the fake Slack or Discord, and what its member may do).  `discord_settings`
(guild commands) and `slack_settings` (one workspace, SLACK_BOT_TOKEN) point the settings at
that `fake`; a suite that needs other settings (global commands, no seeds) defines its own.

The digest-poster suites use `slack` / `discord_fake`, fakes on the test's clock (their
Retry-After and rate limits count its time), and the real posters `slack_poster` /
`discord_poster` against them (REST only, as `briefbot digest run-due` posts).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from fakes.apps import discord_settings_for, slack_settings_for
from fakes.discord import TOKEN, FakeDiscord
from fakes.slack import BOT_TOKEN, FakeSlack

from adapters.discord import BriefBot, apply_endpoints
from adapters.discord.client import DigestPoster as DiscordPoster
from adapters.slack.app import DigestPoster as SlackPoster
from bot.app import build_core
from bot.config import Settings


@pytest.fixture
def discord_settings(settings: Settings, fake: FakeDiscord) -> Settings:
    return discord_settings_for(settings, fake)


@pytest.fixture
def slack_settings(settings: Settings, fake: FakeSlack) -> Settings:
    return slack_settings_for(settings, fake)


@pytest.fixture
async def bot(discord_settings: Settings, fake: FakeDiscord, clock) -> AsyncIterator[BriefBot]:
    """The real client, connected and with its commands synced; closed after the test."""
    core = build_core(discord_settings, clock)
    core.store  # noqa: B018 - open and seed before connecting, as `run` does
    apply_endpoints(discord_settings)
    client = BriefBot(core, discord_settings)
    task = asyncio.create_task(client.start(TOKEN))
    try:
        await fake.wait_ready()
        await fake.wait_for(lambda f: f.commands)
        yield client
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.to_thread(core.close)


@pytest.fixture
async def slack(clock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(now=lambda: clock.now().timestamp()) as server:
        yield server


@pytest.fixture
def slack_poster(settings: Settings, slack: FakeSlack) -> SlackPoster:
    return SlackPoster(
        dataclasses.replace(settings, slack_bot_token=BOT_TOKEN, slack_api_url=slack.api_url)
    )


@pytest.fixture
async def discord_fake(clock) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.now = lambda: clock.now().timestamp()
        yield server


@pytest.fixture
async def discord_poster(
    settings: Settings, discord_fake: FakeDiscord
) -> AsyncIterator[DiscordPoster]:
    configured = dataclasses.replace(
        settings, discord_token=TOKEN, discord_api_url=discord_fake.api_url
    )
    apply_endpoints(configured)
    poster = DiscordPoster(configured)
    try:
        yield poster
    finally:
        await poster.close()
