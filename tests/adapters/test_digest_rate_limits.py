"""Platform rate limits on scheduled posts: the real Slack and Discord digest posters against
fakes that answer 429 with Retry-After (programmed, or the platforms' own limits enforced);
every digest is retried after the wait and lands exactly once, none is lost.

The one time comparison is a floor, not a speed: a retry must not come before the
Retry-After the fake asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord, discord_limits
from fakes.slack import FakeSlack, slack_limits

from adapters.discord.client import DigestPoster as DiscordPoster
from adapters.slack.app import DigestPoster as SlackPoster
from bot.app import Core
from bot.commands import NoticeReply, answer
from bot.digests import Context, run_due
from bot.ledger import Ledger

SLACK = Context(platform="slack", workspace="T0FAKE", channel="C0NEWS", user="U1")
DISCORD = Context(platform="discord", workspace=GUILD_ID, channel=CHANNEL_ID, user="1")
# conftest's clock starts at 2024-05-01 09:00 UTC; an 08:30 Paris digest is due next morning.
DUE = datetime(2024, 5, 2, 6, 30, tzinfo=UTC)


def subscribe(core: Core, where: Context, topic: str = "") -> None:
    reply = answer(core, f"digest subscribe 08:30 Europe/Paris {topic}".strip(), where)
    assert isinstance(reply, NoticeReply), reply


async def due_pass(core: Core, platform: str, poster: object) -> list[str]:
    core.clock._now = DUE  # type: ignore[attr-defined]  # the fake clock: "it is now"
    outcomes = await run_due(core, {platform: poster}, now=DUE)  # type: ignore[dict-item]
    return [o.status for o in outcomes]


def delivered(core: Core) -> list[str]:
    ledger = Ledger(core.store)
    return [ledger.latest(s.id).status for s in ledger.subscriptions()]  # type: ignore[union-attr]


# -- Slack -----------------------------------------------------------------------------------


async def test_slack_a_digest_answered_429_is_posted_once_after_retry_after(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    subscribe(core, SLACK)
    slack.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)

    assert await due_pass(core, "slack", slack_poster) == ["delivered"]
    refused, posted = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert (refused.status, posted.status) == (429, 200)
    assert posted.at - refused.at >= 1.0  # waited as long as Slack asked
    assert len(slack.messages["C0NEWS"]) == 1
    assert delivered(core) == ["delivered"]


async def test_slack_two_digests_due_in_one_channel_keep_to_one_post_a_second(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    slack.limits = slack_limits()  # chat.postMessage: one a second per channel
    subscribe(core, SLACK)
    subscribe(core, SLACK, "harbour")

    assert await due_pass(core, "slack", slack_poster) == ["delivered", "delivered"]
    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts if c.status != 200] == []  # paced: Slack refused none
    first, second = (c for c in posts if c.status == 200)
    assert second.at - first.at >= 1.0
    marks = [m["metadata"]["event_payload"]["subscription"] for m in slack.messages["C0NEWS"]]
    assert sorted(marks) == sorted(s.id for s in Ledger(core.store).subscriptions())
    assert delivered(core) == ["delivered", "delivered"]


async def test_slack_a_rate_limit_outlasting_the_retries_fails_the_attempt_for_a_later_pass(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    subscribe(core, SLACK)
    slack.fail("chat.postMessage", status=429, retry_after=0, times=4)  # 1 try + 3 retries

    assert await due_pass(core, "slack", slack_poster) == ["failed"]
    assert slack.messages.get("C0NEWS") is None
    [row] = [Ledger(core.store).latest(s.id) for s in Ledger(core.store).subscriptions()]
    assert row is not None and row.status == "failed" and row.next_attempt_at is not None


# -- Discord ---------------------------------------------------------------------------------


async def test_discord_a_digest_answered_429_is_posted_once_after_retry_after(
    core: Core, discord_fake: FakeDiscord, discord_poster: DiscordPoster
) -> None:
    subscribe(core, DISCORD)
    discord_fake.fail("POST", r"/channels/\d+/messages$", status=429, retry_after=0.5)

    assert await due_pass(core, "discord", discord_poster) == ["delivered"]
    sent = [c for c in discord_fake.calls if c.method == "POST" and "/messages" in c.path]
    assert [c.status for c in sent] == [429, 200]
    assert sent[1].at - sent[0].at >= 0.5
    assert len(discord_fake.channel_messages[CHANNEL_ID]) == 1
    assert delivered(core) == ["delivered"]


async def test_discord_digests_over_a_channels_limit_wait_for_it_and_land_once(
    core: Core, discord_fake: FakeDiscord, discord_poster: DiscordPoster
) -> None:
    discord_fake.limits = discord_limits()  # 5 messages per 5 s per channel, 50 a second
    topics = ["", "harbour", "harvest", "chess", "volcano", "bridge", "wheat"]
    for topic in topics:
        subscribe(core, DISCORD, topic)

    assert await due_pass(core, "discord", discord_poster) == ["delivered"] * len(topics)
    sent = [c for c in discord_fake.calls if c.method == "POST" and "/messages" in c.path]
    ok = [c for c in sent if c.status == 200]
    # Every 429 (if discord.py did not pace itself from the headers first) was retried.
    assert len(ok) == len(discord_fake.channel_messages[CHANNEL_ID]) >= len(topics)
    assert ok[5].at - ok[0].at >= 1.0  # the sixth waited for the bucket to refill
    assert delivered(core) == ["delivered"] * len(topics)
