"""The stored analysis (format 10): term ids and word counts are not stored but computed again
from the sentences and the title, in the language the blob keeps, so a decoded analysis is
field for field what `analyze` gave."""

from __future__ import annotations

import numpy as np
import pytest
from fakes.analyses import assert_same_analysis
from fakes.languages import ARTICLES, article_text

from summarizers.analysis import Analysis, analyze


@pytest.mark.parametrize("lang", sorted(ARTICLES))
def test_articles_in_every_language_round_trip_with_their_terms(lang: str) -> None:
    for headline, sentences in ARTICLES[lang]:
        text = article_text(headline, sentences)
        original = analyze(text, headline, lang)
        assert original.term_ids.size > 0 and original.title_ids.size > 0
        # Other languages' terms differ from English ones: the language was used.
        assert not np.array_equal(original.term_ids, analyze(text, headline).term_ids)
        blob = original.to_bytes(text, headline, lang)
        assert_same_analysis(Analysis.from_bytes(blob, text, headline), original)
        assert len(blob) < 4 * original.term_ids.size  # no term id is stored


def test_an_analysis_is_refused_with_another_language_or_title() -> None:
    headline, sentences = ARTICLES["de"][0]
    text = article_text(headline, sentences)
    german = analyze(text, headline, "de")
    with pytest.raises(ValueError, match="language"):
        german.to_bytes(text, headline)  # English: other terms
    with pytest.raises(ValueError, match="title"):
        german.to_bytes(text, "Ein anderer Titel über Schiffe", "de")


def test_a_blob_read_after_the_tokeniser_changed_gives_the_terms_of_now() -> None:
    # The title's terms are computed on read: a title with other terms (as after a stop-word
    # list or stemmer upgrade) gives its terms of now, never an unreadable article.
    text = "The council approved the harbour budget. Work starts in May."
    blob = analyze(text, "Harbour budget approved").to_bytes(text, "Harbour budget approved")
    read = Analysis.from_bytes(blob, text, "Budget")
    assert read.title_ids.tolist() == analyze(text, "Budget").title_ids.tolist()
    assert read.sentences == analyze(text, "Budget").sentences


def test_paragraph_steps_past_sixteen_and_a_late_first_paragraph_round_trip() -> None:
    # Bylines are paragraphs without a sentence: the first sentence is in paragraph 1, and
    # the next one 20 paragraphs later, a step too big to share the flag byte.
    bylines = "\n\n".join(["By Jane Doe"] * 20)
    text = f"By John Roe\n\nDid the council approve it? “Yes,” he said.\n\n{bylines}\n\nIt did."
    original = analyze(text, "Council")
    assert original.paragraphs.tolist()[0] == 1 and np.diff(original.paragraphs).max() > 16
    assert original.flags.any()
    assert_same_analysis(
        Analysis.from_bytes(original.to_bytes(text, "Council"), text, "Council"), original
    )


def test_english_keeps_no_language_code_and_decodes_the_same() -> None:
    text = "The council approved the harbour budget. Work starts in May."
    for lang in (None, "en", "en-GB"):
        original = analyze(text, "Harbour budget", lang)
        blob = original.to_bytes(text, "Harbour budget", lang)
        assert blob == analyze(text, "Harbour budget").to_bytes(text, "Harbour budget")
        assert_same_analysis(Analysis.from_bytes(blob, text, "Harbour budget"), original)
    german = analyze(text, "Harbour budget", "de").to_bytes(text, "Harbour budget", "de")
    assert len(german) == len(blob) + 2  # "de"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # Gaps of one space and steps of 0-1: both in the flag byte (width code 3).
        ("It rained. The river rose.\n\nRoads closed.", (3, 3)),
        # A dateline left out before the sentence: a gap of 21, in its own byte.
        ("SEOUL, South Korea — North Korea fired a missile. It fell into the sea.", (0, 3)),
        # Five byline paragraphs between sentences: a step of 6, in the flag byte, not the gap.
        ("It rained.\n\n" + "By Jane Doe\n\n" * 5 + "Roads closed.", (0, 3)),
    ],
)
def test_each_way_of_storing_gaps_and_steps_round_trips(text: str, codes: tuple[int, int]) -> None:
    original = analyze(text, "Weather")
    blob = original.to_bytes(text, "Weather")
    widths = blob[2]
    assert (widths & 3, widths >> 4 & 3) == codes  # (gaps, steps): 3 is "in the flag byte"
    assert_same_analysis(Analysis.from_bytes(blob, text, "Weather"), original)


def test_a_damaged_widths_byte_or_literal_list_is_a_value_error() -> None:
    """Whatever a damaged blob holds, decoding it raises ValueError (the reads analyse the
    article again), never IndexError or TypeError (which would fail the briefing)."""
    import json

    text = "Police  arrived  at  noon.  Roads closed.\n\nThe river rose."  # spacing collapsed
    original = analyze(text, "Flood")
    blob = original.to_bytes(text, "Flood")
    literals = [s for s in original.sentences if s not in text]
    assert literals  # stored as literals, not as slices of the text
    listed = json.dumps(literals, ensure_ascii=False).encode("utf-8")
    assert listed in blob
    for damaged in (
        blob[:2] + bytes([blob[2] | 3 << 2]) + blob[3:],  # lengths "in the flag byte"
        blob[:2] + bytes([blob[2] & ~(3 << 4) | 3]) + blob[3:],  # gaps there, steps not
        blob.replace(listed, b"[" + b"1" * (len(listed) - 2) + b"]"),  # a list of a number
        blob.replace(listed, b"{" + b" " * (len(listed) - 2) + b"}"),  # no list
    ):
        with pytest.raises(ValueError):
            Analysis.from_bytes(damaged, text, "Flood")
