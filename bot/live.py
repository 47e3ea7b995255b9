"""Live feeds: each new article of a feed attached live to a channel (`feeds add <url> live`),
posted there once, as it arrives, the MonitoRSS way with briefbot's summary.

One pass (`run_live`) per channel: the articles its live feeds brought in since they were
attached (and other outlets' copies of stories already posted there) that the channel has
not had yet.  Everything one pass finds goes out as ONE post (a burst of fifty items is one
post listing them, never fifty posts): up to FULL_STORIES stories with a two-sentence summary
and their sources, more as a list of headlines.  Reports of the same story (grouped as
briefings group them, `bot.briefing.group_stories`) share one entry; a report of a story the
channel already had becomes a "+1 outlet" thread reply to that story's post when the poster
can reply in threads (`follow_up`), else a "+1 outlet" line in the next post, never a second
story.  A live feed may carry a topic filter (`feeds add <url> live ukraine -opinion`,
bot.filters), read by the same search as `brief` and digests.

Exactly once, by the digest ledger's rules (bot.ledger): a post is made only by whoever
claimed its row in live_posts, and its items (live_items, unique per channel and item) are
claimed in the same transaction, so two passes never post the same item.  A claim whose
claimer died is taken over after CLAIM_LEASE; the new claimer first asks the poster whether
the earlier attempt landed (`DigestPoster.landed`, by the post's mark) and re-posts only if
not.  A failed post is retried with the digests' backoff (rate limits included: the
adapters' clients wait out 429s, and a channel gets at most one post per pass).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from .app import Core
from .briefing import group_stories
from .digests import CLOCK_SKEW, DigestMark, DigestPoster, failure_detail, retry_at
from .feeds import Attachment, Attachments
from .filters import TopicFilter, as_filter
from .ledger import CLAIM_LEASE
from .models import Article, Briefing, Bullet, Source, Subscription
from .scopes import scope_of
from .store import (
    article_copies,
    from_iso,
    live_items,
    live_posts,
    to_iso,
)
from .urls import normalize_url

log = logging.getLogger(__name__)

FULL_STORIES = 5  # up to this many new stories in a pass: each with its summary
LIST_STORIES = 25  # more: headlines only, at most this many listed, the rest counted
MAX_ITEMS = 200  # items taken per channel and pass; the rest wait for the next pass
SUMMARY_SENTENCES = 2
STORY_MEMORY = timedelta(days=2)  # how far back a new report may join a posted story
GIVE_UP = timedelta(hours=12)  # a post still failing this long after its claim is dropped


@dataclass(frozen=True)
class Item:
    """One thing to post: an article, or another outlet's copy of one (`copy_outlet`)."""

    key: str  # "a:<article id>" or "c:<article id>:<outlet key>"
    article: Article
    story_id: int  # the article that opened this story in the channel (or will)
    merged: bool  # the channel already had this story: a "+1 outlet"
    copy_outlet: str | None = None
    copy_title: str | None = None
    copy_url: str | None = None


@dataclass(frozen=True)
class LiveOutcome:
    """What one pass did in one channel."""

    channel: str
    status: str  # delivered | failed | skipped
    items: int = 0
    detail: str = ""


def channel_subscription(platform: str, workspace: str, channel: str, now: datetime) -> Any:
    """The Subscription-shaped address a DigestPoster posts to (only platform, workspace and
    channel are read by the posters; id 0 marks a live post in logs)."""
    return Subscription(0, platform, workspace, channel, 0, 0, "UTC", None, 0, False, "", now, now)


async def run_live(
    core: Core, posters: Mapping[str, DigestPoster], *, now: datetime | None = None
) -> list[LiveOutcome]:
    """Post what each live channel has not had yet (see module docstring)."""
    now = now or core.clock.now()
    by_channel: dict[tuple[str, str, str], list[Attachment]] = defaultdict(list)
    for attachment in await asyncio.to_thread(Attachments(core.store).live):
        by_channel[_where(attachment)].append(attachment)
    outcomes = []
    for where, attached in by_channel.items():
        poster = posters.get(where[0])
        if poster is None:
            outcomes.append(LiveOutcome(where[2], "skipped", detail=f"no {where[0]} settings"))
            continue
        outcomes += await _retry_unsettled(core, poster, where, now)
        items = await asyncio.to_thread(_new_items, core, where, attached, now)
        if items:
            outcomes.append(await _post(core, poster, where, attached, items, now))
    return [o for o in outcomes if o is not None]


def _where(attachment: Attachment) -> tuple[str, str, str]:
    return (attachment.platform, attachment.workspace, attachment.channel)


def next_retry(core: Core) -> datetime | None:
    """When the soonest unsettled live post may be taken over (None: none is waiting)."""
    with core.store.engine.connect() as conn:
        soonest = conn.execute(
            select(live_posts.c.next_attempt_at)
            .where(
                live_posts.c.status.in_(("claimed", "failed")),
                live_posts.c.next_attempt_at.is_not(None),
            )
            .order_by(live_posts.c.next_attempt_at)
            .limit(1)
        ).scalar()
    return from_iso(soonest)


# -- what is new ----------------------------------------------------------------------------


def _channel_is(table: Any, where: tuple[str, str, str]) -> Any:
    return and_(
        table.c.platform == where[0], table.c.workspace == where[1], table.c.channel == where[2]
    )


def _new_items(
    core: Core, where: tuple[str, str, str], attached: Sequence[Attachment], now: datetime
) -> list[Item]:
    """Articles of the channel's live feeds since each was attached, and copies of stories
    it already had, that it has not had yet, oldest first."""
    scope = scope_of(where[0], where[1])
    visible = scope.visible
    had = select(live_items.c.item).where(_channel_is(live_items, where))
    # Each live feed's articles since it was attached, through its topic filter (bot.filters:
    # the same search, and meaning, as `brief` and digests).
    found: dict[int, Article] = {}
    for a in attached:
        topic = replace(as_filter(a.topic) or TopicFilter(), feeds=(normalize_url(a.feed.url),))
        for article in core.store.search(
            topic, limit=MAX_ITEMS * 2, scope=scope, stored_after=a.added_at, stored_until=now
        ):
            found[article.id] = article
    with core.store.engine.connect() as conn:
        done = set(conn.execute(had).scalars())
        fresh = sorted(
            (a for a in found.values() if f"a:{a.id}" not in done),
            key=lambda a: (a.ingested_at, a.id),
        )[:MAX_ITEMS]
        # Stories the channel had lately: a new report of one is a "+1 outlet".
        posted = conn.execute(
            select(live_items.c.article_id, live_items.c.story_id)
            .join(live_posts, live_posts.c.id == live_items.c.post_id)
            .where(
                _channel_is(live_items, where),
                live_items.c.item.like("a:%"),
                live_posts.c.claimed_at >= to_iso(now - STORY_MEMORY),
            )
        ).all()
        story_of = {r.article_id: r.story_id for r in posted}
        copies = []
        if story_of:
            copy_rows = conn.execute(
                select(article_copies).where(
                    article_copies.c.article_id.in_(list(story_of)),
                    *([article_copies.c.scope.in_(visible)] if visible is not None else []),
                )
            ).all()
            for c in copy_rows:
                item = f"c:{c.article_id}:{c.outlet_key}"
                if item not in done and item not in {i.key for i in copies}:
                    copies.append((item, c))
    items: list[Item] = []
    if fresh:
        items += _grouped(core, fresh, story_of)
    if copies:
        originals = {a.id: a for a in _articles(core, [c.article_id for _, c in copies])}
        items += [
            Item(
                item,
                originals[c.article_id],
                story_of[c.article_id],
                True,
                copy_outlet=c.outlet,
                copy_title=c.title,
                copy_url=c.url,
            )
            for item, c in copies
            if c.article_id in originals
        ]
    return items[:MAX_ITEMS]


def _articles(core: Core, ids: list[int]) -> list[Article]:
    from .scopes import OPERATOR

    return [a for a in (core.store.get(i, scope=OPERATOR) for i in ids) if a is not None]


def _grouped(core: Core, fresh: list[Article], story_of: dict[int, int]) -> list[Item]:
    """Group new articles with each other and with the channel's recent stories."""
    recent = _articles(core, sorted(story_of)[-50:])
    everyone = [*recent, *fresh]
    analyses = core.store.analyses(a.id for a in everyone)
    usable = [a for a in everyone if a.id in analyses]
    groups = group_stories([analyses[a.id] for a in usable]) if usable else []
    story: dict[int, tuple[int, bool]] = {}
    for group in groups:
        members = [usable[i] for i in group]
        old = [story_of[m.id] for m in members if m.id in story_of]
        if old:
            story.update({m.id: (old[0], True) for m in members})
        else:
            first = min(members, key=lambda m: (m.ingested_at, m.id)).id
            story.update({m.id: (first, False) for m in members})
    return [Item(f"a:{a.id}", a, *story.get(a.id, (a.id, False))) for a in fresh]


# -- claiming and posting -------------------------------------------------------------------


def _claim(
    where: tuple[str, str, str], items: list[Item], core: Core, now: datetime
) -> tuple[int, list[Item]] | None:
    """Claim a post and its items in one transaction; None if every item was taken."""
    with core.store.transaction() as conn:
        post_id = conn.execute(
            live_posts.insert().values(
                platform=where[0],
                workspace=where[1],
                channel=where[2],
                status="claimed",
                attempts=1,
                claimed_at=to_iso(now),
                next_attempt_at=to_iso(max(now, core.clock.now()) + CLAIM_LEASE),
            )
        ).inserted_primary_key[0]
        mine = []
        for item in items:
            try:
                with conn.begin_nested():
                    conn.execute(
                        live_items.insert().values(
                            platform=where[0],
                            workspace=where[1],
                            channel=where[2],
                            item=item.key,
                            post_id=post_id,
                            article_id=item.article.id,
                            story_id=item.story_id,
                        )
                    )
            except IntegrityError:
                continue  # another pass has it
            mine.append(item)
        if not mine:
            conn.execute(live_posts.delete().where(live_posts.c.id == post_id))
            return None
    return post_id, mine


def _settle(core: Core, post_id: int, attempts: int, **values: Any) -> bool:
    with core.store.transaction() as conn:
        done = conn.execute(
            live_posts.update()
            .where(
                live_posts.c.id == post_id,
                live_posts.c.status == "claimed",
                live_posts.c.attempts == attempts,
            )
            .values(**values)
        )
    return done.rowcount == 1


async def _post(
    core: Core,
    poster: DigestPoster,
    where: tuple[str, str, str],
    attached: Sequence[Attachment],
    items: list[Item],
    now: datetime,
) -> LiveOutcome:
    claimed = await asyncio.to_thread(_claim, where, items, core, now)
    if claimed is None:
        return LiveOutcome(where[2], "skipped", detail="taken by another pass")
    post_id, mine = claimed
    return await _send(core, poster, where, post_id, 1, mine, now, now)


async def _send(
    core: Core,
    poster: DigestPoster,
    where: tuple[str, str, str],
    post_id: int,
    attempts: int,
    items: list[Item],
    claimed_at: datetime,
    now: datetime,
) -> LiveOutcome:
    address = channel_subscription(*where, now)
    mark = DigestMark(post_id, 0, "live", claimed_at - CLOCK_SKEW)
    try:
        if attempts > 1:
            found = await poster.landed(address, mark)
            if found is not None:
                await asyncio.to_thread(
                    _settle,
                    core,
                    post_id,
                    attempts,
                    status="delivered",
                    message_id=found.message_id,
                    delivered_at=to_iso(now),
                    next_attempt_at=None,
                )
                return LiveOutcome(where[2], "delivered", len(items), found.message_id)
        message_id = await _deliver(core, poster, address, mark, where, items)
    except Exception as exc:  # recorded and retried, never lost
        detail = failure_detail(poster, exc)
        retry = retry_at(attempts, now)
        await asyncio.to_thread(
            _settle,
            core,
            post_id,
            attempts,
            status="failed",
            error=detail[:500],
            next_attempt_at=to_iso(retry) if retry - claimed_at <= GIVE_UP else None,
        )
        log.error("Live post %s in %s failed (attempt %s): %s", post_id, where[2], attempts, detail)
        return LiveOutcome(where[2], "failed", len(items), detail)
    await asyncio.to_thread(
        _settle,
        core,
        post_id,
        attempts,
        status="delivered",
        message_id=message_id,
        delivered_at=to_iso(now),
        next_attempt_at=None,
    )
    return LiveOutcome(where[2], "delivered", len(items), message_id)


async def _retry_unsettled(
    core: Core, poster: DigestPoster, where: tuple[str, str, str], now: datetime
) -> list[LiveOutcome]:
    """Take over failed posts whose retry time came and claims whose lease ran out."""

    def claimable() -> list[tuple[int, int, datetime, list[Item]]]:
        taken = []
        with core.store.transaction() as conn:
            rows = conn.execute(
                select(live_posts).where(
                    _channel_is(live_posts, where),
                    live_posts.c.status.in_(("claimed", "failed")),
                    live_posts.c.next_attempt_at <= to_iso(now),
                )
            ).all()
            for row in rows:
                got = conn.execute(
                    live_posts.update()
                    .where(
                        live_posts.c.id == row.id,
                        live_posts.c.attempts == row.attempts,
                        live_posts.c.next_attempt_at <= to_iso(now),
                    )
                    .values(
                        status="claimed",
                        attempts=row.attempts + 1,
                        next_attempt_at=to_iso(max(now, core.clock.now()) + CLAIM_LEASE),
                    )
                )
                if got.rowcount == 1:
                    taken.append((row.id, row.attempts + 1, from_iso(row.claimed_at)))
        out = []
        for post_id, attempts, claimed_at in taken:
            with core.store.engine.connect() as conn:
                rows = conn.execute(select(live_items).where(live_items.c.post_id == post_id)).all()
            articles_by_id = {a.id: a for a in _articles(core, [r.article_id for r in rows])}
            items = []
            for r in rows:
                if r.article_id not in articles_by_id:
                    continue
                merged = r.story_id != r.article_id or r.item.startswith("c:")
                copy = None
                if r.item.startswith("c:"):
                    with core.store.engine.connect() as conn:
                        copy = conn.execute(
                            select(article_copies).where(
                                article_copies.c.article_id == r.article_id,
                                article_copies.c.outlet_key == r.item.split(":", 2)[2],
                            )
                        ).first()
                items.append(
                    Item(
                        r.item,
                        articles_by_id[r.article_id],
                        r.story_id,
                        merged,
                        copy_outlet=copy.outlet if copy else None,
                        copy_title=copy.title if copy else None,
                        copy_url=copy.url if copy else None,
                    )
                )
            out.append((post_id, attempts, claimed_at, items))
        return out

    outcomes = []
    for post_id, attempts, claimed_at, items in await asyncio.to_thread(claimable):
        outcomes.append(await _send(core, poster, where, post_id, attempts, items, claimed_at, now))
    return outcomes


# -- what a post says -------------------------------------------------------------------------


async def _deliver(
    core: Core,
    poster: DigestPoster,
    address: Any,
    mark: DigestMark,
    where: tuple[str, str, str],
    items: list[Item],
) -> str:
    """Post the items: new stories in one post; "+1 outlet" reports as thread replies to
    their story's post when the poster can (`follow_up`), else as lines of that post."""
    new = [i for i in items if not i.merged]
    more = [i for i in items if i.merged]
    follow_up = getattr(poster, "follow_up", None)
    threads = await asyncio.to_thread(_story_messages, core, where, {i.story_id for i in more})
    replies = [i for i in more if follow_up is not None and threads.get(i.story_id)]
    inline = [i for i in more if i not in replies]
    message_id = ""
    if new or inline:
        reply = await asyncio.to_thread(compose_live, core, new, inline)
        message_id = await poster.post(address, reply, mark)
    for story_id in dict.fromkeys(i.story_id for i in replies):
        these = [i for i in replies if i.story_id == story_id]
        answer = await follow_up(address, threads[story_id], follow_up_reply(core, these), mark)
        message_id = message_id or answer
    return message_id


def follow_up_reply(core: Core, items: list[Item]) -> object:
    """A "+N outlets" thread reply: a briefing of one line whose sources are the new reports.

    Feed text (outlets, headlines, links) goes only into `Source`s, never into the line
    itself, so each renderer escapes it as it escapes every briefing's sources (no mention,
    link or formatting from a feed; a notice's text would keep code spans as command hints).
    """
    from .commands import BriefingReply

    n = len(items)
    line = f"+{n} outlet{'' if n == 1 else 's'} on this story"
    bullet = Bullet(line, tuple(_source(i) for i in items))
    return BriefingReply(Briefing(line, core.clock.now(), None, (bullet,), article_count=n))


def _story_messages(core: Core, where: tuple[str, str, str], stories: set[int]) -> dict[int, str]:
    """The message that posted each story in the channel (its first delivered post)."""
    if not stories:
        return {}
    with core.store.engine.connect() as conn:
        rows = conn.execute(
            select(live_items.c.story_id, live_posts.c.message_id)
            .join(live_posts, live_posts.c.id == live_items.c.post_id)
            .where(
                _channel_is(live_items, where),
                live_items.c.article_id == live_items.c.story_id,
                live_items.c.story_id.in_(sorted(stories)),
                live_posts.c.status == "delivered",
            )
        ).all()
    return {r.story_id: r.message_id for r in rows if r.message_id}


def _outlet(item: Item) -> str:
    return item.copy_outlet or item.article.outlet or item.article.source


def _title(item: Item) -> str:
    return item.copy_title or item.article.title


def _url(item: Item) -> str | None:
    return item.copy_url if item.copy_outlet else item.article.url


def _source(item: Item) -> Source:
    return Source(item.article.id, _title(item), _url(item), _outlet(item))


def compose_live(core: Core, new: list[Item], more: list[Item]) -> object:
    """One post: the new stories (summaries for a few, headlines for a burst) and "+1
    outlet" lines for reports of stories the channel already had."""
    from .commands import BriefingReply

    stories: dict[int, list[Item]] = defaultdict(list)
    for item in new:
        stories[item.story_id].append(item)
    bullets = []
    summarize = len(stories) <= FULL_STORIES
    summarizer = core.summarizer()
    analyses = core.store.analyses(i.article.id for i in new) if summarize else {}
    for members in list(stories.values())[:LIST_STORIES]:
        lead = members[0].article
        text = lead.title
        if summarize and lead.id in analyses:
            analysis = analyses[lead.id]
            picked = summarizer.select(analysis, SUMMARY_SENTENCES)
            text = " ".join(analysis.sentences[i] for i in picked) or lead.title
        bullets.append(Bullet(text, tuple(_source(m) for m in members)))
    later: dict[int, list[Item]] = defaultdict(list)
    for item in more:
        later[item.story_id].append(item)
    for members in later.values():
        n = len(members)
        bullets.append(
            Bullet(
                f"+{n} outlet{'' if n == 1 else 's'} on an earlier story",
                tuple(_source(m) for m in members),
            )
        )
    notes = ()
    if len(stories) > LIST_STORIES:
        notes = (f"…and {len(stories) - LIST_STORIES} more new articles.",)
    count = len(new) + len(more)
    title = f"New: {count} article{'' if count == 1 else 's'}" if count > 1 else "New"
    return BriefingReply(
        Briefing(title, core.clock.now(), None, tuple(bullets), article_count=count, notes=notes)
    )
