"""Turn files, folders, web pages and feeds into cleaned articles, and store them.

One bad item never stops the rest: every item ends as stored, duplicate or failed-with-a-reason.
Heavy libraries (httpx, trafilatura, feedparser) are imported only when an item needs them.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from summarizers.analysis import analyze

from . import __version__
from .cleaning import clean_body, parse_date, parse_plain
from .clock import Clock
from .errors import FetchFailed
from .models import ArticleDraft, IngestReport, IngestResult
from .scopes import SHARED
from .store import Store
from .urls import normalize_url

USER_AGENT = f"briefbot/{__version__} (+https://github.com/briefbot/briefbot; news briefing bot)"
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
MAX_BYTES = 5_000_000
# Below this many words a feed entry's own content is a teaser, and the page is fetched.
FULL_TEXT_WORDS = 150
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.S)


@dataclass(frozen=True)
class Fetched:
    """A downloaded resource (status 304: not modified since the validators sent)."""

    url: str
    content: bytes
    content_type: str
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None


class Fetcher:
    """HTTP GET with a descriptive User-Agent, a timeout, and errors users can read."""

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self._client: Any = None

    def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        """Download `url`; raise FetchFailed with a short reason on any failure.

        With `etag`/`last_modified` the request is conditional, and an unchanged resource
        comes back as status 304 with no content.
        """
        import httpx

        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout,
                follow_redirects=True,
                headers={"User-Agent": USER_AGENT},
            )
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with _host_lock(url):  # politeness: one request at a time per host, process-wide
                response = self._client.get(url, headers=headers)
        except (httpx.InvalidURL, ValueError, UnicodeError):
            raise FetchFailed(f"{url} is not a valid web address") from None
        except httpx.TimeoutException:
            raise FetchFailed(f"{url} did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"cannot reach {url} ({type(exc).__name__})") from None
        if response.status_code == 304:
            return Fetched(str(response.url), b"", "", 304, etag, last_modified)
        if response.status_code >= 400:
            raise FetchFailed(
                f"{url} answered HTTP {response.status_code}",
                status=response.status_code,
                retry_after=_retry_after(response.headers.get("retry-after")),
            )
        if len(response.content) > MAX_BYTES:
            raise FetchFailed(f"{url} is larger than {MAX_BYTES // 1_000_000} MB")
        return Fetched(
            str(response.url),
            response.content,
            response.headers.get("content-type", ""),
            response.status_code,
            response.headers.get("etag"),
            response.headers.get("last-modified"),
        )

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None


_HOST_LOCKS: dict[str, threading.Lock] = {}
_HOST_LOCKS_GUARD = threading.Lock()


def _host_lock(url: str) -> threading.Lock:
    """The lock that serialises requests to `url`'s host across every thread."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    with _HOST_LOCKS_GUARD:
        return _HOST_LOCKS.setdefault(host, threading.Lock())


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def is_url(item: str) -> bool:
    """Tell whether an ingest item is a web address rather than a path."""
    return urlsplit(item).scheme in {"http", "https"}


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _decode(content: bytes) -> str:
    content = content.replace(b"\x00", b"")  # NUL is never text; see Store.add
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("utf-8", "replace")


def draft_from_plain(text: str, source: str, *, markdown: bool = False) -> ArticleDraft:
    """Build a draft from the text of a .txt or .md article."""
    parsed = parse_plain(text, markdown=markdown)
    if not parsed.body.strip():
        raise FetchFailed("no article text found")
    return ArticleDraft(
        title=parsed.title or source,
        text=parsed.body,
        source=parsed.source or source,
        url=parsed.url,
        published_at=parsed.published_at,
    )


def draft_from_html(html: str | bytes, url: str | None, source: str) -> ArticleDraft:
    """Extract the main article of a web page with trafilatura, then clean it."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
        )
    except Exception:  # trafilatura raises assorted errors on broken markup
        doc = None
    if doc is None or not (doc.text or "").strip():
        raise FetchFailed("no article text found in the page")
    title = (doc.title or "").strip()
    body = clean_body(doc.text, title)
    if not body.strip():
        raise FetchFailed("no article text found in the page")
    return ArticleDraft(
        title=title or (url or source),
        text=body,
        source=(doc.sitename or "").strip() or source,
        url=url,
        published_at=parse_date(doc.date or ""),
    )


def html_fragment_text(html: str) -> str:
    """Turn a feed entry's HTML content into plain text, one paragraph per line."""
    import lxml.html

    if not html.strip():
        return ""
    marked = re.sub(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote)>", "\n", html)
    try:
        return lxml.html.fromstring(f"<div>{marked}</div>").text_content()
    except Exception:  # lxml rejects some fragments outright
        return re.sub(r"<[^>]+>", " ", marked)


def looks_like_feed(fetched: Fetched) -> bool:
    """Tell a feed from a web page by content type or by its first element."""
    kind = fetched.content_type.lower()
    # Only RSS/Atom content types say "feed"; plain XML and XHTML are judged by their root.
    return "rss" in kind or "atom" in kind or bool(_FEED_START.match(fetched.content[:2048]))


def drafts_from_feed(
    content: bytes,
    feed_url: str | None,
    fetcher: Fetcher,
    known: Callable[[str | None, str | None], bool] | None = None,
    source_name: str | None = None,
) -> Iterator[tuple[str, ArticleDraft | FetchFailed]]:
    """Yield each feed entry as a draft, or as the reason it failed.

    Entries that `known(link, guid)` says are stored are skipped before any page is fetched,
    so re-reading a feed whose dates or GUIDs were edited costs no page downloads.
    """
    import feedparser

    parsed = feedparser.parse(content)
    if not parsed.entries:
        if parsed.bozo:
            raise FetchFailed("not a readable RSS or Atom feed")
        return
    feed_title = (parsed.feed.get("title") or "").strip()
    source = source_name or feed_title or (_host(feed_url) if feed_url else "feed")
    feed_outlet = feed_title or source_name or (_host(feed_url) if feed_url else None)
    # A link several entries share (an event listing, a live blog) is no one entry's page.
    links = Counter(urljoin(feed_url or "", e.get("link") or "") for e in parsed.entries)
    for number, entry in enumerate(parsed.entries, start=1):
        if feed_url and entry.get("link"):
            # Feeds may use links relative to themselves.
            entry["link"] = urljoin(feed_url, entry["link"])
        label = entry.get("link") or entry.get("title") or f"{source}: entry {number}"
        # GUIDs are only unique within their feed: namespace them by it.
        raw_guid = (entry.get("id") or "").strip()
        guid = f"{normalize_url(feed_url) if feed_url else source} {raw_guid}" if raw_guid else None
        if known is not None and known(entry.get("link"), guid):
            yield label, KNOWN
            continue
        try:
            shared = links[entry.get("link") or ""] > 1
            draft = _draft_from_entry(entry, source, fetcher, guid, fetch_page=not shared)
            yield label, replace(draft, outlet=entry_outlet(entry) or feed_outlet)
        except FetchFailed as exc:
            yield label, exc
        except Exception as exc:  # one malformed entry must not cost the rest of the feed
            yield label, FetchFailed(f"unreadable entry ({type(exc).__name__})")


def entry_outlet(entry: Any) -> str | None:
    """The outlet an aggregator feed names for one entry (RSS `<source>`, Atom `<source>`'s
    title, as feedparser exposes them in `entry.source`), or None."""
    origin = entry.get("source")
    if not isinstance(origin, dict):
        return None
    return " ".join((origin.get("title") or "").split()) or None


def _draft_from_entry(
    entry: Any, source: str, fetcher: Fetcher, guid: str | None = None, *, fetch_page: bool = True
) -> ArticleDraft:
    title = (entry.get("title") or "").strip()
    link = entry.get("link")
    published = None
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if stamp:
        published = datetime(*stamp[:6], tzinfo=UTC)
    contents = [c.get("value", "") for c in entry.get("content", [])]
    own = html_fragment_text(max(contents, key=len)) if contents else ""
    summary = html_fragment_text(entry.get("summary", ""))
    text = own
    if fetch_page and len(own.split()) < FULL_TEXT_WORDS and link and is_url(link):
        # The entry is a teaser: the article is on its page.
        try:
            page = draft_from_html(fetcher.get(link).content, link, source)
            text = page.text
            title = title or page.title
        except FetchFailed:
            text = own or summary
    text = clean_body(text or summary, title)
    if not text.strip():
        raise FetchFailed("the entry has no text and its page could not be read")
    return ArticleDraft(
        title=title or (link or "Untitled"),
        text=text,
        source=source,
        url=link,
        published_at=published,
        guid=guid,
    )


def iter_drafts(item: str, fetcher: Fetcher) -> Iterator[tuple[str, ArticleDraft | FetchFailed]]:
    """Yield (label, draft or failure) for every article an ingest item holds."""
    if is_url(item):
        try:
            fetched = fetcher.get(item)
        except FetchFailed as exc:
            yield item, exc
            return
        if looks_like_feed(fetched):
            try:
                yield from drafts_from_feed(fetched.content, fetched.url, fetcher)
            except FetchFailed as exc:
                yield item, exc
            return
        try:
            page = draft_from_html(fetched.content, fetched.url, _host(fetched.url))
            # The site's name (og:site_name), or its host.
            yield item, replace(page, outlet=page.source)
        except FetchFailed as exc:
            yield item, exc
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
            yield from _file_drafts(file, fetcher)
        return
    if not path.exists():
        yield item, FetchFailed("no such file, folder or URL")
        return
    yield from _file_drafts(path, fetcher)


def _file_drafts(path: Path, fetcher: Fetcher) -> Iterator[tuple[str, ArticleDraft | FetchFailed]]:
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
        if suffix in FEED_SUFFIXES or (
            suffix not in TEXT_SUFFIXES | HTML_SUFFIXES and _FEED_START.match(content[:2048])
        ):
            yield from drafts_from_feed(content, None, fetcher)
        elif suffix in HTML_SUFFIXES:
            yield label, _credited(draft_from_html(content, None, path.name), path.name)
        else:
            text = _decode(content)
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
    key, see bot.scopes; default: the operator's shared library)."""
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher()
    results: list[IngestResult] = []
    try:
        for item in items:
            for label, outcome in iter_drafts(item, fetcher):
                result = store_draft(store, label, outcome, clock, scopes=(scope,))
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        if own_fetcher:
            fetcher.close()
    return IngestReport(tuple(results))


class _Known:
    """Marks a feed entry already stored (skipped without fetching)."""


KNOWN = _Known()


def store_draft(
    store: Store,
    label: str,
    outcome: ArticleDraft | FetchFailed | _Known,
    clock: Clock,
    *,
    scopes: Iterable[str] = (SHARED,),
    feed: str | None = None,
) -> IngestResult:
    """Analyse and store one draft; failures become a result, not an exception.

    The result's status is "stored", "copy" (another outlet's copy of a stored article),
    "duplicate" or "failed" (see `Store.put` and bot.dedupe).

    The article (new or already stored) becomes readable by every scope key in `scopes` and
    is recorded as brought in by `feed` (a canonical feed URL), see `Store.add`.
    """
    if isinstance(outcome, _Known):
        return IngestResult(label, "duplicate")
    if isinstance(outcome, FetchFailed):
        return IngestResult(label, "failed", reason=str(outcome))
    analysis = analyze(outcome.text, outcome.title)
    if len(analysis) == 0:
        return IngestResult(label, "failed", reason="no sentences found")
    article, status = store.put(outcome, analysis, clock.now(), scopes=scopes, feed=feed)
    return IngestResult(label, status, article=article)
