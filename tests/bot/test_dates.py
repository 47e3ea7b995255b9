"""Dates in every common form, and which of them to believe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.dates import parse_date, trusted_published


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2023-04-06", datetime(2023, 4, 6, tzinfo=UTC)),
        ("April 6, 2023", datetime(2023, 4, 6, tzinfo=UTC)),
        ("6 April 2023", datetime(2023, 4, 6, tzinfo=UTC)),
        ("Apr 6th, 2023", datetime(2023, 4, 6, tzinfo=UTC)),
        ("2023-04-06T10:00:00Z", datetime(2023, 4, 6, 10, tzinfo=UTC)),
        ("2023-04-06T10:00:00.5+02:00", datetime(2023, 4, 6, 8, 0, 0, 500000, tzinfo=UTC)),
        # RFC 822 with named zones, offsets and the forms people write.
        ("Thu, 06 Apr 2023 10:00:00 GMT", datetime(2023, 4, 6, 10, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00:00 EDT", datetime(2023, 4, 6, 14, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00:00 PST", datetime(2023, 4, 6, 18, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00:00 +0530", datetime(2023, 4, 6, 4, 30, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00:00 -0400 (EDT)", datetime(2023, 4, 6, 14, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00:00 GMT+2", datetime(2023, 4, 6, 8, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00 UTC-03:30", datetime(2023, 4, 6, 13, 30, tzinfo=UTC)),
        ("Thursday, 06-Apr-23 10:00:00 GMT", datetime(2023, 4, 6, 10, tzinfo=UTC)),
        ("Published: April 6, 2023 10:32 BST", datetime(2023, 4, 6, 9, 32, tzinfo=UTC)),
        # An unknown zone name is read as UTC.
        ("6 Apr 2023 10:00 QQT", datetime(2023, 4, 6, 10, tzinfo=UTC)),
        # Day and month: only one reading possible, or dotted (always day first).
        ("13/04/2023", datetime(2023, 4, 13, tzinfo=UTC)),
        ("04/13/2023", datetime(2023, 4, 13, tzinfo=UTC)),
        ("06/06/2023", datetime(2023, 6, 6, tzinfo=UTC)),
        ("6.4.2023", datetime(2023, 4, 6, tzinfo=UTC)),
    ],
)
def test_common_date_forms_are_read(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "06/04/2023",  # 6 April or June 4: ambiguous, not guessed
        "April 6",  # no year
        "2023",
        "Apr 2023",  # no day
        "yesterday",
        "2023-02-30",
        "",
        None,
        "x" * 500,
    ],
)
def test_unreadable_or_ambiguous_dates_are_unknown(text: str | None) -> None:
    assert parse_date(text) is None


NOW = datetime(2024, 5, 1, 9, tzinfo=UTC)


def test_dates_from_1990_to_a_day_ahead_are_believed() -> None:
    for moment in (NOW, NOW + timedelta(hours=23), datetime(1990, 1, 1, tzinfo=UTC)):
        assert trusted_published(moment, NOW) == moment


def test_far_future_and_ancient_dates_are_not_believed() -> None:
    assert trusted_published(NOW + timedelta(days=2), NOW) is None
    assert trusted_published(datetime(2099, 1, 1, tzinfo=UTC), NOW) is None
    assert trusted_published(datetime(1970, 1, 1, tzinfo=UTC), NOW) is None
    assert trusted_published(None, NOW) is None


def test_naive_times_are_utc() -> None:
    assert trusted_published(datetime(2024, 4, 1), NOW) == datetime(2024, 4, 1, tzinfo=UTC)


def _page(head: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    )


_STORY = (
    "<article><h1>Old telescope retired</h1>"
    "<p>The observatory on Mount Keller switched off its oldest telescope on Monday, staff "
    "said, after a final night of observations watched by former engineers and their families.</p>"
    "<p>The telescope was built in 1978 and upgraded in 2004, and it found more than forty "
    "comets during its working life, according to the observatory's own records.</p></article>"
)


def test_a_year_mentioned_in_a_story_is_not_its_date() -> None:
    from bot.ingest import draft_from_html

    # No date in the page's metadata: the years the story talks about are not when it was
    # published (first-seen time orders it), or a fresh story falls out of every window.
    draft = draft_from_html(_page("<title>Old telescope retired</title>", _STORY), None, "x")
    assert draft.published_at is None


@pytest.mark.parametrize(
    "head, body",
    [
        ('<meta property="article:published_time" content="2025-06-03T08:00:00Z">', ""),
        ("", '<time datetime="2025-06-03T08:00:00Z">3 June 2025</time>'),
    ],
)
def test_a_page_date_from_metadata_or_time_element_is_read(head: str, body: str) -> None:
    from bot.ingest import draft_from_html

    draft = draft_from_html(
        _page(f"<title>Old telescope retired</title>{head}", body + _STORY), None, "x"
    )
    assert draft.published_at is not None
    assert draft.published_at.date() == datetime(2025, 6, 3).date()


def test_rss_dates_read_directly_agree_with_dateutil() -> None:
    # RFC 822 dates with numeric offsets are read without dateutil (the feed-ingest hot path);
    # they must come out exactly as dateutil reads them.
    import random
    from email.utils import format_datetime

    from dateutil import parser

    from bot.dates import _rfc822

    chooser = random.Random(14)
    for _ in range(500):
        moment = datetime(1980, 1, 1) + timedelta(seconds=chooser.randrange(2_000_000_000))
        offset = timedelta(minutes=chooser.choice([0, 60, -300, 330, 345, -570, 840, -1]))
        written = format_datetime(moment.replace(tzinfo=timezone(offset)))
        for text in (written, written[5:], written[:-9] + written[-6:]):
            expected = parser.parse(text).astimezone(UTC)
            assert _rfc822(text) == expected, text  # read directly, not by the fallback
            assert parse_date(text) == expected, text
            assert parse_date(text).tzinfo is UTC
    # Not a date as written, or not in this form: dateutil's answer, as before.
    assert parse_date("Mon, 31 Feb 2026 10:00:00 +0000") is None
    # An offset of a day or more is no moment: no date, never an error (the review found
    # dateutil's reading of it raising out of parse_date).
    for offset in ("-2400", "+2400", "-9999"):
        assert parse_date(f"Sat, 31 Jan 2026 07:30:00 {offset}") is None
    assert parse_date("Sat, 31 Jan 2026 07:30:00 EST") == datetime(2026, 1, 31, 12, 30, tzinfo=UTC)
