"""Paused workspaces (the app uninstalled there): their digests are skipped, never deleted,
and run again once resumed.  Real SQLite, the real scheduler pass (`run_due`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.app import Core
from bot.commands import NoticeReply, answer
from bot.digests import Context, DigestMark, Landed, run_due
from bot.ledger import Ledger
from bot.models import Subscription

NORTH = Context(platform="slack", workspace="T0NORTH", channel="C1", user="U1")
SOUTH = Context(platform="slack", workspace="T0SOUTH", channel="C2", user="U2")
OTHER_PLATFORM = Context(platform="discord", workspace="T0NORTH", channel="C3", user="U3")


class Channel:
    """Keeps what is posted, per subscription (the DigestPoster protocol)."""

    def __init__(self) -> None:
        self.posts: list[int] = []

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        self.posts.append(subscription.id)
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        return None


def subscribe(core: Core, context: Context) -> Subscription:
    assert isinstance(answer(core, "digest subscribe 09:30 UTC", context), NoticeReply)
    return Ledger(core.store).subscriptions(context.platform, context.workspace)[-1]


def test_a_paused_workspace_is_skipped_until_resumed(core: Core, clock) -> None:
    clock._now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    north, south = subscribe(core, NORTH), subscribe(core, SOUTH)
    discord = subscribe(core, OTHER_PLATFORM)  # same id, another platform: not paused
    ledger = Ledger(core.store)

    assert ledger.pause("slack", "T0NORTH", "app_uninstalled", clock.now()) == 1
    assert ledger.pause("slack", "T0NORTH", "tokens_revoked", clock.now()) == 1
    assert ledger.paused("slack", "T0NORTH") == "app_uninstalled"  # the first reason stays
    assert ledger.paused("slack", "T0SOUTH") is None
    assert [s.id for s in ledger.subscriptions()] == [south.id, discord.id]

    channel = Channel()
    posters = {"slack": channel, "discord": channel}
    now = clock.advance(timedelta(minutes=31))
    outcomes = asyncio.run(run_due(core, posters, now=now))
    assert sorted(channel.posts) == [south.id, discord.id]
    assert {o.subscription_id for o in outcomes} == {south.id, discord.id}

    assert ledger.resume("slack", "T0NORTH") is True
    assert ledger.resume("slack", "T0NORTH") is False
    assert ledger.get(north.id) is not None and ledger.get(north.id).active  # type: ignore[union-attr]
    asyncio.run(run_due(core, posters, now=now))
    assert sorted(channel.posts) == sorted([south.id, discord.id, north.id])


def test_a_paused_workspaces_failed_digest_is_not_waited_for(core: Core, clock) -> None:
    clock._now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    subscribe(core, NORTH)

    class Failing(Channel):
        async def post(self, subscription, reply, mark) -> str:
            raise RuntimeError("invalid_auth")

    now = clock.advance(timedelta(minutes=31))
    asyncio.run(run_due(core, {"slack": Failing()}, now=now))
    ledger = Ledger(core.store)
    assert ledger.pending(now)  # a retry is scheduled
    ledger.pause("slack", "T0NORTH", "app_uninstalled", now)
    assert ledger.pending(now) == []  # the scheduler does not wake up for it
