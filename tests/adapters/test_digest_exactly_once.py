"""Exactly once across a crash mid-post: the real Slack and Discord digest posters against the
loopback fakes, with the real ledger on SQLite.

A crash is simulated honestly: the digest is posted through the real poster (the fake channel
keeps the message), and then the process "dies" (`Crash`, a BaseException that no
`except Exception` catches), so the ledger row stays claimed.  The fake clock then moves past
the claim's lease and the next due pass runs, as a restarted process would.  One test does it
for real: `briefbot digest run-due` is killed (SIGKILL) while Slack holds its post.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.briefings import make_briefing, make_bullet
from fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord
from fakes.processes import subscribe_due
from fakes.slack import BOT_TOKEN, FakeSlack

from adapters.discord.client import DigestPoster as DiscordPoster
from adapters.discord.client import digest_marker, digest_nonce
from adapters.discord.embeds import render as discord_render
from adapters.slack.app import DIGEST_EVENT
from adapters.slack.app import DigestPoster as SlackPoster
from bot.app import Core
from bot.commands import BriefingReply, NoticeReply, answer
from bot.config import Settings
from bot.digests import RETRY_DELAYS, Context, DigestMark, Landed, Outcome, run_due
from bot.ledger import CLAIM_LEASE, Ledger
from bot.models import Subscription

PROJECT = Path(__file__).resolve().parents[2]
SLACK_CHANNEL = "C0NEWS"
SLACK = Context(platform="slack", workspace="T0FAKE", channel=SLACK_CHANNEL, user="U1")
DISCORD = Context(platform="discord", workspace=GUILD_ID, channel=CHANNEL_ID, user="1")
# conftest's clock starts at 2024-05-01 09:00 UTC; an 08:30 Paris digest is due next morning.
DUE = datetime(2024, 5, 2, 6, 30, tzinfo=UTC)
AFTER_LEASE = DUE + CLAIM_LEASE + timedelta(seconds=1)


class Crash(BaseException):
    """The process dies here: nothing after it runs, not even `except Exception`."""


class CrashAfterPost:
    """The real poster, in a process that dies as soon as the platform accepted the post."""

    def __init__(self, real: SlackPoster | DiscordPoster) -> None:
        self.real = real

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        await self.real.post(subscription, reply, mark)  # type: ignore[arg-type]
        raise Crash

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        return await self.real.landed(subscription, mark)


class CrashBeforePost(CrashAfterPost):
    """The real poster, in a process that dies after claiming, before anything is sent."""

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        raise Crash


def subscribe(core: Core, where: Context) -> Subscription:
    reply = answer(core, "digest subscribe 08:30 Europe/Paris", where)
    assert isinstance(reply, NoticeReply), reply
    return Ledger(core.store).subscriptions(where.platform, where.workspace, where.channel)[-1]


async def due_pass(core: Core, platform: str, poster: object, when: datetime) -> list[Outcome]:
    core.clock._now = when  # type: ignore[attr-defined]  # the fake clock: "it is now"
    return await run_due(core, {platform: poster}, now=when)  # type: ignore[dict-item]


async def crash_after_posting(core: Core, platform: str, poster: object) -> None:
    with pytest.raises(Crash):
        await due_pass(core, platform, CrashAfterPost(poster), DUE)  # type: ignore[arg-type]


def row(core: Core, subscription: Subscription, day: str = "2024-05-02"):
    found = Ledger(core.store).delivery(subscription.id, day)
    assert found is not None
    return found


def warnings_about(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING and words in r.message]


# -- Slack -----------------------------------------------------------------------------------


def slack_digests(slack: FakeSlack) -> list[dict]:
    return slack.messages.get(SLACK_CHANNEL, [])


async def test_slack_a_crash_after_the_post_landed_is_not_posted_again(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    subscription = subscribe(core, SLACK)
    await crash_after_posting(core, "slack", slack_poster)
    [posted] = slack_digests(slack)
    assert posted["metadata"]["event_type"] == DIGEST_EVENT
    assert posted["metadata"]["event_payload"]["subscription"] == subscription.id
    assert row(core, subscription).status == "claimed"
    assert slack.of("conversations.history") == []  # a first attempt posts without looking

    assert await due_pass(core, "slack", slack_poster, DUE + timedelta(minutes=1)) == []
    [outcome] = await due_pass(core, "slack", slack_poster, AFTER_LEASE)
    assert (outcome.status, outcome.detail) == ("delivered", posted["ts"])
    assert len(slack_digests(slack)) == 1
    [read] = slack.of("conversations.history")
    assert read.payload["channel"] == SLACK_CHANNEL
    assert read.payload["include_all_metadata"] in {"1", "true"}
    assert float(read.payload["oldest"]) < DUE.timestamp() <= float(posted["ts"])
    settled = row(core, subscription)
    assert (settled.status, settled.message_id) == ("delivered", posted["ts"])

    await due_pass(core, "slack", slack_poster, AFTER_LEASE + timedelta(hours=1))
    assert len(slack_digests(slack)) == 1


async def test_slack_a_post_whose_answer_was_lost_is_found_not_resent(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    subscription = subscribe(core, SLACK)
    slack.fail("chat.postMessage", lost=True)  # Slack takes the post; the answer never comes
    [first] = await due_pass(core, "slack", slack_poster, DUE)
    assert first.status == "failed"
    assert len(slack_digests(slack)) == 1  # it landed, and was not blindly re-sent
    [second] = await due_pass(core, "slack", slack_poster, DUE + RETRY_DELAYS[0])
    assert second.status == "delivered"
    assert len(slack_digests(slack)) == 1
    assert len(slack.of("chat.postMessage")) == 1
    assert row(core, subscription).message_id == slack_digests(slack)[0]["ts"]


async def test_slack_a_post_that_did_not_land_is_posted_on_retry(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    subscription = subscribe(core, SLACK)
    with pytest.raises(Crash):
        await due_pass(core, "slack", CrashBeforePost(slack_poster), DUE)
    assert slack_digests(slack) == []
    [outcome] = await due_pass(core, "slack", slack_poster, AFTER_LEASE)
    assert outcome.status == "delivered"
    assert len(slack.of("conversations.history")) == 1  # it looked, found nothing, posted
    [posted] = slack_digests(slack)
    assert row(core, subscription).message_id == posted["ts"]


async def test_slack_unreadable_history_posts_again_with_one_warning(
    core: Core,
    slack: FakeSlack,
    slack_poster: SlackPoster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribe(core, SLACK)
    slack.fail("conversations.history", error="missing_scope", times=2)
    await crash_after_posting(core, "slack", slack_poster)
    [outcome] = await due_pass(core, "slack", slack_poster, AFTER_LEASE)
    # As documented: without channels:history the retry cannot check, and posts again.
    assert outcome.status == "delivered"
    assert len(slack_digests(slack)) == 2
    # The next day, the same crash: the same outcome, and still only one warning.
    next_due = DUE + timedelta(days=1)
    with pytest.raises(Crash):
        await due_pass(core, "slack", CrashAfterPost(slack_poster), next_due)
    await due_pass(core, "slack", slack_poster, next_due + CLAIM_LEASE + timedelta(seconds=1))
    assert len(slack_digests(slack)) == 4
    [warning] = warnings_about(caplog, "channels:history")
    assert "missing_scope" in warning.message and SLACK_CHANNEL in warning.message


async def test_slack_a_passing_history_failure_retries_instead_of_reposting(
    core: Core, slack: FakeSlack, slack_poster: SlackPoster
) -> None:
    subscribe(core, SLACK)
    await crash_after_posting(core, "slack", slack_poster)
    slack.fail("conversations.history", status=500, error="internal_error")
    [outcome] = await due_pass(core, "slack", slack_poster, AFTER_LEASE)
    assert outcome.status == "failed"
    assert len(slack_digests(slack)) == 1
    [retried] = await due_pass(core, "slack", slack_poster, AFTER_LEASE + RETRY_DELAYS[-1])
    assert retried.status == "delivered"
    assert len(slack_digests(slack)) == 1


async def test_slack_a_refused_token_is_recorded_as_its_error_code_in_one_line(
    core: Core,
    slack: FakeSlack,
    slack_poster: SlackPoster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscription = subscribe(core, SLACK)
    slack.fail("chat.postMessage", error="invalid_auth")
    [outcome] = await due_pass(core, "slack", slack_poster, DUE)
    # Slack's error code, as `digest run-due` prints it and the ledger keeps it: not slack_sdk's
    # two lines with the URL and the whole answer.
    assert (outcome.status, outcome.detail) == ("failed", "invalid_auth")
    assert row(core, subscription).error == "invalid_auth"
    # A retry whose read-back is refused for the token fails the same way (and is retried):
    # it does not blame the history scopes and post blindly.
    crashed = DUE + RETRY_DELAYS[0]
    with pytest.raises(Crash):  # the retry posts, and its process dies before settling
        await due_pass(core, "slack", CrashAfterPost(slack_poster), crashed)
    slack.fail("conversations.history", error="invalid_auth")
    after_lease = crashed + CLAIM_LEASE + timedelta(seconds=1)
    [refused] = await due_pass(core, "slack", slack_poster, after_lease)
    assert (refused.status, refused.detail) == ("failed", "invalid_auth")
    assert warnings_about(caplog, "channels:history") == []
    assert len(slack_digests(slack)) == 1
    [found] = await due_pass(core, "slack", slack_poster, after_lease + RETRY_DELAYS[-1])
    assert found.status == "delivered" and len(slack_digests(slack)) == 1


async def run_due_cli(settings: Settings, api_url: str, now: datetime | None = None):
    """`briefbot digest run-due` in its own process (started, not awaited)."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": api_url,
        "PYTHONPATH": str(PROJECT),
    }
    env.pop("DISCORD_TOKEN", None)
    args = ["--now", now.isoformat()] if now else []
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "digest",
        "run-due",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_slack_a_process_killed_while_its_post_lands_does_not_post_twice(
    core: Core, settings: Settings
) -> None:
    # Real time throughout: the CLI runs on the system clock.
    real_now = datetime.now(UTC)
    due = (real_now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    subscription = subscribe_due(
        Ledger(core.store),
        due,
        real_now,
        platform="slack",
        workspace="T0FAKE",
        channel=SLACK_CHANNEL,
        created_by="U1",
    )
    slack = await FakeSlack().start()
    try:
        first = await run_due_cli(settings, slack.api_url)
        killed = asyncio.Event()

        async def kill_the_poster(message: dict) -> None:
            first.kill()  # SIGKILL: Slack has the post; the process never hears back
            await first.wait()
            killed.set()

        slack.on_post = kill_the_poster
        await asyncio.wait_for(killed.wait(), 60)
        slack.on_post = None
        await first.communicate()
        assert first.returncode == -9
        [posted] = slack_digests(slack)
        assert row(core, subscription, due.date().isoformat()).status == "claimed"

        # The next run, once the dead claim's lease has run out.
        later = datetime.now(UTC) + CLAIM_LEASE + timedelta(minutes=1)
        second = await run_due_cli(settings, slack.api_url, later)
        out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 0, out.decode() + err.decode()
        assert "1 posted" in out.decode()
        assert len(slack_digests(slack)) == 1
        assert len(slack.of("conversations.history")) == 1
        settled = row(core, subscription, due.date().isoformat())
        assert (settled.status, settled.message_id) == ("delivered", posted["ts"])
    finally:
        await slack.stop()


# -- Discord ---------------------------------------------------------------------------------


def discord_digests(fake: FakeDiscord) -> list[dict]:
    return fake.channel_messages.get(CHANNEL_ID, [])


def footer(message: dict) -> str:
    return message["embeds"][-1]["footer"]["text"] if message["embeds"] else message["content"]


async def test_discord_a_crash_after_the_post_landed_is_not_posted_again(
    core: Core, discord_fake: FakeDiscord, discord_poster: DiscordPoster
) -> None:
    subscription = subscribe(core, DISCORD)
    await crash_after_posting(core, "discord", discord_poster)
    [posted] = discord_digests(discord_fake)
    [sent] = discord_fake.of("POST", rf"/channels/{CHANNEL_ID}/messages")
    delivery = row(core, subscription)
    mark = DigestMark(delivery.id, subscription.id, "2024-05-02", DUE)
    assert sent.payload["nonce"] == digest_nonce(mark, 1) and sent.payload["enforce_nonce"]
    assert len(sent.payload["nonce"]) <= 25
    assert digest_marker(mark, 1, 1) in footer(posted)
    assert delivery.status == "claimed"

    [outcome] = await due_pass(core, "discord", discord_poster, AFTER_LEASE)
    assert (outcome.status, outcome.detail) == ("delivered", posted["id"])
    assert len(discord_digests(discord_fake)) == 1
    [read] = discord_fake.of("GET", rf"/channels/{CHANNEL_ID}/messages")
    assert "after" in read.query
    settled = row(core, subscription)
    assert (settled.status, settled.message_id) == ("delivered", posted["id"])


async def test_discord_a_post_that_did_not_land_is_posted_on_retry(
    core: Core, discord_fake: FakeDiscord, discord_poster: DiscordPoster
) -> None:
    subscription = subscribe(core, DISCORD)
    with pytest.raises(Crash):
        await due_pass(core, "discord", CrashBeforePost(discord_poster), DUE)
    assert discord_digests(discord_fake) == []
    [outcome] = await due_pass(core, "discord", discord_poster, AFTER_LEASE)
    assert outcome.status == "delivered"
    assert len(discord_fake.of("GET", rf"/channels/{CHANNEL_ID}/messages")) == 1
    [posted] = discord_digests(discord_fake)
    assert row(core, subscription).message_id == posted["id"]


async def test_discord_drops_a_repeated_nonce_within_its_window(
    core: Core, discord_fake: FakeDiscord, discord_poster: DiscordPoster
) -> None:
    subscription = subscribe(core, DISCORD)
    mark = DigestMark(7, subscription.id, "2024-05-02", DUE)
    reply = NoticeReply("Daily digest: nothing new since the last digest.")
    first = await discord_poster.post(subscription, reply, mark)
    again = await discord_poster.post(subscription, reply, mark)
    assert first == again
    assert len(discord_digests(discord_fake)) == 1
    other = DigestMark(8, subscription.id, "2024-05-03", DUE)
    await discord_poster.post(subscription, reply, other)
    assert len(discord_digests(discord_fake)) == 2


async def test_discord_every_part_of_a_long_digest_is_marked_and_checked(
    core: Core,
    discord_fake: FakeDiscord,
    discord_poster: DiscordPoster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscription = subscribe(core, DISCORD)
    reply = BriefingReply(make_briefing([make_bullet(i, words=300) for i in range(20)]))
    parts = len(discord_render(reply))
    assert parts >= 2
    mark = DigestMark(3, subscription.id, "2024-05-02", DUE)
    core.clock._now = DUE  # type: ignore[attr-defined]
    first = await discord_poster.post(subscription, reply, mark)
    posted = discord_digests(discord_fake)
    assert len(posted) == parts
    for i, message in enumerate(posted, 1):
        assert digest_marker(mark, i, parts) in footer(message)
        # The marker keeps every message within Discord's 6,000 characters across embeds.
        embeds = message["embeds"]
        assert (
            sum(len(str(e.get(k) or "")) for e in embeds for k in ("title", "description"))
            + sum(len(e.get("footer", {}).get("text", "")) for e in embeds)
            <= 6000
        )
    sent = discord_fake.of("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert len({c.payload["nonce"] for c in sent}) == parts
    assert (await discord_poster.landed(subscription, mark)).message_id == first
    # A process that died before the last part: what is there counts, and is not repeated.
    posted.pop()
    found = await discord_poster.landed(subscription, mark)
    assert found is not None and found.message_id == first
    assert any(f"message(s) {parts} of {parts} never reached" in r.message for r in caplog.records)
    # Another digest's marks are not mistaken for this one's.
    assert (
        await discord_poster.landed(subscription, dataclasses.replace(mark, delivery_id=4)) is None
    )


async def test_discord_unreadable_history_posts_again_with_one_warning(
    core: Core,
    discord_fake: FakeDiscord,
    discord_poster: DiscordPoster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribe(core, DISCORD)
    discord_fake.fail(
        "GET", r"/channels/\d+/messages", status=403, code=50001, message="Missing Access", times=2
    )
    await crash_after_posting(core, "discord", discord_poster)
    [outcome] = await due_pass(core, "discord", discord_poster, AFTER_LEASE)
    # As documented: the lease (15 min) outlasts Discord's nonce window, so it is posted again.
    assert outcome.status == "delivered"
    assert len(discord_digests(discord_fake)) == 2
    next_due = DUE + timedelta(days=1)
    with pytest.raises(Crash):
        await due_pass(core, "discord", CrashAfterPost(discord_poster), next_due)
    await due_pass(core, "discord", discord_poster, next_due + CLAIM_LEASE + timedelta(seconds=1))
    assert len(discord_digests(discord_fake)) == 4
    [warning] = warnings_about(caplog, "Read Message History")
    assert "403" in warning.message
