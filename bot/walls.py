"""Recognise pages that are not articles: walls, error pages and section fronts.

A page can answer 200 and still hold no story: a cookie/consent wall, a paywall stub, a
"please enable JavaScript" notice, an error page ("Page not found"), or a section front made of
teasers to other stories.  Stored, each would become a top bullet.  The rules describe kinds,
not sites:

- **Walls speak to the reader.**  A wall sentence addresses the reader (you, your, we, our,
  or opens with a command such as "Subscribe", "Please", "Log in") and uses two words of the
  vocabulary of its kind (consent, subscription, browser, error); a short line (a heading or
  a button) needs one.  News about cookies or paywalls reports in the third person, so it
  keeps its article.  A page whose text is mostly wall sentences, with too little else to be
  an article, is refused; wall paragraphs at the start or end of a real article are trimmed.
- **Terse walls.**  A page too short to be a story (under MIN_ARTICLE_WORDS) that speaks to
  the reader and uses two telling words of one wall's vocabulary anywhere is that wall
  ("This site uses cookies. By continuing…", "Something went wrong. Try again later.").
- **Error pages** are also known by their title ("Page not found", "404") when the text is
  short.
- **Section fronts** are known by structure: each paragraph sits in its own teaser under a
  link to a different page, and the paragraphs share almost no words with each other (an
  article's paragraphs repeat its names and subjects).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

# Fewer words than this outside the wall, and the page is not an article.
MIN_ARTICLE_WORDS = 60
# A page whose countable words are at least this share wall sentences is a wall.
WALL_SHARE = 0.5
# A page under MIN_ARTICLE_WORDS that speaks to the reader is a wall with this many telling words.
SHORT_PAGE_TERMS = 2
# A line this short is a heading or a button: vocabulary alone makes it a wall line.
SHORT_LINE_WORDS = 10
# Section fronts: at least this many teasers, mostly under their own link, and paragraphs
# sharing less than this share of their words with the others.
MIN_TEASERS = 4
TEASER_SHARE = 0.6
MAX_TEASER_COHESION = 0.15
HEADLINE_LINK_WORDS = 3

REASONS = {
    "consent": "a cookie consent page, not an article",
    "paywall": "a paywall (only a subscription offer), not an article",
    "browser": "a browser check ('please enable JavaScript'), not an article",
    "error": "an error page ('page not found'), not an article",
    "front": "a section front of teasers to other stories, not an article",
}

_VOCABULARY = {
    "consent": (
        r"cookies?",
        r"consent",
        r"privacy",
        r"personal (?:data|information)",
        r"personali[sz](?:ed|e|ation)",
        r"partners|vendors|third[- ]part(?:y|ies)",
        "~" r"(?:accept|reject|allow|decline|refuse)(?: all)?",
        r"(?:manage|change|update) (?:your |my )?(?:choices|preferences|settings|options)",
        "~" r"device|identifiers?",
        "~" r"tracking|trackers?",
        r"legitimate interests?",
        r"opt[- ]?(?:out|in)",
        "~" r"advertising|ads",
        r"by (?:continuing|using|clicking|browsing)|agree(?:ing)? to|use of cookies",
    ),
    "paywall": (
        r"subscri(?:be|bed|ber|bers|bing|ption|ptions)",
        r"(?:sign|log)(?:ged)? ?in|sign ?up|create (?:a |an )?(?:free )?account|register",
        "~" r"newsletters?",
        r"free (?:articles?|stories)|(?:articles?|stories) (?:left|remaining)|reading limit",
        r"become a (?:member|subscriber)|membership",
        r"unlimited (?:digital )?access|full access",
        r"(?:continue|keep) reading|read the (?:full|rest|whole)",
        r"(?:read|unlock|access) (?:this|the) (?:article|story)",
        r"free trial|introductory offer|special offer",
        r"cancel (?:at )?any ?time|cancel online",
        r"premium|members?[- ]only|exclusive (?:to|for) (?:subscribers|members)",
        r"paywall",
        "~" r"journalism",
    ),
    "browser": (
        r"java ?script|js",
        r"browsers?",
        r"ad[- ]?block(?:er|ers|ing)?",
        "~" r"(?:enable|turn on|activate|allow|disable|turn off|whitelist|allowlist)",
        r"cookies? (?:are|is) (?:disabled|blocked)",
        r"(?:not|no longer) supported|unsupported",
        r"(?:update|upgrade) (?:your )?browser|another browser|supported browser",
        r"(?:reload|refresh) (?:the|this) page",
        r"checking (?:your|the|if) (?:browser|connection)|security (?:check|verification)",
        r"(?:are|you're|you are)(?: not)? (?:a )?(?:human|robot)|captcha|redirect(?:ed|ing)?",
    ),
    "error": (
        r"not found|page not found",
        "~" r"404|410|500|503",
        r"(?:does not|doesn't|no longer|did not) exists?",
        r"(?:been|was|were|has|have) (?:moved|removed|deleted|renamed|withdrawn|taken down)",
        r"(?:page|content|article|story|link) you (?:requested|wanted|were looking for)",
        r"(?:broken|mistyped|incorrect|outdated) (?:link|url|address)",
        r"(?:link|url|address) (?:you )?(?:followed|clicked|typed|entered)",
        "~" r"(?:home|front) ?page",
        r"(?:go|head|get|return) (?:back )?to (?:the|our) (?:home|front) ?page",
        r"something went wrong",
        "~" r"error",
        r"try (?:again|a search|searching)|search (?:our|the) site",
        r"access denied|forbidden",
        "~" r"(?:un|not |no longer )available",
        # "can't find", "can't seem to find", "could not be found"
        r"(?:can ?not|can't|could ?not|couldn't|unable to)(?: seem to| be)? (?:find|found|locate)",
        "~" r"looking for",
    ),
}
# Terms marked "~" are everyday words too: they count in a sentence that speaks to the
# reader, never alone across a whole short page.
_TERMS = {
    kind: [re.compile(rf"\b(?:{term.lstrip('~')})\b", re.IGNORECASE) for term in terms]
    for kind, terms in _VOCABULARY.items()
}
_STRONG_TERMS = {
    kind: [t for t, term in zip(_TERMS[kind], terms, strict=True) if not term.startswith("~")]
    for kind, terms in _VOCABULARY.items()
}
_ADDRESS = re.compile(r"\b(?:you|your|yours|you're|you've|we|our|ours|us|we're|we've)\b", re.I)
# A command opens the sentence, perhaps after a purpose clause ("To keep reading, become…").
_COMMAND = re.compile(
    r"^\W*(?:(?:to|for|if)\b[^,]{0,60},\s*)?"
    r"(?:please|subscribe|sign (?:in|up)|log ?in|register|click|tap|accept|reject|manage|"
    r"enable|turn on|disable|continue|already|go back|return|try|search|upgrade|update|"
    r"reload|refresh|start|get|join|become|keep|support|select|choose|use)\b",
    re.IGNORECASE,
)
_ERROR_TITLE = re.compile(
    r"(?<![\w$€£¥,.])(?:40[0-9]|50[0-9])(?![\w,.%])|"
    r"\b(?:page|article|story|content) (?:not found|unavailable)\b|"
    r"^\W*(?:not found|error|oops|sorry|access denied|forbidden|gone)\b",
    re.IGNORECASE,
)
# "Oops! That page can't be found.": longer, so it must name the page and say it is missing.
_MISSING_TITLE = re.compile(
    r"\b(?:page|article|story|content)\b.{0,20}\b(?:can't|cannot|could not|couldn't) be found\b",
    re.IGNORECASE,
)
_TITLE_PARTS = re.compile(r"\s+[|–—·:-]\s+|\s*[|–—·]\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘'(]?[A-Z0-9])")
_PROSE_END = re.compile(r"[.!?…:;\"”’)\]]$")
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")
_STOP = frozenset(
    """
    about after also been before being between could does from have having into just more most
    much only other over said says same some such than that their them then there these they
    this those through under until very were what when where which while will with would year
    years your first last next week today told three four five
    """.split()
)


# Typographic apostrophes read as straight ones ("can’t" is "can't").
_APOSTROPHES = str.maketrans("\u2019\u2018\u02bc", "'''")


def is_error_title(title: str | None) -> bool:
    """Tell whether a page title names an error ("404 | Site", "Page not found", "Error").

    Only a short first part counts (4 words; 8 for "… page can't be found"), so a headline
    such as "404 jobs to go at paper mill" is not one.
    """
    first = _TITLE_PARTS.split((title or "").translate(_APOSTROPHES).strip(), maxsplit=1)[0]
    words = len(first.split())
    return (words <= 4 and bool(_ERROR_TITLE.search(first))) or (
        words <= 8 and bool(_MISSING_TITLE.search(first))
    )


def _sentences(line: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(line) if s.strip()]


def _wall_kind(sentence: str, short: bool) -> str | None:
    """The kind of wall a sentence belongs to, if it is one."""
    if not (short or _ADDRESS.search(sentence) or _COMMAND.search(sentence)):
        return None
    hits = {kind: sum(1 for t in terms if t.search(sentence)) for kind, terms in _TERMS.items()}
    kind, count = max(hits.items(), key=lambda item: item[1])
    # A heading or button needs one word of its kind; a sentence two (so "We will not accept
    # this," a quoted union leader, stays story text).
    return kind if count >= (1 if short else 2) else None


def _line_kinds(line: str) -> list[tuple[str | None, int]]:
    """(wall kind or None, words) for each sentence of one line of text."""
    if _is_short_line(line.strip()):
        return [(_wall_kind(line, True), len(line.split()))]
    return [(_wall_kind(s, False), len(s.split())) for s in _sentences(line)]


def wall_reason(title: str, text: str) -> str | None:
    """Say why an extracted page text is a wall or an error page, or None if it may be an article.

    `text` is the page's extracted text, one block per line, before furniture is removed.
    Returns a reason from REASONS ("a cookie consent page, not an article", …).
    """
    text = text.translate(_APOSTROPHES)
    wall: Counter[str] = Counter()
    other = 0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        short = _is_short_line(line)
        for kind, words in _line_kinds(line):
            if kind is not None:
                wall[kind] += words
            elif not short:
                other += words  # headings and labels that are not wall count for nothing
    total = sum(wall.values()) + other
    if other < MIN_ARTICLE_WORDS:
        if wall and sum(wall.values()) >= WALL_SHARE * total:
            return REASONS[wall.most_common(1)[0][0]]
        if other < MIN_ARTICLE_WORDS // 3 and is_error_title(title):
            return REASONS["error"]
        # Too short to be a story, speaking to the reader in a wall's words: a terse wall.
        kind = _vocabulary_kind(text)
        if kind is not None and _speaks_to_reader(text):
            return REASONS[kind]
    return None


def _speaks_to_reader(text: str) -> bool:
    return bool(_ADDRESS.search(text)) or any(
        _COMMAND.search(s) for line in text.splitlines() for s in _sentences(line)
    )


def _vocabulary_kind(text: str) -> str | None:
    """The wall kind two or more of whose telling words the text uses anywhere, if any."""
    hits = {kind: sum(1 for t in terms if t.search(text)) for kind, terms in _STRONG_TERMS.items()}
    kind, count = max(hits.items(), key=lambda item: item[1])
    return kind if count >= SHORT_PAGE_TERMS else None


def trim_walls(text: str) -> str:
    """Drop wall paragraphs (banners, subscription pitches) from the start and end of a text.

    A paragraph is a wall when most of its words are in wall sentences; headings and buttons
    between wall paragraphs go with them.  Paragraphs inside the article are left alone: a
    story may quote a banner it reports on.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]

    def is_wall(line: str) -> bool:
        kinds = _line_kinds(line.translate(_APOSTROPHES))
        walled = sum(words for kind, words in kinds if kind is not None)
        return walled * 2 > sum(words for _, words in kinds)

    def edge(ordered: list[str]) -> int:
        """How many lines from the edge are wall: headings and buttons go with their wall."""
        cut = 0
        for index, line in enumerate(ordered):
            if _is_short_line(line):
                continue  # a heading between walls, or the story's headline: decided by others
            if not is_wall(line):
                break
            cut = index + 1
        return cut

    start = edge(lines)
    end = len(lines) - edge(lines[::-1])
    return "\n".join(lines[start:end]) if start < end else ""


def page_reason(html: str | bytes, text: str) -> str | None:
    """Say why a web page is not an article by its structure, or None.

    Looks at the HTML for a section front (teasers each under their own link to another
    page, sharing few words) and, when `text` (the extracted article) is short, for an
    error title, a page whose only text asks for JavaScript (`<noscript>`), or a list of
    headlines.  Returns a reason from REASONS.
    """
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, TypeError, lxml.etree.ParserError):
        return None
    short = _prose_words(text) < MIN_ARTICLE_WORDS
    if short:
        # The page's title, or its first heading (many soft-404 pages have only the latter).
        titles = root.xpath("//title|//h1")
        if any(is_error_title(t.text_content()) for t in titles[:2]):
            return REASONS["error"]
        notices = " ".join(n.text_content() for n in root.iter("noscript"))
        if _TERMS["browser"][0].search(notices):
            return REASONS["browser"]
    for hidden in root.xpath("//script|//style|//nav|//header|//footer|//aside|//noscript"):
        hidden.drop_tree()
    if _is_section_front(root, short):
        return REASONS["front"]
    return None


def _is_short_line(line: str) -> bool:
    """A heading, label or button: few words, not ending like a sentence."""
    return len(line.split()) <= SHORT_LINE_WORDS and not _PROSE_END.search(line)


def _prose_words(text: str) -> int:
    return sum(len(line.split()) for line in text.splitlines() if not _is_short_line(line.strip()))


def _words(element: Any) -> list[str]:
    return element.text_content().split()


def _text(element: Any) -> str:
    return element.text_content().strip()


def _is_section_front(root: Any, short: bool) -> bool:
    # Prose blocks: eight words or more, not a container of blocks, not mostly link text.
    blocks = [
        b
        for b in root.iter("p", "li", "dd", "blockquote")
        if len(words := _words(b)) >= 8
        and not b.xpath(".//p|.//li")
        and 2 * sum(len(_words(a)) for a in b.iter("a")) < len(words)
    ]
    headlines = {
        a for a in root.iter("a") if a.get("href") and len(_words(a)) >= HEADLINE_LINK_WORDS
    }
    if short and len({a.get("href") for a in headlines}) >= 2 * MIN_TEASERS and len(blocks) <= 2:
        return True  # a bare list of headlines
    if len(blocks) < MIN_TEASERS:
        return False
    first_headline: dict[Any, str | None] = {}  # element -> href of its first headline link

    def first_in(node: Any) -> str | None:
        if node not in first_headline:
            found = next((a for a in node.iter("a") if a in headlines), None)
            first_headline[node] = found.get("href") if found is not None else None
        return first_headline[node]

    def owner(block: Any) -> str | None:
        """The link a block is a teaser for: the first headline link of its nearest teaser."""
        inside = block.xpath("ancestor::a[@href]")
        if inside:
            return inside[0].get("href")  # the whole card is one link
        own = first_in(block)
        if own is not None:
            # A block is its own teaser only when it opens with the link ("<li><a>…</a> – …").
            link = next(a for a in block.iter("a") if a.get("href") == own)
            return own if block.text_content().strip().startswith(_text(link)) else None
        node = block.getparent()
        for _ in range(3):
            if node is None:
                return None
            if (href := first_in(node)) is not None:
                return href
            node = node.getparent()
        return None

    owner_of = [owner(b) for b in blocks]
    owners = Counter(owner_of)
    own = sum(1 for o in owner_of if o is not None and owners[o] == 1)
    if len(owners) < MIN_TEASERS or own < TEASER_SHARE * len(blocks):
        return False
    return cohesion([" ".join(_words(b)) for b in blocks]) < MAX_TEASER_COHESION


def cohesion(paragraphs: list[str]) -> float:
    """Mean share of a paragraph's content words that another paragraph also uses (0..1).

    An article's paragraphs repeat its names and subjects (0.18 at the lowest, 0.36 typical,
    over 1,300 news articles of the evaluation sets); unrelated teasers share almost nothing.
    """
    sets = [
        {w.casefold() for w in _CONTENT_WORD.findall(p)} - _STOP for p in paragraphs if p.strip()
    ]
    sets = [s for s in sets if s]
    if len(sets) < 2:
        return 1.0
    counts: Counter[str] = Counter(w for s in sets for w in s)
    return sum(sum(1 for w in s if counts[w] > 1) / len(s) for s in sets) / len(sets)
