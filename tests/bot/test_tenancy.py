"""Tenancy in the core, on real SQLite and real HTTP on 127.0.0.1: each workspace reads its own
articles and the shared library, never another workspace's."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import (
    CHESS,
    HARBOUR,
    HARVEST,
    VOLCANO,
    FeedEntry,
    Story,
    make_rss,
    story_html,
    story_text,
)
from fakes.web import WebServer

from bot.app import Core
from bot.commands import ArticlesReply, BriefingReply, ErrorReply, NoticeReply, answer
from bot.digests import Context, run_due
from bot.feeds import poll
from bot.ingest import ingest
from bot.models import Subscription
from bot.scopes import OPERATOR, SHARED, SHARED_LIBRARY, Scope, scope_of
from bot.store import SCHEMA_VERSION, Store
from bot.suggest import article_choices, topic_choices
from bot.urls import normalize_url

A = Context(platform="slack", workspace="TA", channel="CA", user="UA")
B = Context(platform="slack", workspace="TB", channel="CB", user="UB")
GUILD = Context(platform="discord", workspace="TA", channel="1", user="9")  # same id, not A


def entry(story: Story, web: WebServer, n: int) -> FeedEntry:
    return FeedEntry(
        title=story.title,
        link=web.url(f"/story/{n}"),
        content_html="".join(f"<p>{p}</p>" for p in story.paragraphs),
        published=datetime(2024, 5, 1, 8, n, tzinfo=UTC),
    )


def feed(web: WebServer, path: str, entries: list[FeedEntry]) -> str:
    return web.serve(path, make_rss(f"Feed {path}", web.url("/"), entries), "application/rss+xml")


def follow(core: Core, url: str, context: Context) -> NoticeReply:
    reply = answer(core, f"feeds add {url}", context)
    assert isinstance(reply, NoticeReply), reply
    return reply


def titles(core: Core, context: Context, query: str = "") -> set[str]:
    reply = answer(core, f"articles {query}".strip() + " ", context)
    if isinstance(reply, ErrorReply):
        return set()
    assert isinstance(reply, ArticlesReply), reply
    return {a.title for a in reply.articles}


def article_id(core: Core, title: str) -> int:
    [found] = [a for a in core.store.search(None, limit=1000, scope=OPERATOR) if a.title == title]
    return found.id


def sources(reply: object) -> set[str]:
    assert isinstance(reply, BriefingReply), reply
    return {s.title for b in reply.briefing.bullets for s in b.sources}


def test_scope_keys_name_platform_and_workspace() -> None:
    assert scope_of("slack", "T1") == Scope("slack:T1")
    assert scope_of("slack", "T1").visible == ("slack:T1", SHARED)
    assert scope_of("cli", "") is OPERATOR and OPERATOR.visible is None
    assert OPERATOR.owner == SHARED and SHARED_LIBRARY.visible == (SHARED,)
    assert A.scope != GUILD.scope  # a Slack team and a Discord guild never share a key


def test_each_workspace_reads_its_own_and_the_shared_articles(core: Core, web: WebServer) -> None:
    follow(core, feed(web, "/a", [entry(HARBOUR, web, 1)]), A)
    follow(core, feed(web, "/b", [entry(VOLCANO, web, 2)]), B)
    seeded = core.store.count(SHARED_LIBRARY)
    assert seeded > 0  # the seeds are the shared library

    assert HARBOUR.title in titles(core, A) and VOLCANO.title not in titles(core, A)
    assert VOLCANO.title in titles(core, B) and HARBOUR.title not in titles(core, B)
    assert titles(core, GUILD) & {HARBOUR.title, VOLCANO.title} == set()
    assert {HARBOUR.title, VOLCANO.title} <= titles(core, Context())  # the operator: everything
    # Totals count only what the workspace reads.
    reply = answer(core, "articles", A)
    assert isinstance(reply, ArticlesReply) and reply.total == seeded + 1
    # A search for the other workspace's words finds nothing, and says so as for any miss.
    assert titles(core, A, "magma") == set()
    miss = answer(core, "articles magma", A)
    assert isinstance(miss, ErrorReply) and "No stored article matches" in miss.message

    # Briefings read the workspace's articles and the shared library.
    assert HARBOUR.title in sources(answer(core, "brief harbour ferry", A))
    assert isinstance(answer(core, "brief magma volcano", A), ErrorReply)
    assert VOLCANO.title in sources(answer(core, "brief magma volcano", B))
    shared_only = sources(answer(core, "brief ukraine", A))
    assert shared_only and shared_only == sources(answer(core, "brief ukraine", B))


def test_summarize_by_id_of_another_workspaces_article_reads_as_missing(
    core: Core, web: WebServer
) -> None:
    follow(core, feed(web, "/b", [entry(VOLCANO, web, 2)]), B)
    theirs = article_id(core, VOLCANO.title)
    assert isinstance(answer(core, f"summarize {theirs}", B), BriefingReply)
    foreign = answer(core, f"summarize {theirs}", A)
    missing = answer(core, "summarize 999999", A)
    assert isinstance(foreign, ErrorReply) and isinstance(missing, ErrorReply)
    assert foreign.message == missing.message.replace("999999", str(theirs))
    assert foreign.message.startswith(f"No article with id {theirs}.")
    assert isinstance(answer(core, f"summarize {theirs}", Context()), BriefingReply)  # operator


def test_autocomplete_offers_only_readable_articles_and_words(core: Core, web: WebServer) -> None:
    follow(core, feed(web, "/b", [entry(VOLCANO, web, 2)]), B)
    theirs = str(article_id(core, VOLCANO.title))
    assert theirs in {v for _, v in article_choices(core.store, theirs, B.scope)}
    assert theirs not in {v for _, v in article_choices(core.store, theirs, A.scope)}
    assert article_choices(core.store, "Kesra", A.scope) == []
    assert article_choices(core.store, "Kesra", B.scope)
    assert topic_choices(core.store, "kesr", A.scope) == []
    assert topic_choices(core.store, "kesr", B.scope) == ["Kesra"]
    assert "Ukraine" in topic_choices(core.store, "ukr", A.scope)  # shared words


def test_one_article_brought_in_by_two_workspaces_is_stored_once_for_both(
    core: Core, web: WebServer
) -> None:
    follow(core, feed(web, "/a", [entry(CHESS, web, 1)]), A)
    before = core.store.count()
    # B's feed carries the same story under the same link: no second copy, but B reads it.
    follow(core, feed(web, "/b", [entry(CHESS, web, 1)]), B)
    assert core.store.count() == before
    assert CHESS.title in titles(core, A) and CHESS.title in titles(core, B)
    assert core.store.scopes_of(article_id(core, CHESS.title)) == {"slack:TA", "slack:TB"}


def test_a_feed_two_workspaces_follow_is_fetched_once_per_poll_and_read_by_both(
    core: Core, web: WebServer, clock
) -> None:
    url = feed(web, "/both", [entry(HARVEST, web, 1)])
    follow(core, url, A)
    assert HARVEST.title not in titles(core, B)
    joined = follow(core, url, B)
    # What the feed already brought in is B's at once.
    assert HARVEST.title in titles(core, B)
    # Counted as stored here: the reply does not reveal that another workspace follows it.
    assert "1 article stored now" in joined.text and "earlier" not in joined.text
    feed(web, "/both", [entry(HARVEST, web, 1), entry(CHESS, web, 2)])
    fetched = len(web.requests_to("/both"))
    clock.advance(timedelta(hours=1))
    results = poll(core)
    assert len(web.requests_to("/both")) == fetched + 1  # one request for both followers
    assert len(results) == 2 and {r.stored for r in results} == {1}
    assert CHESS.title in titles(core, A) and CHESS.title in titles(core, B)
    # Another workspace that follows nothing reads neither.
    assert titles(core, GUILD) & {HARVEST.title, CHESS.title} == set()


def test_a_known_entry_skipped_without_fetching_still_reaches_the_new_follower(
    core: Core, web: WebServer, clock
) -> None:
    # The entry is only a teaser, so storing it fetches its page; once known it is skipped.
    page = web.serve("/story/7", story_html(HARBOUR))
    teaser = FeedEntry(title=HARBOUR.title, link=page, summary="Teaser.")
    url = feed(web, "/a", [teaser])
    follow(core, url, A)
    pages = len(web.requests_to("/story/7"))
    stored = core.store.count()
    follow(core, url, B)
    assert len(web.requests_to("/story/7")) == pages  # skipped as known
    assert HARBOUR.title in titles(core, B)
    # Another feed naming the same link is only a claim (a feed may name any link): its
    # follower's poll reads the page itself, and the same words are the one stored copy.
    follow(core, feed(web, "/c", [teaser]), GUILD)
    assert len(web.requests_to("/story/7")) == pages + 1
    assert HARBOUR.title in titles(core, GUILD)
    assert core.store.count() == stored


def test_command_line_ingests_and_feeds_are_shared(core: Core, web: WebServer, tmp_path) -> None:
    (tmp_path / "chess.txt").write_text(story_text(CHESS), encoding="utf-8")
    report = ingest(core.store, [str(tmp_path / "chess.txt")], core.clock)
    assert report.count("stored") == 1
    assert core.store.scopes_of(article_id(core, CHESS.title)) == {SHARED}
    follow(core, feed(web, "/ops", [entry(VOLCANO, web, 3)]), Context())
    for context in (A, B, GUILD):
        assert {CHESS.title, VOLCANO.title} <= titles(core, context)
    # A workspace that follows the operator's feed too is told it already does: in a
    # channel, `feeds add` attaches it to the channel once (issue 16), then says so.
    attached = answer(core, f"feeds add {web.url('/ops')}", A)
    assert isinstance(attached, NoticeReply) and "to this channel" in attached.text
    again = answer(core, f"feeds add {web.url('/ops')}", A)
    assert isinstance(again, ErrorReply) and "Already following" in again.message
    again = answer(core, f"feeds add {web.url('/ops')} workspace", A)
    assert isinstance(again, ErrorReply) and "Already following" in again.message


def test_feeds_stay_listed_per_workspace(core: Core, web: WebServer) -> None:
    url = feed(web, "/both", [entry(HARVEST, web, 1)])
    follow(core, url, A)
    follow(core, url, B)
    listed = answer(core, "feeds list", A)
    assert isinstance(listed, NoticeReply)
    assert [line.split(" · ")[0] for line in listed.text.splitlines()] == ["#1"]
    removed = answer(core, "feeds remove 1", B)  # A's feed: B cannot see it
    assert isinstance(removed, ErrorReply) and "No feed #1" in removed.message


class Recorder:
    def __init__(self) -> None:
        self.posts: list[tuple[Subscription, object]] = []

    async def post(self, subscription: Subscription, reply: object, mark: object) -> str:
        self.posts.append((subscription, reply))
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: object) -> None:
        return None  # never crashed mid-post here


def test_digests_carry_only_their_workspaces_and_shared_articles(
    bare_core: Core, web: WebServer, clock, tmp_path: Path
) -> None:
    core = bare_core  # no seeds: the digest's few bullets are all about these stories
    for context in (A, B):
        reply = answer(core, "digest subscribe 10:00 UTC", context)
        assert isinstance(reply, NoticeReply), reply
    # The workspaces' pools (a feed added in the channel would be the channel's own, and its
    # digest would then draw from it alone: tests/bot/test_channel_feeds.py).
    follow(core, feed(web, "/a", [entry(HARBOUR, web, 1)]) + " workspace", A)
    follow(core, feed(web, "/b", [entry(VOLCANO, web, 2)]) + " workspace", B)
    chess = tmp_path / "chess.txt"
    chess.write_text(story_text(CHESS), encoding="utf-8")
    ingest(core.store, [str(chess)], core.clock)  # the operator's: shared
    now = clock.advance(timedelta(hours=2))
    # `digest now` composes the same way.
    assert sources(answer(core, "digest now", A)) == {HARBOUR.title, CHESS.title}
    poster = Recorder()
    outcomes = asyncio.run(run_due(core, {"slack": poster}, now=now))
    assert {o.status for o in outcomes} == {"delivered"}
    got = {s.workspace: sources(reply) for s, reply in poster.posts}
    assert HARBOUR.title in got["TA"] and VOLCANO.title not in got["TA"]
    assert VOLCANO.title in got["TB"] and HARBOUR.title not in got["TB"]
    assert CHESS.title in got["TA"] and CHESS.title in got["TB"]


def test_the_newest_first_walk_keeps_its_index_with_a_scope(db_path: Path) -> None:
    store = Store(f"sqlite:///{db_path}")
    try:
        from sqlalchemy import select

        from bot.store import articles

        statement = store._newest(select(articles.c.id), None, Scope("slack:T1")).limit(40)
        with store.engine.connect() as conn:
            sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
    finally:
        store.close()
    with sqlite3.connect(db_path) as conn:
        plan = " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
    assert "ix_articles_when" in plan and "TEMP B-TREE" not in plan
    assert "article_scopes USING PRIMARY KEY" in plan  # an index probe per row, no scan


# -- migration -------------------------------------------------------------------------------


def test_a_schema_5_store_gives_feed_articles_to_their_workspace_and_shares_the_rest(
    db_path: Path, clock
) -> None:
    """Build a store at schema 5 as briefbot wrote it, then open it with this version."""
    from bot.models import ArticleDraft
    from summarizers.analysis import analyze

    first = Store(f"sqlite:///{db_path}")
    feed_url = "https://News.test/rss?utm_source=x"
    canonical = normalize_url(feed_url)

    def put(title: str, story: Story, **extra: object) -> int:
        draft = ArticleDraft(title, "\n".join(story.paragraphs), "Loopback", **extra)  # type: ignore[arg-type]
        return first.add(draft, analyze(draft.text, draft.title), clock.now())[0].id

    seed = put(CHESS.title, CHESS)
    from_guid = put(HARBOUR.title, HARBOUR, guid=f"{canonical} urn:1", url="https://news.test/1")
    first.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO feeds (url, canonical_url, name, platform, workspace, channel, "
            "created_at, interval_minutes, failures, paused, articles_stored, active) "
            "VALUES (?, ?, 'My Feed', 'slack', 'T9', 'C9', ?, 30, 0, 0, 2, 1)",
            (feed_url, canonical, (clock.now() - timedelta(days=1)).isoformat()),
        )
    # An entry without a GUID: its source is the feed's name (as polling wrote it).
    again = Store(f"sqlite:///{db_path}")
    draft = ArticleDraft(VOLCANO.title, "\n".join(VOLCANO.paragraphs), "My Feed")
    no_guid = again.add(draft, analyze(draft.text, draft.title), clock.now())[0].id
    again.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TABLE article_scopes")
        conn.execute("DROP TABLE article_feeds")
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")

    store = Store(f"sqlite:///{db_path}")
    try:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.count() == 3  # nothing lost
        assert store.scopes_of(seed) == {SHARED}
        assert store.scopes_of(from_guid) == {"slack:T9"}
        assert store.scopes_of(no_guid) == {"slack:T9"}
        workspace = scope_of("slack", "T9")
        other = scope_of("slack", "T8")
        assert {a.id for a in store.search(None, scope=workspace)} == {seed, from_guid, no_guid}
        assert {a.id for a in store.search(None, scope=other)} == {seed}
        # A workspace that follows the feed later is granted what it brought in.
        assert store.grant_feed(canonical, "slack:T8") == 2
        assert store.get(from_guid, scope=other) is not None
    finally:
        store.close()


@pytest.mark.parametrize(
    "text",
    [
        "summarize 2147483648",
        "summarize 99999999999999999999",
        "feeds remove 2147483648",
        "digest unsubscribe 2147483648",
        "digest now 2147483648",
    ],
)
def test_an_id_beyond_every_database_range_is_one_clear_line(core: Core, text: str) -> None:
    # PostgreSQL's ids are 32-bit: comparing a bigger one in SQL is an error there, which
    # reached the channel as "something went wrong" (found by the review).
    reply = answer(core, text, A)
    assert isinstance(reply, ErrorReply), reply
    assert "went wrong" not in reply.message and "\n" not in reply.message
