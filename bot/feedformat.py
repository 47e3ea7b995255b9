"""Which syndication format a document is, judged by its content, and JSON Feed reading.

A feed is recognised by what it is, never by its Content-Type alone: publishers serve valid
feeds as `text/xml`, `text/html`, `text/plain` or `application/octet-stream`, behind a
byte-order mark, an XML declaration, `<?xml-stylesheet?>` lines, comments, a DOCTYPE or blank
lines.  XML formats are named by their root element (RSS 0.9x/2.0 `<rss>`, RSS 0.90/1.0
`<rdf:RDF>`, Atom 0.3/1.0 `<feed>`); JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/)
by its `version` URL.  feedparser reads the XML formats; it does not read JSON Feed, so
`parse_json_feed` maps a JSON Feed onto the same entry keys feedparser produces.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .charsets import bom_encoding

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
