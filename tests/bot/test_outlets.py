"""Nothing dropped in silence, and every article knows its outlet (issue 12, parts 4 and 5).

Entries that share a link but not their GUID and text are separate articles; the same words
from a second outlet become that outlet's copy, a source of the stored article; true repeats
stay "already stored".  Outlets come from front matter, og:site_name, the feed's title or an
aggregator entry's own <source>, and briefings and lists show them.  Everything runs through
the real ingest and feed paths over loopback HTTP and a real SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, Story, make_rss, story_html
from fakes.hostile import shared_case
from fakes.web import WebServer

from bot.app import Core
from bot.commands import ArticlesReply, BriefingReply, NoticeReply, answer
from bot.dedupe import near_same, outlet_from_source, resemblance
from bot.digests import Context
from bot.feeds import poll
from bot.ingest import ingest
from bot.models import IngestReport, IngestResult
from bot.render import render
from bot.scopes import OPERATOR, Scope
from bot.store import SCHEMA_VERSION, Store

A = Context(platform="slack", workspace="TA", channel="C1", user="U1")
B = Context(platform="slack", workspace="TB", channel="C2", user="U2")


def run(core: Core, *items: str) -> IngestReport:
    return ingest(core.store, list(items), core.clock, core.fetcher)


def statuses(report: IngestReport) -> list[str]:
    return [r.status for r in report.results]


def full(story: Story) -> str:
    """A story's paragraphs as feed content HTML (long enough that no page is fetched)."""
    return "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)


def rss_items(title: str, items: list[str]) -> str:
    """An RSS 2.0 document from raw <item> bodies (for GUID-less and <source> entries)."""
    joined = "".join(f"<item>{i}</item>" for i in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>invented</description>{joined}</channel></rss>"
    )


def item(title: str, link: str, html: str, *, guid: str | None = None, extra: str = "") -> str:
    parts = f"<title>{escape(title)}</title><link>{escape(link)}</link>"
    if guid is not None:
        parts += f'<guid isPermaLink="false">{escape(guid)}</guid>'
    return parts + f"<content:encoded>{escape(html)}</content:encoded>{extra}"


def everything(core: Core) -> list:
    return core.store.search(None, limit=1000, scope=OPERATOR)


def by_title(core: Core, title: str):
    [found] = [a for a in everything(core) if a.title == title]
    return found


# -- part 4: entries that share a link ---------------------------------------------------------


def test_the_handed_upcoming_list_stores_all_three_entries(bare_core: Core, web: WebServer) -> None:
    xml = (shared_case("shared-link-distinct-entries") / "upcoming.xml").read_bytes()
    url = web.serve("/upcoming.xml", xml, "application/rss+xml")

    report = run(bare_core, url)

    assert report.summary() == "3 stored, 0 already stored"
    titles = {a.title for a in everything(bare_core)}
    assert {"ADV-101: Lumatek", "ADV-102: Brightwave", "ADV-103: Corvid"} <= titles
    # Re-reading the list is three true repeats.
    assert run(bare_core, url).summary() == "0 stored, 3 already stored"
    assert bare_core.store.count() == 3


def live_update(n: int, words: str) -> str:
    return (
        f"Update {n}: {words} The harbour master said crews would keep working through the "
        "evening and that the next update would follow within the hour."
    )


def test_a_live_blog_keeps_every_update_and_reads_no_shared_page(
    core: Core, web: WebServer, clock
) -> None:
    blog = web.serve("/live/storm", "<html><body><p>The whole live page.</p></body></html>")
    updates = [
        ("Storm live: ferries cancelled", "All morning ferries to the islands were cancelled."),
        ("Storm live: bridge closed", "The harbour bridge closed to high-sided vehicles."),
        ("Storm live: power cuts", "Four thousand homes on the coast lost power at noon."),
    ]

    def feed(count: int) -> str:
        items = [
            item(t, blog, f"<p>{live_update(n, w)}</p>", guid=f"live-{n}")
            for n, (t, w) in enumerate(updates[:count], start=1)
        ]
        return rss_items("Coast Live", items)

    url = web.serve("/live.rss", feed(2), "application/rss+xml")
    added = answer(core, f"feeds add {url}", A)
    assert isinstance(added, NoticeReply) and "2 articles stored now" in added.text, added
    # The link is every update's: it is no one entry's article page.
    assert web.requests_to("/live/storm") == []
    assert "ferries to the islands" in by_title(core, updates[0][0]).text

    web.serve("/live.rss", feed(3), "application/rss+xml")
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert (result.stored, result.duplicates, result.copies) == (1, 2, 0)
    assert "lost power at noon" in by_title(core, updates[2][0]).text


CONSENT_PAGE = (
    "<!DOCTYPE html><html><head><title>Harbour Times</title></head><body><div class='gdpr'>"
    "<h2>Your choices about cookies</h2><p>We and our partners use cookies on your device to "
    "personalise ads and measure audiences. Select Accept to agree, or manage your "
    "preferences.</p><button>Accept</button></div></body></html>"
)


def test_feeds_add_accounts_for_every_entry(core: Core, web: WebServer) -> None:
    # Every entry of the first fetch is in the reply: stored, already stored, or not stored
    # with its reason (an entry with no text whose page is a wall), never left out.
    walled = web.serve("/walled", CONSENT_PAGE)
    known = web.url("/story/harbour")
    assert (
        run(
            core,
            web.serve(
                "/one.rss", rss_items("Harbour Times", [item(HARBOUR.title, known, full(HARBOUR))])
            ),
        ).summary()
        == "1 stored, 0 already stored"
    )
    xml = rss_items(
        "Harbour Times",
        [
            item(HARBOUR.title, known, full(HARBOUR)),
            item(VOLCANO.title, web.url("/story/volcano"), full(VOLCANO)),
            item("Ferry timetable changes", walled, ""),
        ],
    )
    reply = answer(core, f"feeds add {web.serve('/all.rss', xml, 'application/rss+xml')}", A)
    assert isinstance(reply, NoticeReply), reply
    assert "1 article stored now, 1 already stored, 1 not stored (" in reply.text
    assert f"{walled}: the entry has no text of its own and its page is a cookie" in reply.text


def test_a_true_repeat_under_one_link_stays_one_article(
    bare_core: Core, web: WebServer, clock
) -> None:
    link = web.url("/story/harvest")
    first = FeedEntry(HARVEST.title, link, content_html=full(HARVEST), guid="urn:harvest:1")
    url = web.serve("/rss", make_rss("Grain Post", web.url("/"), [first]), "application/rss+xml")
    assert run(bare_core, url).summary() == "1 stored, 0 already stored"

    # Re-polled with a fresh GUID and one sentence reworded: the same article, edited.
    paragraphs = list(HARVEST.paragraphs)
    paragraphs[2] = paragraphs[2].replace("third straight week", "third week in a row")
    edited = Story(HARVEST.title, tuple(paragraphs))
    again = FeedEntry(HARVEST.title, link, content_html=full(edited), guid="urn:harvest:2")
    web.serve("/rss", make_rss("Grain Post", web.url("/"), [again]), "application/rss+xml")
    assert run(bare_core, url).summary() == "0 stored, 1 already stored"

    # The same feed, the same link, a new GUID and another text: a new entry.
    other = FeedEntry(CHESS.title, link, content_html=full(CHESS), guid="urn:harvest:3")
    web.serve("/rss", make_rss("Grain Post", web.url("/"), [other]), "application/rss+xml")
    assert run(bare_core, url).summary() == "1 stored, 0 already stored"
    assert bare_core.store.count() == 2


def test_entries_without_guids_that_share_a_link_are_told_apart_by_their_titles(
    bare_core: Core, web: WebServer
) -> None:
    # A GUID-less listing (old RSS 0.9x feeds write no <guid>): one page link, different
    # headlines and texts.  Each is an entry of its own, never "already stored" on first read.
    link = web.url("/story/1")
    xml = rss_items(
        "No Guid Times",
        [item(HARBOUR.title, link, full(HARBOUR)), item(VOLCANO.title, link, full(VOLCANO))],
    )
    url = web.serve("/rss", xml, "application/rss+xml")
    assert statuses(run(bare_core, url)) == ["stored", "stored"]
    assert {HARBOUR.title, VOLCANO.title} <= {a.title for a in everything(bare_core)}
    # Read again: both are known (by their titles), nothing is stored twice.
    assert run(bare_core, url).summary() == "0 stored, 2 already stored"
    # The same headline twice under the link, with its text edited: still one entry.
    edited = full(HARBOUR).replace("</p>", " Officials said more later.</p>", 1)
    again = rss_items("No Guid Times", [item(HARBOUR.title, link, edited)])
    web.serve("/rss", again, "application/rss+xml")
    assert run(bare_core, url).summary() == "0 stored, 1 already stored"
    assert bare_core.store.count() == 2


def test_a_guidless_entry_alone_at_its_link_is_a_repeat_of_the_same_link(
    bare_core: Core, web: WebServer
) -> None:
    # With no GUID and a link of its own, the link is the entry's identity, as before.
    link = web.url("/story/2")
    first = rss_items("No Guid Times", [item(HARBOUR.title, link, full(HARBOUR))])
    url = web.serve("/rss", first, "application/rss+xml")
    assert run(bare_core, url).summary() == "1 stored, 0 already stored"
    retitled = rss_items("No Guid Times", [item("A new headline", link, full(VOLCANO))])
    web.serve("/rss", retitled, "application/rss+xml")
    assert run(bare_core, url).summary() == "0 stored, 1 already stored"


def test_the_same_link_from_another_feed_is_a_repeat_not_a_copy(
    bare_core: Core, web: WebServer
) -> None:
    link = web.url("/story/chess")
    one = make_rss(
        "Board Weekly", web.url("/"), [FeedEntry(CHESS.title, link, content_html=full(CHESS))]
    )
    two = make_rss(
        "Chess Digest", web.url("/"), [FeedEntry(CHESS.title, link, content_html=full(CHESS))]
    )
    report = run(
        bare_core,
        web.serve("/one.rss", one, "application/rss+xml"),
        web.serve("/two.rss", two, "application/rss+xml"),
    )
    assert report.summary() == "1 stored, 1 already stored"


# -- part 4: another outlet's copy ---------------------------------------------------------------


def wire_feeds(web: WebServer) -> tuple[str, str]:
    """The same wire story from two outlets, each at its own link, in its own feed."""
    gazette = make_rss(
        "Harbour Gazette",
        web.url("/gazette/"),
        [
            FeedEntry(HARBOUR.title, web.url("/gazette/bridge"), content_html=full(HARBOUR)),
            FeedEntry(CHESS.title, web.url("/gazette/chess"), content_html=full(CHESS)),
        ],
    )
    wire = make_rss(
        "Coast Wire",
        web.url("/wire/"),
        [
            FeedEntry(HARBOUR.title, web.url("/wire/2024/bridge"), content_html=full(HARBOUR)),
            FeedEntry(VOLCANO.title, web.url("/wire/volcano"), content_html=full(VOLCANO)),
        ],
    )
    return (
        web.serve("/gazette.rss", gazette, "application/rss+xml"),
        web.serve("/wire.rss", wire, "application/rss+xml"),
    )


def test_a_wire_story_under_the_second_outlets_own_headline_is_its_copy(
    bare_core: Core, web: WebServer
) -> None:
    # Outlets retitle wire copy and keep its text: the same words under another headline
    # from another outlet are that outlet's copy, credited and counted, not a second article.
    gazette = make_rss(
        "Harbour Gazette",
        web.url("/gazette/"),
        [FeedEntry(HARBOUR.title, web.url("/gazette/bridge"), content_html=full(HARBOUR))],
    )
    wire = make_rss(
        "Coast Wire",
        web.url("/wire/"),
        [FeedEntry("Bridge open again", web.url("/wire/b"), content_html=full(HARBOUR))],
    )
    assert run(bare_core, web.serve("/g.rss", gazette, "application/rss+xml")).summary() == (
        "1 stored, 0 already stored"
    )
    report = run(bare_core, web.serve("/w.rss", wire, "application/rss+xml"))
    assert report.summary() == "0 stored, 1 another outlet's copy, 0 already stored"
    assert bare_core.store.count() == 1
    # A third outlet puts its own dateline on the same words: its copy too.
    paragraphs = ("NORTHPORT (Bay Agency) - " + HARBOUR.paragraphs[0], *HARBOUR.paragraphs[1:])
    dated = full(Story(HARBOUR.title, paragraphs))
    bay = make_rss(
        "Bay News",
        web.url("/bay/"),
        [FeedEntry("Harbour crossing back in use", web.url("/bay/x"), content_html=dated)],
    )
    report = run(bare_core, web.serve("/b.rss", bay, "application/rss+xml"))
    assert report.summary() == "0 stored, 1 another outlet's copy, 0 already stored"
    assert bare_core.store.count() == 1
    brief = answer(bare_core, "brief harbour bridge", Context())
    assert isinstance(brief, BriefingReply), brief
    assert "Coast Wire: Bridge open again" in render(brief)
    assert "Bay News: Harbour crossing back in use" in render(brief)


def test_one_outlets_entries_with_one_text_and_different_headlines_stay_apart(
    bare_core: Core, web: WebServer
) -> None:
    # Within one outlet a shared text under different headlines is not a copy of anything
    # (listings written from one template): each entry stays its own article.
    text = full(HARBOUR)
    feed = make_rss(
        "Harbour Gazette",
        web.url("/gazette/"),
        [
            FeedEntry("Bridge notice: north lane", web.url("/n/1"), content_html=text, guid="1"),
            FeedEntry("Bridge notice: south lane", web.url("/n/2"), content_html=text, guid="2"),
        ],
    )
    report = run(bare_core, web.serve("/n.rss", feed, "application/rss+xml"))
    assert report.summary() == "2 stored, 0 already stored"


def test_a_wire_story_from_a_second_outlet_is_counted_and_credited(
    bare_core: Core, web: WebServer
) -> None:
    gazette, wire = wire_feeds(web)
    assert run(bare_core, gazette).summary() == "2 stored, 0 already stored"

    report = run(bare_core, wire)

    assert report.summary() == "1 stored, 1 another outlet's copy, 0 already stored"
    assert statuses(report) == ["copy", "stored"]
    copy = report.results[0]
    assert copy.article is not None and copy.article.outlet == "Harbour Gazette"
    assert bare_core.store.count() == 3  # a copy is a source, not a second article
    # Polled again, both copies are true repeats.
    assert run(bare_core, gazette, wire).summary() == "0 stored, 4 already stored"

    brief = answer(bare_core, "brief harbour bridge", Context())
    assert isinstance(brief, BriefingReply), brief
    credited = {(s.outlet, s.url) for b in brief.briefing.bullets for s in b.sources}
    assert ("Harbour Gazette", web.url("/gazette/bridge")) in credited
    assert ("Coast Wire", web.url("/wire/2024/bridge")) in credited
    text = render(brief)
    assert f"Harbour Gazette: {HARBOUR.title}" in text
    assert f"Coast Wire: {HARBOUR.title}" in text
    assert f"[Coast Wire: {HARBOUR.title}]({web.url('/wire/2024/bridge')}#:~:text=" in render(
        brief, "markdown"
    )
    sources = [s for b in json.loads(render(brief, "json"))["bullets"] for s in b["sources"]]
    assert {"id", "title", "url", "outlet"} <= set(sources[0])
    assert {"Harbour Gazette", "Coast Wire"} <= {s["outlet"] for s in sources}
    # A summary of the stored article credits both outlets too.
    summary = answer(bare_core, f"summarize {copy.article.id}", Context())
    assert isinstance(summary, BriefingReply), summary
    assert [s.outlet for s in summary.briefing.bullets[0].sources] == [
        "Harbour Gazette",
        "Coast Wire",
    ]


def test_feed_replies_count_copies_and_copies_reach_only_who_brought_them(
    core: Core, web: WebServer, clock
) -> None:
    gazette, wire = wire_feeds(web)
    first = answer(core, f"feeds add {gazette}", A)
    assert isinstance(first, NoticeReply) and "2 articles stored now;" in first.text
    second = answer(core, f"feeds add {wire}", B)
    assert isinstance(second, NoticeReply), second
    assert "1 article stored now, 1 another outlet's copy;" in second.text
    listing = answer(core, "feeds list", B)
    assert "1 stored, 1 another outlet's copy" in listing.text

    def outlets(context: Context) -> set[str | None]:
        brief = answer(core, "brief harbour bridge", context)
        assert isinstance(brief, BriefingReply), brief
        return {s.outlet for b in brief.briefing.bullets for s in b.sources}

    # B brought the copy in, so the Gazette's article is B's too, credited to both outlets;
    # A never followed the wire, and its briefing does not show who else carried it.
    assert {"Harbour Gazette", "Coast Wire"} <= outlets(B)
    assert "Coast Wire" not in outlets(A)

    clock.advance(timedelta(hours=1))
    results = poll(core)
    assert sorted((r.stored, r.copies, r.duplicates) for r in results) == [(0, 0, 2), (0, 0, 2)]


def test_the_same_words_without_a_named_outlet_are_a_repeat(
    bare_core: Core, web: WebServer, tmp_path: Path
) -> None:
    (tmp_path / "chess.txt").write_text(
        CHESS.title + "\n\n" + "\n\n".join(CHESS.paragraphs) + "\n", encoding="utf-8"
    )
    feed = make_rss(
        "Board Weekly",
        web.url("/"),
        [FeedEntry(CHESS.title, web.url("/chess"), content_html=full(CHESS))],
    )
    url = web.serve("/rss", feed, "application/rss+xml")
    assert statuses(run(bare_core, str(tmp_path / "chess.txt"), url)) == ["stored", "duplicate"]


def test_the_summary_names_copies_between_stored_and_already_stored() -> None:
    results = [IngestResult(f"item {i}", s) for i, s in enumerate(["stored"] * 3 + ["copy"])]
    results += [IngestResult("x", "duplicate"), IngestResult("y", "duplicate")]
    report = IngestReport(tuple(results))
    assert report.summary() == "3 stored, 1 another outlet's copy, 2 already stored"
    two = IngestReport((IngestResult("a", "copy"), IngestResult("b", "copy")))
    assert two.summary() == "0 stored, 2 other outlets' copies, 0 already stored"


def test_near_same_tells_an_edit_from_a_templated_neighbour() -> None:
    text = " ".join(HARBOUR.paragraphs)
    edited = text.replace("eleven weeks", "nearly eleven weeks")
    assert near_same(text, edited)
    first = " ".join(f"Advisory 1 names the Lumatek flaw, line {i}." for i in range(8))
    second = " ".join(f"Advisory 2 names the Corvid flaw, line {i}." for i in range(8))
    assert resemblance(first, second) < 0.5 and not near_same(first, second)


# -- part 5: outlets ----------------------------------------------------------------------------


def test_each_kind_of_input_knows_its_outlet(
    bare_core: Core, web: WebServer, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text(
        HARBOUR.title + "\n\n" + "\n\n".join(HARBOUR.paragraphs) + "\n", encoding="utf-8"
    )
    (tmp_path / "wire.md").write_text(
        "---\nsource: Northern Wire\n---\n# "
        + HARVEST.title
        + "\n\n"
        + "\n\n".join(HARVEST.paragraphs)
        + "\n",
        encoding="utf-8",
    )
    page = web.serve("/chess.html", story_html(CHESS, site="Board Weekly"))
    aggregated = rss_items(
        "Top Stories Aggregator",
        [
            item(
                VOLCANO.title,
                web.url("/v"),
                full(VOLCANO),
                guid="v1",
                extra='<source url="http://127.0.0.1/mountain.rss">Mountain Post</source>',
            )
        ],
    )
    feed = web.serve("/agg.rss", aggregated, "application/rss+xml")
    plain_feed = make_rss(
        "Valley Courier",
        web.url("/"),
        [
            FeedEntry(
                "Valley orchards report early blossom",
                web.url("/o"),
                content_html=full(
                    Story(
                        "Valley orchards report early blossom",
                        HARVEST.paragraphs[3:] + CHESS.paragraphs[:3],
                    )
                ),
            )
        ],
    )
    courier = web.serve("/courier.rss", plain_feed, "application/rss+xml")

    report = run(
        bare_core, str(tmp_path / "notes.txt"), str(tmp_path / "wire.md"), page, feed, courier
    )

    assert report.summary() == "5 stored, 0 already stored"
    outlets = {a.title: a.outlet for a in everything(bare_core)}
    assert outlets == {
        HARBOUR.title: None,  # a bare file names no outlet
        HARVEST.title: "Northern Wire",  # front matter `source:`
        CHESS.title: "Board Weekly",  # og:site_name
        VOLCANO.title: "Mountain Post",  # the aggregator entry's own <source>
        "Valley orchards report early blossom": "Valley Courier",  # the feed's title
    }
    listing = answer(bare_core, "articles", Context())
    assert isinstance(listing, ArticlesReply)
    shown = render(listing)
    assert "notes.txt" not in shown and "Northern Wire" in shown and "Mountain Post" in shown
    assert shown.splitlines()[0].split()[:4] == ["id", "date", "lang", "outlet"]
    rows = json.loads(render(listing, "json"))
    assert {r["outlet"] for r in rows} >= {"Northern Wire", None}
    assert all(r["source"] != "notes.txt" for r in rows)


def test_a_page_without_a_site_name_is_credited_to_its_host(
    bare_core: Core, web: WebServer
) -> None:
    title = escape(VOLCANO.title)
    html = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{full(VOLCANO)}</article></body></html>"
    )
    url = web.serve("/v.html", html)
    [result] = run(bare_core, url).results
    assert result.article is not None
    assert result.article.outlet in {urlsplit(url).hostname, urlsplit(url).netloc}


def test_a_store_from_before_outlets_gains_them_from_its_sources(db_path: Path, clock) -> None:
    from bot.models import ArticleDraft
    from summarizers.analysis import analyze

    first = Store(f"sqlite:///{db_path}")
    ids = {}
    for story, source in (
        (HARBOUR, "Harbour Gazette"),
        (CHESS, "notes.txt"),
        (VOLCANO, "news.test"),
    ):
        text = "\n".join(story.paragraphs)
        draft = ArticleDraft(story.title, text, source)
        ids[source] = first.add(draft, analyze(text, story.title), clock.now())[0].id
    first.close()
    with sqlite3.connect(db_path) as conn:  # what schema 6 wrote
        conn.execute("DROP TABLE article_copies")
        conn.execute("ALTER TABLE articles DROP COLUMN outlet")
        conn.execute("ALTER TABLE feeds DROP COLUMN articles_copied")
        conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")

    second = Store(f"sqlite:///{db_path}")
    try:
        assert second.get_meta("schema_version") == str(SCHEMA_VERSION)
        outlets = {s: second.get(i, scope=OPERATOR).outlet for s, i in ids.items()}
        assert outlets == {
            "Harbour Gazette": "Harbour Gazette",
            "notes.txt": None,
            "news.test": "news.test",
        }
        assert second.copies_of(ids.values(), scope=Scope("slack:T1")) == {}
    finally:
        second.close()


def test_outlet_from_source_never_names_a_file() -> None:
    assert outlet_from_source("notes.txt") is None
    assert outlet_from_source("Report.HTML") is None
    assert outlet_from_source("  Reuters  ") == "Reuters"
    assert outlet_from_source("example.com") == "example.com"
    assert outlet_from_source("") is None


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_headline_that_already_names_its_outlet_is_not_prefixed_twice(fmt: str) -> None:
    from bot.models import Briefing, Bullet, Source

    source = Source(4, "Reuters: Ports reopen", "https://example.com/p", "Reuters")
    briefing = Briefing(
        "Briefing: ports",
        datetime(2024, 5, 1, tzinfo=UTC),
        None,
        (Bullet("Ports reopen.", (source,)),),
    )
    shown = render(BriefingReply(briefing), fmt)
    assert "Reuters: Ports reopen" in shown and "Reuters: Reuters" not in shown
