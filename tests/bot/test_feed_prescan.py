"""Stored feed entries skipped before feedparser reads the feed (bot.feedscan, issue 14 part 5):
the scan keys entries exactly as feedparser does, only the unknown entries are parsed and
stored, and any feed the scan cannot read for certain is read whole, as before."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, Story, make_atom, make_rss
from fakes.web import WebServer

from bot.app import Core
from bot.digests import Context
from bot.feedformat import read_feed
from bot.feeds import poll
from bot.feedscan import matches, scan_feed
from bot.ingest import ingest
from bot.models import IngestReport
from bot.scopes import OPERATOR, SHARED

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
STORIES = (HARBOUR, HARVEST, CHESS, VOLCANO)


def full_entry(story: Story, n: int, **changes: object) -> FeedEntry:
    """A feed entry carrying its whole text (no page to fetch)."""
    values: dict[str, object] = {
        "title": story.title,
        "link": f"https://news.example/story/{n}",
        "content_html": "".join(f"<p>{p}</p>" for p in story.paragraphs),
        "published": datetime(2024, 5, 1, 8, n, tzinfo=UTC),
    }
    values.update(changes)
    return FeedEntry(**values)  # type: ignore[arg-type]


@pytest.fixture
def parsed_counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many entries each feedparser.parse call read (the library, still called)."""
    counts: list[int] = []
    real = feedparser.parse

    def counting(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)
        counts.append(len(result.entries))
        return result

    monkeypatch.setattr(feedparser, "parse", counting)
    yield counts


def run(core: Core, *items: str) -> IngestReport:
    return ingest(core.store, list(items), core.clock, core.fetcher)


def titles(core: Core) -> list[str]:
    return sorted(a.title for a in core.store.search(None, limit=100, scope=OPERATOR))


# -- the scan keys entries as feedparser does -------------------------------------------------

RSS_SHAPES = {
    "guid and link": "<item><title>A</title><guid>urn:a:1</guid><link>https://x.test/a</link></item>",
    "link before guid": "<item><link>https://x.test/b</link><guid>urn:b</guid></item>",
    "guid is the link": "<item><guid> https://x.test/c </guid></item>",
    "guid not a permalink": '<item><guid isPermaLink="false">c-9</guid></item>',
    "relative guid": "<item><guid>story/4</guid></item>",
    "no guid": "<item><title>T</title><link>https://x.test/d?a=1&amp;b=2</link></item>",
    "entity-like query": "<item><link>https://x.test/q?a=1&amp;b;=2&amp;amp;c=3</link></item>",
    "extra slashes": "<item><guid>http:////x.test/e</guid></item>",
    "empty link": "<item><guid>urn:f</guid><link></link></item>",
    "cdata": "<item><guid><![CDATA[urn:g]]></guid><link><![CDATA[https://x.test/g]]></link></item>",
    "neither": "<item><title>Only a title</title></item>",
}


@pytest.mark.parametrize("item", RSS_SHAPES.values(), ids=RSS_SHAPES.keys())
def test_the_scan_of_an_rss_item_gives_feedparsers_link_and_id(item: str) -> None:
    content = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title> My  feed </title><link>https://x.test/</link>{item}{item}"
        "</channel></rss>"
    ).encode()
    scan = scan_feed(content, None, 100)
    assert scan is not None
    parsed = read_feed(content)
    assert len(scan.entries) == len(parsed.entries) == 2
    assert all(matches(s, e) for s, e in zip(scan.entries, parsed.entries, strict=True))
    assert scan.title == "My feed"


ATOM_SHAPES = {
    "alternate link": '<entry><id>tag:x,1</id><link rel="alternate" href="https://x.test/1"/></entry>',
    "link without rel": '<entry><link href="https://x.test/2"/><id>tag:x,2</id></entry>',
    "id only": "<entry><id>https://x.test/3</id></entry>",
    "other rels": (
        '<entry><id>tag:x,4</id><link rel="enclosure" href="https://x.test/4.mp3"/>'
        '<link rel="self" href="https://x.test/4.xml"/></entry>'
    ),
    "last alternate wins": (
        '<entry><link href="https://x.test/5a"/><id>tag:x,5</id><link href="https://x.test/5b"/>'
        "</entry>"
    ),
}


@pytest.mark.parametrize("entry", ATOM_SHAPES.values(), ids=ATOM_SHAPES.keys())
def test_the_scan_of_an_atom_entry_gives_feedparsers_link_and_id(entry: str) -> None:
    content = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>'
        f"<id>urn:feed</id>{entry}</feed>"
    ).encode()
    scan = scan_feed(content, None, 100)
    assert scan is not None
    parsed = read_feed(content)
    assert len(scan.entries) == len(parsed.entries) == 1
    assert matches(scan.entries[0], parsed.entries[0]), (scan.entries, parsed.entries)


ODD = {
    "atom link in rss": (
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>'
        '<item><guid>urn:1</guid><atom:link href="https://x.test/1"/></item></channel></rss>'
    ),
    "feedburner origLink": (
        '<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">'
        "<channel><title>T</title><item><guid>urn:1</guid>"
        "<feedburner:origLink>https://x.test/1</feedburner:origLink></item></channel></rss>"
    ),
    "two guids": "<rss><channel><item><guid>a</guid><guid>b</guid></item></channel></rss>",
    "non-ascii guid": "<rss><channel><item><guid>urn:café</guid></item></channel></rss>",
    "markup in the title": "<rss><channel><title>A &amp; B</title><item/></channel></rss>",
    "xml:base": (
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://x.test/">'
        '<entry><id>1</id><link href="a"/></entry></feed>'
    ),
    "doctype": (
        '<!DOCTYPE rss [<!ENTITY e "urn:1">]>'
        "<rss><channel><item><guid>&e;</guid></item></channel></rss>"
    ),
    "rdf": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><item rdf:about="https://x.test/1"><title>T</title>'
        "</item></rdf:RDF>"
    ),
    "not well-formed": "<rss><channel><item><guid>urn:1</guid></item></channel>",
    "atom source": (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>'
        "<source><id>other</id></source></entry></feed>"
    ),
    "json feed": '{"version": "https://jsonfeed.org/version/1.1", "items": []}',
}


@pytest.mark.parametrize("content", ODD.values(), ids=ODD.keys())
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_feed_the_scan_cannot_read_for_certain_is_left_to_feedparser(
    content: str, encoding: str
) -> None:
    # UTF-16 too: a check made on the raw bytes would miss `xml:base` there (review).
    raw = content.encode(encoding)
    assert scan_feed(raw, None, 100) is None


def test_the_scan_reads_at_most_the_limit_and_writes_the_rest_without_skipped_entries() -> None:
    entries = [full_entry(s, n) for n, s in enumerate(STORIES)]
    content = make_rss("News", "https://news.example/", entries).encode()
    scan = scan_feed(content, None, 3)
    assert scan is not None and [e.link for e in scan.entries] == [e.link for e in entries[:3]]
    rest = read_feed(scan.without({1}), "application/xml; charset=utf-8")
    assert [e.link for e in rest.entries] == [entries[0].link, entries[2].link]
    assert rest.feed.get("title") == "News"


# -- only the unknown entries are read and stored ---------------------------------------------


def test_a_feed_file_with_known_and_unknown_entries_stores_exactly_the_unknown(
    bare_core: Core, tmp_path: Path, parsed_counts: list[int]
) -> None:
    path = tmp_path / "news.xml"
    entries = [full_entry(s, n) for n, s in enumerate(STORIES)]
    path.write_text(make_rss("News", "https://news.example/", entries[:2]), encoding="utf-8")
    assert run(bare_core, str(path)).summary() == "2 stored, 0 already stored"

    # The feed now leads with two new entries, then the two stored ones.
    path.write_text(
        make_rss("News", "https://news.example/", [entries[3], entries[2], *entries[:2]]),
        encoding="utf-8",
    )
    parsed_counts.clear()
    report = run(bare_core, str(path))
    assert [(r.item, r.status) for r in report.results] == [
        (entries[3].link, "stored"),
        (entries[2].link, "stored"),
        (entries[0].link, "duplicate"),
        (entries[1].link, "duplicate"),
    ]
    assert parsed_counts == [2]  # feedparser read only the two new entries
    assert titles(bare_core) == sorted(s.title for s in STORIES)
    # The skipped entries still name their stored article, as the per-entry check did.
    assert [r.article.title for r in report.results[2:] if r.article] == [
        HARBOUR.title,
        HARVEST.title,
    ]

    # Everything stored: feedparser is not called at all.
    parsed_counts.clear()
    again = run(bare_core, str(path))
    assert again.summary() == "0 stored, 4 already stored"
    assert parsed_counts == []


def test_an_atom_feed_with_known_entries_parses_only_the_new_ones(
    bare_core: Core, tmp_path: Path, parsed_counts: list[int]
) -> None:
    path = tmp_path / "news.atom"
    entries = [full_entry(s, n) for n, s in enumerate(STORIES)]
    path.write_text(make_atom("Atom News", "https://news.example/", entries[:3]), "utf-8")
    run(bare_core, str(path))
    path.write_text(make_atom("Atom News", "https://news.example/", entries), "utf-8")
    parsed_counts.clear()
    report = run(bare_core, str(path))
    assert [r.status for r in report.results] == ["duplicate"] * 3 + ["stored"]
    assert parsed_counts == [1]
    assert len(titles(bare_core)) == 4


def test_an_odd_feed_is_read_whole_as_before(
    bare_core: Core, tmp_path: Path, parsed_counts: list[int]
) -> None:
    # An atom:link in an RSS item: the scan cannot be sure which link feedparser takes.
    entries = [full_entry(s, n) for n, s in enumerate(STORIES[:2])]
    odd = make_rss("News", "https://news.example/", entries).replace(
        "<item>", '<item><atom:link rel="related" href="https://elsewhere.example/"/>'
    )
    odd = odd.replace("<rss ", '<rss xmlns:atom="http://www.w3.org/2005/Atom" ')
    path = tmp_path / "odd.xml"
    path.write_text(odd, encoding="utf-8")
    assert run(bare_core, str(path)).summary() == "2 stored, 0 already stored"
    parsed_counts.clear()
    again = run(bare_core, str(path))
    assert again.summary() == "0 stored, 2 already stored"
    assert parsed_counts == [2]  # read whole; each entry found known by the per-entry check


def test_entries_without_a_guid_are_checked_one_by_one_as_before(
    bare_core: Core, tmp_path: Path, parsed_counts: list[int]
) -> None:
    path = tmp_path / "news.xml"
    entries = [full_entry(s, n) for n, s in enumerate(STORIES[:3])]
    document = make_rss("News", "https://news.example/", entries)
    # The second entry has no <guid>: it is known by its link, which needs the store's rule 3.
    document = document.replace(f"<guid>{entries[1].link}</guid>", "", 1)
    path.write_text(document, encoding="utf-8")
    assert run(bare_core, str(path)).summary() == "3 stored, 0 already stored"
    parsed_counts.clear()
    report = run(bare_core, str(path))
    assert [r.status for r in report.results] == ["duplicate"] * 3
    assert parsed_counts == [1]  # only the GUID-less entry went through feedparser
    assert bare_core.store.count() == 3


def test_a_known_entry_whose_text_changed_stays_as_first_stored(
    bare_core: Core, tmp_path: Path
) -> None:
    # Today's rule (bot.dedupe rule 1): the same GUID is the same entry, whatever it says now.
    path = tmp_path / "news.xml"
    first = full_entry(CHESS, 1)
    path.write_text(make_rss("News", "https://news.example/", [first]), encoding="utf-8")
    run(bare_core, str(path))
    edited = dataclasses.replace(
        first, content_html="<p>An entirely rewritten text about something else.</p>" * 3
    )
    path.write_text(make_rss("News", "https://news.example/", [edited]), encoding="utf-8")
    report = run(bare_core, str(path))
    assert [r.status for r in report.results] == ["duplicate"]
    [article] = bare_core.store.search(None, scope=OPERATOR)
    assert article.text.splitlines() == list(CHESS.paragraphs)


def test_an_entry_repeated_within_one_feed_is_stored_once(bare_core: Core, tmp_path: Path) -> None:
    # The settled check runs before anything is stored; the repeat is still found by the
    # per-entry check in its turn, as before.
    path = tmp_path / "news.xml"
    entry = full_entry(VOLCANO, 1)
    other = dataclasses.replace(entry, content_html="<p>A different text, same guid.</p>" * 5)
    path.write_text(make_rss("News", "https://news.example/", [entry, other]), encoding="utf-8")
    report = run(bare_core, str(path))
    assert [r.status for r in report.results] == ["stored", "duplicate"]
    assert bare_core.store.count() == 1


# -- feeds poll: followers still get what is stored -------------------------------------------


def test_a_poll_of_a_known_feed_skips_parsing_and_a_new_follower_still_gets_its_articles(
    core: Core, web: WebServer, clock, parsed_counts: list[int]
) -> None:
    from bot.commands import answer

    entries = [full_entry(s, n, link=web.url(f"/story/{n}")) for n, s in enumerate(STORIES[:2])]
    url = web.serve("/rss", make_rss("Loopback", web.url("/"), entries), "application/rss+xml")
    answer(core, f"feeds add {url}", HERE)
    clock.advance(timedelta(hours=2))
    parsed_counts.clear()
    [result] = poll(core)
    assert result.error is None and result.stored == 0 and result.duplicates == 2
    assert parsed_counts == []  # every entry settled before parsing

    # Another workspace follows the same feed: the stored entries are not settled for it
    # (it cannot read them yet), so the per-entry check grants them, as before.
    there = dataclasses.replace(HERE, workspace="T2", channel="C9")
    answer(core, f"feeds add {url}", there)
    clock.advance(timedelta(hours=2))
    poll(core, everything=True)
    ids = [
        a.id
        for a in core.store.search(None, limit=100, scope=OPERATOR)
        if a.url in {e.link for e in entries}
    ]
    assert len(ids) == 2
    assert all("slack:T2" in key for key in (",".join(core.store.scopes_of(i)) for i in ids))


def test_settled_guids_names_only_entries_with_nothing_left_to_record(bare_core: Core) -> None:
    from bot.models import ArticleDraft
    from summarizers.analysis import analyze

    store = bare_core.store
    now = datetime(2024, 5, 1, tzinfo=UTC)

    def put(guid: str, scopes: tuple[str, ...], feed: str | None = None) -> int:
        draft = ArticleDraft(
            title=f"Story {guid}",
            text=f"A full sentence about the matter numbered {guid}. Another one follows here.",
            source="Feed",
            url=f"https://news.example/{guid}",
            guid=f"https://news.example/feed {guid}",
        )
        article, _ = store.add(
            draft, analyze(draft.text, draft.title), now, scopes=scopes, feed=feed
        )
        return article.id

    shared = put("1", (SHARED,))
    theirs = put("2", ("slack:T9",))
    fed = put("3", ("slack:T1",), feed="https://news.example/feed")
    guid = "https://news.example/feed {}".format
    asked = [guid(n) for n in ("1", "2", "3", "4")]

    assert {g: a.id for g, a in store.settled_guids(asked, (SHARED,)).items()} == {
        guid("1"): shared
    }
    # Another workspace's article is not this one's by its GUID: not settled.
    assert store.settled_guids([guid("2")], ("slack:T1",)) == {}
    assert [a.id for a in store.settled_guids([guid("2")], ("slack:T9",)).values()] == [theirs]
    # Readable already, but not yet linked to the feed asked about: something to record.
    assert store.settled_guids([guid("3")], ("slack:T1",), "https://news.example/other") == {}
    assert [
        a.id
        for a in store.settled_guids(
            [guid("3")], ("slack:T1",), "https://news.example/feed"
        ).values()
    ] == [fed]
    assert store.settled_guids([], (SHARED,)) == {}
