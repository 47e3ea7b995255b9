"""Discord shards from the settings: which discord.py client, with which shards; and two
`briefbot run discord` processes splitting the guilds (real discord.py clients against the
loopback Discord fake's gateway), each answering only its guilds' interactions, each digest
posted once."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from fakes.discord import CHANNEL_ID, GUILD_ID, TOKEN, FakeDiscord, shard_of
from fakes.processes import subscribe_due, wait_until

from adapters.discord.client import BriefBot, ShardedBriefBot, make_client
from bot.app import Core
from bot.config import load_settings
from bot.errors import BadSettings
from bot.ledger import Ledger

PROJECT = Path(__file__).resolve().parents[2]


def test_shard_settings_are_read_and_checked() -> None:
    settings = load_settings({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3, 1"})
    assert (settings.discord_shard_count, settings.discord_shard_ids) == (4, (1, 3))
    assert load_settings({}).discord_shard_count is None
    for bad, named in (
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_IDS": "1"}, "needs DISCORD_SHARD_COUNT"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"}, "'2' is not a shard"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "a"}, "'a' is not a shard"),
    ):
        with pytest.raises(BadSettings, match=named):
            load_settings(bad)


async def test_each_process_runs_only_its_shards(core: Core) -> None:
    unsharded = make_client(core, core.settings)
    assert type(unsharded) is BriefBot and unsharded.shard_count is None
    one = make_client(
        core, dataclasses.replace(core.settings, discord_shard_count=2, discord_shard_ids=(1,))
    )
    assert type(one) is BriefBot and (one.shard_id, one.shard_count) == (1, 2)
    several = make_client(
        core, dataclasses.replace(core.settings, discord_shard_count=4, discord_shard_ids=(0, 2))
    )
    assert isinstance(several, ShardedBriefBot)
    assert isinstance(several, discord.AutoShardedClient)
    assert (several.shard_ids, several.shard_count) == ([0, 2], 4)
    every = make_client(core, dataclasses.replace(core.settings, discord_shard_count=3))
    assert (every.shard_ids, every.shard_count) == ([0, 1, 2], 3)
    for client in (unsharded, one):  # an AutoShardedClient that never logged in has nothing
        await client.close()


# Two guilds, one on each of two shards: (guild_id >> 22) % 2.
GUILD_B = str(int(GUILD_ID) + (1 << 22))
CHANNELS = {GUILD_ID: CHANNEL_ID, GUILD_B: "300000000000000077"}


async def start_front_end(core: Core, fake: FakeDiscord, shard: int) -> asyncio.subprocess.Process:
    """`briefbot run discord` as shard `shard` of 2, its REST calls marked "shardN"."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "DATABASE_URL": core.settings.database_url,
        "BRIEFBOT_LOAD_SEEDS": "0",
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url_via(f"shard{shard}"),
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_SHARD_COUNT": "2",
        "DISCORD_SHARD_IDS": str(shard),
        "PYTHONPATH": str(PROJECT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "discord",
        env=env,
        cwd=PROJECT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def settled(ledger: Ledger) -> bool:
    """Every digest's ledger row is settled (the processes write it, so the database is
    re-read)."""
    return all(
        (row := ledger.latest(s.id)) is not None and row.status != "claimed"
        for s in ledger.subscriptions()
    )


async def test_two_processes_split_the_guilds_and_post_each_digest_once(core: Core) -> None:
    assert {shard_of(g, 2) for g in CHANNELS} == {0, 1}
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    ledger = Ledger(core.store)
    for guild, channel in CHANNELS.items():
        subscribe_due(
            ledger,
            due,
            now,
            platform="discord",
            workspace=guild,
            channel=channel,
            created_by="1",
            made=timedelta(hours=1),
        )
    fake = await FakeDiscord(any_channel=True).start()
    processes = [await start_front_end(core, fake, shard) for shard in (0, 1)]
    try:
        await fake.wait_for(lambda f: set(f.shard_connections) == {0, 1}, timeout=120)
        await fake.wait_for(lambda f: f.synced_commands(None), timeout=120)
        for guild, channel in CHANNELS.items():
            interaction = await fake.inject_command("help", guild_id=guild, channel_id=channel)
            answered = await fake.wait_for(
                lambda f, i=interaction: [
                    c for c in f.responses(i) if c.path.endswith("/callback")
                ],
                timeout=60,
            )
            # Answered by the process that runs the guild's shard, and only by it.
            assert {c.via for c in fake.responses(interaction)} == {f"shard{shard_of(guild, 2)}"}
            assert len(answered) == 1
        await fake.wait_for(
            lambda f: all(f.channel_messages.get(c) for c in CHANNELS.values()), timeout=120
        )
        # Posted, then recorded by the process that posted it.
        await wait_until(lambda: settled(ledger), "every digest settled", 60)
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        errors = [(await asyncio.wait_for(p.communicate(), 60))[1].decode() for p in processes]
        await fake.stop()
    assert [p.returncode for p in processes] == [0, 0], errors
    # Both schedulers saw both digests; the ledger let each be posted once.
    assert {c: len(fake.channel_messages[c]) for c in CHANNELS.values()} == dict.fromkeys(
        CHANNELS.values(), 1
    )
    assert [ledger.latest(s.id).status for s in ledger.subscriptions()] == [  # type: ignore[union-attr]
        "delivered",
        "delivered",
    ]
