"""Daily digests: the `digest` commands, the schedule arithmetic, and one scheduler pass.

Local times are computed with `zoneinfo`, per local date: a digest at 02:30 on the night the
clocks spring forward runs at 03:30 (the first valid moment), and on the night they fall back
it runs once, at the first 02:30.  Claims are the ledger's job (`bot.ledger`); a re-claimed
digest first asks its poster whether an earlier attempt's post landed (`DigestPoster.landed`),
so a crash between posting and settling does not post it twice (docs/architecture.md says
exactly which window remains).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from . import metrics
from .app import Core
from .errors import BadArgument, UserError
from .ledger import Ledger
from .models import Delivery, Subscription
from .scopes import Scope, scope_of

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(hours=24)  # a new subscription's first digest looks back a day
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
MAX_WAIT = timedelta(hours=1)  # the scheduler re-reads the ledger at least this often

# ASCII digits only: other scripts' digits are read as ASCII first (bot.words.ascii_digits).
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$|^(\d{2})(\d{2})$", re.ASCII)
_TIME_12H = re.compile(r"^(\d{1,2}):(\d{2})\s*([ap])\.?m\.?$", re.IGNORECASE | re.ASCII)
TIME_EXAMPLE = "Use HH:MM in 24-hour time, e.g. `08:30` or `17:05` (or `8:30pm`)."


@dataclass(frozen=True)
class Context:
    """Who asked, and where: digests belong to one workspace/server and channel."""

    platform: str = "cli"
    workspace: str = ""
    channel: str = ""
    user: str = ""
    can_manage: bool = True  # may change this channel's subscriptions and feeds
    # What changing them takes, named the platform's way (for the refusal).
    manage_permission: str = "permission to manage this channel"
    default_timezone: str = "UTC"

    @property
    def scope(self) -> Scope:
        """Whose articles this command may read (bot.scopes): its workspace's and the shared
        library; the command line (platform "cli") reads every article."""
        return scope_of(self.platform, self.workspace)


CLI = Context()


@dataclass(frozen=True)
class DigestRequest:
    """`digest subscribe|list|unsubscribe|now …`."""

    action: str  # subscribe | list | unsubscribe | now
    hour: int = 0
    minute: int = 0
    timezone: str | None = None
    topic: str | None = None
    bullets: int | None = None
    quiet: bool = False
    target: str | None = None  # an id, or "all"


# -- parsing ----------------------------------------------------------------------------------


def parse_time(value: str) -> tuple[int, int]:
    """`08:30`, `8:30`, `0830`, `8:30pm` → (hour, minute); anything else is explained.

    Digits of any script are read (`٠٨:٣٠`, `０８：３０`), as everywhere (bot.words).
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


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def parse_timezone(value: str) -> str:
    """An IANA zone name (any case), `UTC` or `GMT`; unknown ones get close suggestions."""
    zones = _zones()
    name = zones.get(value.casefold())
    if name is not None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - tzdata gap
            pass
        else:
            return name
    folded = value.casefold()
    if folded == "z":
        return "UTC"
    close = difflib.get_close_matches(folded, list(zones), n=3, cutoff=0.6)
    cities = {k.rsplit("/", 1)[-1]: k for k in zones if "/" in k}
    close += [
        cities[c]
        for c in difflib.get_close_matches(
            folded.rsplit("/", 1)[-1], list(cities), n=2, cutoff=0.75
        )
    ]
    # "Paris" → Europe/Paris: match the city part too.
    close += [z for z in zones if z.rsplit("/", 1)[-1] == folded.rsplit("/", 1)[-1]]
    suggestions = list(dict.fromkeys(zones[c] for c in close))[:3]
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise BadArgument(
        f"Unknown time zone {value!r}.{hint} Use a name like Europe/Paris or America/New_York."
    )


def _zone_for_city(word: str) -> str | None:
    """The one zone whose city is `word` (Paris → Europe/Paris), if exactly one is."""
    folded = word.casefold().replace(" ", "_")
    matches = [z for k, z in _zones().items() if "/" in k and k.rsplit("/", 1)[-1] == folded]
    return matches[0] if len(matches) == 1 else None


def _looks_like_zone(word: str) -> bool:
    # Legacy one-word zone names ("Iran", "Japan", "Cuba") read as topics; UTC and GMT do not.
    return "/" in word or word.casefold() in {"utc", "gmt", "z"}


def parse_digest(args: list[str]) -> DigestRequest:
    """Parse the words after `digest`."""
    if not args or args[0].lower() in {"help", "?"}:
        raise _Help()
    action, rest = args[0].lower(), args[1:]
    if action in {"subscribe", "sub", "add"}:
        if not rest:
            raise BadArgument(
                "Say when: `digest subscribe 08:30 Europe/Paris [topic] [bullets] [quiet]`."
            )
        hour, minute = parse_time(rest[0])
        rest = rest[1:]
        zone = None
        topic_words: list[str] = []
        bullets = None
        quiet = False
        # Named parts (`tz:…`, `topic:…`, `bullets:…`), as the Discord options send them, are
        # taken exactly as given: a topic such as "Iran" or "quiet" is then never misread.
        loose: list[str] = []
        for word in rest:
            key, _, value = word.partition(":")
            key = key.lower()
            if value and key in {"tz", "timezone", "zone"}:
                zone = parse_timezone(value)
            elif value and key == "topic":
                topic_words.append(value)
            elif value and key == "bullets":
                from .commands import parse_count

                bullets = parse_count(value, "bullets")
            else:
                loose.append(word)
        rest = loose
        if rest and rest[0].lower() in {"am", "pm"}:
            raise BadArgument(f"Write the time as one word, e.g. `8:30pm`. {TIME_EXAMPLE}")
        if zone is None and rest and _looks_like_zone(rest[0]):
            zone = parse_timezone(rest[0])
            rest = rest[1:]
        elif zone is None and rest and (city := _zone_for_city(rest[0])):
            zone = city  # "08:30 Paris" means Europe/Paris
            rest = rest[1:]
        quiet = any(w.lower() == "quiet" for w in rest)
        rest = [w for w in rest if w.lower() != "quiet"]
        if rest and rest[-1].isascii() and rest[-1].isdigit() and bullets is None:
            from .commands import parse_count

            bullets = parse_count(rest[-1], "bullets")
            rest = rest[:-1]
        topic = " ".join([*topic_words, *rest]).strip() or None
        return DigestRequest("subscribe", hour, minute, zone, topic, bullets, quiet)
    if action in {"list", "ls"}:
        return DigestRequest("list")
    if action in {"unsubscribe", "unsub", "remove", "rm", "delete"}:
        if len(rest) != 1 or not (
            (rest[0].isascii() and rest[0].isdigit()) or rest[0].lower() == "all"
        ):
            raise BadArgument("Say which: `digest unsubscribe 3` (see `digest list`) or `all`.")
        return DigestRequest("unsubscribe", target=rest[0].lower())
    if action == "now":
        if rest and not (rest[0].isascii() and rest[0].isdigit()):
            raise BadArgument("Use `digest now` or `digest now 3` (an id from `digest list`).")
        return DigestRequest("now", target=rest[0] if rest else None)
    raise BadArgument(
        f"Unknown digest command {action!r}: use subscribe, list, unsubscribe or now."
    )


class _Help(Exception):
    """Raised by the parser when the user asked for digest help."""


DIGEST_HELP = """\
Daily digests: every day at a local time, what was stored since the last one.

  digest subscribe HH:MM [time zone] [topic] [N] [quiet]
        e.g. `digest subscribe 08:30 Europe/Paris ukraine 5`; time zone default UTC;
        `quiet` posts nothing on days with nothing new.
  digest list                  this channel's digests: id, time, next run, last result
  digest unsubscribe <id|all>  stop one (or all) of this channel's digests
  digest now [id]              post a digest right now, to try it out
"""


# -- schedule arithmetic ----------------------------------------------------------------------


def scheduled_at(subscription: Subscription, local_date: date) -> datetime:
    """The UTC moment of a subscription's digest on a local date (DST-safe, see module)."""
    zone = ZoneInfo(subscription.timezone)
    local = datetime.combine(local_date, time(subscription.hour, subscription.minute), zone)
    # A time inside a spring-forward gap does not exist; the round trip through UTC moves it
    # to the first valid moment after the gap.  Ambiguous times take the first occurrence.
    return local.astimezone(UTC)


def local_date_of(subscription: Subscription, moment: datetime) -> date:
    """The calendar date at `moment` in the subscription's time zone."""
    return moment.astimezone(ZoneInfo(subscription.timezone)).date()


def next_run(subscription: Subscription, now: datetime) -> datetime:
    """The next scheduled moment strictly after `now`."""
    day = local_date_of(subscription, now) - timedelta(days=1)
    for _ in range(4):
        at = scheduled_at(subscription, day)
        if at > now:
            return at
        day += timedelta(days=1)
    raise AssertionError("a daily time recurs within two days")  # pragma: no cover


def due_dates(
    subscription: Subscription, now: datetime, grace: timedelta
) -> list[tuple[date, datetime]]:
    """Local dates whose digest time has passed, back as far as the grace period reaches
    (plus one day, which is then recorded as missed)."""
    today = local_date_of(subscription, now)
    out = []
    for back in range(grace.days + 1, -1, -1):
        day = today - timedelta(days=back)
        at = scheduled_at(subscription, day)
        if subscription.created_at < at <= now:
            out.append((day, at))
    return out


def retry_at(attempts: int, now: datetime) -> datetime:
    """When a failed post is tried again, backing off with each attempt."""
    return now + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


# -- one pass ---------------------------------------------------------------------------------


# How far the platform's clock may lag ours: a read-back looks this far before the digest's
# scheduled time, so a post stamped a little "early" by the platform is still found.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class DigestMark:
    """What marks one digest's posts on its platform, so a retry can find an earlier attempt.

    `delivery_id`, `subscription_id` and `local_date` name the ledger row (`bot.ledger`);
    `since` (UTC) is a moment before any attempt of it can have been posted: a read-back of
    the channel looks only at messages after it.
    """

    delivery_id: int
    subscription_id: int
    local_date: str  # YYYY-MM-DD in the subscription's time zone
    since: datetime

    @property
    def key(self) -> str:
        """One string naming the delivery, e.g. "12:2026-11-25:40" (subscription:date:row)."""
        return f"{self.subscription_id}:{self.local_date}:{self.delivery_id}"


@dataclass(frozen=True)
class Landed:
    """An earlier attempt's post, found in the channel: its message id and when it landed."""

    message_id: str
    posted_at: datetime  # UTC, the platform's timestamp of the (first) message


class DigestPoster(Protocol):
    """What an adapter provides to post digests, and to find an earlier attempt's post."""

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        """Post `reply` to the subscription's channel carrying `mark`; return the message id."""
        ...

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        """The post of an earlier attempt with this mark, if the channel shows one.

        None if none is there, or if the channel cannot be read (the adapter then logs one
        warning and the digest is posted again, as before read-backs existed).  Raises on a
        passing failure (network, rate limit), so the attempt is retried later.
        """
        ...


@dataclass(frozen=True)
class Outcome:
    """What one pass did for one subscription and date."""

    subscription_id: int
    local_date: str
    status: str  # delivered | quiet | failed | missed | skipped
    detail: str = ""


async def run_due(
    core: Core,
    posters: Mapping[str, DigestPoster],
    *,
    now: datetime | None = None,
    grace: timedelta | None = None,
) -> list[Outcome]:
    """Post every digest that is due at `now` and not yet claimed; return what happened.

    `grace` (default: the BRIEFBOT_DIGEST_GRACE_HOURS setting) is how late a digest may
    still be posted after downtime.
    """
    now = now or core.clock.now()
    grace = grace if grace is not None else timedelta(hours=core.settings.digest_grace_hours)
    ledger = Ledger(core.store)
    due = [
        (subscription, day, at)
        for subscription in await asyncio.to_thread(ledger.subscriptions)
        for day, at in due_dates(subscription, now, grace)
    ]
    recorded = await asyncio.to_thread(ledger.on_dates, {day.isoformat() for _, day, _ in due})
    outcomes: list[Outcome] = []
    for subscription, day, at in due:
        existing = recorded.get((subscription.id, day.isoformat()))
        if existing is not None and existing.status in {"delivered", "missed"}:
            continue
        outcome = await _run_one(core, ledger, posters, subscription, day, at, now, grace)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


async def _run_one(
    core: Core,
    ledger: Ledger,
    posters: Mapping[str, DigestPoster],
    subscription: Subscription,
    day: date,
    at: datetime,
    now: datetime,
    grace: timedelta,
) -> Outcome | None:
    key = day.isoformat()
    if now - at > grace:
        await asyncio.to_thread(ledger.missed, subscription, key, at, now)
        return Outcome(subscription.id, key, "missed", f"due {at.isoformat()}")
    poster = posters.get(subscription.platform)
    if poster is None:
        return Outcome(subscription.id, key, "skipped", f"no {subscription.platform} settings")
    claim = await asyncio.to_thread(ledger.claim, subscription, key, at, now, core.clock.now())
    if claim is None:
        return None  # someone else holds it, or it is waiting for its retry time
    # No attempt can have posted before the digest was due (less the platforms' clock skew).
    mark = DigestMark(claim.id, subscription.id, key, at - CLOCK_SKEW)
    try:
        if claim.attempts > 1:
            # Claimed before: an earlier attempt may have posted and died (or timed out) before
            # settling.  If its post is in the channel, record it instead of posting again.
            found = await poster.landed(subscription, mark)
            if found is not None:
                window_end = min(max(found.posted_at, subscription.window_start), now)
                if await asyncio.to_thread(
                    ledger.delivered, claim, found.message_id, window_end, now
                ):
                    log.info(
                        "Digest %s for %s was already in the channel (message %s); not reposted",
                        subscription.id,
                        key,
                        found.message_id,
                    )
                return Outcome(subscription.id, key, "delivered", found.message_id)
        reply = await asyncio.to_thread(compose_digest, core, subscription, day, now)
        if reply is None:
            await asyncio.to_thread(ledger.delivered, claim, "", now, now)
            return Outcome(subscription.id, key, "quiet", "nothing new")
        message_id = await poster.post(subscription, reply, mark)
    except Exception as exc:  # any failure is recorded and retried, never lost
        detail = str(exc) or type(exc).__name__
        retry = retry_at(claim.attempts, now)
        final = retry - at > grace
        await asyncio.to_thread(ledger.failed, claim, detail, None if final else retry)
        log.error(
            "Digest %s for %s failed (attempt %s): %s", subscription.id, key, claim.attempts, detail
        )
        return Outcome(subscription.id, key, "failed", detail)
    if not await asyncio.to_thread(ledger.delivered, claim, message_id, now, now):
        log.error(
            "Digest %s for %s was posted after its claim expired; another pass took it over",
            subscription.id,
            key,
        )
    await asyncio.to_thread(_remember, core, subscription, reply)
    return Outcome(subscription.id, key, "delivered", message_id)


def _remember(core: Core, subscription: Subscription, reply: object) -> None:
    """A posted digest with bullets becomes its channel's last briefing (`brief why N`)."""
    from .why import remember

    briefing = getattr(reply, "briefing", None)
    if briefing is not None:
        remember(
            core.store,
            subscription.platform,
            subscription.workspace,
            subscription.channel,
            briefing,
        )


def compose_digest(
    core: Core, subscription: Subscription, day: date, now: datetime
) -> object | None:
    """The digest reply for a subscription: new articles since its window, or a short line."""
    from .briefing import compose_briefing
    from .commands import BriefingReply, NoticeReply

    title = f"Daily digest · {day.strftime('%a %d %b %Y')}"
    if subscription.topic:
        title += f" · {subscription.topic}"
    briefing = compose_briefing(
        core.store,
        core.summarizer(),
        core.clock,
        scope=scope_of(subscription.platform, subscription.workspace),
        topic=subscription.topic,
        bullets=subscription.bullets,
        title=title,
        stored_after=subscription.window_start,
        stored_until=now,
    )
    from .feeds import failing, health_line

    health = health_line(failing(core, subscription.platform, subscription.workspace))
    if briefing.bullets:
        if health:
            briefing = dataclasses.replace(briefing, notes=(health,))
        return BriefingReply(briefing)
    if subscription.quiet and not health:
        return None
    about = f" about {subscription.topic}" if subscription.topic else ""
    text = f"{title}: nothing new{about} since the last digest."
    return NoticeReply(f"{text}\n{health}" if health else text)


# -- the commands -----------------------------------------------------------------------------


def handle_digest(core: Core, request: DigestRequest, context: Context) -> object:
    """Answer a `digest …` request for the channel in `context`."""
    from .commands import NoticeReply

    if context.platform == "cli" or not context.channel:
        raise UserError(
            "Digests belong to a chat channel: use `/digest` in Slack or Discord. "
            "Operators run due digests with `briefbot digest run-due`."
        )
    ledger = Ledger(core.store)
    mine = ledger.subscriptions(context.platform, context.workspace, context.channel)
    now = core.clock.now()
    if request.action == "list":
        return NoticeReply(list_text(ledger, mine, now), public=False)
    if request.action in {"subscribe", "unsubscribe"} and not context.can_manage:
        raise UserError(
            f"Changing this channel's digests needs the {context.manage_permission}. "
            "Ask someone who has it, or use `/digest list` to see them."
        )
    if request.action == "subscribe":
        zone = request.timezone or context.default_timezone
        subscription = ledger.subscribe(
            platform=context.platform,
            workspace=context.workspace,
            channel=context.channel,
            hour=request.hour,
            minute=request.minute,
            timezone=zone,
            topic=request.topic,
            bullets=request.bullets or core.settings.bullets,
            quiet=request.quiet,
            created_by=context.user,
            created_at=now,
            window_start=now - FIRST_WINDOW,
        )
        upcoming = next_run(subscription, now).astimezone(ZoneInfo(zone))
        about = f" about “{request.topic}”" if request.topic else ""
        lines = [
            f"subscribed this channel to a daily digest{about} at "
            f"{request.hour:02d}:{request.minute:02d} {zone} (#{subscription.id}, "
            f"{subscription.bullets} bullets{', quiet' if request.quiet else ''}). "
            f"First one: {upcoming.strftime('%a %d %b %H:%M %Z')}."
        ]
        if request.timezone is None:
            lines.append(
                f"Time zone: {zone} (the default). To change it, unsubscribe and add one, "
                "e.g. `/digest subscribe 08:30 Europe/Paris`."
            )
        if request.topic and not core.store.search(request.topic, limit=1, scope=context.scope):
            lines.append(
                f"No stored article mentions “{request.topic}” yet; the digest will say so "
                "until some arrive."
            )
        return _done(context, "\n".join(lines))
    if request.action == "unsubscribe":
        if request.target == "all":
            ids = [s.id for s in mine]
            if not ids:
                raise UserError("This channel has no digests.")
        else:
            wanted = int(request.target or 0)
            if all(s.id != wanted for s in mine):
                raise UserError(
                    f"This channel has no digest #{wanted}. `/digest list` shows its digests."
                )
            ids = [wanted]
        removed = ledger.unsubscribe(ids)
        names = ", ".join(f"#{i}" for i in ids)
        noun = "digest" if removed == 1 else "digests"
        return _done(context, f"removed {removed} {noun} from this channel ({names}).")
    # now
    if not mine:
        raise UserError(
            "This channel has no digest yet. Try `/digest subscribe 08:30 Europe/Paris`."
        )
    if request.target is not None:
        chosen = [s for s in mine if s.id == int(request.target)]
        if not chosen:
            raise UserError(
                f"This channel has no digest #{request.target}. `/digest list` shows its digests."
            )
        subscription = chosen[0]
    else:
        subscription = mine[0]
    reply = compose_digest(core, subscription, local_date_of(subscription, now), now)
    if reply is None:  # quiet and nothing new: say so to the asker at least
        return NoticeReply(
            "Nothing new since the last digest (it is quiet, so it would post nothing).",
            public=False,
        )
    _remember(core, subscription, reply)
    return reply


def _done(context: Context, what: str) -> object:
    """A public notice that `context.user` did `what` (the adapter mentions them)."""
    from .commands import NoticeReply

    # The doer is a reply field, never markup inside the text: renderers escape all text.
    return NoticeReply(what, by=context.user) if context.user else NoticeReply(f"Someone {what}")


def list_text(ledger: Ledger, mine: list[Subscription], now: datetime) -> str:
    """This channel's digests, one line each, with their next run and last result."""
    if not mine:
        return "This channel has no digests. Add one: `/digest subscribe 08:30 Europe/Paris`."
    lines = []
    for s in mine:
        zone = ZoneInfo(s.timezone)
        upcoming = next_run(s, now).astimezone(zone).strftime("%a %d %b %H:%M %Z")
        about = s.topic or "everything"
        last = ledger.latest(s.id)
        lines.append(
            f"#{s.id} · {s.hour:02d}:{s.minute:02d} {s.timezone} · {about} · {s.bullets} bullets"
            f"{' · quiet' if s.quiet else ''} · next {upcoming} · last: {describe(last, zone)}"
        )
    return "\n".join(lines)


def describe(delivery: Delivery | None, zone: ZoneInfo) -> str:
    """A ledger row in a few words."""
    if delivery is None:
        return "none yet"
    day = date.fromisoformat(delivery.local_date).strftime("%d %b")
    if delivery.status == "delivered":
        return f"posted {day}" if delivery.message_id else f"nothing new {day} (quiet)"
    if delivery.status == "missed":
        return f"missed {day} (briefbot was not running)"
    if delivery.status == "failed":
        retry = (
            f", retrying {delivery.next_attempt_at.astimezone(zone).strftime('%H:%M')}"
            if delivery.next_attempt_at
            else ", gave up"
        )
        return f"failed {day}: {delivery.error}{retry}"
    return f"posting {day}…"


# -- the scheduler ----------------------------------------------------------------------------


class Scheduler:
    """Runs `run_due` whenever the next digest (or retry) is due, sleeping in between.

    It never polls: it computes when the next subscription or retry is due and waits until
    then, or until `poke()` says the subscriptions changed.  It re-reads the ledger at least
    hourly, so subscriptions added by another process are picked up too.
    """

    def __init__(
        self, core: Core, posters: dict[str, DigestPoster], grace: timedelta | None = None
    ) -> None:
        self.core = core
        self.posters = posters
        self.grace = grace
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.idle = asyncio.Event()  # set after each pass: lets callers wait on work, not time

    def poke(self) -> None:
        """Wake the scheduler now (safe from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def seconds_to_next(self, now: datetime) -> float:
        """Seconds until something is due, at most MAX_WAIT."""
        ledger = Ledger(self.core.store)
        soonest = now + MAX_WAIT
        for subscription in ledger.subscriptions():
            soonest = min(soonest, next_run(subscription, now))
        for delivery in ledger.pending(now):
            if delivery.next_attempt_at is not None:
                soonest = min(soonest, max(delivery.next_attempt_at, now))
        return max((soonest - now).total_seconds(), 0.0)

    async def run(self) -> None:
        """Loop until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            try:
                outcomes = await run_due(self.core, self.posters, grace=self.grace)
                metrics.QUEUE_DEPTH.labels("digests").set(len(outcomes))
                for outcome in outcomes:
                    metrics.POSTS.labels(outcome.status).inc()
                    log.info(
                        "Digest #%s %s: %s %s",
                        outcome.subscription_id,
                        outcome.local_date,
                        outcome.status,
                        outcome.detail,
                    )
            except Exception:
                log.exception("The digest pass failed; trying again later")
            self.idle.set()
            delay = await asyncio.to_thread(self.seconds_to_next, self.core.clock.now())
            # A second's margin: wake just after the minute, not a hair before it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay + 1)
