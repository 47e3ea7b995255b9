"""Ingest from folders, files, web pages and feeds, with real files and real loopback HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
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
    make_atom,
    make_rss,
    paragraphs_html,
    story_html,
    story_text,
    walls,
)
from fakes.web import WebServer

from bot.app import Core
from bot.commands import answer
from bot.errors import FetchFailed
from bot.fetch import USER_AGENT
from bot.ingest import draft_from_html, ingest
from bot.models import IngestReport, IngestResult
from bot.render import render
from bot.scopes import OPERATOR


def run(core: Core, *items: str) -> IngestReport:
    return ingest(core.store, list(items), core.clock, core.fetcher)


def statuses(report: IngestReport) -> list[str]:
    return [r.status for r in report.results]


def stored_titles(core: Core) -> set[str]:
    return {a.title for a in core.store.search(None, limit=1000, scope=OPERATOR)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A nested folder of articles, with files that must be skipped."""
    root = tmp_path / "articles"
    (root / "world" / "europe").mkdir(parents=True)
    (root / ".cache").mkdir()
    (root / "harbour.txt").write_text(story_text(HARBOUR), encoding="utf-8")
    (root / "world" / "harvest.html").write_text(story_html(HARVEST), encoding="utf-8")
    (root / "world" / "europe" / "chess.TXT").write_text(story_text(CHESS), encoding="utf-8")
    (root / "world" / "europe" / "volcano.htm").write_text(story_html(VOLCANO), encoding="utf-8")
    # Skipped: hidden folders and files of other kinds.
    (root / ".cache" / "stale.txt").write_text(story_text(HARBOUR) + "Stale copy.\n")
    (root / "world" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not an article")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4 not an article")
    return root


# -- files and folders -----------------------------------------------------------------------


def test_a_nested_folder_stores_each_article_once(bare_core: Core, folder: Path) -> None:
    report = run(bare_core, str(folder))
    assert statuses(report) == ["stored"] * 4, report.summary()
    assert report.summary() == "4 stored, 0 already stored"
    assert bare_core.store.count() == 4
    assert stored_titles(bare_core) == {s.title for s in (HARBOUR, HARVEST, CHESS, VOLCANO)}


def test_a_folder_ingested_again_stores_nothing(bare_core: Core, folder: Path) -> None:
    run(bare_core, str(folder))
    again = run(bare_core, str(folder))
    assert again.summary() == "0 stored, 4 already stored"
    assert statuses(again) == ["duplicate"] * 4
    assert bare_core.store.count() == 4


def test_the_stored_text_is_the_article_without_page_furniture(
    bare_core: Core, folder: Path
) -> None:
    run(bare_core, str(folder))
    [article] = bare_core.store.search("grain board", scope=OPERATOR)
    assert article.title == HARVEST.title
    assert article.source == "Test Herald"
    assert article.text.splitlines() == list(HARVEST.paragraphs)
    assert "All rights reserved" not in article.text
    assert "Sport" not in article.text


def test_a_text_file_with_front_matter_keeps_its_metadata(bare_core: Core, tmp_path: Path) -> None:
    from fakes import make_article_text

    path = tmp_path / "chess.md"
    path.write_text(
        make_article_text(
            CHESS.title,
            CHESS.paragraphs,
            front_matter=(
                "source: Chess Weekly\nurl: https://chess.example/final\n"
                "published: 2024-04-28T18:30:00Z"
            ),
        ),
        encoding="utf-8",
    )
    [result] = run(bare_core, str(path)).results
    assert result.status == "stored"
    assert result.article is not None
    assert result.article.source == "Chess Weekly"
    assert result.article.url == "https://chess.example/final"
    assert result.article.published_at == datetime(2024, 4, 28, 18, 30, tzinfo=UTC)


def test_one_bad_file_among_good_ones(bare_core: Core, folder: Path) -> None:
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "world" / "broken.html").write_bytes(b"<html><body><div><<<\x00\x01\xff")
    report = run(bare_core, str(folder))
    failed = [r for r in report.results if r.status == "failed"]
    assert sorted(Path(r.item).name for r in failed) == ["broken.html", "empty.txt"]
    assert all(r.reason for r in failed)
    assert report.count("stored") == 4
    assert bare_core.store.count() == 4
    assert report.summary().startswith("4 stored, 0 already stored, 2 failed: ")
    assert "empty.txt" in report.summary()


def test_a_missing_path_fails_with_a_reason_and_the_rest_is_stored(
    bare_core: Core, tmp_path: Path
) -> None:
    good = tmp_path / "harbour.txt"
    good.write_text(story_text(HARBOUR), encoding="utf-8")
    missing = str(tmp_path / "no" / "such.txt")
    report = run(bare_core, missing, str(good))
    assert [(r.item, r.status) for r in report.results] == [
        (missing, "failed"),
        (str(good), "stored"),
    ]
    assert "no such file" in report.results[0].reason
    assert bare_core.store.count() == 1


def test_every_result_is_reported_as_it_happens(bare_core: Core, folder: Path) -> None:
    seen: list[IngestResult] = []
    report = ingest(
        bare_core.store, [str(folder)], bare_core.clock, bare_core.fetcher, on_result=seen.append
    )
    assert tuple(seen) == report.results
    assert len(seen) == 4


def test_a_feed_file_on_disk_is_read_entry_by_entry(bare_core: Core, tmp_path: Path) -> None:
    path = tmp_path / "saved.atom"
    path.write_text(
        make_atom(
            "Saved Feed",
            "https://saved.example/",
            [
                FeedEntry(
                    s.title,
                    f"https://saved.example/{i}",
                    content_html=paragraphs_html(s.paragraphs),
                )
                for i, s in enumerate((HARVEST, VOLCANO))
            ],
        ),
        encoding="utf-8",
    )
    report = run(bare_core, str(path))
    assert statuses(report) == ["stored", "stored"]
    assert {a.source for a in bare_core.store.search(None, scope=OPERATOR)} == {"Saved Feed"}


# -- web pages -------------------------------------------------------------------------------


def test_a_web_page_is_stored_with_its_url_and_site_name(bare_core: Core, web: WebServer) -> None:
    url = web.serve("/2024/05/harbour.html", story_html(HARBOUR, site="Coast Gazette"))
    [result] = run(bare_core, url).results
    assert result.status == "stored", result.reason
    assert result.article is not None
    assert result.article.url == url
    assert result.article.source == "Coast Gazette"
    assert result.article.title == HARBOUR.title
    assert web.requests[0].headers.get("User-Agent") == USER_AGENT


def test_what_is_stored_is_committed_before_a_page_is_fetched(
    bare_core: Core, folder: Path, web: WebServer
) -> None:
    # Ingest holds one write transaction across many articles (Store.batch); it must not
    # hold it while it waits on the network, where every other writer would wait too.
    committed: list[int] = []

    def count_then_404(handler, _stopping) -> None:
        committed.append(bare_core.store.count())  # this server thread: its own connection
        handler.send_response(404)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    url = web.serve_raw("/later.html", count_then_404)
    report = run(bare_core, str(folder), url)
    assert statuses(report) == ["stored"] * 4 + ["failed"]
    assert committed == [4]


def test_a_404_and_a_broken_page_fail_without_stopping_the_others(
    bare_core: Core, web: WebServer
) -> None:
    missing = web.serve_status("/gone.html", 404, "<h1>Not found</h1>")
    broken = web.serve("/broken.html", b"<html><body><div><<<\x00\x01\xff garbage")
    empty = web.serve("/empty.html", "<html><head><title>Empty</title></head><body></body></html>")
    good = web.serve("/harbour.html", story_html(HARBOUR))
    also_good = web.serve("/chess.html", story_html(CHESS))

    report = run(bare_core, missing, broken, good, empty, also_good)

    assert [(r.item, r.status) for r in report.results] == [
        (missing, "failed"),
        (broken, "failed"),
        (good, "stored"),
        (empty, "failed"),
        (also_good, "stored"),
    ]
    reasons = {r.item: r.reason for r in report.results if r.status == "failed"}
    assert "404" in reasons[missing]
    # Control bytes and a stray byte in no encoding: refused as undecodable, not stored garbled.
    assert "text encoding cannot be recognised" in reasons[broken]
    assert "no article text" in reasons[empty]
    assert bare_core.store.count() == 2
    assert report.summary().startswith("2 stored, 0 already stored, 3 failed: ")


def test_a_page_without_text_fails_in_one_line_naming_it_and_no_library_lines_reach_stderr(
    web: WebServer, tmp_path: Path
) -> None:
    # trafilatura logs "empty HTML tree" (ERROR) and "discarding data" (WARNING) for such a
    # page; ingest reports the page itself, so those lines go to our logger at DEBUG only.
    empty = web.serve("/empty.html", "")
    blank = web.serve("/blank.html", "<html><head><title>Blank</title></head><body></body></html>")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("BRIEFBOT_") and name not in {"DATABASE_URL", "LOG_LEVEL"}
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "BRIEFBOT_LOAD_SEEDS": "0",
        "BRIEFBOT_FETCH_ALLOW": "127.0.0.1",
    }
    script = "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"

    def ingest_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, *args, "ingest", empty, blank],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    quiet = ingest_cli()
    assert quiet.stderr.splitlines() == [
        f"briefbot: 0 stored, 0 already stored, 2 failed: {empty}: no article text found in "
        f"the page {empty}; {blank}: no article text found in the page {blank}"
    ], quiet.stderr
    # With --debug they are there, as briefbot's own DEBUG lines naming the library.
    debug = ingest_cli("--debug")
    assert re.search(r"DEBUG bot\.ingest: trafilatura\.core: ", debug.stderr), debug.stderr
    assert not re.search(r"(ERROR|WARNING) trafilatura", debug.stderr), debug.stderr


def test_the_page_named_in_the_message_has_its_credentials_masked() -> None:
    with pytest.raises(FetchFailed) as raised:
        draft_from_html("<html><body></body></html>", "https://reader:pw-123@news.example/x", "x")
    assert str(raised.value) == "no article text found in the page https://***@news.example/x"


def test_a_server_error_and_an_unreachable_host_are_failures_with_reasons(
    bare_core: Core, web: WebServer
) -> None:
    error = web.serve_status("/error", 500, "oops")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = f"http://127.0.0.1:{closed_port}/story.html"
    good = web.serve("/volcano.html", story_html(VOLCANO))

    report = run(bare_core, error, unreachable, good)

    assert statuses(report) == ["failed", "failed", "stored"]
    assert "500" in report.results[0].reason
    assert "cannot reach" in report.results[1].reason
    assert bare_core.store.count() == 1


def test_an_xhtml_page_is_read_as_a_page_not_a_feed(bare_core: Core, web: WebServer) -> None:
    # XHTML pages are served as application/xhtml+xml; that is a web page, not a feed.
    url = web.serve("/harbour.xhtml", story_html(HARBOUR), "application/xhtml+xml; charset=utf-8")
    [result] = run(bare_core, url).results
    assert result.status == "stored", result.reason
    assert bare_core.store.count() == 1


# -- feeds -----------------------------------------------------------------------------------


@pytest.fixture
def teaser_feed(web: WebServer) -> dict[str, str]:
    """An RSS feed whose entries carry a one-line teaser and link to full pages on the server."""
    links = {}
    entries = []
    for number, story in enumerate((HARBOUR, HARVEST, CHESS), start=1):
        link = web.serve(f"/news/{number}.html", story_html(story, site="Loopback News"))
        links[story.title] = link
        entries.append(
            FeedEntry(
                story.title,
                link,
                summary=story.paragraphs[0][:60] + "…",
                published=datetime(2024, 4, 20 + number, 7, 30, tzinfo=UTC),
            )
        )
    links["feed"] = web.serve(
        "/feed.rss",
        make_rss("Loopback News", web.url("/"), entries),
        "application/rss+xml; charset=utf-8",
    )
    return links


def test_a_teaser_feed_stores_each_linked_page_once(
    bare_core: Core, web: WebServer, teaser_feed: dict[str, str]
) -> None:
    report = run(bare_core, teaser_feed["feed"])
    assert report.summary() == "3 stored, 0 already stored"
    assert bare_core.store.count() == 3
    for story in (HARBOUR, HARVEST, CHESS):
        [article] = [
            a for a in bare_core.store.search(None, scope=OPERATOR) if a.title == story.title
        ]
        # The whole article from the page, not the teaser from the feed.
        assert article.text.splitlines() == list(story.paragraphs)
        assert article.url == teaser_feed[story.title]
        assert article.source == "Loopback News"
    assert {"/news/1.html", "/news/2.html", "/news/3.html"} <= set(web.paths())
    assert all(r.headers.get("User-Agent") == USER_AGENT for r in web.requests)


def test_a_teaser_feed_keeps_the_entry_dates(bare_core: Core, teaser_feed: dict[str, str]) -> None:
    run(bare_core, teaser_feed["feed"])
    dates = {a.title: a.published_at for a in bare_core.store.search(None, scope=OPERATOR)}
    assert dates[HARBOUR.title] == datetime(2024, 4, 21, 7, 30, tzinfo=UTC)
    assert dates[CHESS.title] == datetime(2024, 4, 23, 7, 30, tzinfo=UTC)


def test_a_teaser_feed_ingested_again_stores_nothing(
    bare_core: Core, teaser_feed: dict[str, str]
) -> None:
    run(bare_core, teaser_feed["feed"])
    again = run(bare_core, teaser_feed["feed"])
    assert again.summary() == "0 stored, 3 already stored"
    assert statuses(again) == ["duplicate"] * 3
    assert bare_core.store.count() == 3


def test_a_feed_ingested_again_skips_its_known_entries_before_fetching_their_pages(
    bare_core: Core, web: WebServer, teaser_feed: dict[str, str]
) -> None:
    run(bare_core, teaser_feed["feed"])
    before = len(web.requests)
    again = run(bare_core, teaser_feed["feed"])
    assert again.summary() == "0 stored, 3 already stored"
    # Only the feed itself is read again: no entry's page is fetched, cleaned or analysed.
    assert [r.path for r in web.requests[before:]] == ["/feed.rss"]


def test_a_folder_ingested_again_reports_the_stored_articles(bare_core: Core, folder: Path) -> None:
    first = {r.item: r.article.id for r in run(bare_core, str(folder)).results if r.article}
    again = run(bare_core, str(folder))
    assert again.summary() == "0 stored, 4 already stored"
    assert {r.item: r.article.id for r in again.results if r.article} == first


def test_a_feed_entry_whose_page_is_missing_does_not_stop_the_others(
    bare_core: Core, web: WebServer
) -> None:
    good = web.serve("/ok.html", story_html(VOLCANO))
    gone = web.url("/gone.html")  # not served: 404
    feed = web.serve(
        "/feed.xml",
        make_rss("Mixed Feed", web.url("/"), [FeedEntry("Gone", gone), FeedEntry("OK", good)]),
        "text/xml",
    )
    report = run(bare_core, feed)
    assert [(r.item, r.status) for r in report.results] == [(gone, "failed"), (good, "stored")]
    assert report.results[0].reason
    assert bare_core.store.count() == 1


def test_an_atom_feed_with_full_content_is_stored_from_the_feed(
    bare_core: Core, web: WebServer
) -> None:
    entries = [
        FeedEntry(
            story.title,
            web.url(f"/never-served/{number}"),
            content_html=paragraphs_html(story.paragraphs),
            published=datetime(2024, 4, 30, number, 0, tzinfo=UTC),
        )
        for number, story in enumerate((VOLCANO, HARVEST), start=1)
    ]
    feed = web.serve(
        "/atom.xml", make_atom("Atom Times", web.url("/"), entries), "application/atom+xml"
    )

    report = run(bare_core, feed)

    assert report.summary() == "2 stored, 0 already stored"
    # Full content needs no page fetch.
    assert web.paths() == ["/atom.xml"]
    [volcano] = bare_core.store.search("magma", scope=OPERATOR)
    assert volcano.title == VOLCANO.title
    assert volcano.text.splitlines() == list(VOLCANO.paragraphs)
    assert volcano.source == "Atom Times"
    assert volcano.url == web.url("/never-served/1")
    assert volcano.published_at == datetime(2024, 4, 30, 1, 0, tzinfo=UTC)

    again = run(bare_core, feed)
    assert again.summary() == "0 stored, 2 already stored"
    assert bare_core.store.count() == 2


def test_the_same_article_from_a_page_and_a_feed_is_stored_once(
    bare_core: Core, web: WebServer
) -> None:
    page = web.serve("/harbour.html", story_html(HARBOUR))
    feed = web.serve(
        "/feed.rss",
        make_rss("Herald", web.url("/"), [FeedEntry(HARBOUR.title, page, summary="Teaser.")]),
        "application/rss+xml",
    )
    report = run(bare_core, page, feed)
    assert statuses(report) == ["stored", "duplicate"]
    assert bare_core.store.count() == 1


def test_an_unreadable_feed_fails_with_a_reason(bare_core: Core, web: WebServer) -> None:
    bad = web.serve("/bad.rss", b"\x00\x01 this is not XML {{{", "application/rss+xml")
    good = web.serve("/chess.html", story_html(CHESS))
    report = run(bare_core, bad, good)
    assert [(r.item, r.status) for r in report.results] == [(bad, "failed"), (good, "stored")]
    assert report.results[0].reason


def test_relative_entry_links_are_resolved_against_the_feed(
    bare_core: Core, web: WebServer
) -> None:
    # Atom allows relative links (RFC 4287 §2, resolved against the document's URI).
    web.serve("/news/harbour.html", story_html(HARBOUR))
    feed = web.serve(
        "/feeds/atom.xml",
        make_atom(
            "Relative Times",
            web.url("/"),
            [FeedEntry(HARBOUR.title, "/news/harbour.html", summary="The bridge reopened.")],
        ),
        "application/atom+xml",
    )
    [result] = run(bare_core, feed).results
    assert result.status == "stored", result.reason
    assert "/news/harbour.html" in web.paths()
    assert result.article is not None
    assert result.article.url == web.url("/news/harbour.html")
    assert result.article.text.splitlines() == list(HARBOUR.paragraphs)


def test_a_windows_1252_text_file_is_read(bare_core: Core, tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    body = [*HARBOUR.paragraphs, "The café’s owner said trade was already back to normal."]
    text = story_text(Story("Café owners cheer the reopening", tuple(body)))
    path.write_bytes(text.encode("cp1252"))
    [result] = run(bare_core, str(path)).results
    assert result.status == "stored", result.reason
    assert result.article is not None
    assert result.article.title == "Café owners cheer the reopening"
    assert "The café’s owner said trade" in result.article.text


def test_an_oversized_page_fails_with_a_reason(bare_core: Core, web: WebServer) -> None:
    huge = web.serve("/huge.html", b"<p>" + b"word " * 1_100_000 + b"</p>")
    good = web.serve("/chess.html", story_html(CHESS))
    report = run(bare_core, huge, good)
    assert statuses(report) == ["failed", "stored"]
    assert "MB" in report.results[0].reason


# -- plain-text oddities -----------------------------------------------------------------------


def test_a_one_line_text_takes_its_headline_from_the_first_sentence(
    bare_core: Core, tmp_path: Path
) -> None:
    path = tmp_path / "bridge.txt"
    path.write_text(" ".join(HARBOUR.paragraphs[:2]), encoding="utf-8")  # no line breaks
    report = run(bare_core, str(path))
    [result] = report.results
    assert result.status == "stored"
    assert result.article is not None
    first = HARBOUR.paragraphs[0].split(". ")[0]
    assert result.article.title == first.removesuffix(".")
    assert result.article.text == " ".join(HARBOUR.paragraphs[:2])
    summary = report.summary()
    assert summary.startswith("1 stored (1 note: ")
    assert f"{path}: one line of text: headline taken from its first sentence" in summary


def test_a_one_sentence_text_takes_its_headline_from_the_file_name(
    bare_core: Core, tmp_path: Path
) -> None:
    path = tmp_path / "harbour-bridge_reopens.txt"
    sentence = "The harbour bridge reopened on Monday after eleven months of repairs."
    path.write_text(sentence + "\n", encoding="utf-8")
    report = run(bare_core, str(path))
    [result] = report.results
    assert result.status == "stored"
    assert result.article is not None
    assert result.article.title == "Harbour bridge reopens"
    assert result.article.text == sentence
    assert "headline taken from the file name" in report.summary()


@pytest.mark.parametrize(
    ("name", "text"),
    [("ad.txt", "Advertisement\n"), ("heading.md", "# The harbour bridge reopens\n")],
)
def test_a_lone_label_or_heading_is_still_no_article(
    bare_core: Core, tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [result] = run(bare_core, str(path)).results
    assert result.status == "failed"
    assert "no article text" in result.reason
    assert bare_core.store.count() == 0


def test_a_two_megabyte_single_paragraph_is_ingested(bare_core: Core, tmp_path: Path) -> None:
    # Numbered sentences, so none repeats; one line, no paragraph breaks.
    sentences = [
        f"Inspectors checked span number {n} of the harbour bridge on Monday. "
        f"Dr. Lee said the U.S. engineers found {n % 7} cracks there."
        for n in range(1, 30_000)
    ]
    text = " ".join(sentences)
    text = text[: text.rindex(". ", 0, 2_000_000) + 1]
    assert 1_990_000 < len(text.encode()) <= 2_000_000 and "\n" not in text
    path = tmp_path / "bridge.txt"
    path.write_text(text, encoding="utf-8")
    [result] = run(bare_core, str(path)).results
    assert result.status == "stored", result.reason
    assert result.article is not None
    assert (
        result.article.title == "Inspectors checked span number 1 of the harbour bridge on Monday"
    )
    analysis = bare_core.store.analyses([result.article.id])[result.article.id]
    # Abbreviations and initialisms do not end sentences: two sentences per inspection.
    assert len(analysis) == text.count(" on Monday. ") * 2
    assert analysis.sentences[1] == "Dr. Lee said the U.S. engineers found 1 cracks there."


def test_unclosed_front_matter_is_refused_with_the_fix(bare_core: Core, tmp_path: Path) -> None:
    path = tmp_path / "chess.md"
    path.write_text(
        "---\ntitle: Chess final\nsource: Chess Weekly\n" + "\n\n".join(CHESS.paragraphs) + "\n",
        encoding="utf-8",
    )
    report = run(bare_core, str(path))
    [result] = report.results
    assert result.status == "failed"
    assert "never closed" in result.reason and "add a --- line" in result.reason
    assert bare_core.store.count() == 0
    assert f"1 failed: {path}: " in report.summary()


def test_a_front_matter_line_without_a_key_is_skipped_and_reported(
    bare_core: Core, tmp_path: Path
) -> None:
    path = tmp_path / "chess.md"
    path.write_text(
        "---\ntitle: Chess final\nThe Chess Weekly team\nsource: Chess Weekly\n---\n"
        + "\n\n".join(CHESS.paragraphs)
        + "\n",
        encoding="utf-8",
    )
    report = run(bare_core, str(path))
    [result] = report.results
    assert result.status == "stored"
    assert result.article is not None
    assert (result.article.title, result.article.source) == ("Chess final", "Chess Weekly")
    assert "The Chess Weekly team" not in result.article.text
    assert "line 3 ('The Chess Weekly team') is not `key: value`" in report.summary()


@pytest.mark.parametrize("value", ["last Thursday", "2024-13-45", "soon"])
def test_an_unreadable_published_date_is_reported_and_first_seen_time_used(
    bare_core: Core, tmp_path: Path, value: str
) -> None:
    path = tmp_path / "chess.txt"
    path.write_text(
        f"---\ntitle: Chess final\npublished: {value}\n---\n" + "\n\n".join(CHESS.paragraphs),
        encoding="utf-8",
    )
    report = run(bare_core, str(path))
    [result] = report.results
    assert result.status == "stored"
    assert result.article is not None
    assert result.article.published_at is None
    assert f"`published: {value}` is not a date" in report.summary()
    assert "first seen" in report.summary()


def test_well_formed_front_matter_and_a_leading_rule_give_no_notes(
    bare_core: Core, tmp_path: Path
) -> None:
    (tmp_path / "chess.md").write_text(
        "---\n# exported by hand\ntitle: Chess final\ntags:\n  - chess\n  - finals\n"
        "published: 2024-04-28\n---\n" + "\n\n".join(CHESS.paragraphs),
        encoding="utf-8",
    )
    (tmp_path / "harbour.txt").write_text("---\n\n" + story_text(HARBOUR), encoding="utf-8")
    report = run(bare_core, str(tmp_path))
    assert statuses(report) == ["stored", "stored"]
    assert all(r.notes == () for r in report.results)
    assert report.summary() == "2 stored, 0 already stored"
    assert stored_titles(bare_core) == {"Chess final", HARBOUR.title}


# -- plain text, dates and pages that are not articles (issue 12, parts 2, 6 and 7) ------------

REALWORLD = Path(__file__).resolve().parents[2] / ".." / "shared" / "cases" / "realworld"
# What must never reach a listing or a briefing: entities, tags, double escapes.
RAW_MARKUP = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);|</?(?:b|i|em|p|div|script)\b", re.I)


def handed(*parts: str) -> Path:
    path = REALWORLD.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the shared case {path} is not here")
    return path


def test_the_entities_case_lists_and_briefs_plain_titles(bare_core: Core, web: WebServer) -> None:
    case = handed("entities-in-titles", "entities.xml")
    url = web.serve("/entities.xml", case.read_bytes(), "application/rss+xml")

    assert run(bare_core, url).summary() == "4 stored, 0 already stored"

    assert stored_titles(bare_core) == {
        "Regulator says 'Harbour Savings & Trust' misled savers",
        "Mayor says “no” to new bridge tolls & fees",
        "Council approves budget",
        "Don’t panic: ferry timetable R&D explained",
    }
    listing = render(answer(bare_core, "articles"), "text")
    briefing = render(answer(bare_core, "brief 10"), "json")
    assert "Norvale & District" in listing
    for shown in (listing, briefing):
        assert not RAW_MARKUP.search(shown), shown
        assert "&amp;" not in shown and "&#" not in shown
    sources = {s["title"] for b in json.loads(briefing)["bullets"] for s in b["sources"]}
    assert "Mayor says “no” to new bridge tolls & fees" in sources
    for article in bare_core.store.search(None, limit=10, scope=OPERATOR):
        assert article.source == "Norvale & District"
        assert not RAW_MARKUP.search(article.text) and "\n\n" not in article.text


ATOM_MARKUP = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Bay &amp;amp; Basin &lt;i&gt;Courier&lt;/i&gt;
      Online</title>
  <id>urn:bay</id><updated>2024-04-30T00:00:00Z</updated>
  <entry><id>urn:1</id><link href="LINK/1"/><updated>2024-04-30T01:00:00Z</updated>
    <title type="html">&lt;b&gt;Bridge&lt;/b&gt; reopens &amp;amp; &amp;#8220;ferries&amp;#8221;
      relax</title>
    <content type="html">HARBOUR</content></entry>
  <entry><id>urn:2</id><link href="LINK/2"/><updated>2024-04-30T02:00:00Z</updated>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Harvest <em>record</em>
      &amp; prices</div></title>
    <content type="html">HARVEST</content></entry>
  <entry><id>urn:3</id><link href="LINK/3"/><updated>2024-04-30T03:00:00Z</updated>
    <title type="html"><![CDATA[Chess &#x201C;prodigy&#x201D; <script>alert(1)</script>wins]]>
    </title>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">CHESS</div></content></entry>
  <entry><id>urn:4</id><link href="LINK/4"/><updated>2024-04-30T04:00:00Z</updated>
    <title>Volcano&#160;watch: &#233;ruption risk &#x2014; update</title>
    <content type="html">VOLCANO</content></entry>
</feed>
"""


def test_markup_and_entities_in_atom_titles_and_texts_are_stored_as_plain_text(
    bare_core: Core, web: WebServer
) -> None:
    from html import escape

    body = ATOM_MARKUP.replace("LINK", web.url("/never"))
    for name, story in (("HARBOUR", HARBOUR), ("HARVEST", HARVEST), ("VOLCANO", VOLCANO)):
        # Escaped twice, as some feeds do: `&amp;lt;p&amp;gt;`, and entities in the words.
        double = escape(paragraphs_html(p.replace("’", "&#8217;") for p in story.paragraphs))
        body = body.replace(f">{name}<", f">{escape(double, quote=False)}<")
    body = body.replace(">CHESS<", ">" + "".join(f"<p>{p}</p>" for p in CHESS.paragraphs) + "<")
    feed = web.serve("/atom", body, "application/atom+xml")

    assert run(bare_core, feed).summary() == "4 stored, 0 already stored"

    articles = bare_core.store.search(None, limit=10, scope=OPERATOR)
    assert {a.title for a in articles} == {
        "Bridge reopens & “ferries” relax",
        "Harvest record & prices",
        "Chess “prodigy” wins",
        "Volcano watch: éruption risk — update",
    }
    assert {a.source for a in articles} == {"Bay & Basin Courier Online"}
    by_title = {a.title: a for a in articles}
    assert by_title["Harvest record & prices"].text.splitlines() == list(HARVEST.paragraphs)
    for article in articles:
        assert not RAW_MARKUP.search(article.text), article.text[:200]


def test_a_page_title_and_site_name_are_plain_text(bare_core: Core, web: WebServer) -> None:
    # story_html escapes once more: the page's text itself holds `&amp;amp;` and `&#8220;`.
    title = "Harbour &amp;amp; bridge: &#8220;open&#8221;"
    html = story_html(Story(title, HARBOUR.paragraphs), site="Coast &amp; Country")
    url = web.serve("/harbour.html", html)
    [result] = run(bare_core, url).results
    assert result.status == "stored", result.reason
    assert result.article is not None
    assert result.article.title == "Harbour & bridge: “open”"
    assert result.article.source == "Coast & Country"


# Each kind of page that is not an article, invented (the handed files are checked below).
NOT_ARTICLES = [
    ("consent", walls.consent_wall, "a cookie consent page, not an article"),
    ("paywall", walls.paywall_stub, "a paywall (only a subscription offer), not an article"),
    (
        "noscript",
        walls.javascript_page,
        "a browser check ('please enable JavaScript'), not an article",
    ),
    (
        "js-notice",
        walls.javascript_notice,
        "a browser check ('please enable JavaScript'), not an article",
    ),
    ("not-found", walls.error_page, "an error page ('page not found'), not an article"),
    ("404-title", walls.error_page_by_title, "an error page ('page not found'), not an article"),
    ("front", walls.section_front, "a section front of teasers to other stories, not an article"),
    ("list", walls.headline_list, "a section front of teasers to other stories, not an article"),
]


@pytest.mark.parametrize("name, page, reason", NOT_ARTICLES, ids=[n for n, _, _ in NOT_ARTICLES])
def test_a_page_that_is_not_an_article_is_refused_with_the_reason(
    bare_core: Core, web: WebServer, name: str, page: Callable[[], str], reason: str
) -> None:
    url = web.serve(f"/{name}.html", page())
    report = run(bare_core, url)
    assert report.summary() == f"0 stored, 0 already stored, 1 failed: {url}: {reason}"
    assert bare_core.store.count() == 0


def test_the_handed_cookie_wall_and_paywall_are_refused(bare_core: Core, web: WebServer) -> None:
    cookie = web.serve("/consent.html", handed("walls", "cookiewall.html").read_bytes())
    paywall = web.serve("/seawall.html", handed("walls", "paywall.html").read_bytes())
    good = web.serve("/chess.html", story_html(CHESS))
    report = run(bare_core, cookie, paywall, good)
    assert report.summary() == (
        f"1 stored, 0 already stored, 2 failed: {cookie}: a cookie consent page, not an article; "
        f"{paywall}: a paywall (only a subscription offer), not an article"
    )
    [chess] = bare_core.store.search(None, scope=OPERATOR)
    assert chess.title == CHESS.title


@pytest.mark.parametrize(
    "page",
    [
        story_html(walls.COOKIE_STORY),
        story_html(walls.PAYWALL_STORY),
        walls.article_with_related_links(HARBOUR),
        walls.article_with_pitch(walls.PAYWALL_STORY),
    ],
    ids=["about-cookies", "about-paywalls", "related-links", "ends-in-a-pitch"],
)
def test_articles_about_walls_and_articles_with_rails_are_stored(
    bare_core: Core, web: WebServer, page: str
) -> None:
    url = web.serve("/story.html", page)
    [result] = run(bare_core, url).results
    assert result.status == "stored", result.reason
    assert result.article is not None
    assert len(result.article.text.splitlines()) == 7
    for pitch in walls.NEWSLETTER_PITCH:
        assert pitch not in result.article.text


def test_a_feed_entry_whose_page_is_a_wall_keeps_its_own_text(
    bare_core: Core, web: WebServer
) -> None:
    consent = web.serve("/news/1", walls.consent_wall())
    paywall = web.serve("/news/2", walls.paywall_stub())
    empty = web.serve("/news/3", walls.consent_wall())
    entries = [
        FeedEntry(HARBOUR.title, consent, summary=" ".join(HARBOUR.paragraphs[:2])),
        FeedEntry(VOLCANO.title, paywall, summary=" ".join(VOLCANO.paragraphs[:2])),
        FeedEntry("Ferry strike called off", empty),
    ]
    feed = web.serve("/rss", make_rss("Coast News", web.url("/"), entries), "application/rss+xml")

    report = run(bare_core, feed)

    assert statuses(report) == ["stored", "stored", "failed"]
    assert report.results[2].reason == (
        "the entry has no text of its own and its page is a cookie consent page, not an article"
    )
    [harbour] = bare_core.store.search("bridge", scope=OPERATOR)
    assert harbour.text.startswith(HARBOUR.paragraphs[0])
    assert "cookies" not in harbour.text
    [volcano] = bare_core.store.search("magma", scope=OPERATOR)
    assert "subscri" not in volcano.text.lower()


def test_an_untrusted_feed_date_keeps_the_original_but_orders_by_first_seen(
    bare_core: Core, web: WebServer, clock
) -> None:
    from email.utils import format_datetime

    from sqlalchemy import select

    from bot.store import articles

    stories = {HARBOUR: datetime(2099, 1, 1, tzinfo=UTC), VOLCANO: datetime(1979, 6, 1, tzinfo=UTC)}
    entries = [
        FeedEntry(s.title, web.url(f"/n/{i}"), content_html=paragraphs_html(s.paragraphs),
                  published=when)
        for i, (s, when) in enumerate(stories.items())
    ]  # fmt: skip
    feed = web.serve("/rss", make_rss("Odd Dates", web.url("/"), entries), "application/rss+xml")
    first_seen = clock.now()
    assert run(bare_core, feed).summary() == "2 stored, 0 already stored"

    with bare_core.store.engine.connect() as conn:
        rows = conn.execute(select(articles.c.title, articles.c.published_raw)).all()
    assert dict(rows) == {s.title: format_datetime(when) for s, when in stories.items()}
    for article in bare_core.store.search(None, scope=OPERATOR):
        assert article.published_at is None
        assert article.ingested_at == first_seen

    # Two days on, a fresh article is newest, and the far-future one is in no recent window.
    clock.advance(timedelta(days=2))
    chess = web.serve("/chess.html", story_html(CHESS))
    run(bare_core, chess)
    assert bare_core.store.search(None, scope=OPERATOR)[0].title == CHESS.title
    recent = bare_core.store.search(None, since=clock.now() - timedelta(hours=1), scope=OPERATOR)
    assert [a.title for a in recent] == [CHESS.title]


ODD_ZONES = """<?xml version="1.0"?><rss version="2.0"><channel><title>Zones</title>
<item><title>T1</title><link>LINK/1</link><pubDate>Sat, 27 Apr 2024 10:00:00 EDT</pubDate>
<description>P1</description></item>
<item><title>T2</title><link>LINK/2</link><pubDate>Sat, 27 Apr 2024 10:00:00 GMT+2</pubDate>
<description>P2</description></item>
<item><title>T3</title><link>LINK/3</link><pubDate>27 April 2024</pubDate>
<description>P3</description></item>
<item><title>T4</title><link>LINK/4</link><pubDate>Sat, 27 Apr 2024 10:00:00 +0530</pubDate>
<description>P4</description></item>
</channel></rss>"""


def test_feed_dates_with_odd_zones_are_read(bare_core: Core, web: WebServer) -> None:
    body = ODD_ZONES.replace("LINK", web.url("/never"))
    for n, story in enumerate(STORIES_BY_NUMBER, start=1):
        body = body.replace(f">T{n}<", f">{story.title}<").replace(
            f">P{n}<", f">{' '.join(story.paragraphs)} {' '.join(story.paragraphs)}<"
        )
    feed = web.serve("/zones.rss", body, "application/rss+xml")
    assert run(bare_core, feed).summary() == "4 stored, 0 already stored"
    published = {a.title: a.published_at for a in bare_core.store.search(None, scope=OPERATOR)}
    assert published == {
        HARBOUR.title: datetime(2024, 4, 27, 14, tzinfo=UTC),
        HARVEST.title: datetime(2024, 4, 27, 8, tzinfo=UTC),
        CHESS.title: datetime(2024, 4, 27, tzinfo=UTC),
        VOLCANO.title: datetime(2024, 4, 27, 4, 30, tzinfo=UTC),
    }


STORIES_BY_NUMBER = (HARBOUR, HARVEST, CHESS, VOLCANO)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("April 6, 2023", datetime(2023, 4, 6, tzinfo=UTC)),
        ("6 April 2023", datetime(2023, 4, 6, tzinfo=UTC)),
        ("Thu, 06 Apr 2023 10:00:00 EDT", datetime(2023, 4, 6, 14, tzinfo=UTC)),
        ("2023-04-06T10:00:00Z", datetime(2023, 4, 6, 10, tzinfo=UTC)),
        ("06/04/2023", None),  # ambiguous: not guessed
        ("2999-01-01", None),  # in the future: not believed
        ("1901-05-05", None),  # before 1990: not believed
    ],
)
def test_front_matter_dates_in_common_forms(
    bare_core: Core, tmp_path: Path, written: str, expected: datetime | None
) -> None:
    from fakes import make_article_text
    from sqlalchemy import select

    from bot.store import articles

    path = tmp_path / "chess.md"
    path.write_text(
        make_article_text(CHESS.title, CHESS.paragraphs, front_matter=f"published: {written}"),
        encoding="utf-8",
    )
    [result] = run(bare_core, str(path)).results
    assert result.article is not None, result.reason
    assert result.article.published_at == expected
    with bare_core.store.engine.connect() as conn:
        assert conn.execute(select(articles.c.published_raw)).scalar_one() == written
