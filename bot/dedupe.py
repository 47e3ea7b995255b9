"""When an incoming article is one already stored, another outlet's copy of it, or new.

The rule (applied by `Store.put`, and by the feed pre-check `Store.share_known` before any
page is fetched), in order:

1. **Same feed GUID** (GUIDs are namespaced by their feed): the same entry again, whatever
   its link, date or wording now says -> already stored.
2. **Same words** (`content_hash` of headline and text): the same article -> already stored;
   but when both name their outlet, the outlets differ (compared case-insensitively) and so do
   the links, it is *that outlet's copy* -> recorded as another source of the stored article
   (once per outlet).  The same link is the same publication, whoever's feed carried it.
   The same text (40 words or more, near-same: a dateline may differ) under another
   headline from another outlet is that outlet's copy too: outlets retitle wire stories.
3. **Same link** (raw or normalised, see bot.urls) -> already stored, unless both carry GUIDs
   *of the same feed* that differ and their texts are not near-same (`near_same`: an edited
   re-post).  So entries of one feed that share a link but differ in GUID and text (event
   listings, live blogs, "upcoming" lists) are distinct articles, while the same link from a
   file, a page or another feed (whose GUIDs say nothing about this feed's) is a repeat.
   An entry with no GUID that shares its link with others of its feed is given one from its
   title (`bot.ingest.shared_link_guid`), so GUID-less listings keep every entry too.

Anything else is a new article.  A feed that gives the same entry a new GUID on every poll
still stores it once (rule 2 or 3), though its page may be fetched again to find that out.
"""

from __future__ import annotations

import re
from pathlib import PurePath

# Near-duplicate test: Jaccard resemblance of word 4-shingles (A. Broder, "On the
# resemblance and containment of documents", 1997).  An edited re-post (a fixed typo, a
# changed sentence in twenty) stays above 0.8; two listings written from one template that
# differ in a name or number every few words fall far below it.
SHINGLE_WORDS = 4
NEAR_SAME = 0.8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# What a file ingested without an outlet carries as its source: its own name.
_FILE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".xml", ".rss", ".atom", ".json"}


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """The set of `size`-word runs of `text` (case-folded words, punctuation ignored)."""
    words = _WORD.findall(text.casefold())
    if len(words) <= size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def resemblance(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word shingles, 0.0 to 1.0."""
    left, right = shingles(a), shingles(b)
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


def near_same(a: str, b: str, threshold: float = NEAR_SAME) -> bool:
    """Whether two article texts are one article, edited (resemblance >= `threshold`)."""
    return resemblance(a, b) >= threshold


def guid_feed(guid: str) -> str:
    """The feed part of a stored GUID.

    Ingest namespaces GUIDs as "<canonical feed URL> <entry id>" (a feed read from a file:
    "<feed title> <entry id>"); URLs hold no spaces, so the part before the first space names
    the feed (for a file whose feed title has spaces, its first word: close enough, since it
    only decides whether two GUIDs are comparable).
    """
    return guid.split(" ", 1)[0]


def same_feed_guids(a: str | None, b: str | None) -> bool:
    """Whether two GUIDs are both present, of one feed, and different (rule 3)."""
    return bool(a and b and a != b and guid_feed(a) == guid_feed(b))


def outlet_key(outlet: str | None) -> str | None:
    """An outlet name as compared: whitespace folded, case-folded; None when empty."""
    folded = " ".join((outlet or "").split()).casefold()
    return folded or None


def outlet_from_source(source: str | None) -> str | None:
    """The outlet a stored `source` names, or None when it is a file's name (`notes.txt`).

    Used to fill `outlet` for articles stored before outlets were recorded.
    """
    name = " ".join((source or "").split())
    if not name or PurePath(name).suffix.lower() in _FILE_SUFFIXES:
        return None
    return name
