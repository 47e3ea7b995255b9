"""Feeds that move or end, over real HTTP on 127.0.0.1.

A permanent redirect (301/308) moves the stored feed URL, so later polls ask the new address
only, and what the feed brought in stays linked and recognised; a temporary one (302/307)
keeps the old URL; 410 Gone ends the feed at once, with a health line.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, Story, make_rss, paragraphs_html
from fakes.web import WebServer

from bot.app import Core
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer
from bot.digests import Context, compose_digest
from bot.feeds import GONE, FeedRegistry, health_line, poll
from bot.ledger import Ledger
from bot.scopes import scope_of
from bot.urls import normalize_url

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
THERE = Context(platform="discord", workspace="G2", channel="C9", user="U9")
LATER = Context(platform="slack", workspace="T3", channel="C3", user="U3")


def entry(story: Story, web: WebServer, n: int, **changes: object) -> FeedEntry:
    values: dict[str, object] = {
        "title": story.title,
        "link": web.url(f"/story/{n}"),
        "content_html": paragraphs_html(story.paragraphs),
        "published": datetime(2024, 5, 1, 8, n, tzinfo=UTC),
        "guid": f"urn:loopback:story:{n}",
    }
    values.update(changes)
    return FeedEntry(**values)  # type: ignore[arg-type]


def rss(web: WebServer, entries: list[FeedEntry]) -> str:
    return make_rss("Loopback Wire", web.url("/"), entries)


def only_feed(core: Core):
    [feed] = FeedRegistry(core.store).all()
    return feed


def titles_for(core: Core, context: Context) -> set[str]:
    scope = scope_of(context.platform, context.workspace)
    return {a.title for a in core.store.search(None, limit=1000, scope=scope)}


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_moves_the_feed_and_later_polls_go_straight_there(
    core: Core, web: WebServer, clock, status: int
) -> None:
    old = web.serve("/old.xml", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    assert isinstance(answer(core, f"feeds add {old}", HERE), NoticeReply)
    count = core.store.count()
    # The publisher moves the feed and adds a story.
    new = web.serve(
        "/new.xml",
        rss(web, [entry(HARBOUR, web, 1), entry(CHESS, web, 2)]),
        "application/rss+xml",
    )
    web.redirect("/old.xml", new, status)
    clock.advance(timedelta(hours=1))
    [moved] = poll(core)
    assert (moved.stored, moved.duplicates, moved.error) == (1, 1, None)
    feed = only_feed(core)
    assert feed.url == new and feed.failures == 0
    assert core.store.count() == count + 1
    asked_old = len(web.requests_to("/old.xml"))
    # Every later poll asks the new address only.
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        [again] = poll(core)
        assert again.error is None and again.stored == 0
    assert len(web.requests_to("/old.xml")) == asked_old
    assert len(web.requests_to("/new.xml")) == 3
    assert new in answer(core, "feeds list", HERE).text


def test_after_a_move_entries_are_still_known_by_their_guid_and_links_still_work(
    core: Core, web: WebServer, clock
) -> None:
    old = web.serve(
        "/old.xml",
        rss(web, [entry(HARBOUR, web, 1), entry(VOLCANO, web, 2)]),
        "application/rss+xml",
    )
    answer(core, f"feeds add {old}", HERE)
    answer(core, f"feeds add {old}", THERE)  # a second workspace follows the same feed
    count = core.store.count()
    # Moved, with new links and an edited text: only their GUIDs say they are the same.
    fix = "<p>This article was updated on Tuesday with a correction to a quoted figure.</p>"
    moved_entries = [
        entry(
            story,
            web,
            n,
            link=web.url(f"/2024/{n}"),
            content_html=paragraphs_html(story.paragraphs) + fix,
        )
        for n, story in ((1, HARBOUR), (2, VOLCANO))
    ]
    new = web.serve("/feeds/wire.xml", rss(web, moved_entries), "application/rss+xml")
    web.redirect("/old.xml", new, 301)
    clock.advance(timedelta(hours=1))
    results = poll(core)
    assert [(r.stored, r.duplicates, r.error) for r in results] == [(0, 2, None)] * 2
    assert core.store.count() == count
    assert {f.url for f in FeedRegistry(core.store).all()} == {new}
    # A third workspace that follows the new address is granted what the feed brought in.
    reply = answer(core, f"feeds add {new}", LATER)
    assert isinstance(reply, NoticeReply), reply
    assert "2 articles stored now" in reply.text
    assert {HARBOUR.title, VOLCANO.title} <= titles_for(core, LATER)


def test_adding_a_feed_that_has_moved_follows_its_new_address(
    core: Core, web: WebServer, clock
) -> None:
    new = web.serve("/new.xml", rss(web, [entry(HARVEST, web, 1)]), "application/rss+xml")
    old = web.redirect("/old.xml", new, 301)
    reply = answer(core, f"feeds add {old}", HERE)
    assert isinstance(reply, NoticeReply) and "1 article stored now" in reply.text
    assert only_feed(core).url == new
    before = len(web.requests_to("/old.xml"))
    clock.advance(timedelta(hours=1))
    poll(core)
    assert len(web.requests_to("/old.xml")) == before
    # Adding the old address again is recognised as the same feed.
    again = answer(core, f"feeds add {old}", HERE)
    assert isinstance(again, ErrorReply) and "Already following" in again.message
    assert "moved" in again.message


@pytest.mark.parametrize("status", [302, 307])
def test_a_temporary_redirect_keeps_the_old_url(
    core: Core, web: WebServer, clock, status: int
) -> None:
    old = web.serve("/rss", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    answer(core, f"feeds add {old}", HERE)
    elsewhere = web.serve(
        "/mirror/rss",
        rss(web, [entry(HARBOUR, web, 1), entry(CHESS, web, 2)]),
        "application/rss+xml",
    )
    web.redirect("/rss", elsewhere, status)
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.stored == 1 and result.error is None
    assert only_feed(core).url == old
    asked = len(web.requests_to("/rss"))
    clock.advance(timedelta(hours=1))
    poll(core)
    assert len(web.requests_to("/rss")) == asked + 1  # still asked at the old address


def test_a_permanent_then_temporary_chain_keeps_the_old_url(
    core: Core, web: WebServer, clock
) -> None:
    old = web.serve("/rss", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    answer(core, f"feeds add {old}", HERE)
    final = web.serve("/final/rss", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    hop = web.redirect("/hop", final, 302)
    web.redirect("/rss", hop, 301)
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.error is None and only_feed(core).url == old


def test_a_permanent_redirect_to_a_page_does_not_move_the_feed(
    core: Core, web: WebServer, clock
) -> None:
    old = web.serve("/rss", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    answer(core, f"feeds add {old}", HERE)
    home = web.serve("/home", "<html><body><p>Welcome to our new site.</p></body></html>")
    web.redirect("/rss", home, 301)
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.error == "it is not an RSS, Atom or JSON feed any more"
    assert only_feed(core).url == old


def test_a_moved_feed_answering_not_modified_still_moves(core: Core, web: WebServer, clock) -> None:
    body = rss(web, [entry(CHESS, web, 1)])
    old = web.serve("/old.xml", body, "application/rss+xml")
    web.etags["/old.xml"] = '"v1"'
    answer(core, f"feeds add {old}", HERE)
    new = web.serve("/new.xml", body, "application/rss+xml")
    web.etags["/new.xml"] = '"v1"'
    web.redirect("/old.xml", new, 308)
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.not_modified and only_feed(core).url == new
    assert web.requests_to("/new.xml")[-1].headers.get("If-None-Match") == '"v1"'


def test_410_gone_ends_the_feed_at_once_with_a_health_line(
    core: Core, web: WebServer, clock
) -> None:
    good = web.serve("/good", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    ending = web.serve("/ending", rss(web, [entry(HARBOUR, web, 2)]), "application/rss+xml")
    answer(core, f"feeds add {good}", HERE)
    answer(core, f"feeds add {ending}", HERE)
    web.serve_status("/ending", 410, "This feed has been discontinued.")
    clock.advance(timedelta(hours=1))
    results = {r.name: r for r in poll(core)}
    assert results["Loopback Wire"].error is not None
    feeds = {f.url: f for f in FeedRegistry(core.store).all()}
    gone = feeds[ending]
    assert gone.paused and gone.failures == 1 and gone.last_error == GONE  # no 5-failure wait
    assert not feeds[good].paused
    listing = answer(core, "feeds list", HERE).text
    line = next(line for line in listing.splitlines() if ending in line)
    assert "ended" in line and "gone (410): the publisher ended this feed" in line
    health = health_line([gone])
    assert health is not None and "gone (410)" in health and "ended" in health
    # The regular pass leaves it alone.
    asked = len(web.requests_to("/ending"))
    clock.advance(timedelta(days=1))
    assert [r.feed_id for r in poll(core)] == [feeds[good].id]
    assert len(web.requests_to("/ending")) == asked
    # And the channel's digest says so.
    answer(core, "digest subscribe 08:30 UTC", HERE)
    [sub] = Ledger(core.store).subscriptions()
    reply = compose_digest(core, sub, clock.now().date(), clock.now() + timedelta(days=2))
    text = reply.briefing.notes[0] if isinstance(reply, BriefingReply) else reply.text
    assert "gone (410)" in text and "ended" in text


def test_a_gone_feed_that_comes_back_is_resumed_by_an_operator_poll(
    core: Core, web: WebServer, clock
) -> None:
    url = web.serve("/rss", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    answer(core, f"feeds add {url}", HERE)
    web.serve_status("/rss", 410, "")
    clock.advance(timedelta(hours=1))
    poll(core)
    assert only_feed(core).paused
    web.serve("/rss", rss(web, [entry(CHESS, web, 1), entry(VOLCANO, web, 2)]), "text/xml")
    clock.advance(timedelta(hours=1))
    [result] = poll(core, everything=True)
    assert result.stored == 1 and result.error is None
    feed = only_feed(core)
    assert not feed.paused and feed.failures == 0 and feed.last_error is None


def test_feeds_add_of_a_gone_feed_is_refused(core: Core, web: WebServer) -> None:
    url = web.serve_status("/rss", 410, "")
    reply = answer(core, f"feeds add {url}", HERE)
    assert isinstance(reply, ErrorReply) and "410" in reply.message
    assert FeedRegistry(core.store).all() == []


def test_moving_rewrites_only_that_feeds_guids(core: Core, web: WebServer, clock) -> None:
    one = web.serve("/one.xml", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    two = web.serve(
        "/two.xml", rss(web, [entry(VOLCANO, web, 2, guid="urn:x")]), "application/rss+xml"
    )
    answer(core, f"feeds add {one}", HERE)
    answer(core, f"feeds add {two}", HERE)
    new = web.serve("/moved.xml", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    web.redirect("/one.xml", new, 301)
    clock.advance(timedelta(hours=1))
    poll(core)
    with core.store.engine.connect() as conn:
        guids = set(conn.exec_driver_sql("SELECT guid FROM articles WHERE guid IS NOT NULL"))
    guids = {g for (g,) in guids}
    assert f"{normalize_url(new)} urn:loopback:story:1" in guids
    assert f"{normalize_url(two)} urn:x" in guids
    assert not any(g.startswith(normalize_url(one) + " ") for g in guids)


def test_a_moved_feed_keeps_its_counts_and_name(core: Core, web: WebServer, clock) -> None:
    old = web.serve("/old.xml", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    answer(core, f"feeds add {old} Harbour desk", HERE)
    before = only_feed(core)
    new = web.serve(
        "/new.xml", rss(web, [entry(HARBOUR, web, 1), entry(CHESS, web, 2)]), "text/xml"
    )
    web.redirect("/old.xml", new, 301)
    clock.advance(timedelta(hours=1))
    poll(core)
    after = only_feed(core)
    assert dataclasses.replace(
        after,
        url=before.url,
        articles_stored=before.articles_stored,
        etag=None,
        last_modified=None,
        last_fetched_at=None,
        next_fetch_at=None,
    ) == dataclasses.replace(
        before, etag=None, last_modified=None, last_fetched_at=None, next_fetch_at=None
    )
    assert after.name == "Harbour desk" and after.articles_stored == before.articles_stored + 1


def test_a_permanent_redirect_to_the_same_feed_by_another_spelling_is_stored_too(
    core: Core, web: WebServer, clock
) -> None:
    """http -> https or a dropped `www.` keep the canonical URL but still cost a hop: the
    stored URL takes the address the publisher gave (here a dropped tracking parameter)."""
    body = rss(web, [entry(CHESS, web, 1)])
    clean = web.serve("/rss", body, "application/rss+xml")
    tracked = web.serve("/rss?utm_source=newsletter", body, "application/rss+xml")
    answer(core, f"feeds add {tracked}", HERE)
    assert only_feed(core).url == tracked
    web.redirect("/rss?utm_source=newsletter", clean, 301)
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.error is None and only_feed(core).url == clean
    asked = len(web.requests_to("/rss?utm_source=newsletter"))
    clock.advance(timedelta(hours=1))
    poll(core)
    assert len(web.requests_to("/rss?utm_source=newsletter")) == asked
