"""Feed subscriptions: the `feeds` commands, polite polling, and feed health.

Polling is polite: conditional GETs (ETag / Last-Modified), a User-Agent naming briefbot,
`Retry-After` honoured, exponential backoff on errors, at most one request at a time per host,
and a little jitter so many feeds do not all fire at the same second.  A feed that fails
FAILURES_TO_PAUSE times in a row is paused and reported in `feeds list` and in digests.

Feeds that move or end (RFC 9110 §15.4, §15.5.11): a permanent redirect (301/308 on every hop)
updates the stored URL, so later polls go straight to the new address; a temporary one
(302/303/307) keeps the old URL; 410 Gone ends the feed at once (paused, with a health line),
without waiting for FAILURES_TO_PAUSE failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from . import metrics
from .app import Core
from .errors import BadArgument, FetchFailed, UserError
from .feedformat import read_feed
from .fetch import Fetched, Fetcher, Stopped, form_refusal, hide_credentials
from .filters import TopicFilter, as_filter
from .ingest import drafts_from_feed, looks_like_feed, store_draft
from .models import ArticleDraft, Feed, copies_phrase
from .plaintext import plain_title
from .scopes import workspace_key
from .store import MAX_ROW_ID, Store, channel_feeds, feeds, from_iso, row_to, to_iso
from .urls import normalize_url
from .workers import DaemonPool, FeedClaims

log = logging.getLogger(__name__)

INTERVAL = timedelta(minutes=30)
FAILURES_TO_PAUSE = 5
MAX_BACKOFF = timedelta(hours=6)
JITTER = 0.1  # up to 10% of the interval
MAX_WAIT = timedelta(hours=1)
# The error recorded for a feed whose publisher answered 410 Gone.
GONE = "gone (410): the publisher ended this feed"


@dataclass(frozen=True)
class FeedsRequest:
    """`feeds add <url> [name] [workspace|live] | list | remove <id> | poll | export`."""

    action: str
    url: str | None = None
    name: str | None = None
    target: int | None = None
    # Where `add` puts a feed: "channel" (attached to the channel it is added in, which
    # also follows it in the workspace) or "workspace" (the workspace's pool only).
    where: str = "channel"
    live: bool = False  # `add … live`: post each new article in the channel as it arrives
    topic: str | None = None  # `add <url> [name] live TOPIC`: only live articles matching it


@dataclass(frozen=True)
class PollResult:
    """What one fetch of one feed did."""

    feed_id: int
    name: str
    stored: int = 0
    duplicates: int = 0
    copies: int = 0  # other outlets' copies of stored articles, recorded as their sources
    failed: int = 0  # entries that could not be stored (no text, a walled page…)
    failure: str | None = None  # the first of them: "<entry>: <reason>"
    not_modified: bool = False
    error: str | None = None
    paused: bool = False


FEEDS_HELP = """\
Feeds: where fresh articles come from. Each is fetched every 30 minutes.

  feeds add <url> [name]   follow a feed in this channel: its digests draw from the
                           channel's own feeds when it has any, else from the workspace's
  feeds add <url> live [topic]  also post each new article here as it arrives (only
                           those matching the topic: `live ukraine -opinion from:reuters`)
  feeds add <url> workspace  follow a feed for the whole workspace (no channel attachment)
  feeds list               every feed: last fetched, articles stored, last error
  feeds remove <id>        detach a feed from this channel, or (if not attached here) stop
                           following it in the workspace (its articles stay)
"""


def parse_feeds(args: list[str]) -> FeedsRequest:
    """Parse the words after `feeds`."""
    if not args or args[0].lower() in {"help", "?"}:
        return FeedsRequest("help")
    action, rest = args[0].lower(), args[1:]
    if action in {"add", "follow"}:
        if not rest:
            raise BadArgument("Say which feed: `feeds add https://example.com/rss [name]`.")
        url = rest[0].strip("<>")
        # The guard's own rule (not http(s), a user name or password), before anything is
        # fetched or stored; the host is judged when it is fetched.
        why = form_refusal(url)
        if why is not None:
            raise BadArgument(
                f"{hide_credentials(url)!r} {why}. Example: `feeds add https://example.com/rss`."
            )
        # `feeds add <url> [name] [workspace]` or `feeds add <url> [name] live [topic]`.
        lowered = [w.lower() for w in rest[1:]]
        live = "live" in lowered
        cut = lowered.index("live") + 1 if live else len(rest)
        words, topic_words = rest[1:cut], rest[cut + 1 :] if live else []
        everywhere = any(w.lower() == "workspace" for w in words)
        if live and everywhere:
            raise BadArgument("A live feed posts in a channel: use `live` or `workspace`.")
        words = [w for w in words if w.lower() not in {"workspace", "live"}]
        return FeedsRequest(
            "add",
            url=url,
            name=" ".join(words).strip() or None,
            where="workspace" if everywhere else "channel",
            live=live,
            topic=" ".join(topic_words).strip() or None,
        )
    if action in {"list", "ls"}:
        return FeedsRequest("list")
    if action in {"remove", "rm", "delete", "unfollow"}:
        if len(rest) != 1 or not rest[0].isascii() or not rest[0].isdigit():
            raise BadArgument("Say which feed: `feeds remove 3` (ids are in `feeds list`).")
        return FeedsRequest("remove", target=int(rest[0]))
    if action == "poll":
        return FeedsRequest("poll")
    raise BadArgument(f"Unknown feeds command {action!r}: use add, list or remove.")


# -- the registry ---------------------------------------------------------------------------


class FeedRegistry:
    """Feeds and their state, on the store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        url: str,
        name: str,
        where: Any,
        now: datetime,
        interval_minutes: int = int(INTERVAL.total_seconds() // 60),
    ) -> Feed:
        """Follow a feed (`where`: a digests.Context saying who added it)."""
        with self.store.transaction() as conn:
            new_id = conn.execute(
                feeds.insert().values(
                    url=url,
                    canonical_url=normalize_url(url),
                    name=name,
                    platform=where.platform,
                    workspace=where.workspace,
                    channel=where.channel,
                    created_at=to_iso(now),
                    interval_minutes=interval_minutes,
                    next_fetch_at=to_iso(now),
                    failures=0,
                    paused=0,
                    articles_stored=0,
                    articles_copied=0,
                    active=1,
                )
            ).inserted_primary_key[0]
        feed = self.get(new_id)
        assert feed is not None
        return feed

    def add_many(
        self,
        entries: Iterable[tuple[str, str]],
        where: Any,
        now: datetime,
        interval_minutes: int = int(INTERVAL.total_seconds() // 60),
    ) -> tuple[list[Feed], int]:
        """Follow many feeds ((url, name) pairs) in one transaction, skipping those `where`
        follows already; return the new feeds and how many were skipped.  All or nothing: a
        failure stores none.  The poller fetches them (next_fetch_at is now)."""
        known = {normalize_url(f.url) for f in self.all(where.platform, where.workspace)}
        rows = []
        skipped = 0
        for url, name in entries:
            canonical = normalize_url(url)
            if canonical in known:
                skipped += 1
                continue
            known.add(canonical)
            rows.append(
                {
                    "url": url,
                    "canonical_url": canonical,
                    "name": name,
                    "platform": where.platform,
                    "workspace": where.workspace,
                    "channel": where.channel,
                    "created_at": to_iso(now),
                    "interval_minutes": interval_minutes,
                    "next_fetch_at": to_iso(now),
                    "failures": 0,
                    "paused": 0,
                    "articles_stored": 0,
                    "articles_copied": 0,
                    "active": 1,
                }
            )
        ids = []
        with self.store.transaction() as conn:
            for row in rows:
                ids.append(conn.execute(feeds.insert().values(**row)).inserted_primary_key[0])
        added = [f for f in (self.get(i) for i in ids) if f is not None]
        return added, skipped

    def get(self, feed_id: int) -> Feed | None:
        """One active feed by id."""
        if not 0 < feed_id <= MAX_ROW_ID:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(feeds).where(feeds.c.id == feed_id, feeds.c.active == 1)
            ).first()
        return _feed(row) if row else None

    def find(self, url: str, platform: str = "cli", workspace: str = "") -> Feed | None:
        """An active feed with this (normalised) URL that `platform`/`workspace` sees: its
        own, or one added from the command line (whose articles every workspace reads)."""
        mine = (feeds.c.platform == platform) & (feeds.c.workspace == workspace)
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(feeds)
                .where(feeds.c.canonical_url == normalize_url(url), feeds.c.active == 1)
                .where(mine | (feeds.c.platform == "cli"))
                .order_by(feeds.c.id)
            ).first()
        return _feed(row) if row else None

    def following(self, url: str) -> list[Feed]:
        """Every active feed row with this (normalised) URL, whoever added it, oldest first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(feeds)
                .where(feeds.c.canonical_url == normalize_url(url), feeds.c.active == 1)
                .order_by(feeds.c.id)
            ).all()
        return [_feed(r) for r in rows]

    def all(self, platform: str | None = None, workspace: str | None = None) -> list[Feed]:
        """Active feeds; with a workspace, those added there or from the command line."""
        statement = select(feeds).where(feeds.c.active == 1)
        if platform is not None and workspace is not None:
            statement = statement.where(
                ((feeds.c.platform == platform) & (feeds.c.workspace == workspace))
                | (feeds.c.platform == "cli")
            )
        with self.store.engine.connect() as conn:
            rows = conn.execute(statement.order_by(feeds.c.id)).all()
        return [_feed(r) for r in rows]

    def remove(self, feed_id: int) -> None:
        """Stop following a feed (in every channel it is attached to); its articles stay."""
        with self.store.transaction() as conn:
            conn.execute(feeds.update().where(feeds.c.id == feed_id).values(active=0))
            conn.execute(channel_feeds.delete().where(channel_feeds.c.feed_id == feed_id))

    def move(self, group: list[Feed], url: str) -> list[Feed]:
        """Follow the feed of `group` (rows sharing one canonical URL) at `url` from now on,
        after a permanent redirect there: every row takes the new URL, and what the old URL
        brought in stays linked and recognisable (`Store.move_feed`).  Returns the rows as
        stored now, in the same order."""
        old, new = normalize_url(group[0].url), normalize_url(url)
        self.store.move_feed(old, new)
        with self.store.transaction() as conn:
            conn.execute(
                feeds.update()
                .where(feeds.c.id.in_([f.id for f in group]))
                .values(url=url, canonical_url=new)
            )
        log.info(
            "Feed %s moved for good: %s -> %s", group[0].id, hide_credentials(group[0].url), url
        )
        return [replace(f, url=url) for f in group]

    def record(self, feed: Feed, **values: Any) -> None:
        """Update a feed's state after a fetch."""
        for key in ("last_fetched_at", "next_fetch_at"):
            if isinstance(values.get(key), datetime):
                values[key] = to_iso(values[key])
        if "paused" in values:
            values["paused"] = int(values["paused"])
        with self.store.transaction() as conn:
            conn.execute(feeds.update().where(feeds.c.id == feed.id).values(**values))


@dataclass(frozen=True)
class Attachment:
    """A workspace's feed attached to one of its channels (table channel_feeds)."""

    feed: Feed
    platform: str
    workspace: str
    channel: str
    live: bool
    added_at: datetime
    topic: str | None = None  # a live feed's topic filter (bot.filters)


class Attachments:
    """Which channels follow which of their workspace's feeds, on the store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def attach(
        self, feed: Feed, where: Any, live: bool, now: datetime, topic: str | None = None
    ) -> bool:
        """Attach `feed` to the channel of `where` (a digests.Context), or change whether it
        is live there; False if it was attached just so already."""
        channel = where.channel
        key = (channel_feeds.c.feed_id == feed.id) & (channel_feeds.c.channel == channel)
        with self.store.transaction() as conn:
            row = conn.execute(
                select(channel_feeds.c.live, channel_feeds.c.topic).where(key)
            ).first()
            if row is None:
                conn.execute(
                    channel_feeds.insert().values(
                        feed_id=feed.id,
                        channel=channel,
                        platform=where.platform,
                        workspace=where.workspace,
                        live=int(live),
                        topic=topic,
                        added_by=where.user,
                        added_at=to_iso(now),
                    )
                )
                return True
            if bool(row.live) == live and row.topic == topic:
                return False
            conn.execute(channel_feeds.update().where(key).values(live=int(live), topic=topic))
            return True

    def detach(self, feed_id: int, channel: str) -> bool:
        """Detach a feed from a channel; False if it was not attached there."""
        with self.store.transaction() as conn:
            gone = conn.execute(
                channel_feeds.delete().where(
                    channel_feeds.c.feed_id == feed_id, channel_feeds.c.channel == channel
                )
            )
        return gone.rowcount > 0

    def of_channel(self, platform: str, workspace: str, channel: str) -> list[Attachment]:
        """The active feeds attached to one channel, oldest attachment first."""
        return self._select(
            (channel_feeds.c.platform == platform)
            & (channel_feeds.c.workspace == workspace)
            & (channel_feeds.c.channel == channel)
        )

    def channels_of(self, feed_id: int) -> list[str]:
        """The channels a feed is attached to."""
        with self.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(channel_feeds.c.channel).where(channel_feeds.c.feed_id == feed_id)
                ).scalars()
            )

    def live(self) -> list[Attachment]:
        """Every live attachment of an active feed (what bot.live posts)."""
        return self._select(channel_feeds.c.live == 1)

    def _select(self, condition: Any) -> list[Attachment]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(
                    feeds,
                    channel_feeds.c.channel.label("attached_channel"),
                    channel_feeds.c.platform.label("attached_platform"),
                    channel_feeds.c.workspace.label("attached_workspace"),
                    channel_feeds.c.live,
                    channel_feeds.c.topic,
                    channel_feeds.c.added_at.label("attached_at"),
                )
                .join(channel_feeds, channel_feeds.c.feed_id == feeds.c.id)
                .where(condition, feeds.c.active == 1)
                .order_by(channel_feeds.c.added_at, feeds.c.id)
            ).all()
        return [
            Attachment(
                _feed(r),
                r.attached_platform,
                r.attached_workspace,
                r.attached_channel,
                bool(r.live),
                from_iso(r.attached_at),
                r.topic,
            )
            for r in rows
        ]


def channel_filter(
    store: Store, platform: str, workspace: str, channel: str, topic: str | None
) -> TopicFilter | None:
    """What a channel's digest draws: its topic (bot.filters), limited to the channel's own
    feeds when it has any (else everything its workspace reads)."""
    parsed = as_filter(topic)
    own = tuple(
        dict.fromkeys(
            normalize_url(a.feed.url)
            for a in Attachments(store).of_channel(platform, workspace, channel)
        )
    )
    if not own:
        return parsed
    return replace(parsed or TopicFilter(text=""), feeds=own)


def _feed(row: Any) -> Feed:
    return row_to(
        Feed, row, times=("created_at", "last_fetched_at", "next_fetch_at"), flags=("paused",)
    )


# -- polling --------------------------------------------------------------------------------


def backoff(failures: int, interval: timedelta, retry_after: float | None = None) -> timedelta:
    """How long to wait after the n-th failure in a row (Retry-After wins when longer)."""
    delay = min(interval * (2 ** max(failures - 1, 0)), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def poll_feed(
    core: Core, feed: Feed, fetcher: Fetcher, now: datetime, *, fetched: Fetched | None = None
) -> PollResult:
    """Fetch one feed once (conditionally) and store its new entries; never raises.

    The fetch serves every workspace following the same URL (see `poll_group`); the result
    returned is `feed`'s.  `fetched`: the feed's answer already in hand (`feeds add` fetched
    it to check it is a feed), used instead of fetching again.
    """
    group = FeedRegistry(core.store).following(feed.url)
    if all(f.id != feed.id for f in group):
        group = [feed, *group]
    results = poll_group(core, group, fetcher, now, fetched=fetched)
    return next(r for r in results if r.feed_id == feed.id)


def poll_group(
    core: Core,
    group: list[Feed],
    fetcher: Fetcher,
    now: datetime,
    *,
    fetched: Fetched | None = None,
) -> list[PollResult]:
    """Fetch one feed URL once for all its followers (feed rows sharing a canonical URL, one
    per workspace or the operator) and store its new entries; never raises.  `fetched` (the
    answer already in hand, as `poll_feed`'s) stands for the fetch.

    Every article of the fetch, new or already stored, becomes readable by each follower's
    workspace (the operator's feeds: the shared library) and is linked to the feed URL, so a
    workspace that follows it later is granted what it already brought in.  The first row's
    validators make the request conditional; every row records the same outcome.
    """
    registry = FeedRegistry(core.store)
    lead = group[0]
    canonical = normalize_url(lead.url)
    scopes = {workspace_key(f.platform, f.workspace) for f in group}
    # A workspace's own name for a feed is its business: sources use it only when all agree.
    names = {f.name for f in group}
    source_name = lead.name if len(names) == 1 else None
    interval = timedelta(minutes=lead.interval_minutes)
    jitter = timedelta(seconds=random.uniform(0, JITTER * interval.total_seconds()))

    def record_all(**values: Any) -> None:
        for feed in group:
            registry.record(feed, **values)

    def results(**values: Any) -> list[PollResult]:
        return [PollResult(f.id, f.name, **values) for f in group]

    try:
        if fetched is None:
            fetched = fetcher.get(
                lead.url,
                etag=lead.etag,
                last_modified=lead.last_modified,
                max_bytes=fetcher.policy.feed_bytes,
            )
        if fetched.status != 304 and not looks_like_feed(fetched):
            raise FetchFailed("it is not an RSS, Atom or JSON feed any more")
        moved = fetched.permanent_url
        if moved and any(f.url != moved for f in group):
            # Moved for good (and still a feed there): ask the new address from now on, even
            # when it is the same feed by its canonical URL (http -> https, www. dropped).
            group = registry.move(group, moved)
            canonical = normalize_url(moved)
        if fetched.status == 304:
            record_all(
                last_fetched_at=now,
                next_fetch_at=now + interval + jitter,
                failures=0,
                last_error=None,
                paused=False,
            )
            return results(not_modified=True)
        stored = duplicates = copies = failed = 0
        failure: str | None = None

        unknown: set[str] = set()  # GUIDs `known` looked up and did not find

        def known(link: str | None, guid: str | None) -> bool:
            found = core.store.share_known(link, guid, scopes, canonical)
            if not found and guid:
                unknown.add(guid)
            return found

        for label, outcome in drafts_from_feed(
            fetched.content,
            fetched.url,
            fetcher,
            known=known,
            source_name=source_name,
            content_type=fetched.content_type,
            settled=lambda guids: core.store.settled_guids(guids, scopes, canonical),
        ):
            result = store_draft(
                core.store,
                label,
                outcome,
                core.clock,
                scopes=scopes,
                feed=canonical,
                guid_checked=isinstance(outcome, ArticleDraft) and outcome.guid in unknown,
            )
            stored += result.status == "stored"
            duplicates += result.status == "duplicate"
            copies += result.status == "copy"
            if result.status == "failed":
                failed += 1
                failure = failure or f"{result.item}: {result.reason}"
                log.info("Feed %s: entry not stored: %s: %s", lead.id, result.item, result.reason)
        for feed in group:
            registry.record(
                feed,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                last_fetched_at=now,
                next_fetch_at=now + interval + jitter,
                failures=0,
                last_error=None,
                paused=False,
                articles_stored=feed.articles_stored + stored,
                articles_copied=feed.articles_copied + copies,
            )
        return results(
            stored=stored, duplicates=duplicates, copies=copies, failed=failed, failure=failure
        )
    except Stopped as exc:  # briefbot is stopping: not the feed's fault, nothing recorded
        return results(error=str(exc))
    except FetchFailed as exc:
        failures = max(f.failures for f in group) + 1
        gone = exc.status == 410  # the publisher ended it: no point in asking four more times
        paused = gone or failures >= FAILURES_TO_PAUSE
        error = GONE if gone else str(exc)
        record_all(
            last_fetched_at=now,
            next_fetch_at=now + backoff(failures, interval, exc.retry_after) + jitter,
            failures=failures,
            last_error=error,
            paused=paused,
        )
        if paused and not all(f.paused for f in group):
            why = "its publisher ended it (410 Gone)" if gone else f"{failures} failures: {error}"
            log.warning("Feed %s (%s) paused: %s", lead.id, hide_credentials(lead.url), why)
        return results(error=error, paused=paused)
    except Exception as exc:  # a bug must not stop the other feeds
        log.exception("Polling feed %s failed unexpectedly", lead.id)
        record_all(last_fetched_at=now, next_fetch_at=now + interval, last_error=type(exc).__name__)
        return results(error=type(exc).__name__)


def poll(core: Core, *, now: datetime | None = None, everything: bool = False) -> list[PollResult]:
    """One pass: every due feed URL (or every active one), one host at a time, hosts in
    parallel; a URL followed by several workspaces is fetched once for all of them.

    Paused feeds are fetched only by `everything` (an operator's `feeds poll`), which is how a
    fixed feed comes back.
    """
    now = now or core.clock.now()
    due = _due_groups(core, now, everything)
    claims = FeedClaims(core.store)
    metrics.QUEUE_DEPTH.labels("feeds").set(len(due))
    if not everything:
        # Several workers may share the database: fetch only the URLs this one leased, and
        # only those still due once leased (another may have just polled and released one).
        mine = claims.claim([normalize_url(g[0].url) for g in due], now)
        due = [g for g in _due_groups(core, now, False) if normalize_url(g[0].url) in mine]
        for url in mine - {normalize_url(g[0].url) for g in due}:
            claims.release(url, now)
        for group in due:
            waiting = [f.next_fetch_at for f in group if f.next_fetch_at is not None]
            lag = (now - min(waiting)).total_seconds() if waiting else 0.0
            metrics.CLAIM_LAG.observe(max(lag, 0.0))
    by_host: dict[str, list[list[Feed]]] = defaultdict(list)
    for group in due:
        by_host[(urlsplit(group[0].url).hostname or "").lower()].append(group)
    results: list[PollResult] = []
    lock = threading.Lock()

    fetcher = core.fetcher  # built here, once, not racing in the worker threads

    def one_host(groups: list[list[Feed]]) -> None:
        for index, group in enumerate(groups):  # one request at a time per host
            if fetcher.closed:  # briefbot is stopping: hand back what this pass leased
                for left in groups[index:] if not everything else ():
                    claims.release(normalize_url(left[0].url), now)
                return
            try:
                done = poll_group(core, group, fetcher, now)
            finally:
                if not everything:
                    claims.release(normalize_url(group[0].url), now)
            with lock:
                results.extend(done)

    if by_host:
        # Daemon threads: a host that never answers cannot hold up a stop of the process.
        pool = DaemonPool(max_workers=min(8, len(by_host)), name="briefbot-poll")
        try:
            list(pool.map(one_host, by_host.values()))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    metrics.POLLS.inc(len(results))
    metrics.FETCH_ERRORS.inc(sum(r.error is not None for r in results))
    return sorted(results, key=lambda r: r.feed_id)


def _due_groups(core: Core, now: datetime, everything: bool) -> list[list[Feed]]:
    """Active feed rows grouped by canonical URL, oldest row first: the groups with a row
    due at `now` (not paused), or every group with `everything`."""
    by_url: dict[str, list[Feed]] = defaultdict(list)
    for feed in FeedRegistry(core.store).all():
        by_url[normalize_url(feed.url)].append(feed)
    return [
        group
        for group in by_url.values()
        if everything
        or any(not f.paused and (f.next_fetch_at is None or f.next_fetch_at <= now) for f in group)
    ]


def seconds_to_next(core: Core, now: datetime) -> float:
    """Seconds until a feed is due, at most MAX_WAIT; a feed another worker is polling counts
    as due when that worker's lease runs out (it records the next time itself)."""
    soonest = now + MAX_WAIT
    leased = FeedClaims(core.store).leased(now)
    for feed in FeedRegistry(core.store).all():
        if not feed.paused and feed.next_fetch_at is not None:
            held = leased.get(normalize_url(feed.url))
            soonest = min(soonest, max(feed.next_fetch_at, held) if held else feed.next_fetch_at)
    return max((soonest - now).total_seconds(), 0.0)


class Poller:
    """Polls feeds when they are due, inside `briefbot run`; `poke()` wakes it at once."""

    def __init__(self, core: Core, after_pass: Callable[[], None] | None = None) -> None:
        self.core = core
        # Called after a pass that stored something (the scheduler's poke: live feeds post).
        self.after_pass = after_pass
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.idle = asyncio.Event()

    def poke(self) -> None:
        """Wake the poller (safe from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Loop until cancelled."""
        self._loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            results: list[PollResult] = []
            try:
                results = await asyncio.to_thread(poll, self.core)
                for r in results:
                    if r.stored or r.copies or r.error:
                        log.info(
                            "Feed %s: %s stored, %s copies, error %s",
                            r.feed_id,
                            r.stored,
                            r.copies,
                            r.error,
                        )
                if self.after_pass is not None and any(r.stored or r.copies for r in results):
                    self.after_pass()
            except Exception:
                log.exception("The feed pass failed; trying again later")
            self.idle.set()
            delay = await asyncio.to_thread(seconds_to_next, self.core, self.core.clock.now())
            # More feeds already due after a pass that polled some (a claim takes at most a
            # batch): go on at once.  Otherwise a second's slack past the next due time, so a
            # feed due a moment from now, or a pass that failed, does not spin the loop.
            slack = 0 if delay == 0 and results else 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay + slack)


# -- health ----------------------------------------------------------------------------------


def failing(core: Core, platform: str | None = None, workspace: str | None = None) -> list[Feed]:
    """Feeds whose last fetch failed (paused ones included)."""
    return [f for f in FeedRegistry(core.store).all(platform, workspace) if f.failures > 0]


def health_line(feeds_: Iterable[Feed]) -> str | None:
    """One short line about failing feeds, or None when all is well."""
    bad = list(feeds_)
    if not bad:
        return None
    parts = []
    for feed in bad[:3]:
        state = (
            _state(feed) if feed.paused else f"{feed.failures} failure{'s' * (feed.failures > 1)}"
        )
        parts.append(f"{feed.name} ({_short(feed.last_error)}, {state})")
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    noun = "feed" if len(bad) == 1 else "feeds"
    line = f"⚠️ {len(bad)} {noun} failing: {'; '.join(parts)}{more}. See `feeds list`."
    return hide_credentials(line)


def _state(feed: Feed) -> str:
    """A paused feed's state: "ended" when its publisher said 410 Gone, else "paused"."""
    return "ended" if feed.last_error == GONE else "paused"


def _short(error: str | None) -> str:
    if not error:
        return "error"
    for marker in ("answered ", "cannot reach", "did not answer"):
        if marker in error:
            return error[error.index(marker) :].removeprefix("answered ")
    return error[:60]


# -- the commands ---------------------------------------------------------------------------


def handle_feeds(core: Core, request: FeedsRequest, context: Any) -> object:
    """Answer a `feeds …` request (context: a digests.Context)."""
    from .commands import HelpReply, NoticeReply

    if request.action == "help":
        return HelpReply(FEEDS_HELP)
    registry = FeedRegistry(core.store)
    scoped = context.platform != "cli"
    attachments = Attachments(core.store)
    here = (
        {
            a.feed.id: a.live
            for a in attachments.of_channel(context.platform, context.workspace, context.channel)
        }
        if scoped and context.channel
        else {}
    )
    if request.action == "list":
        shown = registry.all(context.platform, context.workspace) if scoped else registry.all()
        return NoticeReply(list_text(shown, here), public=False)
    if request.action == "poll":
        if scoped:
            raise UserError(
                "Feeds are fetched every few minutes on their own; an operator can force a "
                "pass with `briefbot feeds poll`."
            )
        results = poll(core, everything=True)
        stored = sum(r.stored for r in results)
        failed = [r for r in results if r.error]
        noun = "feed" if len(results) == 1 else "feeds"
        text = (
            f"Polled {len(results)} {noun}: {stored} new article{'' if stored == 1 else 's'} stored"
        )
        copies = sum(r.copies for r in results)
        if copies:
            text += f", {copies_phrase(copies)}"
        dropped = [r for r in results if r.failed]
        if dropped:
            count = sum(r.failed for r in dropped)
            text += f", {count} not stored (e.g. {dropped[0].failure})"
        if failed:
            text += "; failing: " + ", ".join(f"{r.name} ({r.error})" for r in failed)
        return NoticeReply(text + ".", public=False)
    if not context.can_manage:
        raise UserError(f"Changing the feeds needs the {context.manage_permission}.")
    if request.action == "remove":
        feed = registry.get(request.target or 0)
        if feed is not None and feed.id in here:
            attachments.detach(feed.id, context.channel)
            # Added here and followed by no other channel: stop following it altogether.
            if feed.channel != context.channel or attachments.channels_of(feed.id):
                return NoticeReply(
                    f"Detached feed #{feed.id} ({feed.name}) from this channel; the workspace "
                    "still follows it (`feeds remove` it again to stop that)."
                )
        # Chat users remove their workspace's feeds; command-line feeds belong to the operator.
        visible = feed is not None and (
            not scoped or (feed.platform, feed.workspace) == (context.platform, context.workspace)
        )
        if not visible or feed is None:
            raise UserError(f"No feed #{request.target}. `feeds list` shows the feeds.")
        registry.remove(feed.id)
        return NoticeReply(f"Stopped following feed #{feed.id} ({feed.name}); its articles stay.")
    # add
    assert request.url is not None
    # In a channel, `feeds add` attaches the feed to it (bot.store.channel_feeds).
    attach = scoped and bool(context.channel) and request.where == "channel"
    by = getattr(context, "user", "") if scoped else ""
    now = core.clock.now()
    existing = registry.find(request.url, context.platform, context.workspace)
    if existing is not None:
        if attach and attachments.attach(
            existing, context, request.live, core.clock.now(), request.topic
        ):
            return NoticeReply(
                f"{'attached' if by else 'Attached'} feed #{existing.id} ({existing.name}) "
                f"to this channel{_attached_note(request.live)}",
                by=by,
            )
        raise UserError(
            f"Already following that feed as #{existing.id} ({existing.name})"
            + (" in this channel." if existing.id in here else ".")
        )
    fetcher = core.fetcher
    try:
        fetched = fetcher.get(request.url, max_bytes=fetcher.policy.feed_bytes)
    except FetchFailed as exc:
        raise UserError(f"Cannot add that feed: {exc}. Nothing was stored.") from None
    if not looks_like_feed(fetched):
        raise UserError(
            f"{request.url} is a web page, not an RSS, Atom or JSON feed. Look for an RSS link "
            "on the site (often /feed or /rss). Nothing was stored."
        )
    url = request.url
    if fetched.permanent_url:
        # Moved for good: follow the new address (and it may be followed here already).
        url = fetched.permanent_url
        existing = registry.find(url, context.platform, context.workspace)
        if existing is not None and not (
            attach and attachments.attach(existing, context, request.live, now, request.topic)
        ):
            raise UserError(
                f"Already following that feed as #{existing.id} ({existing.name}): "
                f"it has moved to {url}."
            )
        if existing is not None:
            return NoticeReply(
                f"{'attached' if by else 'Attached'} feed #{existing.id} ({existing.name}, "
                f"moved to {url}) to this channel{_attached_note(request.live)}",
                by=by,
            )
    try:
        title = _feed_title(fetched.content, fetched.content_type)
    except FetchFailed as exc:
        raise UserError(f"Cannot add that feed: {exc}. Nothing was stored.") from None
    # Names are stored as plain text: feed titles carry entities and markup.
    name = plain_title(request.name) or plain_title(title) or urlsplit(url).netloc
    feed = registry.add(url, name, context, core.clock.now(), core.settings.feed_interval_minutes)
    # Another workspace may follow it already: what it brought in is readable here now, and
    # counted as stored here, so the reply does not tell one workspace what another follows.
    earlier = core.store.grant_feed(
        normalize_url(url), workspace_key(context.platform, context.workspace)
    )
    # The fetch that showed it is a feed is its first poll: the feed is asked once, not twice.
    result = poll_feed(core, feed, fetcher, core.clock.now(), fetched=fetched)
    # Attached after the first fetch: a live feed posts what arrives from now on, not the
    # backlog that fetch stored.
    if attach:
        attachments.attach(feed, context, request.live, core.clock.now(), request.topic)
    # A chat user is named by the adapter (a mention); the command line has no user.
    ready = result.stored + earlier
    text = (
        f"{'added' if by else 'Added'} feed #{feed.id} ({name}): {ready} "
        f"article{'' if ready == 1 else 's'} stored now"
        + (f", {copies_phrase(result.copies)}" if result.copies else "")
        + (f", {result.duplicates} already stored" if result.duplicates else "")
        + (f", {result.failed} not stored ({result.failure})" if result.failed else "")
        + f"; fetched every {feed.interval_minutes} minutes."
    )
    if result.error:
        text += f" First fetch failed: {result.error}."
    if attach:
        text += f" Attached to this channel{_attached_note(request.live)}"
    return NoticeReply(text, by=by)


def _attached_note(live: bool) -> str:
    note = ": its digests draw from this channel's own feeds."
    return note + (" Live: each new article is posted here as it arrives." if live else "")


def _feed_title(content: bytes, content_type: str | None = None) -> str | None:
    """The title an RSS, RDF, Atom or JSON Feed document gives itself (raw), or None.

    Raises FetchFailed when the document's text encoding cannot be recognised."""
    return (read_feed(content, content_type).feed.get("title") or "").strip() or None


def list_text(shown: list[Feed], here: dict[int, bool] | None = None) -> str:
    """Every feed on one line: id, name, URL, last fetched, stored, health; `here` (feed id →
    live) marks the feeds attached to the asking channel."""
    here = here or {}
    if not shown:
        return "No feeds yet. Add one: `feeds add https://example.com/rss`."
    lines = []
    for f in shown:
        fetched = f.last_fetched_at.strftime("%Y-%m-%d %H:%M UTC") if f.last_fetched_at else "never"
        state = _state(f) if f.paused else ("ok" if not f.failures else f"failing ×{f.failures}")
        error = f" · last error: {f.last_error}" if f.last_error else ""
        copied = f", {copies_phrase(f.articles_copied)}" if f.articles_copied else ""
        line = (
            f"#{f.id} · {f.name} · {f.url} · last fetched {fetched} · "
            f"{f.articles_stored} stored{copied} · {state}{error}"
            + ("" if f.id not in here else " · live here" if here[f.id] else " · this channel")
        )
        # A feed stored with a password (before the guard refused them) is shown without it.
        lines.append(hide_credentials(line))
    return "\n".join(lines)
