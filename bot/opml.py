"""OPML subscription lists in and out: `briefbot feeds import FILE.opml`, `feeds export`.

Reading uses listparser (a maintained OPML parser: nested categories, RSS/Atom outline
attributes, the spec's quirks), always on the file's bytes, so it never fetches anything;
OPML `include` outlines (other lists) are not followed.  The file must be well-formed XML
first (listparser reads what it can of a cut-off file).  Writing uses xml.etree: OPML 2.0
(http://opml.org/spec2.opml), one `<outline type="rss" text=… xmlUrl=…/>` per feed.

An import is all or nothing: every outline is read and checked first, then every new feed
is stored in one transaction; a bad file changes nothing and is explained in one line.  An
address the fetch guard would refuse (bot.fetch: not public, credentials, not http(s)) is
refused at import, from the address alone (no DNS), minus what BRIEFBOT_FETCH_ALLOW opens,
by the guard's own rule (`fetch.refusal`).  Export masks a user name or password a feed was
stored with by an older version (`fetch.hide_credentials`); the stored address is left as it is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import BadArgument
from .fetch import AllowList, hide_credentials, refusal
from .models import Feed
from .plaintext import plain_title
from .urls import normalize_url

MAX_OPML_BYTES = 5_000_000
MAX_OPML_FEEDS = 5_000


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of a subscription list: its address and the name the list gives it."""

    url: str
    name: str


def read_opml(data: bytes, *, allow: AllowList | None = None) -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, each URL once.

    Raises BadArgument (one line) when the document is not OPML, is broken XML, lists no
    feed, or lists an address the fetch guard would refuse (`fetch.refusal`; `allow` is the
    operator's BRIEFBOT_FETCH_ALLOW, `FetchPolicy.allow`).
    """
    import listparser

    if len(data) > MAX_OPML_BYTES:
        raise BadArgument(f"That OPML file is over {MAX_OPML_BYTES:,} bytes; nothing imported.")
    # listparser reads what it can of a truncated file; a cut-off list must not import half,
    # so the document must first be well-formed XML (expat, which refuses entity bombs).
    try:
        ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadArgument(f"That is not a readable OPML file ({exc}); nothing imported.") from None
    parsed: Any = listparser.parse(data)
    if parsed.get("bozo") or not str(parsed.get("version") or "").startswith("opml"):
        error = " ".join(str(parsed.get("bozo_exception") or "no <opml> element").split())
        raise BadArgument(f"That is not a readable OPML file ({error}); nothing imported.")
    found: dict[str, OpmlFeed] = {}
    for entry in parsed.get("feeds", []):
        url = (entry.get("url") or "").strip()
        why = refusal(url, allow or AllowList())
        if why is not None:
            shown = hide_credentials(url)[:80]
            raise BadArgument(f"The OPML file lists {shown!r}, which {why}; nothing imported.")
        parts = urlsplit(url)
        name = plain_title(entry.get("title") or "") or parts.netloc
        found.setdefault(normalize_url(url), OpmlFeed(url, name))
    if not found:
        raise BadArgument("That OPML file lists no feeds; nothing imported.")
    if len(found) > MAX_OPML_FEEDS:
        raise BadArgument(f"That OPML file lists over {MAX_OPML_FEEDS:,} feeds; nothing imported.")
    return list(found.values())


def write_opml(feeds: Iterable[Feed], now: datetime, title: str = "briefbot feeds") -> str:
    """An OPML 2.0 document listing `feeds` (each canonical URL once, any user name or
    password masked: `fetch.hide_credentials`), as text."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    seen: set[str] = set()
    for feed in feeds:
        key = normalize_url(feed.url)
        if key in seen:
            continue
        seen.add(key)
        url = hide_credentials(feed.url)  # never a password, even one stored long ago
        ET.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
