"""Feeds over real HTTP on 127.0.0.1: adding, polite polling, storing once, health."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, Story, make_rss
from fakes.web import WebServer

from bot.app import Core
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer
from bot.digests import Context
from bot.errors import BadArgument
from bot.feeds import FAILURES_TO_PAUSE, FeedRegistry, health_line, parse_feeds, poll
from bot.scopes import OPERATOR
from bot.urls import normalize_url

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")


def entry(story: Story, web: WebServer, n: int, **changes: object) -> FeedEntry:
    """A feed entry whose full text is in the entry itself (no page fetch needed)."""
    html = "".join(f"<p>{p}</p>" for p in story.paragraphs)
    values = {
        "title": story.title,
        "link": web.url(f"/story/{n}"),
        "content_html": html,
        "published": datetime(2024, 5, 1, 8, n, tzinfo=UTC),
    }
    values.update(changes)
    return FeedEntry(**values)  # type: ignore[arg-type]


def rss(web: WebServer, entries: list[FeedEntry]) -> str:
    return make_rss("Loopback News", web.url("/"), entries)


def add(core: Core, url: str, context: Context = HERE):
    return answer(core, f"feeds add {url}", context)


def test_adding_a_feed_stores_its_articles_at_once(core: Core, web: WebServer) -> None:
    url = web.serve(
        "/rss", rss(web, [entry(HARBOUR, web, 1), entry(VOLCANO, web, 2)]), "application/rss+xml"
    )
    before = core.store.count()
    reply = add(core, url)
    assert isinstance(reply, NoticeReply), reply
    assert "2 articles stored" in reply.text and reply.by == "U1"
    assert reply.text.startswith("added feed #")  # the adapter puts the mention in front
    assert core.store.count() == before + 2
    brief = answer(core, "brief volcano", HERE)
    assert isinstance(brief, BriefingReply)
    assert any(VOLCANO.title in s.title for b in brief.briefing.bullets for s in b.sources)


def test_adding_a_feed_fetches_it_once(core: Core, web: WebServer) -> None:
    url = web.serve("/once.rss", rss(web, [entry(HARBOUR, web, 1)]), "application/rss+xml")
    reply = add(core, url)
    assert isinstance(reply, NoticeReply) and "1 article stored" in reply.text, reply
    # The fetch that showed it is a feed is its first poll (the entry's page is not fetched:
    # its full text is in the feed).
    assert [r.path for r in web.requests if r.path == "/once.rss"] == ["/once.rss"]
    [feed] = FeedRegistry(core.store).all()
    assert feed.last_fetched_at is not None and feed.last_error is None


@pytest.mark.parametrize(
    "path, body, status, why",
    [
        (
            "/page",
            "<html><body><p>Just a page.</p></body></html>",
            200,
            "not an RSS, Atom or JSON feed",
        ),
        ("/gone", "", 404, "HTTP 404"),
    ],
)
def test_a_url_that_is_not_a_feed_is_refused_and_nothing_stored(
    core: Core, web: WebServer, path: str, body: str, status: int, why: str
) -> None:
    url = web.serve_status(path, status, body)
    before = core.store.count()
    reply = add(core, url)
    assert isinstance(reply, ErrorReply) and why in reply.message
    assert "Nothing was stored" in reply.message
    assert FeedRegistry(core.store).all() == [] and core.store.count() == before


def test_bad_feed_commands_are_explained() -> None:
    with pytest.raises(BadArgument, match="web address"):
        parse_feeds(["add", "not-a-url"])
    with pytest.raises(BadArgument, match="feeds remove 3"):
        parse_feeds(["remove", "x"])


def test_an_unchanged_feed_is_fetched_conditionally_and_stores_nothing(
    core: Core, web: WebServer, clock
) -> None:
    url = web.serve("/rss", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    web.etags["/rss"] = '"v1"'
    add(core, url)
    count = core.store.count()
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.not_modified and result.stored == 0
    last = web.requests_to("/rss")[-1]
    assert last.headers.get("If-None-Match") == '"v1"'
    assert "briefbot" in last.headers.get("User-Agent", "")
    assert core.store.count() == count


def test_an_edited_date_or_guid_does_not_store_a_second_copy(
    core: Core, web: WebServer, clock
) -> None:
    first = entry(HARVEST, web, 1)
    url = web.serve("/rss", rss(web, [first]), "application/rss+xml")
    add(core, url)
    count = core.store.count()
    edited = dataclasses.replace(
        first,
        guid="urn:new-guid:1",
        published=first.published + timedelta(days=1),
        link=first.link + "?utm_source=rss&utm_medium=feed",
    )
    web.serve("/rss", rss(web, [edited]), "application/rss+xml")
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.stored == 0 and result.error is None
    assert core.store.count() == count
    # The same entry text under a new link but the old GUID is the same article too.
    moved = dataclasses.replace(first, link=web.url("/moved/1"))
    web.serve("/rss", rss(web, [moved]), "application/rss+xml")
    clock.advance(timedelta(hours=1))
    poll(core)
    assert core.store.count() == count


def test_a_500_then_a_200_recovers(core: Core, web: WebServer, clock) -> None:
    url = web.serve("/rss", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    add(core, url)
    web.serve_in_turn(
        "/rss", [(500, "oops"), (200, rss(web, [entry(CHESS, web, 1), entry(VOLCANO, web, 2)]))]
    )
    clock.advance(timedelta(hours=1))
    [failed] = poll(core)
    assert failed.error and "HTTP 500" in failed.error
    listing = answer(core, "feeds list", HERE)
    assert "failing ×1" in listing.text and "HTTP 500" in listing.text
    clock.advance(timedelta(hours=2))  # past the backoff
    [ok] = poll(core)
    assert ok.stored == 1 and ok.error is None
    assert "· ok" in answer(core, "feeds list", HERE).text


def test_retry_after_is_honoured(core: Core, web: WebServer, clock) -> None:
    url = web.serve("/rss", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    add(core, url)
    web.serve_in_turn("/rss", [(429, "slow down")], headers={"Retry-After": "7200"})
    clock.advance(timedelta(hours=1))
    poll(core)
    [feed] = FeedRegistry(core.store).all()
    assert feed.next_fetch_at is not None
    assert feed.next_fetch_at - clock.now() >= timedelta(hours=2)
    clock.advance(timedelta(hours=1))
    assert poll(core) == []  # not due yet: the server asked for two hours


def test_a_404_feed_is_paused_after_five_failures_and_shown_in_the_next_digest(
    core: Core, web: WebServer, clock
) -> None:
    good = web.serve("/good", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    broken = web.serve("/broken", rss(web, [entry(HARBOUR, web, 2)]), "application/rss+xml")
    add(core, good)
    add(core, broken)
    web.serve_status("/broken", 404, "gone")
    for _ in range(FAILURES_TO_PAUSE):
        clock.advance(timedelta(days=1))
        poll(core, everything=True)
    feeds = {f.url: f for f in FeedRegistry(core.store).all()}
    assert feeds[broken].paused and feeds[broken].failures == FAILURES_TO_PAUSE
    assert not feeds[good].paused and feeds[good].failures == 0  # the others never stop
    # Paused feeds are skipped by the regular pass.
    clock.advance(timedelta(days=1))
    assert [r.feed_id for r in poll(core)] == [feeds[good].id]
    line = health_line([feeds[broken]])
    assert line is not None and "1 feed failing" in line and "404" in line and "paused" in line

    answer(core, "digest subscribe 08:30 UTC", HERE)
    from bot.digests import compose_digest
    from bot.ledger import Ledger

    [sub] = Ledger(core.store).subscriptions()
    reply = compose_digest(core, sub, clock.now().date(), clock.now() + timedelta(days=2))
    text = reply.briefing.notes[0] if isinstance(reply, BriefingReply) else reply.text
    assert "1 feed failing" in text


def test_a_slow_feed_does_not_block_the_others(core: Core, web: WebServer, clock) -> None:
    core.settings = dataclasses.replace(core.settings, http_timeout=0.5)  # type: ignore[misc]
    fast = web.serve("/fast", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    add(core, fast)
    slow = web.serve("/slow", rss(web, [entry(VOLCANO, web, 2)]), "application/rss+xml")
    add(core, slow)
    web.delays["/slow"] = 3.0
    web.serve(
        "/fast", rss(web, [entry(CHESS, web, 1), entry(HARVEST, web, 3)]), "application/rss+xml"
    )
    clock.advance(timedelta(hours=1))
    results = poll(core, everything=True)
    by_url = {f.url: f for f in FeedRegistry(core.store).all()}
    assert by_url[slow].last_error and "did not answer" in by_url[slow].last_error
    assert by_url[fast].failures == 0 and by_url[fast].articles_stored >= 2
    assert {r.feed_id for r in results} == {by_url[fast].id, by_url[slow].id}


def test_feeds_are_scoped_to_their_workspace(core: Core, web: WebServer) -> None:
    url = web.serve("/rss", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    add(core, url)
    elsewhere = Context(platform="slack", workspace="T2", channel="C9", user="U9")
    assert "No feeds yet" in answer(core, "feeds list", elsewhere).text
    assert isinstance(answer(core, "feeds remove 1", elsewhere), ErrorReply)
    assert isinstance(add(core, url), ErrorReply)  # already followed
    removed = answer(core, "feeds remove 1", HERE)
    assert isinstance(removed, NoticeReply) and FeedRegistry(core.store).all() == []


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://Example.com/news/1?utm_source=x&id=3", "https://example.com/news/1?id=3"),
        ("http://www.example.com/news/1/", "https://example.com/news/1"),
        ("https://example.com:443/a?b=2&a=1#top", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?fbclid=zz", "https://example.com/a"),
    ],
)
def test_links_are_normalised(a: str, b: str) -> None:
    assert normalize_url(a) == normalize_url(b)


def test_cli_feeds_commands(core: Core, web: WebServer, settings, monkeypatch, capsys) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW", "127.0.0.1")
    url = web.serve("/rss", rss(web, [entry(CHESS, web, 1)]), "application/rss+xml")
    assert main(["feeds", "add", url, "Loopback"]) == 0
    assert main(["feeds", "list"]) == 0
    assert "Loopback" in capsys.readouterr().out
    assert main(["feeds", "add", web.serve_status("/nope", 404)]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["feeds", "poll"]) == 0
    assert main(["feeds", "remove", "1"]) == 0


def test_one_malformed_entry_never_costs_the_rest_of_the_feed(core: Core, web: WebServer) -> None:
    bad = FeedEntry("Teaser with a broken link", "http://a..b/x", summary="Short teaser.")
    url = web.serve("/rss", rss(web, [bad, entry(CHESS, web, 2)]), "application/rss+xml")
    reply = add(core, url)
    assert isinstance(reply, NoticeReply), reply
    assert core.store.knows(web.url("/story/2"), None)  # the good entry after the bad one
    [feed] = FeedRegistry(core.store).all()
    assert feed.failures == 0 and feed.last_error is None


def test_guids_only_match_within_their_own_feed(core: Core, web: WebServer) -> None:
    a = web.serve("/a", rss(web, [entry(CHESS, web, 1, guid="1")]), "application/rss+xml")
    b = web.serve("/b", rss(web, [entry(VOLCANO, web, 2, guid="1")]), "application/rss+xml")
    assert "1 article stored" in add(core, a).text
    assert "1 article stored" in add(core, b).text


@pytest.mark.parametrize(
    "text", ["feeds remove ²", "feeds add http://[oops/rss", "digest unsubscribe ³", "brief x ⁵"]
)
def test_odd_input_is_one_line_not_a_traceback(core: Core, text: str) -> None:
    reply = answer(core, text, HERE)
    assert isinstance(reply, (ErrorReply, BriefingReply)), reply
    if isinstance(reply, ErrorReply):
        assert "went wrong on our side" not in reply.message


def test_only_operators_force_a_poll(core: Core) -> None:
    reply = answer(core, "feeds poll", HERE)
    assert isinstance(reply, ErrorReply) and "briefbot feeds poll" in reply.message


def test_distinct_pages_are_not_merged_by_normalisation() -> None:
    assert normalize_url("https://x.test/#/story/1") != normalize_url("https://x.test/#/story/2")
    assert normalize_url("https://x.test/view?src=1") != normalize_url("https://x.test/view?src=2")


def test_a_feed_title_with_entities_and_markup_is_stored_as_a_plain_name(
    core: Core, web: WebServer
) -> None:
    body = rss(web, [entry(HARBOUR, web, 1)]).replace(
        "<title>Loopback News</title>",
        "<title>Loopback &amp;amp;amp; &lt;b&gt;Coast&lt;/b&gt;\n"
        "   &amp;#8220;News&amp;#8221;</title>",
    )
    url = web.serve("/rss", body, "application/rss+xml")

    reply = add(core, url)

    assert isinstance(reply, NoticeReply), reply
    assert "(Loopback & Coast “News”)" in reply.text
    [feed] = FeedRegistry(core.store).all()
    assert feed.name == "Loopback & Coast “News”"
    [article] = core.store.search("harbour bridge", limit=1, scope=OPERATOR)
    assert article.source == "Loopback & Coast “News”"
    listing = answer(core, "feeds list", HERE)
    assert isinstance(listing, NoticeReply)
    assert "&amp;" not in listing.text and "<b>" not in listing.text


def test_a_name_given_with_the_feed_is_stored_as_plain_text(core: Core, web: WebServer) -> None:
    url = web.serve("/rss", rss(web, [entry(VOLCANO, web, 1)]), "application/rss+xml")
    reply = answer(core, f"feeds add {url} Kesra &amp; <i>Valley</i> Watch", HERE)
    assert isinstance(reply, NoticeReply), reply
    [feed] = FeedRegistry(core.store).all()
    assert feed.name == "Kesra & Valley Watch"


def test_a_polled_feed_with_a_walled_page_keeps_the_entry_text(core: Core, web: WebServer) -> None:
    from fakes import walls

    wall = web.serve("/story/1", walls.consent_wall())
    teaser = entry(CHESS, web, 1, content_html="", summary=" ".join(CHESS.paragraphs[:2]))
    url = web.serve("/rss", rss(web, [teaser]), "application/rss+xml")
    assert teaser.link == wall

    reply = add(core, url)

    assert isinstance(reply, NoticeReply) and "1 article stored" in reply.text, reply
    [chess] = core.store.search("okonkwo", limit=1, scope=OPERATOR)
    assert chess.text.startswith(CHESS.paragraphs[0])
    assert "cookies" not in chess.text
