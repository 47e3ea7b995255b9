"""Titles, names and texts become plain text: entities decoded, markup gone, spacing folded."""

from __future__ import annotations

import pytest

from bot.plaintext import plain_text, plain_title


@pytest.mark.parametrize(
    "raw, plain",
    [
        # Named, numeric and hex entities.
        ("Salt &amp; pepper", "Salt & pepper"),
        ("&#8220;Yes&#8221; vote", "“Yes” vote"),
        ("&#x201C;Hex&#x201D; &eacute;t&eacute;&hellip;", "“Hex” été…"),
        # Escaped twice and three times.
        ("Rock &amp;amp; roll", "Rock & roll"),
        ("Valley &amp;amp;amp; Hills", "Valley & Hills"),
        ("It&amp;#8217;s over", "It’s over"),
        ("&amp;lt;b&amp;gt;Bold&amp;lt;/b&amp;gt; claim", "Bold claim"),
        # Markup in titles: tags, escaped tags, CDATA, namespaced xhtml, comments.
        ("Council <b>approves</b> budget", "Council approves budget"),
        ("Council &lt;em&gt;votes&lt;/em&gt; today", "Council votes today"),
        ("<![CDATA[Port &amp; rail strike]]>", "Port & rail strike"),
        ('<xhtml:div xmlns:xhtml="x">Tide <xhtml:i>turns</xhtml:i></xhtml:div>', "Tide turns"),
        ("Half<!-- hidden -->way", "Halfway"),
        # Script and style are never text, escaped or not, closed or not.
        ("Budget <script>alert('x')</script>passes", "Budget passes"),
        ("Budget &lt;script&gt;steal()&lt;/script&gt; passes", "Budget passes"),
        ("Council approves budget <script>", "Council approves budget"),
        # Line breaks, tabs, no-break and invisible spaces inside a title fold into one space.
        ("Storm\n  hits\tcoast", "Storm hits coast"),
        ("Storm&nbsp;hits\u00a0coast\u200b", "Storm hits coast"),
    ],
)
def test_titles_become_one_line_of_plain_text(raw: str, plain: str) -> None:
    assert plain_title(raw) == plain


@pytest.mark.parametrize(
    "text",
    [
        "Why 3 < 5 and 7 > 2 matter",
        "Generics: List<T> explained",
        "AT&T and R&D, Fish &notes",
        "Read <https://example.com/a|the notice> and tell <!channel> and <@U123>",
        "Rates rise 5% &c",
    ],
)
def test_text_that_only_looks_like_markup_stays(text: str) -> None:
    assert plain_title(text) == text


def test_texts_keep_their_paragraphs_but_no_markup() -> None:
    html = (
        "<p>First &amp; foremost,\n  the lead.</p><p>Second<br>line</p>"
        "<style>p { color: red }</style><ul><li>Item one</li><li>Item two</li></ul>\n\n\n"
    )
    assert plain_text(html, html=True) == (
        "First & foremost, the lead.\nSecond\nline\nItem one\nItem two"
    )


def test_in_plain_text_a_line_break_ends_a_paragraph_even_beside_markup() -> None:
    text = "First line &amp; more\nSecond line<br>third\n\n  Fourth"
    assert plain_text(text) == "First line & more\nSecond line\nthird\nFourth"


def test_plain_text_is_idempotent() -> None:
    once = plain_text("<p>A &amp;amp; B</p><p>&#8220;C&#8221;</p>")
    assert plain_text(once) == once == "A & B\n“C”"


def test_escaping_nested_beyond_reason_still_ends() -> None:
    deep = "&" + "amp;" * 40 + "lt;b&gt;x"
    assert "<b>" not in plain_title(deep)


def test_nothing_gives_empty() -> None:
    assert plain_title(None) == plain_title("") == plain_text(None) == ""


# Every character `\s` matches, and a few that look like spaces but are not whitespace.
SPACES = "".join(c for c in map(chr, range(0x3000 + 1)) if c.isspace()) + "\u200b\u2060\ufeff"


def test_a_direction_override_left_open_never_turns_the_rest_of_a_line_around() -> None:
    # An unclosed RLO in a headline would show every source after it on a chat message's
    # "Sources:" line reversed; embeddings, overrides and isolates go, marks stay.
    opened = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert plain_title(f"Herald: toll {opened}passes") == "Herald: toll passes"
    assert plain_text("The toll\u202e passes.\nIt costs \u2067two\u2069 dollars.") == (
        "The toll passes.\nIt costs two dollars."
    )
    marked = "\u05e9\u05dc\u05d5\u05dd\u200f 31\u200e \u0627\u0644\u061c"
    assert plain_title(marked) == marked


def test_spaces_fold_exactly_as_the_regular_expressions_did() -> None:
    # plain_text / plain_title fold with str.split (faster); it must split at exactly the
    # characters the expressions `[^\S\n]+` (within a line) and `\s+` matched.
    import re

    within_line, anywhere = re.compile(r"[^\S\n]+"), re.compile(r"\s+")
    for space in SPACES:
        for text in (f"a{space}b", f"{space}a  b{space}{space}c{space}", f"x {space} y\tz"):
            assert " ".join(text.split()) == anywhere.sub(" ", text).strip(), repr(space)
            for line in text.split("\n"):
                assert " ".join(line.split()) == within_line.sub(" ", line).strip(), repr(space)
    assert plain_text("a\u2028b\u00a0 c\n\n d\u200b e") == "a b c\nd e"
    assert plain_title(" A\u3000headline\u0085here ") == "A headline here"
