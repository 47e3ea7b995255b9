"""Fixtures shared by the adapter suites.

`bot` runs the real discord.py client against the loopback fake Discord; each suite defines
its own `fake` (what the fake member may do) and `discord_settings` (guild or global commands).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fakes.discord import TOKEN, FakeDiscord

from adapters.discord import BriefBot, apply_endpoints
from bot.app import build_core
from bot.config import Settings


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
