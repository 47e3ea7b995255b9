"""When a digest runs: daily, on weekdays, weekly, on chosen days, once or several times a day.

A cadence is a set of weekdays and a list of local times (`Cadence`).  It is written the way
people say it (`weekdays 08:30`, `weekly mon 09:00`, `mon,wed,fri 07:00`, `08:00,17:30`) and
stored in that canonical text (`Cadence.text`), so the database holds what a user would read.

Local times become UTC moments per local date with `zoneinfo` (DST rules as in bot.digests: a
time inside a spring-forward gap runs at the first valid moment after it, an ambiguous one at
its first occurrence).  Each run has a ledger key (`Run.key`): the local date when the cadence
has one time a day, so daily digests keep the keys they always had, else date and time
("2026-11-25T17:30").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from .errors import BadArgument

# ASCII digits only: other scripts' digits are read as ASCII first (bot.words.ascii_digits).
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$|^(\d{2})(\d{2})$", re.ASCII)
_TIME_12H = re.compile(r"^(\d{1,2}):(\d{2})\s*([ap])\.?m\.?$", re.IGNORECASE | re.ASCII)
TIME_EXAMPLE = "Use HH:MM in 24-hour time, e.g. `08:30` or `17:05` (or `8:30pm`)."
CADENCE_EXAMPLE = (
    "e.g. `08:30`, `weekdays 08:30`, `weekly mon 09:00`, `mon,wed,fri 07:00` or `08:00,17:30`"
)
MAX_TIMES_A_DAY = 24

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
ALL_DAYS = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
WEEKENDS = frozenset({5, 6})


@dataclass(frozen=True)
class Cadence:
    """Which local weekdays (0 = Monday … 6 = Sunday, as `date.weekday()`) and at which local
    times (sorted, distinct) a digest runs."""

    days: frozenset[int]
    times: tuple[time, ...]

    @property
    def first(self) -> time:
        """The earliest time of day (what the old hour/minute columns hold)."""
        return self.times[0]

    @property
    def kind(self) -> str:
        """daily | weekdays | weekends | weekly | days (a few chosen days)."""
        if self.days == ALL_DAYS:
            return "daily"
        if self.days == WEEKDAYS:
            return "weekdays"
        if self.days == WEEKENDS:
            return "weekends"
        return "weekly" if len(self.days) == 1 else "days"

    @property
    def text(self) -> str:
        """The canonical form, which `parse_cadence_text` reads back: "weekly mon 09:00"."""
        clock = ",".join(t.strftime("%H:%M") for t in self.times)
        kind = self.kind
        if kind in {"daily", "weekdays", "weekends"}:
            return f"{kind} {clock}"
        days = ",".join(DAY_NAMES[d] for d in sorted(self.days))
        return f"weekly {days} {clock}" if kind == "weekly" else f"{days} {clock}"

    def describe(self) -> str:
        """In words, for replies and `digest list`: "weekly on Mon at 09:00"."""
        clock = " and ".join(t.strftime("%H:%M") for t in self.times)
        kind = self.kind
        if kind == "daily":
            return f"daily at {clock}"
        if kind in {"weekdays", "weekends"}:
            return f"{kind} at {clock}"
        days = ", ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        return f"weekly on {days} at {clock}" if kind == "weekly" else f"{days} at {clock}"

    @property
    def label(self) -> str:
        """What a digest of this cadence is called: "Daily digest", "Weekly digest"…"""
        return (
            "Weekly digest"
            if self.kind == "weekly"
            else ("Digest" if len(self.times) > 1 or self.kind == "days" else "Daily digest")
        )

    @property
    def period(self) -> timedelta:
        """The longest gap between two consecutive runs (naive local time): what a first
        digest looks back over, so a weekly digest covers the week."""
        moments = [
            datetime.combine(date(2024, 1, 1) + timedelta(days=d), t)  # 2024-01-01 is a Monday
            for d in range(14)
            if d % 7 in self.days
            for t in self.times
        ]
        return max(b - a for a, b in pairwise(moments))

    def key(self, local_date: date, at_time: time) -> str:
        """The ledger key of one run (see module docstring)."""
        if len(self.times) == 1:
            return local_date.isoformat()
        return f"{local_date.isoformat()}T{at_time.strftime('%H:%M')}"


def daily(hour: int, minute: int) -> Cadence:
    """Once a day at a local time (the cadence of every subscription made before cadences)."""
    return Cadence(ALL_DAYS, (time(hour, minute),))


@dataclass(frozen=True)
class Run:
    """One scheduled run: its ledger key, local date and UTC moment."""

    key: str
    local_date: date
    at: datetime  # UTC


# -- parsing ----------------------------------------------------------------------------------


def parse_time(value: str) -> tuple[int, int]:
    """`08:30`, `8:30`, `0830`, `8:30pm` → (hour, minute); anything else is explained.

    Digits of any script are read (`٠٨:٣٠`, `０８：３０`), as everywhere (bot.words).
    Raises BadArgument.
    """
    from .words import ascii_digits

    value = ascii_digits(value)
    match = _TIME.match(value)
    if match:
        hour = int(match.group(1) or match.group(3))
        minute = int(match.group(2) or match.group(4))
    elif twelve := _TIME_12H.match(value):
        hour, minute = int(twelve.group(1)), int(twelve.group(2))
        if not 1 <= hour <= 12:
            raise BadArgument(f"{value!r} is not a time. {TIME_EXAMPLE}")
        hour = hour % 12 + (12 if twelve.group(3).lower() == "p" else 0)
    else:
        raise BadArgument(f"{value!r} is not a time I can read without guessing. {TIME_EXAMPLE}")
    if hour > 23 or minute > 59:
        raise BadArgument(f"{value!r} is not a time of day. {TIME_EXAMPLE}")
    return hour, minute


def _day(word: str) -> int | None:
    return _DAY_WORDS.get(word.casefold().strip("."))


def parse_days(word: str) -> frozenset[int] | None:
    """`mon`, `mon,wed,fri`, `mon-fri`, `Monday` → weekday numbers; None if `word` is not a
    day list at all; BadArgument if it looks like one with a wrong part."""
    parts = [p for p in word.split(",") if p]
    if not parts:
        return None
    days: set[int] = set()
    for i, part in enumerate(parts):
        first, dash, last = part.partition("-")
        start = _day(first)
        end = _day(last) if dash else start
        if start is None or end is None:
            if i == 0:
                return None  # not a day list: a time, a zone or a topic
            raise BadArgument(f"{part!r} is not a day of the week: use mon, tue, … sun.")
        span = (end - start) % 7
        days.update((start + k) % 7 for k in range(span + 1))
    return frozenset(days)


def parse_cadence(words: list[str]) -> tuple[Cadence, list[str]]:
    """Read a cadence from the start of `words`; return it and the words after it.

    Forms: `[daily] TIMES`, `weekdays TIMES`, `weekends TIMES`, `weekly DAY TIMES`,
    `DAYS TIMES`, where TIMES is one time or several joined by commas (`08:00,17:30`) and
    DAYS one day or several (`mon,wed,fri`, `mon-fri`).  Raises BadArgument, naming the form.
    """
    rest = list(words)
    days: frozenset[int] = ALL_DAYS
    head = rest[0].casefold() if rest else ""
    if head in {"daily", "everyday"}:
        rest = rest[1:]
    elif head == "weekdays":
        days, rest = WEEKDAYS, rest[1:]
    elif head == "weekends":
        days, rest = WEEKENDS, rest[1:]
    elif head == "weekly":
        chosen = parse_days(rest[1]) if len(rest) > 1 else None
        if chosen is None or len(chosen) != 1:
            raise BadArgument(f"Say which day: `weekly mon 09:00` ({CADENCE_EXAMPLE}).")
        days, rest = chosen, rest[2:]
    elif rest and (chosen := parse_days(rest[0])) is not None:
        days, rest = chosen, rest[1:]
    if not rest:
        raise BadArgument(f"Say when: {CADENCE_EXAMPLE}.")
    # Times may be typed with a space after each comma (`08:00, 17:30`): one list all the same.
    spec, used = rest[0], 1
    while spec.endswith(",") and used < len(rest):
        spec, used = spec + rest[used], used + 1
    times = sorted({time(*parse_time(t)) for t in spec.split(",") if t})
    if not times:
        raise BadArgument(f"Say when: {CADENCE_EXAMPLE}.")
    if len(times) > MAX_TIMES_A_DAY:
        raise BadArgument(f"At most {MAX_TIMES_A_DAY} times a day.")
    return Cadence(days, tuple(times)), rest[used:]


def parse_cadence_text(text: str) -> Cadence:
    """A stored cadence (`Cadence.text`) back into a Cadence. Raises BadArgument."""
    cadence, rest = parse_cadence(text.split())
    if rest:
        raise BadArgument(f"{text!r} is not a cadence.")
    return cadence


# -- schedule arithmetic ----------------------------------------------------------------------


def moment(local_date: date, at_time: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of a local date and time (DST-safe, see module docstring)."""
    local = datetime.combine(local_date, at_time, zone)
    # A time inside a spring-forward gap does not exist; the round trip through UTC moves it
    # to the first valid moment after the gap.  Ambiguous times take the first occurrence.
    return local.astimezone(UTC)


def runs_on(cadence: Cadence, zone: ZoneInfo, first: date, last: date) -> list[Run]:
    """Every run on local dates `first`…`last` (inclusive), in time order."""
    out = []
    day = first
    while day <= last:
        if day.weekday() in cadence.days:
            out.extend(Run(cadence.key(day, t), day, moment(day, t, zone)) for t in cadence.times)
        day += timedelta(days=1)
    return sorted(out, key=lambda r: (r.at, r.key))


def next_run(cadence: Cadence, zone: ZoneInfo, now: datetime) -> datetime:
    """The next run strictly after `now` (UTC)."""
    today = now.astimezone(zone).date()
    for run in runs_on(cadence, zone, today - timedelta(days=1), today + timedelta(days=8)):
        if run.at > now:
            return run.at
    raise AssertionError("a cadence recurs within a week")  # pragma: no cover
