"""Turn what a feed or page calls a title, a name or a text into plain text.

Feeds and pages escape their text in every way at once: HTML entities (`&amp;`, `&#8220;`,
`&#x2019;`), entities escaped twice or three times (`&amp;amp;`, `&amp;#8217;`), markup in
titles (Atom `type="html"`, RSS titles holding `&lt;b&gt;`), CDATA sections, and hard line
breaks inside a headline.  Everything briefbot stores passes through here, so no entity, tag or
raw newline from a source ever reaches a briefing, a list or a chat message.

Only the names of HTML elements count as tags (the element index of the HTML Living Standard,
https://html.spec.whatwg.org/multipage/indices.html#elements-3): a `<` that opens anything else
(`x < y`, `<T>`, Slack's `<https://…|label>`, `<!channel>`, `<@U123>`) is text and stays.
"""

from __future__ import annotations

import html
import re

# Unescaping stops after this many rounds even if the text still changes: escaping nests a
# few levels deep in the wild, never more, and the bound keeps crafted input linear.
MAX_UNESCAPE_ROUNDS = 6

_ELEMENTS = frozenset(
    """
    a abbr acronym address area article aside audio b base basefont bdi bdo big blink blockquote
    body br button canvas caption center cite code col colgroup data datalist dd del details dfn
    dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1
    h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link
    main map mark marquee math menu meta meter nav nobr noembed noframes noscript object ol
    optgroup option output p param picture plaintext pre progress q rp rt ruby s samp script
    search section select slot small source span strike strong style sub summary sup svg table
    tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp
    """.split()
)
# Elements whose content is never text a reader sees.
_HIDDEN = ("script", "style", "template", "noscript", "iframe", "object", "svg", "math")
# Elements that end a paragraph: in a text they become a line break.
_BLOCKS = frozenset(
    """
    address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1
    h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul
    """.split()
)

_NAME = r"(?:[A-Za-z][\w.-]*:)?([A-Za-z][A-Za-z0-9]*)"  # an optional namespace prefix (xhtml:b)
# `<name`, then whitespace, `/` or `>` right after the name: `<https://…>` is not a tag.
_TAG = re.compile(r"</?" + _NAME + r"(?=[\s/>])(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>")
_HIDDEN_OPEN = re.compile(
    r"<(?:[A-Za-z][\w.-]*:)?(" + "|".join(_HIDDEN) + r")\b[^>]*>", re.IGNORECASE
)
_HIDDEN_CLOSE = {
    name: re.compile(r"</(?:[A-Za-z][\w.-]*:)?" + name + r"\s*>", re.IGNORECASE) for name in _HIDDEN
}
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|\Z)", re.DOTALL)
_DECLARATION = re.compile(r"<!(?:DOCTYPE|doctype)\b[^>]*>|<\?[^>]*\?>")
# Entities with their closing semicolon, and the five everyday ones written without it
# ("AT&amp T"); other names without a semicolon are left alone ("Fish &notes" stays).
_ENTITY = re.compile(
    r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};|(?:amp|lt|gt|quot|nbsp)\b)"
)
# Invisible characters that only break words apart or glue them: soft hyphen, zero-width
# space/joiners, word joiner, byte-order mark; and the bidirectional embeddings, overrides and
# isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): one left open in a headline or sentence
# turns the rest of the line around wherever it is shown, e.g. the other sources after it on
# a chat message's "Sources:" line.  Without them text still reads in order (mixed-direction
# text in the Unicode Bidirectional Algorithm's default order); the marks LRM, RLM and ALM,
# which open nothing, stay.
_INVISIBLE_CHARS = (
    "\u00ad\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))
# Unicode category Cc but tab and line feed: C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


def plain_title(value: str | None) -> str:
    """Return a title or name as one line of plain text.

    Entities are decoded (repeatedly, for double escapes), tags and CDATA markers removed, and
    every run of whitespace, line breaks included, folded into one space.  `None` gives "".
    """
    if not value:
        return ""
    return " ".join(_unmark(value, blocks=False).split())  # as re.sub(r"\s+", " ", …), faster


def plain_text(value: str | None, *, html: bool = False) -> str:
    """Return an article text as plain text, one paragraph per line.

    Like `plain_title`, but block elements (`<p>`, `<br>`, `<li>`…) end paragraphs, and so do
    line breaks unless `html` says the value is HTML source (where a line break is a space).
    Spaces inside a paragraph are folded and blank lines dropped.
    """
    if not value:
        return ""
    if html:
        value = _LINE_BREAK.sub(" ", value)
    text = _unmark(value, blocks=True)
    # str.split() splits at exactly the characters `\s` matches: this folds each run of
    # spaces inside a line (no "\n" is left in one) like re.sub(r"[^\S\n]+", " ", …),
    # several times faster.
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _unmark(value: str, *, blocks: bool) -> str:
    """Remove markup and decode entities until neither changes anything (bounded)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    for _ in range(MAX_UNESCAPE_ROUNDS):
        stripped = _strip_markup(text, blocks=blocks)
        decoded = _ENTITY.sub(_decode_entity, stripped)
        if decoded == text:
            break
        text = decoded
    # A last pass: the final decoding may have revealed markup (`&lt;b&gt;` six levels deep).
    text = _strip_markup(text, blocks=blocks)
    if any(c in text for c in _INVISIBLE_CHARS):  # str.translate is slow: only when needed
        text = text.translate(_INVISIBLE)
    text = text.replace("\u00a0", " ")
    # Control characters are never text; tabs and line breaks are whitespace, folded later.
    return _CONTROL.sub(" ", text)


def _decode_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def _drop_hidden(text: str) -> str:
    """Remove script, style and the like with their content, in one pass (linear time)."""
    parts: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # no closing tag after some point: none after any later one
    while match := _HIDDEN_OPEN.search(text, pos):
        name = match.group(1).lower()
        parts.append(text[pos : match.start()])
        close = None if name in unclosed else _HIDDEN_CLOSE[name].search(text, match.end())
        if close is None:
            unclosed.add(name)
            pos = match.end()  # an unclosed one: only the tag goes
        else:
            parts.append(" ")
            pos = close.end()
    parts.append(text[pos:])
    return "".join(parts)


def _strip_markup(text: str, *, blocks: bool) -> str:
    if "<" not in text:
        return text
    text = _CDATA.sub(lambda m: m.group(1), text)
    text = _COMMENT.sub("", text)
    text = _DECLARATION.sub(" ", text)
    text = _drop_hidden(text)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name not in _ELEMENTS:
            return match.group(0)
        return ("\n" if blocks else " ") if name in _BLOCKS else ""

    return _TAG.sub(replace, text)
