"""Read the dates that feeds, pages and front matter give, and decide whether to believe them.

Sources write dates every way: `2023-04-06`, `April 6, 2023`, `6 April 2023`, RFC 822 with
named zones (`Thu, 06 Apr 2023 10:00:00 EDT`), numeric offsets (`+0530`), `GMT+2`, ISO 8601
with `Z`.  python-dateutil reads them; this module adds what it leaves to the caller:

- Named zones.  dateutil knows only UTC/GMT by name and returns a naive time for `EDT`, so the
  RFC 822 zones (RFC 822 §5.1: UT, GMT, EST/EDT, CST/CDT, MST/MDT, PST/PDT) and the
  abbreviations news sites commonly print are mapped to their offsets.  An unknown name is
  read as UTC (at most a few hours off).  `IST` is India Standard Time (+05:30), the most
  common use in English-language feeds.
- `GMT+2` means two hours ahead of GMT, as people write it (dateutil follows the inverted
  POSIX TZ rule and would read it as UTC-2).
- Day/month order.  A numeric date whose first two numbers could both be a month
  (`06/04/2023`: 6 April in most of the world, June 4 in the US) is ambiguous and not used;
  one that cannot be a month-first date (`13/04/2023`) is read day first.  Dotted dates
  (`6.4.2023`) are day first, the only way they are written (DIN 5008 and its neighbours).
- A date needs its year, month and day; a missing time of day is midnight UTC.

A readable date is still not trusted when it lies more than a day in the future or before
1990 (`trusted_published`): such a date would pin an item to the top of every time window.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# Dates after now + FUTURE_SLACK, or before EARLIEST, are not believed.  The slack covers time
# zones and clocks a little ahead; 1990 is before any news site or feed existed.
FUTURE_SLACK = timedelta(days=1)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Longer strings are not dates (and the parser need not read a page of text).
MAX_DATE_CHARS = 100


def _hours(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


_ZONES: dict[str, timezone] = {
    # RFC 822 §5.1
    "UT": UTC, "UTC": UTC, "GMT": UTC, "Z": UTC,
    "EST": _hours(-5), "EDT": _hours(-4), "CST": _hours(-6), "CDT": _hours(-5),
    "MST": _hours(-7), "MDT": _hours(-6), "PST": _hours(-8), "PDT": _hours(-7),
    # Others news sites print.
    "AKST": _hours(-9), "AKDT": _hours(-8), "HST": _hours(-10),
    "AST": _hours(-4), "ADT": _hours(-3), "NST": _hours(-3.5), "NDT": _hours(-2.5),
    "WET": UTC, "WEST": _hours(1), "BST": _hours(1), "IST": _hours(5.5),
    "CET": _hours(1), "CEST": _hours(2), "MET": _hours(1), "MEST": _hours(2),
    "EET": _hours(2), "EEST": _hours(3), "MSK": _hours(3),
    "WAT": _hours(1), "CAT": _hours(2), "SAST": _hours(2), "EAT": _hours(3),
    "PKT": _hours(5), "ICT": _hours(7), "WIB": _hours(7), "HKT": _hours(8),
    "SGT": _hours(8), "AWST": _hours(8), "JST": _hours(9), "KST": _hours(9),
    "ACST": _hours(9.5), "AEST": _hours(10), "AEDT": _hours(11),
    "NZST": _hours(12), "NZDT": _hours(13),
}  # fmt: skip

_OFFSET_NAME = re.compile(r"\b(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_NUMERIC = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})\b")
_LABEL = re.compile(r"^\s*(?:published|updated|posted|date|modified)\s*(?:on|at)?\s*:?\s*", re.I)
# Two defaults that differ in every date field: a field the text left out differs between them.
_PROBES = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def parse_date(text: str | None) -> datetime | None:
    """Read a date or date-time as an aware UTC datetime; None if unreadable or ambiguous.

    Never raises.  See the module docstring for zones, day/month order and what is missing.
    """
    if not text:
        return None
    value = _LABEL.sub("", text.strip())
    if not value or len(value) > MAX_DATE_CHARS:
        return None
    value = _OFFSET_NAME.sub(_offset, value)
    quick = _rfc822(value)
    if quick is not None:
        return quick
    dayfirst = False
    numeric = _NUMERIC.match(value)
    if numeric:
        first, sep, second = int(numeric.group(1)), numeric.group(2), int(numeric.group(3))
        if sep == ".":
            dayfirst = True
        elif first <= 12 and second <= 12 and first != second:
            return None  # 06/04/2023: April or June?
        else:
            dayfirst = first > 12
    from dateutil import parser

    try:
        with warnings.catch_warnings():
            # An unknown zone name: read as UTC below.
            warnings.simplefilter("ignore", parser.UnknownTimezoneWarning)
            readings = [
                parser.parse(value, default=d, dayfirst=dayfirst, tzinfos=_ZONES) for d in _PROBES
            ]
        a, b = readings
        if (a.year, a.month, a.day) != (b.year, b.month, b.day):
            return None  # no year, month or day in the text: "April 6", "2023", "10:00"
        return _utc(a)  # raises for an offset of a day or more ("-2400")
    except (ValueError, OverflowError, TypeError):
        return None


# The RSS pubDate form (RFC 822/2822) with a numeric offset, as feeds and `email.utils`
# write it: "Sat, 31 Jan 2026 07:30:00 +0000".  Read by the standard library's
# `email.utils.parsedate_to_datetime` (dateutil takes ~0.7 ms, twice); the same moment.
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
    r"Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? [+-]\d{4}"
)


def _rfc822(value: str) -> datetime | None:
    """`value` read as an RFC 822 date with a numeric offset, as dateutil reads it (the
    weekday, as there, not checked), or None when it is not one in that form or not a real
    moment (31 February, hour 24, an offset of a day or more: then dateutil decides)."""
    if _RFC822.fullmatch(value) is None:
        return None
    try:
        return _utc(parsedate_to_datetime(value))
    except (ValueError, OverflowError):
        return None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _offset(match: re.Match[str]) -> str:
    sign, hours, minutes = match.group(1), int(match.group(2)), match.group(3) or "00"
    return f"{sign}{hours:02d}:{minutes}"


def trusted_published(moment: datetime | None, now: datetime) -> datetime | None:
    """Return `moment` if it is believable as a publication time at `now`, else None.

    Not believable: more than FUTURE_SLACK (a day) after `now`, or before EARLIEST (1990).
    Naive datetimes are taken as UTC.
    """
    if moment is None:
        return None
    moment = _utc(moment)
    if moment < EARLIEST or moment > _utc(now) + FUTURE_SLACK:
        return None
    return moment
