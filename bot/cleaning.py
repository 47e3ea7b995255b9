"""Remove page furniture from scraped articles, and find the real headline.

Scraped text carries things that are not the story: a section label above the headline, a
category trail ("China Power | Diplomacy | East Asia"), the headline repeated, rails such as
"Recent Features", photo credits, and teaser links to other stories ("... [LIVE]").  A summary
must never quote them.  The rules below describe the *kinds* of furniture, not the strings of
any one site, and work line by line because scraped text keeps one block per line.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from .dates import parse_date
from .plaintext import plain_text, plain_title

# A line that is a list of short labels: "World | Europe | Ukraine", "Home › News › Politics".
_TRAIL_SEPARATORS = re.compile(r"\s+(?:\||›|»|>|/|·|•)\s+")
# Credits and captions: "Credit: Reuters", "Photo: AP", "(Photo by Jane Doe/Getty Images)".
_CREDIT = re.compile(
    r"^\(?\s*(?:(?:photo|image|picture|video|graphic|illustration|photograph|"
    r"photos|images)(?:\s+(?:credit|by|courtesy(?:\s+of)?|source))?|credits?|"
    r"source|caption)(?:\s*:|\s+[-–—|]\s)",
    re.IGNORECASE,
)
_CREDIT_BY = re.compile(r"^\(?\s*(?:photo|image|picture)s?\s+(?:by|courtesy)\b", re.IGNORECASE)
_AGENCY_TAIL = re.compile(
    r"(?:/|\bvia\s+)(?:getty images|afp|reuters|ap|shutterstock|alamy|epa|pa(?: wire)?)\)?$",
    re.IGNORECASE,
)
# Teasers to other stories end in a shouted tag: "... [LIVE]", "... [LATEST]", "(VIDEO)".
_TEASER_TAG = re.compile(r"[\[(][A-Z][A-Z0-9 '’!-]{1,24}[\])]\s*$")
# Calls to action that open a line: "READ MORE: ...", "Related: ...", "Watch: ...".
_CALL_TO_ACTION = re.compile(
    r"^(?:read more|read also|more|related|related stories|see also|watch|listen|"
    r"latest|breaking|live|recommended|sponsored|advertisement|sign up|subscribe|"
    r"follow us|click here|also read|don'?t miss|trending)(?:\s*[:>|]|\s+[-–—]\s)",
    re.IGNORECASE,
)
# Whole lines that are rails, buttons or boilerplate.
_FURNITURE_LINES = frozenset(
    """
    recent features|related|related articles|related stories|related content|more stories|
    more from|most read|most popular|trending|trending now|top stories|latest news|latest|
    advertisement|sponsored|sponsored content|share|share this|share this article|
    share this story|comments|view comments|show comments|sign up|subscribe|subscribe now|
    read more|continue reading|click here|follow us|newsletter|skip to content|
    skip advertisement|story continues below advertisement|you may also like|
    recommended|recommended for you|editor's picks|what to read next|watch|listen|
    print|email|copy link|back to top
    """.replace("\n", "").split("|")
)
# A line that closes like prose.  Anything else that is short is a heading or a label.
# Chinese and Japanese (。！？」), Arabic (؟) and Devanagari (।) stops count (issue 18).
_PROSE_END = re.compile(r"[.!?…:;\"”’)\]。！？」』؟।]$")
HEADING_MAX_WORDS = 12
# A link's URL may itself hold balanced parentheses (Wikipedia titles do).
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
_MARKDOWN_MARKS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|^#{1,6}\s+|^>\s?|`")


@dataclass(frozen=True)
class ParsedText:
    """Headline, cleaned body and any metadata found in a plain-text or Markdown file."""

    title: str
    body: str
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    published_raw: str | None = None  # the front matter's date as written


_NOT_WORD = re.compile(r"[^\w' ]+")


@functools.lru_cache(maxsize=4096)  # cleaning asks it of one line up to three times
def normalize_line(line: str) -> str:
    """Reduce a line to what identifies it: case, spacing and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", line).casefold()
    folded = folded.replace("’", "'").replace("‘", "'")
    # str.split() splits at exactly the characters `\s` matches (`re.sub(r"\s+", " ", …).strip()`).
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def is_furniture(line: str, title: str = "") -> bool:
    """Tell whether one line of an article is page furniture rather than story text."""
    stripped = line.strip()
    if not stripped or not normalize_line(stripped):
        return True
    if title and normalize_line(stripped) == normalize_line(title):
        return True
    if is_boilerplate(stripped):
        return True
    # Short lines that do not end like prose are headings, labels and buttons.
    return len(stripped.split()) <= HEADING_MAX_WORDS and not _PROSE_END.search(stripped)


def is_boilerplate(stripped: str) -> bool:
    """Tell whether a line is a rail, credit, teaser or breadcrumb, wherever it stands."""
    key = normalize_line(stripped)
    if key in _FURNITURE_LINES:
        return True
    if _CREDIT.match(stripped) or _CREDIT_BY.match(stripped) or _AGENCY_TAIL.search(stripped):
        return True
    if _TEASER_TAG.search(stripped) or _CALL_TO_ACTION.match(stripped):
        return True
    parts = _TRAIL_SEPARATORS.split(stripped)
    return len(parts) >= 2 and all(len(p.split()) <= 4 for p in parts)


def clean_body(text: str, title: str = "") -> str:
    """Drop furniture lines and repeated blocks; return one paragraph per line."""
    kept: list[str] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        line = " ".join(raw.split())  # as re.sub(r"\s+", " ", raw).strip(), faster
        if is_furniture(line, title):
            continue
        key = normalize_line(line)
        if key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return "\n".join(_drop_contained(kept))


def _drop_contained(paragraphs: list[str]) -> list[str]:
    """Drop a paragraph repeated inside a longer one, such as a standfirst the lead restates."""
    keys = [normalize_line(p) for p in paragraphs]
    out = []
    for i, (paragraph, key) in enumerate(zip(paragraphs, keys, strict=True)):
        if len(key.split()) >= 5 and any(
            j != i and len(other) > len(key) and key in other for j, other in enumerate(keys)
        ):
            continue
        out.append(paragraph)
    return out


def strip_markdown(text: str) -> str:
    """Turn Markdown into plain text: links keep their words, marks go."""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    return "\n".join(_MARKDOWN_MARKS.sub("", line) for line in text.splitlines())


def find_title(lines: list[str]) -> tuple[int, str]:
    """Return the index and text of the headline among an article's first lines.

    Scraped pages often put a section label first and repeat the headline (in a heading, a
    breadcrumb and an image caption): a line above the story that recurs, reads like a
    headline (no closing period) and is not boilerplate is the headline.  Otherwise the first
    line is.
    """
    counts: dict[str, int] = {}
    for line in lines:
        key = normalize_line(line)
        if key:
            counts[key] = counts.get(key, 0) + 1
    for index, line in enumerate(lines[:15]):
        stripped = line.strip()
        if _is_prose_paragraph(stripped):
            break  # the story has begun: a repeated line below here is a pull quote
        key = normalize_line(stripped)
        if (
            len(key.split()) >= 3
            and counts.get(key, 0) >= 2
            and not stripped.endswith(".")
            and not is_boilerplate(stripped)
        ):
            return index, stripped
    for index, line in enumerate(lines):
        if normalize_line(line):
            return index, line.strip()
    return 0, ""


def _is_prose_paragraph(line: str) -> bool:
    return len(line.split()) > HEADING_MAX_WORDS and bool(_PROSE_END.search(line))


def parse_plain(text: str, *, markdown: bool = False) -> ParsedText:
    """Split a .txt or .md article into headline, metadata and cleaned body."""
    from .frontmatter import read_front_matter

    front = read_front_matter(text)  # an unreadable block is reported by ingest, not here
    meta = dict(front.fields)
    text = front.body
    if markdown:
        headline = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        if headline and "title" not in meta:
            meta["title"] = headline.group(1).strip()
        text = strip_markdown(text)
    # Entities and HTML tags are not text, in a file as in a feed.
    lines = plain_text(text).splitlines()
    title = plain_title(meta.get("title"))
    if not title:
        index, title = find_title(lines)
        # Labels above the headline ("China Power") are furniture by position.
        lines = lines[index:]
    body = clean_body("\n".join(lines), title)
    raw_date = meta.get("published") or meta.get("date") or ""
    return ParsedText(
        title=title,
        body=body,
        source=plain_title(meta.get("source") or meta.get("publisher")) or None,
        url=meta.get("url") or meta.get("link"),
        published_at=parse_date(raw_date),
        published_raw=raw_date or None,
    )
