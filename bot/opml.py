"""OPML subscription lists in and out: `briefbot feeds import FILE.opml`, `feeds export`.

Reading uses listparser (a maintained OPML parser: nested categories, RSS/Atom outline
attributes, the spec's quirks), always on the file's bytes, so it never fetches anything;
OPML `include` outlines (other lists) are not followed.  The file must be well-formed XML
first (listparser reads what it can of a cut-off file).  Writing uses xml.etree: OPML 2.0
(http://opml.org/spec2.opml), one `<outline type="rss" text=… xmlUrl=…/>` per feed.

An import is all or nothing: every outline is read and checked first, then every new feed
is stored in one transaction; a bad file changes nothing and is explained in one line.  An
address the fetch guard would refuse (bot.fetch: not public, credentials, not http(s)) is
refused at import, from the address alone (no DNS), minus what BRIEFBOT_FETCH_ALLOW opens.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import BadArgument
from .fetch import NOT_ALLOWED, AllowList, IPAddress, is_public
from .models import Feed
from .plaintext import plain_title
from .urls import normalize_url

MAX_OPML_BYTES = 5_000_000
MAX_OPML_FEEDS = 5_000
# A host IPv4's resolver may read as a number: digits, dots, hex (`0x7f.1`).
_NUMERIC = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.I)


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of a subscription list: its address and the name the list gives it."""

    url: str
    name: str


def read_opml(data: bytes, *, allow: AllowList | None = None) -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, each URL once.

    Raises BadArgument (one line) when the document is not OPML, is broken XML, lists no
    feed, or lists an address the fetch guard would refuse (`refusal`; `allow` is the
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
            raise BadArgument(f"The OPML file lists {_shown(url)!r}, {why}; nothing imported.")
        parts = urlsplit(url)
        name = plain_title(entry.get("title") or "") or parts.netloc
        found.setdefault(normalize_url(url), OpmlFeed(url, name))
    if not found:
        raise BadArgument("That OPML file lists no feeds; nothing imported.")
    if len(found) > MAX_OPML_FEEDS:
        raise BadArgument(f"That OPML file lists over {MAX_OPML_FEEDS:,} feeds; nothing imported.")
    return list(found.values())


def refusal(url: str, allow: AllowList) -> str | None:
    """Why the fetch guard (bot.fetch) would refuse `url`, judged from the address alone (no
    DNS: a name is checked when it is fetched); None if it may be followed.

    Refused: anything but http(s) with a host; a user name or password in the address; an
    IP literal that is not public (`fetch.is_public`: loopback, private, link-local such as
    cloud metadata 169.254.169.254, unspecified…), in any spelling the resolver reads
    (`127.1`, `2130706433`, `0x7f.0.0.1`, `[::ffff:127.0.0.1]`); and `localhost` or a
    `*.localhost` name, which always mean this machine (RFC 6761 §6.3).  What the operator
    allowed (`allow`, by name or network) passes, as it does when fetched.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number is no address
    except ValueError:
        return "which is not a web address"
    if parts.scheme not in {"http", "https"} or not host:
        return "which is not a web address"
    if parts.username is not None or parts.password is not None:
        return "which has a user name or password in it (they would be stored and shown)"
    if allow.allows_name(host):
        return None
    address = _ip_literal(host)
    if address is not None:
        if is_public(address) or allow.allows_address(address):
            return None
        return f"which {NOT_ALLOWED} (not a public address)"
    if host.rstrip(".") == "localhost" or host.rstrip(".").endswith(".localhost"):
        return f"which {NOT_ALLOWED} (this machine)"
    return None


def _ip_literal(host: str) -> IPAddress | None:
    """`host` as an IP address if it is written as one, as the resolver would read it
    (inet_aton takes IPv4's shorthand, octal and hex forms); None for a name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    if not _NUMERIC.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except OSError:
        return None


def _shown(url: str) -> str:
    """`url` for a message: at most 80 characters, any user name or password left out."""
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            url = urlunsplit(parts._replace(netloc="…@" + parts.netloc.rsplit("@", 1)[1]))
    except ValueError:
        pass
    return url[:80]


def write_opml(feeds: Iterable[Feed], now: datetime, title: str = "briefbot feeds") -> str:
    """An OPML 2.0 document listing `feeds` (each canonical URL once), as text."""
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
        ET.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=feed.url)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
