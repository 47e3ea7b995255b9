"""Text-fragment links (WICG Text Fragments): percent-encoded, cut at a word, appended right."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from bot.models import Source
from bot.textfragment import FRAGMENT_WORDS, fragment_text, source_url, with_text_fragment

# After `text=`, only letters, digits, `.` and percent escapes: no raw `-`, `&`, `,`, space.
WELL_FORMED = re.compile(r"#(?:[^#]*:~:)text=(?:[A-Za-z0-9.]|%[0-9A-F]{2})+$")


def test_the_directive_encodes_dash_ampersand_comma_and_spaces() -> None:
    url = with_text_fragment("https://n.test/a?x=1", "Cross-party deal, £5m & ~more_, agreed")
    assert WELL_FORMED.search(url), url
    text = url.split(":~:text=", 1)[1]
    assert "%2D" in text and "%2C" in text and "%26" in text and "%20" in text
    assert unquote(text) == "Cross-party deal, £5m & ~more_, agreed"


def test_the_start_is_cut_at_a_word_boundary() -> None:
    sentence = "The Northport harbour bridge reopened to traffic on Monday after eleven weeks."
    start = fragment_text(sentence)
    assert sentence.startswith(start)
    assert len(start.split()) == FRAGMENT_WORDS
    assert sentence[len(start)] == " "
    long_word = "x" * 200
    assert fragment_text(f"Hi {long_word}") == "Hi"


def test_an_existing_fragment_is_kept() -> None:
    url = with_text_fragment("https://n.test/a#para-3", "Talks resumed.")
    assert url == "https://n.test/a#para-3:~:text=Talks%20resumed"


def test_a_source_links_to_its_evidence_only_when_it_has_a_url_and_evidence() -> None:
    assert source_url(Source(1, "T", None, evidence="Talks resumed.")) is None
    assert source_url(Source(1, "T", "https://n.test/a")) == "https://n.test/a"
    linked = source_url(Source(1, "T", "https://n.test/a", evidence="Talks resumed."))
    assert linked == "https://n.test/a#:~:text=Talks%20resumed"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "ftp://h/x",
    ],
)
def test_a_source_that_is_not_a_web_address_never_links(url: str) -> None:
    from datetime import UTC, datetime

    from bot.models import Briefing, Bullet
    from bot.render import briefing_markdown

    source = Source(1, "Harbour reopens", url, evidence="The harbour reopened.")
    assert source_url(source) is None
    bullet = Bullet("The harbour reopened.", (source,))
    briefing = Briefing("Briefing", datetime(2026, 12, 1, tzinfo=UTC), None, (bullet,))
    markdown = briefing_markdown(briefing)
    assert "Harbour reopens" in markdown and "](" not in markdown
