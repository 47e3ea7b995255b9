"""Daily digests on a real store with a fake clock: timing, DST, exactly once, catch-up, scope.

Posting goes through a recording poster here (it stands in for a platform's web API); the
Slack and Discord posters are exercised against their loopback fakes in tests/adapters.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes import CHESS, HARBOUR, VOLCANO, Story

from bot.app import Core
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer
from bot.digests import (
    CLOCK_SKEW,
    Context,
    DigestMark,
    Landed,
    Scheduler,
    parse_time,
    parse_timezone,
    run_due,
    scheduled_at,
)
from bot.errors import BadArgument
from bot.ingest import store_draft
from bot.ledger import CLAIM_LEASE, Ledger
from bot.models import ArticleDraft, Subscription

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
THERE = Context(platform="slack", workspace="T1", channel="C2", user="U2")


class RecordingPoster:
    """Records what would be posted, as a channel keeps it (with its mark); can fail a given
    number of times first.  `landed` finds a post by its mark, as the platforms' read-back."""

    def __init__(self, failures: int = 0) -> None:
        self.posts: list[tuple[int, object]] = []
        self.marks: list[DigestMark] = []
        self.checked: list[DigestMark] = []
        self.failures = failures
        self.posted: asyncio.Event | None = None

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("ratelimited")
        self.posts.append((subscription.id, reply))
        self.marks.append(mark)
        if self.posted is not None:
            self.posted.set()
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        self.checked.append(mark)
        for i, posted in enumerate(self.marks, 1):
            if posted.key == mark.key:
                return Landed(f"ts-{i}", mark.since)
        return None


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def subscribe(core: Core, text: str, context: Context = HERE) -> Subscription:
    reply = answer(core, f"digest subscribe {text}", context)
    assert isinstance(reply, NoticeReply), reply
    return Ledger(core.store).subscriptions(context.platform, context.workspace, context.channel)[
        -1
    ]


def store(core: Core, story: Story, title: str | None = None) -> None:
    draft = ArticleDraft(title or story.title, "\n".join(story.paragraphs), "Herald")
    assert store_draft(core.store, "x", draft, core.clock).status == "stored"


def run(core: Core, poster: RecordingPoster, now: datetime, **kwargs) -> list:
    core.clock._now = now  # the fake clock: "it is now"
    return asyncio.run(run_due(core, {"slack": poster}, now=now, **kwargs))


@pytest.fixture
def paris_0830(core: Core, clock) -> Subscription:
    clock._now = at(PARIS, 2026, 11, 24, 12, 0)
    return subscribe(core, "08:30 Europe/Paris")


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("08:30", (8, 30)),
        ("8:30", (8, 30)),
        ("0830", (8, 30)),
        ("8:30pm", (20, 30)),
        ("12:05am", (0, 5)),
    ],
)
def test_common_time_forms(text: str, expected: tuple[int, int]) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:99", "24:00", "12:60", "8am", "8", "830", "8h30", "noon"])
def test_bad_times_are_explained_with_an_example(text: str) -> None:
    with pytest.raises(BadArgument, match="08:30"):
        parse_time(text)


def test_unknown_time_zone_suggests_close_names() -> None:
    with pytest.raises(BadArgument, match="Europe/Paris"):
        parse_timezone("Europe/Pariss")
    with pytest.raises(BadArgument, match="Europe/Paris"):
        parse_timezone("Mars/Paris")
    assert parse_timezone("europe/paris") == "Europe/Paris"
    assert parse_timezone("UTC") == "UTC"


def test_every_bad_subscribe_is_one_line_and_stores_nothing(core: Core) -> None:
    for text in ["25:99", "8am", "08:30 Europe/Pariss", "", "08:30 Europe/Paris ukraine 99"]:
        reply = answer(core, f"digest subscribe {text}", HERE)
        assert isinstance(reply, ErrorReply), text
        assert "\n" not in reply.message
    assert Ledger(core.store).subscriptions() == []


def test_subscribe_says_who_when_and_the_default_zone(core: Core) -> None:
    reply = answer(core, "digest subscribe 07:00 volcano 3", HERE)
    assert isinstance(reply, NoticeReply) and reply.public
    assert reply.by == "U1" and reply.text.startswith("subscribed this channel")
    assert "<@" not in reply.text  # the core writes no platform markup
    assert "07:00 UTC" in reply.text and "the default" in reply.text
    [sub] = Ledger(core.store).subscriptions()
    assert (sub.topic, sub.bullets, sub.timezone) == ("volcano", 3, "UTC")


def test_a_topic_with_no_articles_subscribes_anyway_and_says_so(core: Core) -> None:
    reply = answer(core, "digest subscribe 07:00 Europe/Paris zeppelins", HERE)
    assert isinstance(reply, NoticeReply)
    assert "No stored article mentions “zeppelins”" in reply.text
    assert len(Ledger(core.store).subscriptions()) == 1


def test_discord_without_manage_channels_cannot_change_digests(core: Core) -> None:
    member = Context(
        platform="discord",
        workspace="G1",
        channel="C1",
        user="9",
        can_manage=False,
        manage_permission="Manage Channels permission",  # as the Discord adapter names it
    )
    reply = answer(core, "digest subscribe 08:30", member)
    assert isinstance(reply, ErrorReply) and "Manage Channels" in reply.message
    assert isinstance(answer(core, "digest list", member), NoticeReply)


# -- timing ----------------------------------------------------------------------------------


def test_posts_at_its_local_time_not_before(core: Core, paris_0830: Subscription) -> None:
    poster = RecordingPoster()
    assert run(core, poster, at(PARIS, 2026, 11, 25, 8, 29)) == []
    [outcome] = run(core, poster, at(PARIS, 2026, 11, 25, 8, 31))
    assert outcome.status == "delivered" and outcome.local_date == "2026-11-25"
    assert len(poster.posts) == 1


def test_two_passes_in_the_same_minute_post_once(core: Core, paris_0830: Subscription) -> None:
    poster = RecordingPoster()
    now = at(PARIS, 2026, 11, 25, 8, 30)
    run(core, poster, now)
    run(core, poster, now)
    run(core, poster, now + timedelta(seconds=30))
    assert len(poster.posts) == 1


def test_concurrent_passes_post_once(core: Core, paris_0830: Subscription) -> None:
    poster = RecordingPoster()
    now = at(PARIS, 2026, 11, 25, 8, 31)
    core.clock._now = now

    async def both() -> None:
        await asyncio.gather(*(run_due(core, {"slack": poster}, now=now) for _ in range(5)))

    asyncio.run(both())
    assert len(poster.posts) == 1


def test_spread_passes_post_every_due_digest_once(core: Core, clock) -> None:
    # The running scheduler's passes start at a random subscription (several workers then
    # claim different digests): one pass still posts every due digest, and passes side by
    # side post each once.
    clock._now = at(PARIS, 2026, 11, 24, 12, 0)
    channels = [dataclasses.replace(HERE, channel=f"C{i}") for i in range(6)]
    ids = [subscribe(core, "08:30 Europe/Paris", context).id for context in channels]
    poster = RecordingPoster()
    run(core, poster, at(PARIS, 2026, 11, 25, 8, 31), spread=True)
    assert sorted(sid for sid, _ in poster.posts) == sorted(ids)
    now = at(PARIS, 2026, 11, 26, 8, 31)
    core.clock._now = now

    async def passes() -> None:
        await asyncio.gather(
            *(run_due(core, {"slack": poster}, now=now, spread=True) for _ in range(5))
        )

    asyncio.run(passes())
    assert sorted(sid for sid, _ in poster.posts) == sorted(ids * 2)


@pytest.mark.parametrize(
    "zone, start, hour, minute",
    [
        (PARIS, date(2026, 3, 27), 2, 30),  # spring forward: 02:30 does not exist on the 29th
        (PARIS, date(2026, 10, 23), 2, 30),  # fall back: 02:30 happens twice on the 25th
        (NEW_YORK, date(2026, 3, 6), 2, 30),
        (NEW_YORK, date(2026, 10, 30), 1, 30),
        (PARIS, date(2026, 3, 27), 8, 30),
    ],
)
def test_dst_changes_neither_skip_nor_double(
    core: Core, clock, zone: ZoneInfo, start: date, hour: int, minute: int
) -> None:
    clock._now = datetime.combine(start, datetime.min.time(), zone).astimezone(UTC)
    subscribe(core, f"{hour:02d}:{minute:02d} {zone.key}")
    poster = RecordingPoster()
    end = clock._now + timedelta(days=6)

    async def passes() -> None:  # in one event loop (and its threads), not one per pass
        now = clock._now
        while now < end:  # a pass every 10 minutes, for 6 days across the change
            clock._now = now
            await run_due(core, {"slack": poster}, now=now)
            now += timedelta(minutes=10)

    asyncio.run(passes())
    ledger = Ledger(core.store)
    days = [start + timedelta(days=i) for i in range(6)]
    dates = [ledger.delivery(1, d.isoformat()) for d in days]
    assert all(d is not None and d.status == "delivered" for d in dates[1:]), dates
    assert len(poster.posts) == len([d for d in dates if d is not None])
    for d in dates:
        if d is not None:
            local = d.scheduled_at.astimezone(zone)
            assert local.date().isoformat() == d.local_date
            assert (local.hour, local.minute) >= (
                hour,
                minute,
            )  # a gap moves it later, never earlier


def test_scheduled_at_in_a_gap_moves_to_the_first_valid_moment() -> None:
    sub = Subscription(
        1,
        "slack",
        "T",
        "C",
        2,
        30,
        "Europe/Paris",
        None,
        5,
        False,
        "U",
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert scheduled_at(sub, date(2026, 3, 29)).astimezone(PARIS).strftime("%H:%M") == "03:30"
    # Fall back: 02:30 happens twice; the first (summer time, UTC+2) is the one.
    assert scheduled_at(sub, date(2026, 10, 25)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


# -- exactly once ------------------------------------------------------------------------------


def test_a_crash_between_claim_and_post_is_retried_and_posts_once(
    core: Core, paris_0830: Subscription
) -> None:
    now = at(PARIS, 2026, 11, 25, 8, 31)
    ledger = Ledger(core.store)
    claimed = ledger.claim(paris_0830, "2026-11-25", at(PARIS, 2026, 11, 25, 8, 30), now)
    assert claimed is not None  # ...and then the process died before posting
    poster = RecordingPoster()
    assert run(core, poster, now + timedelta(minutes=1)) == []  # the claim's lease still holds
    [outcome] = run(core, poster, now + CLAIM_LEASE + timedelta(seconds=1))
    assert outcome.status == "delivered"
    assert [m.local_date for m in poster.checked] == ["2026-11-25"]  # looked, found nothing
    run(core, poster, now + CLAIM_LEASE + timedelta(minutes=5))
    assert len(poster.posts) == 1


def test_a_dead_claim_is_taken_over_when_the_configured_lease_runs_out(
    core: Core, paris_0830: Subscription
) -> None:
    core.settings = dataclasses.replace(core.settings, digest_lease_minutes=2)
    poster = RecordingPoster()
    post = poster.post

    async def die(subscription: Subscription, reply: object, mark: DigestMark) -> str:
        raise Crash

    poster.post = die  # type: ignore[method-assign]
    now = at(PARIS, 2026, 11, 25, 8, 30)
    with pytest.raises(Crash):
        run(core, poster, now)  # claimed with a 2-minute lease, then the process died
    poster.post = post  # type: ignore[method-assign]
    assert run(core, poster, now + timedelta(minutes=2) - timedelta(seconds=1)) == []
    [outcome] = run(core, poster, now + timedelta(minutes=2, seconds=1))
    assert outcome.status == "delivered" and len(poster.posts) == 1


class Crash(BaseException):
    """The process dies here: nothing after it runs, not even `except Exception`."""


def test_a_crash_after_posting_is_found_in_the_channel_and_not_posted_again(
    core: Core, paris_0830: Subscription
) -> None:
    poster = RecordingPoster()
    post = poster.post

    async def post_then_die(subscription: Subscription, reply: object, mark: DigestMark) -> str:
        await post(subscription, reply, mark)
        raise Crash

    poster.post = post_then_die  # type: ignore[method-assign]
    now = at(PARIS, 2026, 11, 25, 8, 30)
    with pytest.raises(Crash):
        run(core, poster, now)
    assert poster.checked == []  # a first attempt posts without looking
    ledger = Ledger(core.store)
    assert ledger.delivery(paris_0830.id, "2026-11-25").status == "claimed"
    poster.post = post  # type: ignore[method-assign]
    assert run(core, poster, now + timedelta(minutes=1)) == []  # the lease still holds
    [outcome] = run(core, poster, now + CLAIM_LEASE + timedelta(seconds=1))
    assert (outcome.status, outcome.detail) == ("delivered", "ts-1")
    assert len(poster.posts) == 1
    [mark] = poster.checked
    assert mark.since == at(PARIS, 2026, 11, 25, 8, 30) - CLOCK_SKEW
    row = ledger.delivery(paris_0830.id, "2026-11-25")
    assert (row.status, row.message_id, row.attempts) == ("delivered", "ts-1", 2)


def test_a_failed_post_is_retried_with_backoff_and_shown(
    core: Core, paris_0830: Subscription
) -> None:
    poster = RecordingPoster(failures=2)
    now = at(PARIS, 2026, 11, 25, 8, 30)
    assert run(core, poster, now)[0].status == "failed"
    listing = answer(core, "digest list", HERE)
    assert (
        isinstance(listing, NoticeReply)
        and "failed" in listing.text
        and "ratelimited" in listing.text
    )
    assert run(core, poster, now + timedelta(seconds=30)) == []  # not before its retry time
    assert run(core, poster, now + timedelta(minutes=1))[0].status == "failed"
    assert run(core, poster, now + timedelta(minutes=6))[0].status == "delivered"
    assert len(poster.posts) == 1
    assert "posted" in answer(core, "digest list", HERE).text


def test_downtime_catch_up_inside_grace_and_missed_outside(
    core: Core, paris_0830: Subscription
) -> None:
    poster = RecordingPoster()
    # Down at 08:30 on the 25th, back at 11:00: one catch-up post.
    assert [o.status for o in run(core, poster, at(PARIS, 2026, 11, 25, 11, 0))] == ["delivered"]
    run(core, poster, at(PARIS, 2026, 11, 25, 11, 1))
    assert len(poster.posts) == 1
    # Down across the 26th's 08:30 until 21:31 (13 hours later): nothing posted, shown as missed.
    assert [o.status for o in run(core, poster, at(PARIS, 2026, 11, 26, 21, 31))] == ["missed"]
    assert len(poster.posts) == 1
    assert "missed 26 Nov" in answer(core, "digest list", HERE).text
    # The next day is normal again.
    run(core, poster, at(PARIS, 2026, 11, 27, 8, 30))
    assert len(poster.posts) == 2


def test_a_subscription_made_after_todays_time_starts_tomorrow(core: Core, clock) -> None:
    clock._now = at(PARIS, 2026, 11, 25, 9, 0)
    subscribe(core, "08:30 Europe/Paris")
    poster = RecordingPoster()
    assert run(core, poster, at(PARIS, 2026, 11, 25, 9, 1)) == []
    assert len(run(core, poster, at(PARIS, 2026, 11, 26, 8, 30))) == 1


# -- what a digest holds ---------------------------------------------------------------------


def test_only_articles_stored_since_the_previous_digest_appear(
    core: Core, paris_0830: Subscription
) -> None:
    poster = RecordingPoster()
    core.clock._now = at(PARIS, 2026, 11, 25, 7, 0)
    store(core, HARBOUR)
    run(core, poster, at(PARIS, 2026, 11, 25, 8, 30))
    first = poster.posts[-1][1]
    assert isinstance(first, BriefingReply)
    titles = {s.title for b in first.briefing.bullets for s in b.sources}
    assert HARBOUR.title in titles

    core.clock._now = at(PARIS, 2026, 11, 25, 20, 0)
    store(core, VOLCANO)
    run(core, poster, at(PARIS, 2026, 11, 26, 8, 30))
    second = poster.posts[-1][1]
    assert isinstance(second, BriefingReply)
    titles = {s.title for b in second.briefing.bullets for s in b.sources}
    assert titles == {VOLCANO.title}
    assert "Daily digest · Thu 26 Nov 2026" in second.briefing.title


def test_nothing_new_posts_one_line_unless_quiet(core: Core, clock) -> None:
    clock._now = at(PARIS, 2026, 11, 24, 12, 0)
    loud = subscribe(core, "08:30 Europe/Paris chess")
    quiet = subscribe(core, "08:30 Europe/Paris harvest quiet")
    poster = RecordingPoster()
    run(core, poster, at(PARIS, 2026, 11, 25, 8, 30))
    assert [p[0] for p in poster.posts] == [loud.id]
    assert isinstance(poster.posts[0][1], NoticeReply) and "nothing new" in poster.posts[0][1].text
    assert Ledger(core.store).delivery(quiet.id, "2026-11-25").status == "delivered"


def test_digest_now_posts_without_touching_the_schedule(
    core: Core, paris_0830: Subscription
) -> None:
    store(core, CHESS)
    reply = answer(core, "digest now", HERE)
    assert isinstance(reply, BriefingReply)
    assert Ledger(core.store).latest(paris_0830.id) is None


# -- scope -----------------------------------------------------------------------------------


def test_another_channel_cannot_see_or_remove_a_subscription(
    core: Core, paris_0830: Subscription
) -> None:
    listing = answer(core, "digest list", THERE)
    assert isinstance(listing, NoticeReply) and f"#{paris_0830.id}" not in listing.text
    reply = answer(core, f"digest unsubscribe {paris_0830.id}", THERE)
    assert isinstance(reply, ErrorReply)
    assert isinstance(answer(core, "digest unsubscribe all", THERE), ErrorReply)
    other_workspace = Context(platform="slack", workspace="T2", channel="C1", user="U3")
    assert f"#{paris_0830.id}" not in answer(core, "digest list", other_workspace).text
    assert len(Ledger(core.store).subscriptions()) == 1
    removed = answer(core, f"digest unsubscribe {paris_0830.id}", HERE)
    assert isinstance(removed, NoticeReply) and removed.plain().startswith("U1 removed 1 digest")
    assert Ledger(core.store).subscriptions() == []


# -- the scheduler ------------------------------------------------------------------------------


def test_the_scheduler_sleeps_until_the_next_digest(core: Core, paris_0830: Subscription) -> None:
    scheduler = Scheduler(core, {"slack": RecordingPoster()})
    now = at(PARIS, 2026, 11, 25, 8, 0)
    assert scheduler.seconds_to_next(now) == 30 * 60
    assert scheduler.seconds_to_next(at(PARIS, 2026, 11, 25, 8, 31)) == 3600  # capped at an hour


async def test_the_scheduler_wakes_when_poked(core: Core, clock) -> None:
    clock._now = at(PARIS, 2026, 11, 25, 8, 31)
    poster = RecordingPoster()
    poster.posted = asyncio.Event()
    scheduler = Scheduler(core, {"slack": poster})
    task = asyncio.create_task(scheduler.run())
    try:
        await asyncio.wait_for(scheduler.idle.wait(), 10)  # first pass done: nothing to post
        assert poster.posts == []
        # Subscribed (yesterday, by another process, say) for 08:30: due now.  The scheduler
        # sleeps for up to an hour; a poke makes it look again at once.
        Ledger(core.store).subscribe(
            platform="slack",
            workspace="T1",
            channel="C1",
            hour=8,
            minute=30,
            timezone="Europe/Paris",
            topic=None,
            bullets=3,
            quiet=False,
            created_by="U1",
            created_at=clock._now - timedelta(days=1),
            window_start=clock._now - timedelta(days=2),
        )
        scheduler.poke()
        await asyncio.wait_for(poster.posted.wait(), 10)
    finally:
        task.cancel()
    assert len(poster.posts) == 1


def test_a_pass_that_lost_its_claim_cannot_settle_it(core: Core, paris_0830: Subscription) -> None:
    ledger = Ledger(core.store)
    due = at(PARIS, 2026, 11, 25, 8, 30)
    mine = ledger.claim(paris_0830, "2026-11-25", due, due)
    theirs = ledger.claim(paris_0830, "2026-11-25", due, due + CLAIM_LEASE + timedelta(seconds=1))
    assert mine is not None and theirs is not None and theirs.attempts == mine.attempts + 1
    assert not ledger.delivered(mine, "late", due, due)
    assert not ledger.failed(mine, "late", None)
    assert ledger.delivered(theirs, "ts-1", due, due)
    assert ledger.delivery(paris_0830.id, "2026-11-25").message_id == "ts-1"


def test_a_claim_lease_runs_from_the_real_claim_time(core: Core, paris_0830: Subscription) -> None:
    # `run-due --now` may name a moment long past: the lease must still protect the claim.
    ledger = Ledger(core.store)
    due = at(PARIS, 2026, 11, 25, 8, 30)
    real = due + timedelta(hours=3)
    claim = ledger.claim(paris_0830, "2026-11-25", due, due, lease_from=real)
    assert claim is not None
    later = due + CLAIM_LEASE + timedelta(minutes=1)
    assert ledger.claim(paris_0830, "2026-11-25", due, later, lease_from=later) is None


def test_a_grace_period_longer_than_a_day_reaches_back_far_enough(
    core: Core, paris_0830: Subscription
) -> None:
    poster = RecordingPoster()
    outcomes = run(core, poster, at(PARIS, 2026, 11, 26, 14, 30), grace=timedelta(hours=36))
    assert [(o.local_date, o.status) for o in outcomes] == [
        ("2026-11-25", "delivered"),  # 30 hours late, inside 36
        ("2026-11-26", "delivered"),
    ]
