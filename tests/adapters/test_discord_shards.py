"""Discord shards from the settings: which discord.py client, with which shards."""

from __future__ import annotations

import dataclasses

import discord
import pytest

from adapters.discord.client import BriefBot, ShardedBriefBot, make_client
from bot.app import Core
from bot.config import load_settings
from bot.errors import BadSettings


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
