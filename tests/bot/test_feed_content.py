"""Feeds are recognised by their content, whatever they are served as.

Every syndication format a reader accepts (RSS 0.91/0.92, RSS 1.0 RDF, RSS 2.0, Atom 0.3/1.0,
JSON Feed 1.0/1.1), served with content types that say nothing of feeds and written behind a
byte-order mark, stylesheet lines, comments or blank lines, goes through every way a feed comes
in: `ingest()` and `briefbot ingest <url>`, `feeds add` from chat, and later polls.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, Story, paragraphs_html
from fakes.web import WebServer

from bot.app import Core
from bot.commands import ErrorReply, NoticeReply, answer
from bot.digests import Context
from bot.feeds import FeedRegistry, poll
from bot.ingest import ingest
from bot.models import IngestReport
from bot.scopes import OPERATOR

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "cases" / "realworld"


@dataclass(frozen=True)
class Item:
    """One entry of a feed under test: a story at a link, published at a time."""

    story: Story
    link: str
    published: datetime


def _when(n: int) -> datetime:
    return datetime(2024, 4, 30, 8, n, tzinfo=UTC)


def _rss_09x(version: str) -> Callable[[str, str, list[Item]], str]:
    def build(title: str, home: str, items: list[Item]) -> str:
        # RSS 0.91/0.92: no GUIDs; the whole story is the (escaped HTML) description.
        entries = "".join(
            f"<item><title>{escape(i.story.title)}</title><link>{escape(i.link)}</link>"
            f"<description>{escape(paragraphs_html(i.story.paragraphs))}</description></item>\n"
            for i in items
        )
        doctype = (
            '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
            if version == "0.91"
            else ""
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}<rss version="{version}">'
            f"<channel><title>{escape(title)}</title><link>{escape(home)}</link>"
            f"<description>Invented news</description><language>en</language>\n"
            f"{entries}</channel></rss>\n"
        )

    return build


def _rss_10(title: str, home: str, items: list[Item]) -> str:
    seq = "".join(f'<rdf:li rdf:resource="{escape(i.link)}"/>' for i in items)
    entries = "".join(
        f'<item rdf:about="{escape(i.link)}"><title>{escape(i.story.title)}</title>'
        f"<link>{escape(i.link)}</link>"
        f"<description>{escape(paragraphs_html(i.story.paragraphs))}</description>"
        f"<dc:date>{i.published.strftime('%Y-%m-%dT%H:%M:%SZ')}</dc:date></item>\n"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{escape(home)}"><title>{escape(title)}</title>'
        f"<link>{escape(home)}</link><description>Invented news</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>\n{entries}</rdf:RDF>\n"
    )


def _rss_20(title: str, home: str, items: list[Item]) -> str:
    entries = "".join(
        f"<item><title>{escape(i.story.title)}</title><link>{escape(i.link)}</link>"
        f'<guid isPermaLink="false">tag:loopback,2024:{abs(hash(i.link))}</guid>'
        f"<pubDate>{i.published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<content:encoded><![CDATA[{paragraphs_html(i.story.paragraphs)}]]></content:encoded>"
        "</item>\n"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>{escape(home)}</link>"
        f"<description>Invented news</description>\n{entries}</channel></rss>\n"
    )


def _atom_03(title: str, home: str, items: list[Item]) -> str:
    entries = "".join(
        f"<entry><title>{escape(i.story.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{escape(i.link)}"/>'
        f"<id>{escape(i.link)}</id><issued>{i.published.strftime('%Y-%m-%dT%H:%M:%SZ')}</issued>"
        f"<modified>{i.published.strftime('%Y-%m-%dT%H:%M:%SZ')}</modified>"
        f'<content type="text/html" mode="escaped">'
        f"{escape(paragraphs_html(i.story.paragraphs))}</content></entry>\n"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed version="0.3" xmlns="http://purl.org/atom/ns#">'
        f'<title>{escape(title)}</title><link rel="alternate" type="text/html" '
        f'href="{escape(home)}"/><modified>2024-04-30T08:00:00Z</modified>\n{entries}</feed>\n'
    )


def _atom_10(title: str, home: str, items: list[Item]) -> str:
    entries = "".join(
        f'<entry><title type="text">{escape(i.story.title)}</title>'
        f'<link rel="alternate" href="{escape(i.link)}"/><id>{escape(i.link)}</id>'
        f"<updated>{i.published.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
        f'<content type="html">{escape(paragraphs_html(i.story.paragraphs))}</content>'
        "</entry>\n"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{escape(title)}</title><link href="{escape(home)}"/><id>{escape(home)}</id>'
        f"<updated>2024-04-30T08:00:00Z</updated>\n{entries}</feed>\n"
    )


def _json_feed(version: str) -> Callable[[str, str, list[Item]], str]:
    def build(title: str, home: str, items: list[Item]) -> str:
        out = []
        for i in items:
            item: dict[str, object] = {
                "id": i.link,
                "url": i.link,
                "title": i.story.title,
                "date_published": i.published.isoformat(),
            }
            if version == "1":
                item["content_html"] = paragraphs_html(i.story.paragraphs)
                item["author"] = {"name": "Desk"}
            else:
                item["content_text"] = "\n\n".join(i.story.paragraphs)
                item["authors"] = [{"name": "Desk"}]
            out.append(item)
        document = {
            "version": f"https://jsonfeed.org/version/{version}",
            "title": title,
            "home_page_url": home,
            "items": out,
        }
        return json.dumps(document, indent=2)

    return build


FORMATS: dict[str, Callable[[str, str, list[Item]], str]] = {
    "rss-0.91": _rss_09x("0.91"),
    "rss-0.92": _rss_09x("0.92"),
    "rss-1.0-rdf": _rss_10,
    "rss-2.0": _rss_20,
    "atom-0.3": _atom_03,
    "atom-1.0": _atom_10,
    "jsonfeed-1.0": _json_feed("1"),
    "jsonfeed-1.1": _json_feed("1.1"),
}

# Content types that say nothing (or the wrong thing) about feeds.
ODD_TYPES = ("text/xml", "text/html; charset=utf-8", "text/plain", "application/octet-stream")
DECORATIONS = ("bom", "stylesheet", "comments", "blank lines", "all")


def decorate(document: str, how: str) -> bytes:
    """The document as publishers really write it: a BOM, `<?xml-stylesheet?>` lines,
    comments or blank lines before the root element."""
    is_json = document.lstrip().startswith("{")
    if is_json:  # JSON has no prolog: only a BOM and whitespace fit before it
        text = "\n\n  " + document if how in {"blank lines", "all", "comments"} else document
    else:
        head, _, rest = document.partition("\n")  # the XML declaration, then the rest
        extra = ""
        if how in {"stylesheet", "all"}:
            extra += '<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>\n'
            extra += '<?xml-stylesheet type="text/css" href="/feed.css"?>\n'
        if how in {"comments", "all"}:
            extra += "<!-- generated by an invented CMS -->\n<!-- cache: hit <rss> -->\n"
        if how in {"blank lines", "all"}:
            extra = "\n\n   \n" + extra + "\n\n"
            head = "\n\n" + head  # blank lines even before the declaration
        text = f"{head}\n{extra}{rest}"
    data = text.encode("utf-8")
    return codecs.BOM_UTF8 + data if how in {"bom", "all"} else data


def serve(web: WebServer, fmt: str, stories: list[Story], how: str, content_type: str) -> str:
    """Serve `stories` as a feed of format `fmt` at /<fmt>; return its URL."""
    items = [Item(s, web.url(f"/{fmt}/story/{n}"), _when(n)) for n, s in enumerate(stories, 1)]
    document = FORMATS[fmt](f"Loopback {fmt} desk", web.url("/"), items)
    return web.serve(f"/{fmt}", decorate(document, how), content_type)


def titles(core: Core) -> set[str]:
    return {a.title for a in core.store.search(None, limit=1000, scope=OPERATOR)}


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for n, fmt in enumerate(FORMATS):
        for m, content_type in enumerate(ODD_TYPES):
            cases.append((fmt, content_type, DECORATIONS[(n + m) % len(DECORATIONS)]))
    return cases


@pytest.mark.parametrize("fmt, content_type, how", _cases())
def test_every_format_is_ingested_as_a_feed_whatever_it_is_served_as(
    bare_core: Core, web: WebServer, fmt: str, content_type: str, how: str
) -> None:
    url = serve(web, fmt, [HARBOUR, VOLCANO], how, content_type)
    report = ingest(bare_core.store, [url], bare_core.clock, bare_core.fetcher)
    assert [r.status for r in report.results] == ["stored", "stored"], report.summary()
    assert titles(bare_core) == {HARBOUR.title, VOLCANO.title}
    stored = {r.article.title: r.article for r in report.results if r.article}
    assert stored[HARBOUR.title].url == web.url(f"/{fmt}/story/1")
    assert stored[HARBOUR.title].source == f"Loopback {fmt} desk"
    assert "eleven weeks of repairs" in stored[HARBOUR.title].text
    assert web.paths().count(f"/{fmt}") == 1  # read once, as a feed


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("how", DECORATIONS)
def test_every_decoration_before_the_root_is_read(
    bare_core: Core, web: WebServer, fmt: str, how: str
) -> None:
    url = serve(web, fmt, [CHESS], how, "application/octet-stream")
    report = ingest(bare_core.store, [url], bare_core.clock, bare_core.fetcher)
    assert report.summary() == "1 stored, 0 already stored"
    assert titles(bare_core) == {CHESS.title}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_feeds_add_names_and_reads_every_format_and_later_polls_read_it_too(
    core: Core, web: WebServer, clock, fmt: str
) -> None:
    content_type = ODD_TYPES[list(FORMATS).index(fmt) % len(ODD_TYPES)]
    url = serve(web, fmt, [HARBOUR], "all", content_type)
    reply = answer(core, f"feeds add {url}", HERE)
    assert isinstance(reply, NoticeReply), reply
    assert f"(Loopback {fmt} desk): 1 article stored now" in reply.text
    [feed] = FeedRegistry(core.store).all()
    assert feed.name == f"Loopback {fmt} desk" and feed.url == url
    # The publisher adds a story; the next poll reads the same format again.
    serve(web, fmt, [HARBOUR, HARVEST], "all", content_type)
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert (result.stored, result.duplicates, result.error) == (1, 1, None)
    assert {HARBOUR.title, HARVEST.title} <= titles(core)
    listing = answer(core, "feeds list", HERE).text
    assert f"Loopback {fmt} desk" in listing and "· ok" in listing


def test_a_web_page_is_still_a_page_whatever_it_claims_to_be(
    bare_core: Core, web: WebServer
) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Not a feed</title></head>"
        f"<body><article><h1>{HARBOUR.title}</h1>{paragraphs_html(HARBOUR.paragraphs)}"
        "</article></body></html>"
    )
    as_rss = web.serve("/page-as-rss", page, "application/rss+xml")
    report = ingest(bare_core.store, [as_rss], bare_core.clock, bare_core.fetcher)
    assert [r.status for r in report.results] == ["stored"]  # read as the page it is
    reply = answer(bare_core, f"feeds add {as_rss}", HERE)
    assert isinstance(reply, ErrorReply) and "not an RSS, Atom or JSON feed" in reply.message
    # JSON that is not a JSON Feed is no feed either.
    other = web.serve("/data.json", json.dumps({"version": "2", "items": []}), "application/json")
    reply = answer(bare_core, f"feeds add {other}", HERE)
    assert isinstance(reply, ErrorReply) and "Nothing was stored" in reply.message


def test_a_feed_that_turns_into_a_page_is_reported_by_the_poll(
    core: Core, web: WebServer, clock
) -> None:
    url = serve(web, "atom-1.0", [CHESS], "bom", "text/xml")
    answer(core, f"feeds add {url}", HERE)
    web.serve("/atom-1.0", "<html><body><p>Our feeds have moved.</p></body></html>")
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.error == "it is not an RSS, Atom or JSON feed any more"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_feed_file_on_disk_gives_the_same_articles(
    bare_core: Core, tmp_path: Path, fmt: str
) -> None:
    items = [Item(s, f"https://example.org/{n}", _when(n)) for n, s in enumerate([VOLCANO], 1)]
    document = decorate(FORMATS[fmt]("Disk desk", "https://example.org/", items), "all")
    suffix = (
        ".json"
        if fmt.startswith("json")
        else {"rss": ".rss", "atom": ".atom"}.get(fmt.split("-")[0], ".xml")
    )
    path = tmp_path / f"saved{suffix}"
    path.write_bytes(document)
    unsuffixed = tmp_path / "saved-feed"  # no suffix: recognised by its content alone
    unsuffixed.write_bytes(document)
    report = ingest(bare_core.store, [str(path)], bare_core.clock, bare_core.fetcher)
    assert report.summary() == "1 stored, 0 already stored"
    again = ingest(bare_core.store, [str(unsuffixed)], bare_core.clock, bare_core.fetcher)
    assert again.summary() == "0 stored, 1 already stored"
    assert titles(bare_core) == {VOLCANO.title}


def test_a_saved_file_that_is_no_feed_says_so(bare_core: Core, tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (tmp_path / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset><url><loc>https://example.org/</loc></url></urlset>'
    )
    report = ingest(bare_core.store, [str(tmp_path)], bare_core.clock, bare_core.fetcher)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert all("not an RSS, Atom or JSON feed" in (r.reason or "") for r in report.results)


# -- the handed case -------------------------------------------------------------------------


def _bom_case() -> Path:
    path = SHARED / "bom-feed" / "feed-bom.xml"
    if not path.is_file():
        pytest.skip(f"the handed case {path} is not here (../shared is absent)")
    return path


@pytest.mark.parametrize("content_type", ["text/xml; charset=utf-8", "application/octet-stream"])
def test_the_handed_bom_feed_is_a_feed_every_way_in(
    core: Core, web: WebServer, tmp_path: Path, content_type: str
) -> None:
    case = _bom_case()
    url = web.serve("/feed-bom.xml", case.read_bytes(), content_type)
    report = ingest(core.store, [url], core.clock, core.fetcher)
    assert report.count("stored") >= 1 and report.count("failed") == 0, report.summary()
    from_url = {(r.article.title, r.article.text) for r in report.results if r.article}
    # Ingesting the file from disk gives the same articles (already stored).
    local = tmp_path / "feed-bom.xml"
    shutil.copyfile(case, local)
    from_disk = ingest(core.store, [str(local)], core.clock, core.fetcher)
    assert from_disk.count("duplicate") == len(from_url) and from_disk.count("stored") == 0
    assert {(r.article.title, r.article.text) for r in from_disk.results if r.article} == from_url
    # And `feeds add` accepts it as a feed, named by its title.
    reply = answer(core, f"feeds add {url}", HERE)
    assert isinstance(reply, NoticeReply), reply
    assert "(Norvale Gazette)" in reply.text
    assert [f.name for f in FeedRegistry(core.store).all()] == ["Norvale Gazette"]


def test_the_handed_bom_feed_from_disk_on_a_fresh_store(bare_core: Core, tmp_path: Path) -> None:
    case = _bom_case()
    report = ingest(bare_core.store, [str(case)], bare_core.clock, bare_core.fetcher)
    assert report.count("stored") >= 1 and report.count("failed") == 0, report.summary()
    assert "Norvale seawall repairs begin" in titles(bare_core)


# -- the command line ------------------------------------------------------------------------


def _briefbot() -> str:
    beside = Path(sys.executable).with_name("briefbot")
    found = str(beside) if beside.exists() else shutil.which("briefbot")
    assert found, "the briefbot console script is not installed"
    return found


def test_briefbot_ingest_reads_feeds_served_as_anything(web: WebServer, tmp_path: Path) -> None:
    urls = [
        serve(web, "rss-1.0-rdf", [HARBOUR], "all", "text/plain"),
        serve(web, "atom-0.3", [VOLCANO], "bom", "application/octet-stream"),
        serve(web, "jsonfeed-1.1", [CHESS], "blank lines", "text/html"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(
        HOME=str(tmp_path),
        PYTHONIOENCODING="utf-8",
        BRIEFBOT_FETCH_ALLOW="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}",
        BRIEFBOT_LOAD_SEEDS="0",
    )

    def briefbot(*args: str) -> str:
        done = subprocess.run(
            [_briefbot(), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout + done.stderr

    assert "3 stored, 0 already stored" in briefbot("ingest", "--no-progress", *urls)
    # The same URLs followed as feeds from chat, then polled.
    added = briefbot("chat", "--workspace", "slack:T1", f"feeds add {urls[2]}")
    assert "(Loopback jsonfeed-1.1 desk)" in added
    serve(web, "jsonfeed-1.1", [CHESS, HARVEST], "blank lines", "text/html")
    assert "1 new article stored" in briefbot("feeds", "poll")


def test_reports_name_every_entry(bare_core: Core, web: WebServer) -> None:
    """A feed of many formats' worth of stories: every entry accounted for."""
    url = serve(web, "jsonfeed-1.0", [HARBOUR, HARVEST, CHESS, VOLCANO], "bom", "text/plain")
    report: IngestReport = ingest(bare_core.store, [url], bare_core.clock, bare_core.fetcher)
    assert report.summary() == "4 stored, 0 already stored"


def test_an_untitled_entry_is_headed_by_its_first_sentence_not_its_link(
    bare_core: Core, web: WebServer
) -> None:
    # Titles are optional in RSS and JSON Feed (microblog feeds have none): the headline a
    # list or a briefing shows is the entry's first sentence, never its URL.
    text = " ".join(HARVEST.paragraphs)
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Grain Post</title>'
        f"<item><link>{web.url('/p/1')}</link><guid>p1</guid>"
        f"<description>{escape(paragraphs_html(HARVEST.paragraphs))}</description></item>"
        "</channel></rss>"
    )
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Chess Notes",
        "items": [{"id": "c1", "url": web.url("/c/1"), "content_text": " ".join(CHESS.paragraphs)}],
    }
    report = ingest(
        bare_core.store,
        [
            web.serve("/untitled.rss", rss, "application/rss+xml"),
            web.serve("/untitled.json", json.dumps(feed), "application/feed+json"),
        ],
        bare_core.clock,
        bare_core.fetcher,
    )
    assert report.summary() == "2 stored, 0 already stored"
    titles = {a.title for a in bare_core.store.search(None, limit=10, scope=OPERATOR)}
    first = text.split(". ")[0].removesuffix(".")
    assert any(t and first.startswith(t.removesuffix("…")) for t in titles), titles
    assert not any(t.startswith("http") for t in titles), titles
