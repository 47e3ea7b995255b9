"""What changed since a subscription's last digest: *New* stories, *Updated* ones (only their
new facts and new outlets), and nothing of a story with nothing new.

Story identity is stored, not recomputed per digest: each scheduled digest records which
article it carried under which story (table digest_stories: subscription, run key, article,
story id = the article that first brought the story to this subscription).  The next digest
groups its new articles with the stories of the previous ones the way briefings group
reports (`bot.briefing.group_stories`); a new article that joins a recorded story inherits
that story's id, so a story keeps its identity however many days it runs.

An update shows a fact only if no sentence the subscription saw of that story says it
already (word-shingle resemblance below SEEN_FACT, `bot.dedupe.resemblance`), and names the
outlets that had not reported the story before.  Only deliveries that were posted count as
seen (the ledger, bot.ledger): a composed digest whose post failed is recomposed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from .app import Core
from .briefing import ARTICLES_PER_BULLET, MAX_ARTICLES, condense, group_stories, with_copies
from .dedupe import outlet_key, resemblance
from .filters import TopicFilter
from .models import Article, Briefing, Bullet, Source, Subscription
from .scopes import OPERATOR, scope_of
from .store import deliveries, digest_stories, to_iso

SEEN_FACT = 0.5  # a bullet this like a sentence seen before is not new
MEMORY = timedelta(days=14)  # how far back a story is remembered
MEMORY_ARTICLES = 200
UPDATE_BULLETS = 2  # at most this many new facts per updated story


def _seen(core: Core, subscription: Subscription, now: datetime) -> dict[int, int]:
    """article id → story id of what the subscription's posted digests carried lately."""
    with core.store.engine.connect() as conn:
        rows = conn.execute(
            select(digest_stories.c.article_id, digest_stories.c.story_id)
            .join(
                deliveries,
                (deliveries.c.subscription_id == digest_stories.c.subscription_id)
                & (deliveries.c.local_date == digest_stories.c.run_key),
            )
            .where(
                digest_stories.c.subscription_id == subscription.id,
                deliveries.c.status == "delivered",
                digest_stories.c.recorded_at >= to_iso(now - MEMORY),
            )
            .order_by(digest_stories.c.recorded_at.desc())
            .limit(MEMORY_ARTICLES)
        ).all()
    return {r.article_id: r.story_id for r in rows}


def record(
    core: Core, subscription: Subscription, run_key: str, stories: dict[int, int], now: datetime
) -> None:
    """Store which article a run's digest carried under which story (replacing an earlier
    attempt's record of the same run)."""
    with core.store.transaction() as conn:
        conn.execute(
            digest_stories.delete().where(
                digest_stories.c.subscription_id == subscription.id,
                digest_stories.c.run_key == run_key,
            )
        )
        if stories:
            conn.execute(
                digest_stories.insert(),
                [
                    {
                        "subscription_id": subscription.id,
                        "run_key": run_key,
                        "article_id": article_id,
                        "story_id": story_id,
                        "recorded_at": to_iso(now),
                    }
                    for article_id, story_id in stories.items()
                ],
            )


def compose_changes(
    core: Core,
    subscription: Subscription,
    query: TopicFilter | None,
    title: str,
    now: datetime,
) -> tuple[Briefing, dict[int, int]]:
    """The digest's briefing (New stories, then Updated ones) and the story of each article
    it considered (article id → story id), for `record`.  Articles are read as `brief` reads
    them (`Core.reads`: on an up-to-date SQLite store, bot.sqlite_reads)."""
    scope = scope_of(subscription.platform, subscription.workspace)
    bullets_wanted = subscription.bullets
    found = core.reads.search(
        query,
        limit=max(MAX_ARTICLES, ARTICLES_PER_BULLET * bullets_wanted),
        scope=scope,
        stored_after=subscription.window_start,
        stored_until=now,
    )
    seen = _seen(core, subscription, now)
    fresh_ids = {a.id for a in found}
    by_id = core.reads.get_many((i for i in seen if i not in fresh_ids), scope=OPERATOR)
    earlier = [by_id[i] for i in seen if i in by_id]
    everyone = [*earlier, *found]
    analyses = core.reads.analyses(a.id for a in everyone)
    usable = [a for a in everyone if a.id in analyses and len(analyses[a.id])]
    groups = group_stories([analyses[a.id] for a in usable]) if usable else []
    story_of: dict[int, int] = {}
    updated: dict[int, tuple[list[Article], list[Article]]] = {}
    new_articles: list[Article] = []
    for group in groups:
        members = [usable[i] for i in group]
        old = [m for m in members if m.id in seen and m.id not in fresh_ids]
        new = [m for m in members if m.id in fresh_ids]
        if not new:
            continue
        if old:
            story = seen[old[0].id]
            updated[story] = (old, new)
        else:
            story = min(m.id for m in new)
            new_articles += new
        story_of.update({m.id: story for m in new})
    summarizer = core.summarizer()
    topic = bool(query and query.text)
    bullets = condense(
        new_articles,
        [analyses[a.id] for a in new_articles],
        summarizer,
        bullets_wanted,
        topic=topic,
    )
    bullets = _labelled(bullets, story_of, "New", new_articles)
    for old, new in list(updated.values())[: max(bullets_wanted, 1)]:
        bullets += _update(new, old, analyses, summarizer)
    copies = core.reads.copies_of(
        (a.id for a in new_articles + [n for _, ns in updated.values() for n in ns]), scope=scope
    )
    briefing = Briefing(
        title=title,
        generated_at=core.clock.now(),
        topic=(query.text or None) if query else None,
        bullets=tuple(with_copies(bullets, copies)),
        article_count=len(found),
    )
    return briefing, story_of


def _labelled(
    bullets: list[Bullet], story_of: dict[int, int], mark: str, articles: list[Article]
) -> list[Bullet]:
    """Each story's first bullet opens with its mark: "New · headline"."""
    titles = {a.id: a.title for a in articles}
    out, opened = [], set()
    for bullet in bullets:
        story = next((story_of[s.id] for s in bullet.sources if s.id in story_of), None)
        if story is not None and story not in opened:
            opened.add(story)
            headline = bullet.story or titles.get(story) or bullet.sources[0].title
            bullet = replace(bullet, story=f"{mark} · {headline}")
        out.append(bullet)
    return out


def _update(new: list[Article], old: list[Article], analyses: dict, summarizer) -> list[Bullet]:
    """An updated story's bullets: facts no earlier report stated, and outlets new to it."""
    said = [s for a in old for s in analyses[a.id].sentences] if old else []
    facts = condense(new, [analyses[a.id] for a in new], summarizer, UPDATE_BULLETS + 2)
    fresh = [
        replace(b, story=None, coverage=())
        for b in facts
        if all(resemblance(b.text, s) < SEEN_FACT for s in said)
    ][:UPDATE_BULLETS]
    known = {outlet_key(a.outlet or a.source) for a in old}
    outlets = [a for a in new if outlet_key(a.outlet or a.source) not in known]
    names = list(dict.fromkeys(a.outlet or a.source for a in outlets))
    if not fresh and not names:
        return []  # nothing new: the story is left out
    headline = old[0].title
    if not fresh:
        sources = tuple(Source(a.id, a.title, a.url, a.outlet) for a in outlets)
        fresh = [Bullet(f"Now also reported by {', '.join(names)}.", sources)]
    elif names:
        fresh[-1] = replace(fresh[-1], text=f"{fresh[-1].text} (new: {', '.join(names)})")
    fresh[0] = replace(fresh[0], story=f"Updated · {headline}")
    return fresh
