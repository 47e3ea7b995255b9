"""Turn files, folders, web pages and feeds into cleaned articles, and store them.

One bad item never stops the rest: every item ends as stored, duplicate or failed-with-a-reason.
Fetching goes through bot/fetch.py (the guarded client). Heavy libraries (httpx, trafilatura,
feedparser) are imported only when an item needs them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin, urlsplit

from summarizers.languages import code as language_code
from summarizers.languages import detect as detect_language
from summarizers.languages import warm_up as warm_up_language_model
from summarizers.text import split_sentences

from .charsets import decode_text
from .cleaning import clean_body, parse_plain
from .clock import Clock
from .dates import parse_date, trusted_published
from .errors import FetchFailed
from .feedformat import claims_feed, read_feed, sniff_feed
from .feedscan import FeedScan, matches, scan_feed
from .fetch import Fetched, Fetcher, Stopped, hide_credentials
from .frontmatter import read_front_matter
from .models import Article, ArticleDraft, IngestReport, IngestResult
from .plaintext import plain_text, plain_title
from .scopes import SHARED
from .store import Store, WriteBatch, to_iso
from .urls import normalize_url
from .walls import REASONS, page_reason, trim_walls, wall_reason

if TYPE_CHECKING:
    from summarizers.analysis import Analysis

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".json"}
MAX_BYTES = 5_000_000  # for files on disk; web pages and feeds have their own caps (FetchPolicy)
# Below this many words a feed entry's own content is a teaser, and the page is fetched.
FULL_TEXT_WORDS = 150


def is_url(item: str) -> bool:
    """Tell whether an ingest item is a web address rather than a path."""
    return urlsplit(item).scheme in {"http", "https"}


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def decode_file(content: bytes, content_type: str | None = None) -> str:
    """Decode a text file or page to text with `bot.charsets.decode_text` (BOM, HTTP charset,
    declaration, UTF-8, detection); NUL characters, never text, are dropped (see Store.add).

    Raises UndecodableText (a FetchFailed: "… the text encoding cannot be recognised …").
    """
    return decode_text(content, content_type).replace("\x00", "")


def draft_from_plain(text: str, source: str, *, markdown: bool = False) -> ArticleDraft:
    """Build a draft from the text of a .txt or .md article (`source`: its file name).

    Front matter that cannot be read raises FetchFailed; a skipped front-matter line or an
    unusable `published:` date becomes a note on the draft (rules in `bot.frontmatter`).  An
    article that is one line takes its headline from its first sentence, or from the file
    name when it is one sentence, and says which in a note.
    """
    front = read_front_matter(text)
    if front.error:
        raise FetchFailed(front.error)
    notes = list(front.problems)
    parsed = parse_plain(text, markdown=markdown)
    title, body = parsed.title, parsed.body
    lines = [line for line in front.body.splitlines() if line.strip()]
    heading_only = markdown and bool(lines) and lines[0].lstrip().startswith("#")
    if not body.strip() and "title" not in front.fields and len(lines) == 1 and not heading_only:
        # The parser took the only line for the headline: the line is the article.
        title, body, note = _one_line_article(title, source)
        if body:
            notes.append(note)
    if not body.strip():
        raise FetchFailed("no article text found")
    published = next((front.fields[k] for k in ("published", "date") if front.fields.get(k)), "")
    if published and parsed.published_at is None:
        shown = published if len(published) <= 40 else published[:39] + "…"
        notes.append(
            f"front matter `published: {shown}` is not a date that can be read and trusted; "
            "the time it was first seen is used"
        )
    return ArticleDraft(
        title=title or source,
        text=body,
        source=parsed.source or source,
        url=parsed.url,
        published_at=parsed.published_at,
        notes=tuple(notes),
        published_raw=parsed.published_raw,
        lang=language_code(front.fields.get("lang") or front.fields.get("language")),
    )


# A headline made from a first sentence is cut to about this many characters, at a word.
HEADLINE_CHARS = 150


def first_sentence_headline(text: str) -> str:
    """A headline made from the first sentence of `text` (no closing full stop), cut at a
    word to about HEADLINE_CHARS characters with an ellipsis; "" for a text without words."""
    sentences = split_sentences(plain_title(text.split("\n", 1)[0]))
    if not sentences:
        return ""
    headline = sentences[0].removesuffix(".")  # headlines end without a full stop
    if len(headline) > HEADLINE_CHARS:
        headline = headline[:HEADLINE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return headline


def _one_line_article(line: str, source: str) -> tuple[str, str, str]:
    """(headline, body, note) for an article whose whole text is `line` (body "" if the line
    is page furniture)."""
    line = clean_body(line)  # a lone "Advertisement" is still no article
    sentences = split_sentences(line)
    if len(sentences) > 1:
        headline = first_sentence_headline(line)
        # The first sentence stays in the body too: it is the lede a summary may need.
        return headline, line, "one line of text: headline taken from its first sentence"
    if not line:
        return "", "", ""
    name = re.sub(r"[-_\s]+", " ", Path(source).stem).strip() or source
    name = name[:1].upper() + name[1:]
    return name, line, "one sentence of text: headline taken from the file name"


def draft_from_html(
    html: str | bytes, url: str | None, source: str, content_type: str | None = None
) -> ArticleDraft:
    """Extract the main article of a web page with trafilatura, then clean it.

    A page given as bytes is decoded first (`decode_file`: BOM, the `content_type` charset,
    `<meta charset>`, UTF-8, detection), so trafilatura never guesses an encoding.
    Raises FetchFailed with the reason when the page holds no article: no text, or a wall,
    an error page or a section front (bot.walls), e.g. "a cookie consent page, not an article";
    UndecodableText when the page's text encoding cannot be recognised.
    """
    import trafilatura

    quiet_page_libraries()
    if isinstance(html, bytes):
        html = decode_file(html, content_type)

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            # Dates from the page's metadata, <time> elements and dated lines only: htmldate's
            # extensive search takes any year in the text ("built in 1978") for the date.
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except Exception:  # trafilatura raises assorted errors on broken markup
        doc = None
    title = plain_title(doc.title if doc is not None else "")
    text = plain_text(doc.text if doc is not None else "")
    reason = wall_reason(title, text) or page_reason(html, text)
    if reason:
        raise FetchFailed(reason)
    body = clean_body(trim_walls(text), title) if text else ""
    if not body.strip():
        where = f" {hide_credentials(url)}" if url else ""
        raise FetchFailed(f"no article text found in the page{where}")
    return ArticleDraft(
        title=title or first_sentence_headline(body) or url or source,
        text=body,
        source=plain_title(doc.sitename if doc is not None else "") or plain_title(source),
        url=url,
        published_at=parse_date(doc.date if doc is not None else None),
        published_raw=(doc.date or None) if doc is not None else None,
    )


# The libraries trafilatura reads a page with; they log ERROR and WARNING lines ("empty HTML
# tree", "discarding data: None") for any page without text, which ingest reports itself.
PAGE_LIBRARIES = ("trafilatura", "htmldate", "courlan", "justext")


class _ToDebug(logging.Handler):
    """Hands a library's log records to briefbot's ingest logger at DEBUG, addresses in them
    with their credentials masked (`hide_credentials`)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Log `record`'s message at DEBUG on `bot.ingest`'s logger, naming the library."""
        try:
            message = hide_credentials(record.getMessage())
        except Exception:  # a library's malformed log call must not fail an ingest
            message = str(record.msg)
        log.debug("%s: %s", record.name, message)


def quiet_page_libraries() -> None:
    """Route the log records of the page libraries (PAGE_LIBRARIES) to `bot.ingest`'s logger
    at DEBUG instead of the console: a page without an article is one failed item, reported
    once by ingest in its own words, not two library ERROR lines on stderr.  Idempotent."""
    for name in PAGE_LIBRARIES:
        library = logging.getLogger(name)
        if not any(isinstance(h, _ToDebug) for h in library.handlers):
            library.addHandler(_ToDebug())
            library.propagate = False


def html_fragment_text(html: str) -> str:
    """Turn a feed entry's HTML content into plain text, one paragraph per line."""
    return plain_text(html, html=True)


def looks_like_feed(fetched: Fetched) -> bool:
    """Tell a feed from a web page by its content (`bot.feedformat.claims_feed`): RSS, RDF,
    Atom or JSON Feed behind any BOM, declaration, stylesheet line, comment or blank lines,
    whatever the Content-Type says (`text/xml`, `text/html`, `text/plain`,
    `application/octet-stream`)."""
    return claims_feed(fetched.content, fetched.content_type)


def drafts_from_feed(
    content: bytes,
    feed_url: str | None,
    fetcher: Fetcher,
    known: Callable[[str | None, str | None], object] | None = None,
    source_name: str | None = None,
    content_type: str | None = None,
    settled: Callable[[list[str]], Mapping[str, object]] | None = None,
) -> Iterator[tuple[str, ArticleDraft | FetchFailed | _Known]]:
    """Yield each feed entry as a draft, or as the reason it failed.

    `content` is an RSS, RDF, Atom or JSON Feed document as served (`content_type`: its HTTP
    Content-Type, whose charset is honoured when the bytes agree), read by
    `bot.feedformat.read_feed`.  Raises FetchFailed when it is no readable feed, or its text
    encoding cannot be recognised.

    Entries for which `known(link, guid)` is truthy (True, or the stored Article, which the
    KNOWN marker then carries) are skipped before any page is fetched,
    so re-reading a feed whose dates or GUIDs were edited costs no page downloads. At most
    `fetcher.policy.feed_items` entries are read, and at most `fetcher.policy.feed_pages`
    teaser pages fetched; entries past that are stored from the feed's own text.

    `settled(guids)`, when given, names in one call which of the GUIDs (as `known` would be
    asked them) are stored with nothing left to record for this read (the value: what
    `known` would answer).  The feed is then scanned first (`bot.feedscan`, RSS 2.0 and Atom
    1.0 of a plain shape): those entries are skipped before feedparser reads anything, and
    feedparser reads only the others, each still asked of `known` in its turn.  A feed the
    scan cannot read for certain is read whole, as without `settled`.
    """
    if settled is not None:
        scan = scan_feed(content, content_type, fetcher.policy.feed_items)
        if scan is not None and scan.entries:
            quick = _drafts_after_scan(scan, feed_url, fetcher, known, source_name, settled)
            if quick is not None:
                yield from quick
                return
    parsed = read_feed(content, content_type)
    if not parsed.entries:
        if parsed.kind is None:
            raise FetchFailed("not an RSS, Atom or JSON feed")
        if parsed.bozo:
            raise FetchFailed("not a readable RSS or Atom feed")
        return
    reader = _FeedReader(parsed.feed, feed_url, fetcher, known, source_name)
    entries = parsed.entries[: fetcher.policy.feed_items]
    # A link several entries share (an event listing, a live blog) is no one entry's page.
    links = Counter(urljoin(feed_url or "", e.get("link") or "") for e in entries)
    for number, entry in enumerate(entries, start=1):
        yield reader.entry(number, entry, links)


def _drafts_after_scan(
    scan: FeedScan,
    feed_url: str | None,
    fetcher: Fetcher,
    known: Callable[[str | None, str | None], object] | None,
    source_name: str | None,
    settled: Callable[[list[str]], Mapping[str, object]],
) -> Iterator[tuple[str, ArticleDraft | FetchFailed | _Known]] | None:
    """`drafts_from_feed` on a scanned feed: the settled entries skipped, feedparser reading
    the rest; None (nothing yielded yet) when feedparser's reading of the rest disagrees
    with the scan, for the caller to read the feed whole.  Not a generator: the agreement
    is checked before the first entry is yielded."""
    links = Counter(urljoin(feed_url or "", e.link) for e in scan.entries)
    source = plain_title(source_name) or scan.title or (_host(feed_url) if feed_url else "feed")
    keys: list[tuple[str, str | None]] = []  # (label, guid) of entries the scan can name
    for entry in scan.entries:
        link = urljoin(feed_url, entry.link) if feed_url and entry.link else entry.link
        guid = _namespaced_guid(feed_url, source, entry.id) if entry.id else None
        keys.append((link, guid))
    asked = [guid for link, guid in keys if link and guid]
    answers = settled(asked) if asked else {}
    skipped = {
        position
        for position, (link, guid) in enumerate(keys)
        if link and guid and answers.get(guid)
    }
    if not skipped:
        return None  # nothing to leave out: the feed is read whole, as without a scan
    rest: list[Any] = []
    parsed_feed: Any = {}  # read only for entries feedparser reads: none
    if len(skipped) < len(keys):
        parsed = read_feed(scan.without(skipped), "application/xml; charset=utf-8")
        rest = parsed.entries
        parsed_feed = parsed.feed
        others = [e for i, e in enumerate(scan.entries) if i not in skipped]
        if (
            parsed.bozo
            or len(rest) != len(others)
            or not all(matches(s, e) for s, e in zip(others, rest, strict=True))
            or (not feed_url and plain_title(parsed.feed.get("title")) != scan.title)
        ):
            return None
    reader = _FeedReader(parsed_feed, feed_url, fetcher, known, source_name)
    return _scanned_drafts(keys, skipped, answers, iter(rest), reader, links)


def _scanned_drafts(
    keys: list[tuple[str, str | None]],
    skipped: set[int],
    answers: Mapping[str, object],
    rest: Iterator[Any],
    reader: _FeedReader,
    links: Counter[str],
) -> Iterator[tuple[str, ArticleDraft | FetchFailed | _Known]]:
    """The entries of a scanned feed in document order: the skipped ones as known, the
    others (`rest`, feedparser's, in order) read as `drafts_from_feed` reads every entry."""
    for position, (label, guid) in enumerate(keys):
        if position in skipped:
            found = answers[cast(str, guid)]
            yield label, _Known(found) if isinstance(found, Article) else KNOWN
        else:
            yield reader.entry(position + 1, next(rest), links)


def _namespaced_guid(feed_url: str | None, source: str, raw_guid: str) -> str:
    """A feed entry's GUID as stored: GUIDs are only unique within their feed, so it is
    namespaced by the feed's canonical URL (a feed read from a file: its source name)."""
    return f"{normalize_url(feed_url) if feed_url else source} {raw_guid}"


class _FeedReader:
    """Reads the entries of one read of one feed (`feed`: feedparser's feed-level dict)."""

    def __init__(
        self,
        feed: Any,
        feed_url: str | None,
        fetcher: Fetcher,
        known: Callable[[str | None, str | None], object] | None,
        source_name: str | None,
    ) -> None:
        feed_title = plain_title(feed.get("title"))
        self.feed_url = feed_url
        self.fetcher = fetcher
        self.known = known
        self.source = (
            plain_title(source_name) or feed_title or (_host(feed_url) if feed_url else "feed")
        )
        self.outlet = (
            feed_title or plain_title(source_name) or (_host(feed_url) if feed_url else None)
        )
        self.lang = language_code(feed.get("language"))  # RSS <language>, Atom xml:lang
        self.pages = _PageBudget(fetcher.policy.feed_pages)

    def entry(
        self, number: int, entry: Any, links: Counter[str]
    ) -> tuple[str, ArticleDraft | FetchFailed | _Known]:
        """(label, draft, failure or KNOWN) of the feed's `number`th entry (from 1); `links`
        counts the entries of the read by link."""
        if self.feed_url and entry.get("link"):
            # Feeds may use links relative to themselves.
            entry["link"] = urljoin(self.feed_url, entry["link"])
        source = self.source
        label = entry.get("link") or plain_title(entry.get("title")) or f"{source}: entry {number}"
        raw_guid = (entry.get("id") or "").strip()
        if not raw_guid and links[entry.get("link") or ""] > 1:
            raw_guid = shared_link_guid(entry)
        guid = _namespaced_guid(self.feed_url, source, raw_guid) if raw_guid else None
        found = self.known(entry.get("link"), guid) if self.known is not None else None
        if found:
            return label, _Known(found) if isinstance(found, Article) else KNOWN
        try:
            shared = links[entry.get("link") or ""] > 1
            draft = _draft_from_entry(
                entry, source, self.fetcher, guid, self.pages, fetch_page=not shared
            )
            outlet = plain_title(entry_outlet(entry)) or self.outlet
            return label, replace(draft, outlet=outlet, lang=draft.lang or self.lang)
        except Stopped:
            raise  # shutting down: the rest of the feed is read next time, not failed now
        except FetchFailed as exc:
            return label, exc
        except Exception as exc:  # one malformed entry must not cost the rest of the feed
            return label, FetchFailed(f"unreadable entry ({type(exc).__name__})")


def shared_link_guid(entry: Any) -> str:
    """A stand-in GUID for an entry that has none and shares its link with other entries of
    its feed (an event listing or live blog written without `<guid>`): `title:` and its plain
    title, else `text:` and a SHA-1 of its own text.

    The title is what a reader tells such entries apart by, and it survives edits to the
    text, so a re-poll finds the same entry; entries with one title under one link stay one
    article, and a retitled entry with near-same text is still a repeat (bot.dedupe rule 3).
    """
    title = plain_title(entry.get("title"))
    if title:
        return f"title:{title}"
    contents = [c.get("value", "") for c in entry.get("content", [])] + [entry.get("summary", "")]
    own = plain_text(max(contents, key=len), html=True)
    return "text:" + hashlib.sha1(own.encode("utf-8")).hexdigest()


def entry_outlet(entry: Any) -> str | None:
    """The outlet an aggregator feed names for one entry (RSS `<source>`, Atom `<source>`'s
    title, as feedparser exposes them in `entry.source`), or None."""
    origin = entry.get("source")
    if not isinstance(origin, dict):
        return None
    return " ".join((origin.get("title") or "").split()) or None


class _PageBudget:
    """How many more entry pages one read of one feed may fetch."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _draft_from_entry(
    entry: Any,
    source: str,
    fetcher: Fetcher,
    guid: str | None,
    pages: _PageBudget,
    *,
    fetch_page: bool = True,
) -> ArticleDraft:
    title = plain_title(entry.get("title"))
    link = entry.get("link")
    # dict.get: feedparser's own get() maps updated <-> published with a deprecation warning.
    raw_date = dict.get(entry, "published") or dict.get(entry, "updated")
    published = parse_date(raw_date)
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if published is None and stamp:
        # Forms only feedparser reads (it knows a few non-English month names).
        published = datetime(*stamp[:6], tzinfo=UTC)
    contents = [c.get("value", "") for c in entry.get("content", [])]
    own = html_fragment_text(max(contents, key=len)) if contents else ""
    summary = html_fragment_text(entry.get("summary", ""))
    text = own
    page_failure = "it has no link to a page"
    if fetch_page and len(own.split()) < FULL_TEXT_WORDS and link and is_url(link) and pages.take():
        # The entry is a teaser: the article is on its page.  A page that is not an article
        # (a wall, an error page) leaves the entry's own words.
        try:
            fetched = fetcher.get(link)
            page = draft_from_html(fetched.content, link, source, fetched.content_type)
            text = page.text
            title = title or page.title
        except Stopped:
            raise
        except FetchFailed as exc:
            text = own or summary
            walled = str(exc) in REASONS.values()
            page_failure = f"its page is {exc}" if walled else f"its page failed: {exc}"
    text = clean_body(text or summary, title)
    if not text.strip():
        raise FetchFailed(f"the entry has no text of its own and {page_failure}")
    return ArticleDraft(
        # An untitled entry (RSS and JSON Feed titles are optional; microblog feeds have
        # none) is headed by its first sentence, as a reader would name it, not by its link.
        title=title or first_sentence_headline(text) or link or "Untitled",
        text=text,
        source=source,
        url=link,
        published_at=published,
        guid=guid,
        published_raw=raw_date or None,
    )


def iter_drafts(
    item: str,
    fetcher: Fetcher,
    known: Callable[[str | None, str | None], object] | None = None,
    settled: Callable[[list[str]], Mapping[str, object]] | None = None,
) -> Iterator[tuple[str, ArticleDraft | FetchFailed | _Known]]:
    """Yield (label, draft or failure) for every article an ingest item holds.

    Feed entries `known(link, guid)` says are stored come as `KNOWN`, before any cleaning
    or page fetch; with `settled`, those it names are skipped before the feed is parsed
    (see `drafts_from_feed`).
    """
    if is_url(item):
        # The label names the address without a user name or password in it.
        label = hide_credentials(item)
        policy = fetcher.policy
        try:
            # A page or a feed: which one is known only once it is read.
            fetched = fetcher.get(item, max_bytes=max(policy.page_bytes, policy.feed_bytes))
        except FetchFailed as exc:
            yield label, exc
            return
        feed = looks_like_feed(fetched)
        if not feed and len(fetched.content) > policy.page_bytes:
            yield label, FetchFailed(f"{label} is larger than {policy.page_bytes / 1_000_000:g} MB")
            return
        if feed:
            try:
                yield from drafts_from_feed(
                    fetched.content,
                    fetched.url,
                    fetcher,
                    known,
                    content_type=fetched.content_type,
                    settled=settled,
                )
            except FetchFailed as exc:
                yield label, exc
            return
        try:
            page = draft_from_html(
                fetched.content, fetched.url, _host(fetched.url), fetched.content_type
            )
            # The site's name (og:site_name), or its host.
            yield label, replace(page, outlet=page.source)
        except FetchFailed as exc:
            yield label, exc
        return
    path = Path(item).expanduser()
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and p.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES
        )
        for file in files:
            yield from _file_drafts(file, fetcher, known, settled)
        return
    if not path.exists():
        yield item, FetchFailed("no such file, folder or URL")
        return
    yield from _file_drafts(path, fetcher, known, settled)


def _file_drafts(
    path: Path,
    fetcher: Fetcher,
    known: Callable[[str | None, str | None], object] | None = None,
    settled: Callable[[list[str]], Mapping[str, object]] | None = None,
) -> Iterator[tuple[str, ArticleDraft | FetchFailed | _Known]]:
    label = str(path)
    suffix = path.suffix.lower()
    try:
        if path.stat().st_size > MAX_BYTES:
            raise FetchFailed(f"larger than {MAX_BYTES // 1_000_000} MB")
        content = path.read_bytes()
    except OSError as exc:
        yield label, FetchFailed(f"cannot read it ({exc.strerror or exc})")
        return
    except FetchFailed as exc:
        yield label, exc
        return
    try:
        # A feed by its content (a feed saved as .html too); a .xml/.json that is no feed
        # is refused by drafts_from_feed with the reason.
        if suffix in FEED_SUFFIXES or (suffix not in TEXT_SUFFIXES and sniff_feed(content)):
            yield from drafts_from_feed(content, None, fetcher, known, settled=settled)
        elif suffix in HTML_SUFFIXES:
            yield label, _credited(draft_from_html(content, None, path.name), path.name)
        else:
            text = decode_file(content)
            draft = draft_from_plain(text, path.name, markdown=suffix != ".txt")
            yield label, _credited(draft, path.name)
    except FetchFailed as exc:
        yield label, exc


def _credited(draft: ArticleDraft, file_name: str) -> ArticleDraft:
    """A file's draft with its outlet: the `source:` its front matter or `og:site_name`
    gave, never the file's own name (which the draft's source falls back to)."""
    return replace(draft, outlet=None if draft.source == file_name else draft.source)


def ingest(
    store: Store,
    items: Iterable[str],
    clock: Clock,
    fetcher: Fetcher | None = None,
    on_result: Callable[[IngestResult], None] | None = None,
    *,
    scope: str = SHARED,
) -> IngestReport:
    """Read every item and store each article it holds once, readable by `scope` (a scope
    key, see bot.scopes; default: the operator's shared library).

    Pass the core's `fetcher` (its policy comes from settings); without one, a fetcher with the
    default policy is used and closed (the guard closed to every internal address).
    """
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    results: list[IngestResult] = []
    warm_up_language_model()  # in the background, while the first items are read

    unknown: set[str] = set()  # GUIDs `known` looked up and did not find

    def known(link: str | None, guid: str | None) -> Article | None:
        found = store.shared_known(link, guid, (scope,))
        if found is None and guid:
            unknown.add(guid)
        return found

    def settled(guids: list[str]) -> Mapping[str, Article]:
        return store.settled_guids(guids, (scope,))

    try:
        # One write transaction per BATCH_SECONDS of work, not per article (see Store.batch);
        # it is committed before any page or feed is fetched, so no writer waits on the network.
        with store.batch() as batch:
            committed = time.monotonic()
            reader = cast(Fetcher, _CommitFirst(fetcher, batch))
            for item in items:
                for label, outcome in iter_drafts(item, reader, known, settled):
                    checked = isinstance(outcome, ArticleDraft) and outcome.guid in unknown
                    result = store_draft(
                        store, label, outcome, clock, scopes=(scope,), guid_checked=checked
                    )
                    results.append(result)
                    if time.monotonic() - committed >= BATCH_SECONDS:
                        batch.commit()
                        committed = time.monotonic()
                    if on_result is not None:
                        on_result(result)
    finally:
        if own_fetcher:
            fetcher.close()
    return IngestReport(tuple(results))


# Stored articles wait at most this long for their commit during `ingest`.
BATCH_SECONDS = 0.25


class _CommitFirst:
    """A fetcher that commits the open write batch before each fetch (see `ingest`)."""

    def __init__(self, fetcher: Fetcher, batch: WriteBatch) -> None:
        self._fetcher = fetcher
        self._batch = batch
        self.policy = fetcher.policy

    def get(self, url: str, **options: Any) -> Fetched:
        """`Fetcher.get`, after committing what the batch holds."""
        self._batch.commit()
        return self._fetcher.get(url, **options)


@dataclass(frozen=True)
class _Known:
    """Marks a feed entry already stored (skipped without fetching); the stored article
    when the check gave it."""

    article: Article | None = None


KNOWN = _Known()


def store_draft(
    store: Store,
    label: str,
    outcome: ArticleDraft | FetchFailed | _Known,
    clock: Clock,
    *,
    scopes: Iterable[str] = (SHARED,),
    feed: str | None = None,
    guid_checked: bool = False,
) -> IngestResult:
    """Analyse and store one draft; failures become a result, not an exception.  A draft
    already stored is recognised (one lookup, `Store.put`) before the analysis, which it
    skips.  `guid_checked`: the draft's GUID was looked up already (`Store.shared_known`
    with the same scopes and feed), so the lookup skips it.

    The result's status is "stored", "copy" (another outlet's copy of a stored article),
    "duplicate" or "failed" (see `Store.put` and bot.dedupe).

    The article (new or already stored) becomes readable by every scope key in `scopes` and
    is recorded as brought in by `feed` (a canonical feed URL), see `Store.add`.
    """
    if isinstance(outcome, _Known):
        return IngestResult(label, "duplicate", article=outcome.article)
    if isinstance(outcome, FetchFailed):
        return IngestResult(label, "failed", reason=str(outcome))
    now = clock.now()
    outcome = finish_draft(outcome, now)
    try:
        # One lookup: the analysis runs only when the draft is new (see `Store.put`).
        article, status = store.put(
            outcome, _analysed, now, scopes=scopes, feed=feed, guid_checked=guid_checked
        )
    except _NoSentences:
        return IngestResult(label, "failed", reason="no sentences found")
    notes = outcome.notes if status == "stored" else ()
    return IngestResult(label, status, article=article, notes=notes)


class _NoSentences(Exception):
    """A new draft's text holds no sentence: nothing is stored."""


def _analysed(draft: ArticleDraft) -> Analysis:
    """The draft's analysis; raises _NoSentences when it has no sentence."""
    from summarizers.analysis import analyze  # numpy: only when something is stored

    analysis = analyze(draft.text, draft.title, draft_language(draft))
    if len(analysis) == 0:
        raise _NoSentences
    return analysis


def draft_language(draft: ArticleDraft) -> str:
    """The draft's language (ISO 639-1): front matter `lang:` or the feed's language when
    given, else detected from its title and text (summarizers.languages.detect)."""
    return draft.lang or detect_language(f"{draft.title}\n{draft.text}")


def finish_draft(draft: ArticleDraft, now: datetime) -> ArticleDraft:
    """Make a draft safe to store: plain-text title, source and text; a believable date.

    Every way in (files, pages, feeds, front matter) passes here, so no entity, tag or raw
    newline is stored.  A publication date more than a day after `now` or before 1990
    (bot.dates.trusted_published) is dropped, so first-seen time orders the article, and the
    date as the source gave it is kept in `published_raw`.
    """
    published = trusted_published(draft.published_at, now)
    raw = draft.published_raw
    if draft.published_at is not None and published is None and not raw:
        raw = to_iso(draft.published_at)
    return replace(
        draft,
        title=plain_title(draft.title),
        source=plain_title(draft.source),
        outlet=plain_title(draft.outlet) or None,
        text=plain_text(draft.text),
        published_at=published,
        published_raw=raw,
    )
