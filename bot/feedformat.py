"""Which syndication format a document is, judged by its content, and JSON Feed reading.

A feed is recognised by what it is, never by its Content-Type alone: publishers serve valid
feeds as `text/xml`, `text/html`, `text/plain` or `application/octet-stream`, behind a
byte-order mark, an XML declaration, `<?xml-stylesheet?>` lines, comments, a DOCTYPE or blank
lines.  XML formats are named by their root element (RSS 0.9x/2.0 `<rss>`, RSS 0.90/1.0
`<rdf:RDF>`, Atom 0.3/1.0 `<feed>`); JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/)
by its `version` URL.  feedparser reads the XML formats; it does not read JSON Feed, so
`parse_json_feed` maps a JSON Feed onto the same entry keys feedparser produces, and
`read_feed` reads any of them, decoding XML with `bot.charsets` first.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .charsets import bom_encoding, decode_text

FeedKind = Literal["rss", "rdf", "atom", "json"]

# Everything XML allows before the root element: whitespace, the declaration, processing
# instructions (`<?xml-stylesheet …?>`), comments and a DOCTYPE (with an internal subset).
_PROLOG_ITEM = re.compile(
    r"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.DOTALL | re.IGNORECASE
)
_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)\b", re.IGNORECASE)
_JSON_FEED_VERSION = re.compile(r"^https?://(?:www\.)?jsonfeed\.org/version/1(?:\.\d+)?/?$")
# How much of the start of a document to examine for its root element.
_SNIFF_BYTES = 16_384
# Content types that name a feed (RSS, Atom, RDF, JSON Feed): a document served with one that
# sniff_feed cannot place (say, stray text before the root) is still offered to feedparser.
_FEED_TYPE = re.compile(r"rss|atom|rdf|feed\+json", re.IGNORECASE)
_HTML_START = re.compile(r"<(?:!doctype\s+html|html)\b", re.IGNORECASE)


def sniff_feed(content: bytes) -> FeedKind | None:
    """Name the feed format of `content`, or None when it is not a feed (e.g. a web page)."""
    head = _head_text(content)
    stripped = head.lstrip()
    if stripped.startswith("{"):
        return "json" if _is_json_feed(content) else None
    position = 0
    while True:
        match = _PROLOG_ITEM.match(head, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    root = _ROOT.match(head, position)
    if root is None:
        return None
    name = root.group(1).lower()
    return {"rss": "rss", "feed": "atom", "rdf": "rdf"}[name]


def _head_text(content: bytes) -> str:
    """The start of `content` as text: its BOM's encoding, else UTF-8 ignoring bad bytes."""
    head = content[:_SNIFF_BYTES]
    encoding = bom_encoding(head) or "utf-8"
    return head.decode(encoding, "ignore").removeprefix("\ufeff")


def _is_json_feed(content: bytes) -> bool:
    document = _load_json(content)
    return isinstance(document, dict) and bool(
        _JSON_FEED_VERSION.match(str(document.get("version", "")))
    )


def _load_json(content: bytes) -> Any:
    encoding = bom_encoding(content) or "utf-8"
    try:
        return json.loads(content.decode(encoding, "replace").removeprefix("\ufeff"))
    except ValueError:
        return None


@dataclass(frozen=True)
class JsonFeed:
    """A JSON Feed as feedparser would have shaped it: `feed` and `entries` are dicts."""

    feed: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)


def parse_json_feed(content: bytes) -> JsonFeed:
    """Read a JSON Feed 1.0/1.1 document into feedparser-shaped dicts.

    Each entry has the keys briefbot reads from feedparser: `id`, `link`, `title`, `summary`,
    `content` (a list of {"value", "type"}), `published`/`published_parsed`,
    `updated`/`updated_parsed`, `author` and, for an item naming another site, `source`.
    Items that are not objects are skipped.  Raises ValueError if `content` is not a JSON Feed.
    """
    document = _load_json(content)
    if not isinstance(document, dict) or not _JSON_FEED_VERSION.match(
        str(document.get("version", ""))
    ):
        raise ValueError("not a JSON Feed")
    feed = {
        "title": _string(document.get("title")),
        "link": _string(document.get("home_page_url")),
        "language": _string(document.get("language")),
    }
    items = document.get("items")
    entries = (
        [_entry(item) for item in items if isinstance(item, dict)]
        if isinstance(items, list)
        else []
    )
    return JsonFeed(feed=feed, entries=entries)


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": _string(item.get("id")),
        "link": _string(item.get("url")) or _string(item.get("external_url")),
        "title": _string(item.get("title")),
        "summary": _string(item.get("summary")),
    }
    html, text = _string(item.get("content_html")), _string(item.get("content_text"))
    if html:
        entry["content"] = [{"value": html, "type": "text/html"}]
    elif text:
        entry["content"] = [{"value": text, "type": "text/plain"}]
    for ours, theirs in (("published", "date_published"), ("updated", "date_modified")):
        stamp = _string(item.get(theirs))
        if stamp:
            entry[ours] = stamp
            parsed = _rfc3339(stamp)
            if parsed is not None:
                entry[f"{ours}_parsed"] = parsed
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [_string(a.get("name")) for a in authors if isinstance(a, dict)]
    if any(names):
        entry["author"] = ", ".join(n for n in names if n)
    external = _string(item.get("external_url"))
    if external and _string(item.get("url")):
        entry["source"] = {"href": external}
    return entry


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _rfc3339(stamp: str) -> time.struct_time | None:
    """A JSON Feed date (RFC 3339) as the UTC struct_time feedparser gives for XML dates."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).timetuple()


@dataclass(frozen=True)
class ParsedFeed:
    """A feed read by `read_feed`: `kind` as `sniff_feed` names it (None: not recognised,
    read on its Content-Type's word), feedparser-shaped `feed` and `entries`, and `bozo`
    (feedparser found the XML malformed)."""

    kind: FeedKind | None
    feed: Any
    entries: list[Any]
    bozo: bool = False


def claims_feed(content: bytes, content_type: str | None) -> bool:
    """Tell whether `content` is to be read as a feed: its content says so (`sniff_feed`), or
    its Content-Type names a feed format and the content is not an HTML page.

    The Content-Type alone never decides: a feed served as `text/html` or
    `application/octet-stream` is a feed, a web page served as `application/rss+xml` is not.
    """
    if sniff_feed(content) is not None:
        return True
    if not _FEED_TYPE.search(content_type or ""):
        return False
    head = _head_text(content)
    return _HTML_START.search(head[:1024]) is None


def read_feed(content: bytes, content_type: str | None = None) -> ParsedFeed:
    """Read an RSS, RDF, Atom or JSON Feed document (`content_type`: its HTTP Content-Type).

    XML feeds are decoded with `bot.charsets.decode_text` (BOM, then the HTTP charset, then
    the XML declaration, each only when the bytes agree, then detection), so a feed that
    declares one encoding but is written in another reads correctly, and handed to feedparser
    as UTF-8 (feedparser follows an `application/xml` charset over the declaration, RFC 7303
    §3).  A document `sniff_feed` cannot place is still offered to feedparser (`kind` None),
    for callers that trust a feed Content-Type (`claims_feed`).  Raises
    `bot.charsets.UndecodableText` (a FetchFailed) for text in no recognisable encoding.
    """
    kind = sniff_feed(content)
    if kind == "json":
        parsed = parse_json_feed(content)
        return ParsedFeed(kind, parsed.feed, parsed.entries)
    import io

    import feedparser

    text = decode_text(content, content_type).replace("\x00", "")
    # A file-like object: feedparser would try to open a str or bytes argument as a path.
    result = feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )
    return ParsedFeed(kind, result.feed, list(result.entries), bool(result.bozo))
