"""Links that land on the words: URL text fragments (`#:~:text=`) for a source's evidence.

Rules from the WICG Text Fragments specification (https://wicg.github.io/scroll-to-text-fragment/):
the directive follows `:~:` in the fragment (after any existing fragment), its text is
percent-encoded, and `-`, `&` and `,` must be encoded too because they delimit the directive's
parts.  We give only `textStart`: the first few words of the sentence, cut at a word boundary,
which browsers that support fragments highlight and others ignore.
"""

from __future__ import annotations

from urllib.parse import quote

from .models import Source

# How much of the sentence the fragment quotes: a few words are enough to be unique on a page
# and short enough to survive small edits further along the sentence.
FRAGMENT_WORDS = 8
FRAGMENT_CHARS = 80
_TRIM = " ,;:.!?&\"'“”‘’()[]—–-"


def fragment_text(sentence: str) -> str:
    """The start of `sentence` to quote: up to FRAGMENT_WORDS words and FRAGMENT_CHARS
    characters, cut at a word boundary, outer punctuation trimmed ("" if nothing is left)."""
    kept: list[str] = []
    length = 0
    for word in sentence.split():
        if len(kept) >= FRAGMENT_WORDS or length + len(word) + bool(kept) > FRAGMENT_CHARS:
            break
        kept.append(word)
        length += len(word) + (len(kept) > 1)
    return " ".join(kept).strip(_TRIM)


def encode(text: str) -> str:
    """Percent-encode directive text, UTF-8 first: everything but ASCII letters, digits and `.`
    (so `-`, `&` and `,`, as the spec requires, and `_`, `~`, which chat markup reads as
    formatting even inside a link)."""
    return quote(text, safe="").replace("-", "%2D").replace("_", "%5F").replace("~", "%7E")


def with_text_fragment(url: str, sentence: str) -> str:
    """`url` with a text directive for the start of `sentence` (the URL itself if no words)."""
    start = fragment_text(sentence)
    if not start:
        return url
    directive = ":~:text=" + encode(start)
    if ":~:" in url:  # already carries a directive: leave it alone
        return url
    return url + directive if "#" in url else url + "#" + directive


def source_url(source: Source) -> str | None:
    """Where a source links: its URL, pointing at its evidence sentence when there is one;
    None when it has none or it is not a web address (a feed's `javascript:` or `data:` link
    must never become a live link in any format)."""
    if not source.url or not source.url.lower().startswith(("http://", "https://")):
        return None
    return with_text_fragment(source.url, source.evidence) if source.evidence else source.url
