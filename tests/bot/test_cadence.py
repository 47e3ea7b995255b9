"""Cadences: weekdays, weekly, chosen days, several times a day, over simulated months with
DST changes, catch-up and the ledger's exactly-once rule (real store, fake clock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes import CHESS, HARBOUR, VOLCANO, Story

from bot.app import Core
from bot.cadence import (
    ALL_DAYS,
    WEEKDAYS,
    Cadence,
    parse_cadence,
    parse_cadence_text,
)
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer, parse_command
from bot.digests import Context, DigestMark, DigestRequest, Landed, run_due
from bot.errors import BadArgument
from bot.ingest import store_draft
from bot.ledger import Ledger
from bot.models import ArticleDraft, Subscription
from bot.store import Store

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")


class RecordingPoster:
    """Records what would be posted; finds a post by its mark (the platforms' read-back)."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, object]] = []
        self.marks: list[DigestMark] = []

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        self.posts.append((subscription.id, reply))
        self.marks.append(mark)
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        found = [i for i, m in enumerate(self.marks, 1) if m.key == mark.key]
        return Landed(f"ts-{found[0]}", mark.since) if found else None


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def subscribe(core: Core, text: str) -> Subscription:
    reply = answer(core, f"digest subscribe {text}", HERE)
    assert isinstance(reply, NoticeReply), reply
    return Ledger(core.store).subscriptions("slack", "T1", "C1")[-1]


def store(core: Core, story: Story) -> None:
    draft = ArticleDraft(story.title, "\n".join(story.paragraphs), "Herald")
    assert store_draft(core.store, "x", draft, core.clock).status == "stored"


def run(core: Core, poster: RecordingPoster, now: datetime) -> list:
    core.clock._now = now
    return asyncio.run(run_due(core, {"slack": poster}, now=now))


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words, days, times",
    [
        ("08:30", ALL_DAYS, ["08:30"]),
        ("daily 08:30", ALL_DAYS, ["08:30"]),
        ("weekdays 08:30", WEEKDAYS, ["08:30"]),
        ("weekly mon 09:00", {0}, ["09:00"]),
        ("weekly Friday 9:00pm", {4}, ["21:00"]),
        ("mon,wed,fri 07:00", {0, 2, 4}, ["07:00"]),
        ("sat-mon 10:00", {5, 6, 0}, ["10:00"]),
        ("17:30,08:00", ALL_DAYS, ["08:00", "17:30"]),
        ("weekdays 08:00,17:30", WEEKDAYS, ["08:00", "17:30"]),
        ("08:00, 17:30", ALL_DAYS, ["08:00", "17:30"]),
        ("mon,fri 08:00, 12:00, 17:30", {0, 4}, ["08:00", "12:00", "17:30"]),
    ],
)
def test_cadence_forms_and_their_canonical_text(words: str, days: set[int], times: list) -> None:
    cadence, rest = parse_cadence([*words.split(), "Europe/Paris", "topic"])
    assert rest == ["Europe/Paris", "topic"]
    assert cadence.days == frozenset(days)
    assert [t.strftime("%H:%M") for t in cadence.times] == times
    assert parse_cadence_text(cadence.text) == cadence  # stored text reads back the same


@pytest.mark.parametrize(
    "words", ["weekly 09:00", "weekly mon,tue 09:00", "mon,funday 07:00", "weekdays", "mon"]
)
def test_bad_cadences_are_explained(words: str) -> None:
    with pytest.raises(BadArgument):
        parse_cadence(words.split())


def test_the_digest_command_reads_cadences() -> None:
    assert parse_command("digest subscribe weekdays 08:30 Europe/Paris ukraine") == DigestRequest(
        "subscribe", 8, 30, "Europe/Paris", "ukraine", cadence="weekdays 08:30"
    )
    assert parse_command("digest subscribe 08:00,17:30 UTC") == DigestRequest(
        "subscribe", 8, 0, "UTC", cadence="daily 08:00,17:30"
    )
    # As the Discord adapter sends its `time` option (shlex.quote'd, one word).
    assert parse_command("digest subscribe 'weekly mon 09:00' tz:UTC") == DigestRequest(
        "subscribe", 9, 0, "UTC", cadence="weekly mon 09:00"
    )
    # The daily form is unchanged, and a topic word that names a day is still a topic.
    assert parse_command("digest subscribe 08:30 Paris sun") == DigestRequest(
        "subscribe", 8, 30, "Europe/Paris", "sun"
    )


def test_periods() -> None:
    assert parse_cadence_text("weekly mon 09:00").period == timedelta(days=7)
    assert parse_cadence_text("mon,wed,fri 07:00").period == timedelta(days=3)
    assert parse_cadence_text("daily 08:00,17:30").period == timedelta(hours=14, minutes=30)
    assert parse_cadence_text("weekdays 08:30").period == timedelta(days=3)


# -- a simulated month -----------------------------------------------------------------------


def expected_runs(
    zone: ZoneInfo, start: datetime, end: datetime, days: set[int], times: list[time]
) -> set[tuple[str, str]]:
    """(local date, HH:MM) of every run a user expects in (start, end], computed naively."""
    out = set()
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        for t in times:
            moment = datetime.combine(day, t, zone).astimezone(UTC)
            if day.weekday() in days and start < moment <= end:
                out.add((day.isoformat(), t.strftime("%H:%M")))
        day += timedelta(days=1)
    return out


MONTH_SPECS = [
    ("weekdays 08:30 Europe/Paris", PARIS, set(range(5)), [time(8, 30)]),
    ("weekly mon 09:00 America/New_York", NEW_YORK, {0}, [time(9, 0)]),
    ("mon,wed,fri 07:00 Europe/Paris", PARIS, {0, 2, 4}, [time(7, 0)]),
    ("08:00,17:30 America/New_York", NEW_YORK, set(range(7)), [time(8), time(17, 30)]),
    # Paris springs forward on Sunday 29 March: 02:30 does not exist that night.
    ("02:30,20:00 Europe/Paris", PARIS, set(range(7)), [time(2, 30), time(20)]),
    ("01:30 America/New_York", NEW_YORK, set(range(7)), [time(1, 30)]),
]


@pytest.mark.parametrize(
    "first_day", [date(2026, 3, 1), date(2026, 10, 15)], ids=["spring", "autumn"]
)
def test_a_month_posts_exactly_when_expected(core: Core, clock, first_day: date) -> None:
    """A pass every 30 minutes for five weeks across both zones' DST change (New York and
    Paris change on different weekends): each run of each cadence posts once, on its days,
    at its local time (a time inside a spring-forward gap runs just after it; an ambiguous
    one at its first occurrence), and never on other days."""
    start = datetime.combine(first_day, time(0, 5), PARIS).astimezone(UTC)
    clock._now = start
    subs = [subscribe(core, spec) for spec, *_ in MONTH_SPECS]
    poster = RecordingPoster()
    end = start + timedelta(days=35)

    async def passes() -> datetime:  # in one event loop (and its threads), not one per pass
        now = start
        while now <= end:
            core.clock._now = now
            await run_due(core, {"slack": poster}, now=now)
            now += timedelta(minutes=30)
        return now

    last = asyncio.run(passes()) - timedelta(minutes=30)
    from bot.store import deliveries

    with core.store.engine.connect() as conn:
        every = conn.execute(deliveries.select()).all()
    assert len(poster.posts) == len(every)
    for sub, (spec, zone, days, times) in zip(subs, MONTH_SPECS, strict=True):
        rows = [r for r in every if r.subscription_id == sub.id]
        assert all(r.status == "delivered" for r in rows), spec
        got = set()
        for r in rows:
            scheduled = datetime.fromisoformat(r.scheduled_at).astimezone(zone)
            day = r.local_date[:10]
            assert scheduled.date().isoformat() == day
            wall = r.local_date[11:] if len(r.local_date) > 10 else times[0].strftime("%H:%M")
            got.add((day, wall))
            if scheduled.strftime("%H:%M") != wall:
                # Only a time inside a spring-forward gap moves, and only past the gap.
                assert (wall, scheduled.strftime("%H:%M")) == ("02:30", "03:30"), spec
            delivered = datetime.fromisoformat(r.delivered_at)
            assert timedelta(0) <= delivered - scheduled < timedelta(minutes=30), spec
        assert got == expected_runs(zone, start, last, days, times), spec
        assert len(got) == len(rows), spec
        if times == [time(1, 30)] and first_day.month == 10:
            # New York falls back on 1 Nov: 01:30 happens twice and runs at the first (EDT).
            [fall] = [r for r in rows if r.local_date == "2026-11-01"]
            assert datetime.fromisoformat(fall.scheduled_at) == datetime(
                2026, 11, 1, 5, 30, tzinfo=UTC
            )
        if spec.startswith("02:30") and first_day.month == 3:
            [gap] = [r for r in rows if r.local_date == "2026-03-29T02:30"]
            assert datetime.fromisoformat(gap.scheduled_at) == datetime(
                2026, 3, 29, 1, 30, tzinfo=UTC
            )


def test_catch_up_per_run_and_missed_runs(core: Core, clock) -> None:
    clock._now = at(PARIS, 2026, 11, 25, 12, 0)  # a Wednesday
    sub = subscribe(core, "weekdays 08:30 Europe/Paris")
    poster = RecordingPoster()
    run(core, poster, at(PARIS, 2026, 11, 26, 8, 30))  # Thursday, on time
    # Down over Friday's 08:30, back at 10:00: one catch-up post.
    assert [o.status for o in run(core, poster, at(PARIS, 2026, 11, 27, 10, 0))] == ["delivered"]
    # Saturday and Sunday: nothing is due at all.
    for day in (28, 29):
        assert run(core, poster, at(PARIS, 2026, 11, day, 9, 0)) == []
    # Down from Sunday until Monday 21:00 (12.5 h after 08:30): missed, shown in the list.
    assert [o.status for o in run(core, poster, at(PARIS, 2026, 11, 30, 21, 0))] == ["missed"]
    assert len(poster.posts) == 2
    listing = answer(core, "digest list", HERE)
    assert "weekdays at 08:30 Europe/Paris" in listing.text and "missed 30 Nov" in listing.text
    assert "next Tue 01 Dec 08:30 CET" in listing.text
    ledger = Ledger(core.store)
    assert ledger.delivery(sub.id, "2026-11-28") is None


def test_twice_a_day_runs_each_time_once_with_its_own_window(core: Core, clock) -> None:
    clock._now = at(NEW_YORK, 2026, 11, 24, 12, 0)
    sub = subscribe(core, "08:00,17:30 America/New_York")
    poster = RecordingPoster()
    clock._now = at(NEW_YORK, 2026, 11, 25, 7, 0)
    store(core, HARBOUR)
    run(core, poster, at(NEW_YORK, 2026, 11, 25, 8, 0))
    clock._now = at(NEW_YORK, 2026, 11, 25, 12, 0)
    store(core, CHESS)
    run(core, poster, at(NEW_YORK, 2026, 11, 25, 17, 30))
    run(core, poster, at(NEW_YORK, 2026, 11, 25, 17, 35))
    assert len(poster.posts) == 2
    morning, evening = (p[1] for p in poster.posts)
    assert isinstance(morning, BriefingReply) and isinstance(evening, BriefingReply)
    titles = {s.title for b in evening.briefing.bullets for s in b.sources}
    assert titles == {CHESS.title}  # the evening digest holds only what came after the morning
    assert evening.briefing.title.endswith("17:30")
    ledger = Ledger(core.store)
    assert ledger.delivery(sub.id, "2026-11-25T08:00").status == "delivered"
    assert ledger.delivery(sub.id, "2026-11-25T17:30").status == "delivered"


def test_a_weekly_digest_covers_the_week_at_the_week_boundary(core: Core, clock) -> None:
    clock._now = at(NEW_YORK, 2026, 11, 18, 12, 0)  # Wednesday: stored before subscribing
    store(core, VOLCANO)
    clock._now = at(NEW_YORK, 2026, 11, 25, 12, 0)  # the next Wednesday
    sub = subscribe(core, "weekly mon 09:00 America/New_York")
    assert sub.window_start == clock._now - timedelta(days=7)
    clock._now = at(NEW_YORK, 2026, 11, 19, 12, 0) + timedelta(days=7)  # Thursday
    store(core, HARBOUR)
    clock._now = at(NEW_YORK, 2026, 11, 29, 23, 59)  # Sunday night, the week's last minute
    store(core, CHESS)
    poster = RecordingPoster()
    # Nothing before Monday 09:00; then one digest with the whole week.
    assert run(core, poster, at(NEW_YORK, 2026, 11, 30, 8, 59)) == []
    [outcome] = run(core, poster, at(NEW_YORK, 2026, 11, 30, 9, 0))
    assert outcome.status == "delivered" and outcome.local_date == "2026-11-30"
    reply = poster.posts[0][1]
    assert isinstance(reply, BriefingReply)
    assert reply.briefing.title.startswith("Weekly digest · Mon 30 Nov 2026")
    titles = {s.title for b in reply.briefing.bullets for s in b.sources}
    assert titles == {HARBOUR.title, CHESS.title}  # the 18th's is more than a week old
    # The rest of the week posts nothing; the next Monday does.
    for day in range(1, 7):
        assert run(core, poster, at(NEW_YORK, 2026, 12, day, 9, 0)) == []
    assert [o.status for o in run(core, poster, at(NEW_YORK, 2026, 12, 7, 9, 0))] == ["delivered"]


def test_subscribe_reply_and_list_show_the_cadence(core: Core, clock) -> None:
    clock._now = at(PARIS, 2026, 11, 25, 12, 0)  # Wednesday
    reply = answer(core, "digest subscribe mon,wed,fri 07:00 Europe/Paris", HERE)
    assert isinstance(reply, NoticeReply)
    assert "Mon, Wed, Fri at 07:00 Europe/Paris" in reply.text
    assert "First one: Fri 27 Nov 07:00 CET" in reply.text
    assert isinstance(answer(core, "digest subscribe weekly 09:00", HERE), ErrorReply)


def test_old_daily_subscriptions_become_daily_cadences(tmp_path) -> None:
    """A store made before cadences: its subscriptions run daily at their time, as before."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    made = Store(url)
    from bot.store import MIGRATIONS, _migration_cadences, subscriptions

    with made.transaction() as conn:
        conn.execute(
            subscriptions.insert().values(
                platform="slack",
                workspace="T",
                channel="C",
                hour=7,
                minute=5,
                timezone="UTC",
                bullets=5,
                quiet=0,
                created_by="U",
                created_at="2026-01-01T00:00:00+00:00",
                window_start="2026-01-01T00:00:00+00:00",
                active=1,
            )
        )
        # As the store was before `_migration_cadences`: no cadence, one schema version back.
        conn.exec_driver_sql("UPDATE subscriptions SET cadence = NULL")
        made._set_meta(conn, "schema_version", str(MIGRATIONS.index(_migration_cadences)))
    made.close()
    again = Store(url)
    [sub] = Ledger(again).subscriptions()
    assert sub.cadence == "daily 07:05"
    assert parse_cadence_text(sub.cadence) == Cadence(ALL_DAYS, (time(7, 5),))
    again.close()
