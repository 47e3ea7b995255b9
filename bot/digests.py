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
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from . import metrics
from .app import Core
from .cadence import (
    TIME_EXAMPLE,
    Cadence,
    Run,
    daily,
    parse_cadence,
    parse_cadence_text,
)
from .cadence import moment as _moment
from .cadence import next_run as _next_run
from .cadence import (
    parse_time as parse_time,  # re-exported: the time form belongs with cadences
)
from .cadence import runs_on as _runs_on
from .context import CLI as CLI  # re-exported: where digests were asked for
from .context import Context as Context
from .errors import BadArgument, UserError
from .ledger import Ledger
from .models import Delivery, Subscription

log = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(hours=24)  # a new subscription's first digest looks back a day
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
MAX_WAIT = timedelta(hours=1)  # the scheduler re-reads the ledger at least this often


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
    cadence: str | None = None  # Cadence.text unless once a day every day (then hour:minute)


# -- parsing ----------------------------------------------------------------------------------


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
                "Say when: `digest subscribe [weekdays|weekly mon|mon,wed,fri] 08:30[,17:30] "
                "Europe/Paris [topic] [bullets] [quiet]`."
            )
        # Discord's `time` option arrives as one quoted word: "weekdays 08:30" is two.
        rest = [*rest[0].split(), *rest[1:]]
        cadence, rest = parse_cadence(rest)
        hour, minute = cadence.first.hour, cadence.first.minute
        stored = None if cadence == daily(hour, minute) else cadence.text
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
        return DigestRequest("subscribe", hour, minute, zone, topic, bullets, quiet, cadence=stored)
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
Digests: at local times, what was stored since the last one.

  digest subscribe [WHEN] HH:MM[,HH:MM] [time zone] [topic] [N] [quiet]
        e.g. `digest subscribe 08:30 Europe/Paris ukraine 5`; time zone default UTC;
        WHEN: `weekdays`, `weekly mon`, `mon,wed,fri` (default: every day);
        several times a day: `digest subscribe 08:00,17:30 UTC`;
        topic: words, "quoted phrases", OR, -exclusions, from:outlet, -from:outlet;
        `quiet` posts nothing when there is nothing new.
  digest list                  this channel's digests: id, cadence, next run, last result
  digest unsubscribe <id|all>  stop one (or all) of this channel's digests
  digest now [id]              post a digest right now, to try it out
"""


# -- schedule arithmetic ----------------------------------------------------------------------


def cadence_of(subscription: Subscription) -> Cadence:
    """A subscription's cadence (one made before cadences existed runs daily at hour:minute)."""
    if subscription.cadence:
        return parse_cadence_text(subscription.cadence)
    return daily(subscription.hour, subscription.minute)


def scheduled_at(subscription: Subscription, local_date: date) -> datetime:
    """The UTC moment of a subscription's (first) time on a local date (DST-safe, see module)."""
    zone = ZoneInfo(subscription.timezone)
    return _moment(local_date, time(subscription.hour, subscription.minute), zone)


def local_date_of(subscription: Subscription, moment: datetime) -> date:
    """The calendar date at `moment` in the subscription's time zone."""
    return moment.astimezone(ZoneInfo(subscription.timezone)).date()


def next_run(subscription: Subscription, now: datetime) -> datetime:
    """The next scheduled moment strictly after `now`."""
    return _next_run(cadence_of(subscription), ZoneInfo(subscription.timezone), now)


def due_runs(subscription: Subscription, now: datetime, grace: timedelta) -> list[Run]:
    """Runs whose time has passed, on local dates back as far as the grace period reaches
    (plus one day, whose runs are then recorded as missed), made after the subscription."""
    today = local_date_of(subscription, now)
    runs = _runs_on(
        cadence_of(subscription),
        ZoneInfo(subscription.timezone),
        today - timedelta(days=grace.days + 1),
        today,
    )
    return [r for r in runs if subscription.created_at < r.at <= now]


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

    # A poster may also offer `describe(exc) -> str`: a failure of its platform in one line
    # (e.g. Slack's error code), which `failure_detail` records instead of the exception's text.


def failure_detail(poster: object, exc: Exception) -> str:
    """What a failed post or read-back records and shows (the ledger's `error`, logs, `digest
    run-due`): one line, the poster's own `describe(exc)` when it has one (the platform's
    error code, never a URL or a token), else the first line of the exception's message,
    else its type's name."""
    describe = getattr(poster, "describe", None)
    text = describe(exc) if describe is not None else str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first or type(exc).__name__


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
    spread: bool = False,
) -> list[Outcome]:
    """Post every digest that is due at `now` and not yet claimed; return what happened.

    `grace` (default: the BRIEFBOT_DIGEST_GRACE_HOURS setting) is how late a digest may
    still be posted after downtime.  `spread` (the running scheduler's passes, which several
    workers may make at once) starts the pass at a random subscription; otherwise the pass
    goes in subscription order.
    """
    now = now or core.clock.now()
    grace = grace if grace is not None else timedelta(hours=core.settings.digest_grace_hours)
    ledger = Ledger(core.store)
    subscriptions = await asyncio.to_thread(ledger.subscriptions)
    if spread and len(subscriptions) > 1:
        # Start at a random subscription: several workers passing over the same due digests
        # then claim different ones from the start, instead of each trying every claim the
        # one ahead of it just won (each failed claim is a refused INSERT on the database).
        # Each subscription's own runs stay oldest first (each moves its window on).
        start = random.randrange(len(subscriptions))
        subscriptions = subscriptions[start:] + subscriptions[:start]
    due = [
        (subscription, run)
        for subscription in subscriptions
        for run in due_runs(subscription, now, grace)
    ]
    recorded = await asyncio.to_thread(ledger.on_dates, {run.key for _, run in due})
    outcomes: list[Outcome] = []
    for subscription, run in due:
        existing = recorded.get((subscription.id, run.key))
        if existing is not None and existing.status in {"delivered", "missed"}:
            continue
        outcome = await _run_one(core, ledger, posters, subscription, run, now, grace)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


async def _run_one(
    core: Core,
    ledger: Ledger,
    posters: Mapping[str, DigestPoster],
    subscription: Subscription,
    run: Run,
    now: datetime,
    grace: timedelta,
) -> Outcome | None:
    key, at = run.key, run.at
    if now - at > grace:
        await asyncio.to_thread(ledger.missed, subscription, key, at, now)
        return Outcome(subscription.id, key, "missed", f"due {at.isoformat()}")
    poster = posters.get(subscription.platform)
    if poster is None:
        return Outcome(subscription.id, key, "skipped", f"no {subscription.platform} settings")
    lease = timedelta(minutes=core.settings.digest_lease_minutes)
    claim = await asyncio.to_thread(
        ledger.claim, subscription, key, at, now, core.clock.now(), lease
    )
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
        reply = await asyncio.to_thread(
            compose_digest, core, subscription, run.local_date, now, run
        )
        if reply is None:
            await asyncio.to_thread(ledger.delivered, claim, "", now, now)
            return Outcome(subscription.id, key, "quiet", "nothing new")
        reply = await asyncio.to_thread(_with_buttons, core, subscription, reply, now)
        message_id = await poster.post(subscription, reply, mark)
    except Exception as exc:  # any failure is recorded and retried, never lost
        detail = failure_detail(poster, exc)
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
            core.reads,
            subscription.platform,
            subscription.workspace,
            subscription.channel,
            briefing,
        )


def compose_digest(
    core: Core, subscription: Subscription, day: date, now: datetime, run: Run | None = None
) -> object | None:
    """The digest reply for a subscription: new articles since its window, or a short line.

    `run` (when the scheduler composes it) names its time when the cadence has several a day,
    and the stories it carries are recorded under its key (`digest now` records nothing).
    """
    from .commands import BriefingReply, NoticeReply

    cadence = cadence_of(subscription)
    title = f"{cadence.label} · {day.strftime('%a %d %b %Y')}"
    if run is not None and len(cadence.times) > 1:
        title += " " + run.at.astimezone(ZoneInfo(subscription.timezone)).strftime("%H:%M")
    if subscription.topic:
        title += f" · {subscription.topic}"
    from .changes import compose_changes, record
    from .feeds import channel_filter

    # The channel's own feeds when it has any (bot.feeds), else what its workspace reads;
    # stories marked New or Updated against what this subscription posted (bot.changes).
    query = channel_filter(
        core.store,
        subscription.platform,
        subscription.workspace,
        subscription.channel,
        subscription.topic,
    )
    briefing, stories = compose_changes(core, subscription, query, title, now)
    if run is not None:
        record(core, subscription, run.key, stories, now)
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
            "Digests belong to a chat channel: use `/digest` in Slack or Discord, or name the "
            'channel: `briefbot chat --platform slack --workspace T0123 --channel C0123 "digest '
            'list"`. Operators run due digests with `briefbot digest run-due`.'
        )
    ledger = Ledger(core.store)
    mine = ledger.subscriptions(context.platform, context.workspace, context.channel)
    now = core.clock.now()
    if request.action == "list":
        return NoticeReply(list_text(ledger, mine, now), public=False)
    if request.action in {"subscribe", "unsubscribe"} and not context.can_manage:
        raise UserError(
            f"Changing this channel's digests needs the {context.manage_permission}. "
            "Ask someone who has it, or use `digest list` to see them."
        )
    if request.action == "subscribe":
        zone = request.timezone or context.default_timezone
        cadence = (
            parse_cadence_text(request.cadence)
            if request.cadence
            else daily(request.hour, request.minute)
        )
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
            # A first digest looks back one period: a day, or the week of a weekly one.
            window_start=now - max(FIRST_WINDOW, cadence.period),
            cadence=cadence.text,
        )
        upcoming = next_run(subscription, now).astimezone(ZoneInfo(zone))
        about = f" about “{request.topic}”" if request.topic else ""
        lines = [
            f"subscribed this channel to a digest{about}, {cadence.describe()} "
            f"{zone} (#{subscription.id}, "
            f"{subscription.bullets} bullets{', quiet' if request.quiet else ''}). "
            f"First one: {upcoming.strftime('%a %d %b %H:%M %Z')}."
        ]
        if request.timezone is None:
            lines.append(
                f"Time zone: {zone} (the default). To change it, unsubscribe and add one, "
                "e.g. `digest subscribe 08:30 Europe/Paris`."
            )
        if request.topic and not core.reads.search(request.topic, limit=1, scope=context.scope):
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
                    f"This channel has no digest #{wanted}. `digest list` shows its digests."
                )
            ids = [wanted]
        removed = ledger.unsubscribe(ids)
        names = ", ".join(f"#{i}" for i in ids)
        noun = "digest" if removed == 1 else "digests"
        return _done(context, f"removed {removed} {noun} from this channel ({names}).")
    # now
    if not mine:
        raise UserError(
            "This channel has no digest yet. Try `digest subscribe 08:30 Europe/Paris`."
        )
    if request.target is not None:
        chosen = [s for s in mine if s.id == int(request.target)]
        if not chosen:
            raise UserError(
                f"This channel has no digest #{request.target}. `digest list` shows its digests."
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
    return _with_buttons(core, subscription, reply, now)


def _with_buttons(core: Core, subscription: Subscription, reply: object, now: datetime) -> object:
    """The digest with its buttons and chat options (`bot.buttons.for_digest`)."""
    from .buttons import for_digest

    return for_digest(core, subscription, reply, now)


def _done(context: Context, what: str) -> object:
    """A public notice that `context.user` did `what` (the adapter mentions them)."""
    from .commands import NoticeReply

    # The doer is a reply field, never markup inside the text: renderers escape all text.
    return NoticeReply(what, by=context.user) if context.user else NoticeReply(f"Someone {what}")


def list_text(ledger: Ledger, mine: list[Subscription], now: datetime) -> str:
    """This channel's digests, one line each, with their next run and last result."""
    if not mine:
        return "This channel has no digests. Add one: `digest subscribe 08:30 Europe/Paris`."
    lines = []
    for s in mine:
        zone = ZoneInfo(s.timezone)
        upcoming = next_run(s, now).astimezone(zone).strftime("%a %d %b %H:%M %Z")
        about = s.topic or "everything"
        last = ledger.latest(s.id)
        lines.append(
            f"#{s.id} · {cadence_of(s).describe()} {s.timezone} · {about} · {s.bullets} bullets"
            f"{' · quiet' if s.quiet else ''} · next {upcoming} · last: {describe(last, zone)}"
        )
    return "\n".join(lines)


def describe(delivery: Delivery | None, zone: ZoneInfo) -> str:
    """A ledger row in a few words."""
    if delivery is None:
        return "none yet"
    # A run key is a local date, or date and time for cadences of several times a day.
    day = date.fromisoformat(delivery.local_date[:10]).strftime("%d %b")
    if len(delivery.local_date) > 10:
        day += " " + delivery.local_date[11:]
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
    """Runs `run_due` whenever the next digest (or retry) is due, sleeping in between, and
    then `bot.live.run_live` (the poller pokes it when feeds brought something in).

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
        from .live import next_retry

        if (live := next_retry(self.core)) is not None:
            soonest = min(soonest, max(live, now))
        return max((soonest - now).total_seconds(), 0.0)

    async def run(self) -> None:
        """Loop until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            self._wake.clear()
            try:
                outcomes = await run_due(self.core, self.posters, grace=self.grace, spread=True)
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
            try:
                from .live import run_live

                for live in await run_live(self.core, self.posters):
                    log.info("Live post in %s: %s %s", live.channel, live.status, live.detail)
            except Exception:
                log.exception("The live pass failed; trying again later")
            self.idle.set()
            delay = await asyncio.to_thread(self.seconds_to_next, self.core.clock.now())
            # A second's margin: wake just after the minute, not a hair before it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay + 1)
