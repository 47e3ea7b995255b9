"""Legacy encodings are stored as the text they are, through files, pages and feeds.

Cyrillic (windows-1251, KOI8-R), Greek (windows-1253, ISO-8859-7), Central-European
(windows-1250, ISO-8859-2) and Latin-1 articles are ingested with and without an HTTP charset,
an XML declaration or `<meta charset>`, and with declarations that lie about the bytes; what
cannot be decoded is refused with one line and nothing is stored.
"""

from __future__ import annotations

import codecs
from datetime import timedelta
from html import escape
from pathlib import Path

import pytest
from fakes.web import WebServer

from bot.app import Core
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer
from bot.digests import Context
from bot.feeds import FeedRegistry, poll
from bot.ingest import ingest
from bot.models import IngestReport
from bot.scopes import OPERATOR

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
UNDECODABLE = "the text encoding cannot be recognised"

# Invented articles: (headline, paragraphs).
ARTICLES = {
    "cyrillic": (
        "Паромная переправа в Северном порту снова открыта",
        (
            "Паромная переправа в Северном порту снова открыта после двухнедельного ремонта "
            "причала, сообщили в городской администрации.",
            "Рабочие заменили сорок деревянных свай и укрепили бетонную площадку у въезда на "
            "паром.",
            "Жители района говорят, что очереди на автобусных остановках наконец стали короче.",
            "Следующий этап работ начнётся осенью, когда поток туристов заметно снизится.",
        ),
    ),
    "greek": (
        "Άνοιξε ξανά η γέφυρα του λιμανιού μετά τις επισκευές",
        (
            "Η γέφυρα του λιμανιού άνοιξε ξανά τη Δευτέρα μετά από έντεκα εβδομάδες επισκευών, "
            "ανακοίνωσαν οι μηχανικοί του δήμου.",
            "Οι εργάτες αντικατέστησαν σαράντα χαλύβδινα καλώδια και ενίσχυσαν την ανατολική "
            "πρόσβαση.",
            "Ο δήμαρχος δήλωσε ότι οι εργασίες ολοκληρώθηκαν δύο εβδομάδες νωρίτερα από το "
            "πρόγραμμα.",
            "Οι κάτοικοι της παραλιακής συνοικίας ζητούν αποζημίωση για τις απώλειες των "
            "καταστημάτων.",
        ),
    ),
    "czech": (
        "Přístavní most je po opravách znovu otevřený",
        (
            "Přístavní most byl v pondělí po jedenácti týdnech oprav znovu otevřen pro dopravu, "
            "uvedli městští inženýři.",
            "Dělníci vyměnili čtyřicet ocelových lan a přestavěli východní nájezd, který "
            "poškodila únorová bouře.",
            "Starostka řekla novinářům, že práce skončily o dva týdny dříve, než se plánovalo.",
            "Obyvatelé nábřeží žádají od zastupitelstva odškodnění za ušlé tržby místních obchodů.",
        ),
    ),
    "polish": (
        "Śląskie miasto otwiera nową bibliotekę",
        (
            "Władze miasta otworzyły w środę nową bibliotekę publiczną w dawnym budynku dworca "
            "kolejowego.",
            "Księgozbiór liczy ponad czterdzieści tysięcy woluminów, a czytelnia mieści sto osób.",
            "Dyrektorka powiedziała dziennikarzom, że remont zakończył się wcześniej, niż "
            "zakładano.",
            "Mieszkańcy chwalą przestronne wnętrza i wygodne godziny otwarcia w soboty i "
            "niedziele.",
        ),
    ),
    "french": (
        "Le pont du port rouvre après les réparations",
        (
            "Le pont du port a rouvert lundi après onze semaines de réparations, ont déclaré "
            "les ingénieurs de la ville.",
            "Les ouvriers ont remplacé quarante câbles en acier et reconstruit l’accès est, "
            "endommagé par la tempête de février.",
            "La maire a précisé que les travaux s’étaient achevés deux semaines plus tôt que "
            "prévu, à la grande satisfaction des élus.",
            "Les commerçants du quartier réclament une indemnisation pour les pertes subies "
            "pendant la fermeture.",
        ),
    ),
}
# (encoding, article): each legacy code page with a language written in it.
CASES = [
    ("windows-1251", "cyrillic"),
    ("koi8-r", "cyrillic"),
    ("windows-1253", "greek"),
    ("iso-8859-7", "greek"),
    ("windows-1250", "czech"),
    ("iso-8859-2", "czech"),
    ("windows-1250", "polish"),
    ("iso-8859-2", "polish"),
    ("iso-8859-1", "french"),
]
IDS = [f"{encoding}-{article}" for encoding, article in CASES]


def _fits(article: str, encoding: str) -> tuple[str, tuple[str, ...]]:
    """The headline and paragraphs, in characters `encoding` can write."""
    title, paragraphs = ARTICLES[article]
    if encoding == "iso-8859-1":  # Latin-1 has no curly apostrophe
        paragraphs = tuple(p.replace("’", "'") for p in paragraphs)
    return title, paragraphs


def page(article: str, encoding: str, meta: str | None) -> str:
    """An HTML page of the article, with `<meta charset>` naming `meta` (None: no meta)."""
    title, paragraphs = _fits(article, encoding)
    head = f'<meta charset="{meta}">' if meta else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{escape(title)}</title></head>"
        f"<body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    )


def feed(article: str, encoding: str, declared: str | None, link: str) -> str:
    """An RSS 2.0 feed of the article, its XML declaration naming `declared` (None: none)."""
    title, paragraphs = _fits(article, encoding)
    declaration = (
        f'<?xml version="1.0" encoding="{declared}"?>' if declared else '<?xml version="1.0"?>'
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'{declaration}\n<rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>{escape(link)}</link><description>d</description>"
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<guid>{escape(link)}</guid><description>{escape(body)}</description></item>"
        "</channel></rss>\n"
    )


def one_article(core: Core, report: IngestReport, article: str, encoding: str) -> None:
    """The report stored exactly the article, readable as written."""
    assert [r.status for r in report.results] == ["stored"], report.summary()
    title, paragraphs = _fits(article, encoding)
    [stored] = core.store.search(None, limit=10, scope=OPERATOR)
    assert stored.title == title
    for paragraph in paragraphs:
        assert paragraph in stored.text
    assert "\ufffd" not in stored.text + stored.title


def run(core: Core, *items: str) -> IngestReport:
    return ingest(core.store, list(items), core.clock, core.fetcher)


# -- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, article", CASES, ids=IDS)
def test_a_legacy_text_file_without_a_declaration_is_detected(
    bare_core: Core, tmp_path: Path, encoding: str, article: str
) -> None:
    title, paragraphs = _fits(article, encoding)
    path = tmp_path / "story.txt"
    path.write_bytes(("\n\n".join((title, *paragraphs)) + "\n").encode(encoding))
    one_article(bare_core, run(bare_core, str(path)), article, encoding)


@pytest.mark.parametrize("encoding, article", CASES, ids=IDS)
def test_a_legacy_markdown_file_is_detected(
    bare_core: Core, tmp_path: Path, encoding: str, article: str
) -> None:
    title, paragraphs = _fits(article, encoding)
    path = tmp_path / "story.md"
    path.write_bytes(("\n\n".join((f"# {title}", *paragraphs)) + "\n").encode(encoding))
    one_article(bare_core, run(bare_core, str(path)), article, encoding)


@pytest.mark.parametrize("encoding, article", CASES, ids=IDS)
@pytest.mark.parametrize("meta", [True, False], ids=["meta", "undeclared"])
def test_a_legacy_html_file_is_read_by_its_meta_or_detected(
    bare_core: Core, tmp_path: Path, encoding: str, article: str, meta: bool
) -> None:
    path = tmp_path / "story.html"
    path.write_bytes(page(article, encoding, encoding if meta else None).encode(encoding))
    one_article(bare_core, run(bare_core, str(path)), article, encoding)


# -- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, article", CASES, ids=IDS)
@pytest.mark.parametrize("how", ["http charset", "meta charset", "undeclared"])
def test_a_legacy_page_is_read_by_its_charset_or_detected(
    bare_core: Core, web: WebServer, encoding: str, article: str, how: str
) -> None:
    meta = encoding if how == "meta charset" else None
    content_type = f"text/html; charset={encoding}" if how == "http charset" else "text/html"
    url = web.serve("/story.html", page(article, encoding, meta).encode(encoding), content_type)
    one_article(bare_core, run(bare_core, url), article, encoding)


def test_pages_whose_declarations_lie_still_read_correctly(bare_core: Core, web: WebServer) -> None:
    # Says UTF-8 (header and meta) but is written in windows-1251.
    cyrillic = page("cyrillic", "windows-1251", "utf-8").encode("windows-1251")
    url = web.serve("/ru.html", cyrillic, "text/html; charset=utf-8")
    one_article(bare_core, run(bare_core, url), "cyrillic", "windows-1251")
    # Says ISO-8859-1 (header and meta) but is written in UTF-8.
    greek = page("greek", "utf-8", "iso-8859-1").encode("utf-8")
    other = web.serve("/el.html", greek, "text/html; charset=iso-8859-1")
    report = run(bare_core, other)
    assert report.count("stored") == 1
    assert ARTICLES["greek"][0] in {a.title for a in bare_core.store.search(scope=OPERATOR)}


# -- feeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding, article", CASES, ids=IDS)
@pytest.mark.parametrize("how", ["declared", "http charset", "undeclared"])
def test_a_legacy_feed_is_read_by_its_declaration_or_charset_or_detected(
    bare_core: Core, web: WebServer, encoding: str, article: str, how: str
) -> None:
    link = web.url("/story/1")
    declared = encoding if how == "declared" else None
    content_type = (
        f"application/rss+xml; charset={encoding}" if how == "http charset" else ("text/xml")
    )
    body = feed(article, encoding, declared, link).encode(encoding)
    url = web.serve("/rss", body, content_type)
    one_article(bare_core, run(bare_core, url), article, encoding)


@pytest.mark.parametrize(
    "declared, written, article",
    [
        ("ISO-8859-1", "utf-8", "czech"),  # the commonest lie: Latin-1 declared, UTF-8 written
        ("ISO-8859-1", "utf-8", "cyrillic"),
        ("windows-1252", "utf-8", "greek"),
        ("UTF-8", "windows-1251", "cyrillic"),
        ("utf-8", "iso-8859-7", "greek"),
        ("UTF-8", "windows-1250", "polish"),
    ],
)
def test_a_feed_whose_declaration_lies_still_reads_correctly(
    bare_core: Core, web: WebServer, declared: str, written: str, article: str
) -> None:
    body = feed(article, written, declared, web.url("/story/1")).encode(written)
    url = web.serve("/rss", body, "application/rss+xml")
    one_article(bare_core, run(bare_core, url), article, written)


def test_a_lying_http_charset_on_a_feed_is_outweighed_by_the_bytes(
    bare_core: Core, web: WebServer
) -> None:
    body = feed("czech", "utf-8", "utf-8", web.url("/story/1")).encode("utf-8")
    url = web.serve("/rss", body, "text/xml; charset=iso-8859-2")
    one_article(bare_core, run(bare_core, url), "czech", "utf-8")


def test_feeds_add_names_a_legacy_feed_readably_and_polls_read_it(
    core: Core, web: WebServer, clock
) -> None:
    body = feed("cyrillic", "koi8-r", "koi8-r", web.url("/story/1")).encode("koi8-r")
    url = web.serve("/rss", body, "application/octet-stream")
    reply = answer(core, f"feeds add {url}", HERE)
    assert isinstance(reply, NoticeReply), reply
    name = ARTICLES["cyrillic"][0]  # the feed is named after its (KOI8-R) title
    assert f"({name}): 1 article stored now" in reply.text
    assert [f.name for f in FeedRegistry(core.store).all()] == [name]
    # The next poll reads it the same way: its entry is known, not stored again.
    clock.advance(timedelta(hours=1))
    [result] = poll(core)
    assert result.error is None and result.duplicates == 1


# -- what cannot be decoded ------------------------------------------------------------------

NOISE = bytes(range(128, 256)) * 8 + b"\x00\x01\x02\x03" * 64


def test_an_undecodable_file_is_refused_and_nothing_stored(bare_core: Core, tmp_path: Path) -> None:
    for name in ("noise.txt", "noise.md", "noise.html"):
        (tmp_path / name).write_bytes(b"Headline\n\n" + NOISE)
    report = run(bare_core, str(tmp_path))
    assert [r.status for r in report.results] == ["failed"] * 3
    assert all(UNDECODABLE in (r.reason or "") for r in report.results)
    assert bare_core.store.count() == 0


def test_an_undecodable_page_or_feed_is_refused_and_nothing_stored(
    bare_core: Core, web: WebServer
) -> None:
    page_url = web.serve("/noise.html", b"<html><body><p>" + NOISE, "text/html")
    feed_url = web.serve(
        "/noise.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>' + NOISE,
        "application/rss+xml",
    )
    report = run(bare_core, page_url, feed_url)
    assert [r.status for r in report.results] == ["failed", "failed"], report.summary()
    assert all(UNDECODABLE in (r.reason or "") for r in report.results)
    assert bare_core.store.count() == 0
    reply = answer(bare_core, f"feeds add {feed_url}", HERE)
    assert isinstance(reply, ErrorReply) and UNDECODABLE in reply.message
    assert "Nothing was stored" in reply.message and FeedRegistry(bare_core.store).all() == []


def test_a_utf16_feed_with_a_bom_is_read(bare_core: Core, web: WebServer) -> None:
    text = feed("greek", "utf-8", "utf-16", web.url("/story/1"))
    url = web.serve("/rss", codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "text/plain")
    one_article(bare_core, run(bare_core, url), "greek", "utf-8")


@pytest.mark.parametrize("encoding, article", CASES, ids=IDS)
def test_a_teaser_entrys_legacy_page_is_decoded(
    bare_core: Core, web: WebServer, encoding: str, article: str
) -> None:
    title, paragraphs = _fits(article, encoding)
    link = web.serve("/story/1", page(article, encoding, None).encode(encoding), "text/html")
    teaser = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f"<description>{escape(paragraphs[0][:40])}</description></item></channel></rss>"
    )
    url = web.serve("/rss", teaser.encode("utf-8"), "application/rss+xml")
    one_article(bare_core, run(bare_core, url), article, encoding)
    assert web.paths() == ["/rss", "/story/1"]


def test_summarize_reads_a_legacy_page_by_its_http_charset(core: Core, web: WebServer) -> None:
    body = page("greek", "iso-8859-7", None).encode("iso-8859-7")
    url = web.serve("/el.html", body, "text/html; charset=iso-8859-7")
    reply = answer(core, f"summarize {url}", HERE)
    assert isinstance(reply, BriefingReply), reply
    shown = " ".join(s.title for b in reply.briefing.bullets for s in b.sources)
    assert ARTICLES["greek"][0] in shown and "\ufffd" not in shown
