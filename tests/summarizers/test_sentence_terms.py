"""The whole-text term ids of `analyze` (`sentence_terms`) against the per-sentence definitions."""

from __future__ import annotations

import numpy as np
import pytest
from fakes.analyses import definition, per_sentence

from summarizers import text
from summarizers.analysis import analyze, sentence_flags, strip_opener, word_count
from summarizers.text import (
    lang_term_ids,
    sentence_terms,
    split_sentences,
    term_ids,
)
from summarizers.vectors import TermSpace

TRICKY = [
    "Police said the U.S.-led coalition’s well-known plan wasn't new.",
    "“Why now?” Xi asked, as rock'n'roll fans' cheers rose — 5.5% of 2,000.",
    "",
    " ",
    "— … !!",
    "ΟΔΟΣ ΑΘΗΝΑΣ: Η ΟΔΟΣ ΕΙΝΑΙ ΚΛΕΙΣΤΗ.",  # Greek capital sigma lower-cases by its context
    "東京都は2024年に新しい計画を発表した。",  # CJK in English mode: wide chunks
    "Mixed 東京 Tokyo, ’quoted’ and 'quoted' words_with_underscores.",
    "It's the end.",
]


def reference(sentences: list[str], lang: str | None = None) -> tuple[list[int], list[int]]:
    """Term ids back to back and bounds, one sentence at a time (the definition)."""
    ids: list[int] = []
    bounds = [0]
    for sentence in sentences:
        ids.extend(lang_term_ids(sentence, lang))
        bounds.append(len(ids))
    return ids, bounds


def assert_same(sentences: list[str], lang: str | None = None) -> None:
    found = sentence_terms(sentences, lang)
    ids, bounds = reference(sentences, lang)
    assert found.ids.dtype == np.uint32 and found.bounds.dtype == np.int32
    assert found.ids.tolist() == ids
    assert found.bounds.tolist() == bounds
    assert found.words.tolist() == [len(s.split()) for s in sentences]
    assert found.words.dtype == np.int32


@pytest.mark.parametrize("lang", [None, "en", "de", "ja"])
def test_sentence_terms_equal_per_sentence_term_ids_cold_and_warm(lang: str | None) -> None:
    text._CHUNK_IDS.clear()
    text._CHUNK_TERMS.clear()
    assert_same(TRICKY, lang)  # every chunk new
    assert_same(TRICKY, lang)  # every chunk cached
    assert_same(list(reversed(TRICKY)), lang)


def test_sentence_terms_of_no_sentence_and_of_empty_ones() -> None:
    assert_same([])
    assert_same([""])
    assert_same(["", "", "Police arrived."])  # few sentences: one at a time
    assert_same(["", "", "Police arrived.", "", "It rained.", "", ""] * 2)  # many: the chunks


def test_the_separator_never_leaks_even_from_a_text_that_holds_it() -> None:
    sentences = ["Police \x00 arrived.", "\x00", "Officials said \x00\x00 little."]
    assert_same(sentences * 4)
    assert_same(["Police arrived.", "Officials said little."] * 4)


@pytest.mark.parametrize("copies", [1, 8])  # one at a time, and through the chunks
def test_wide_is_set_for_cjk_only(copies: int) -> None:
    english = ["Police arrived at 5 p.m. — “late”."] * copies
    assert sentence_terms([*english, "東京都は計画を発表した。"], None).wide
    assert sentence_terms(["東京都は計画を発表した。"] * copies, "ja").wide
    assert not sentence_terms(english, None).wide


def test_an_emptied_cache_gives_the_same_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "_CHUNK_IDS_MAX", 5)
    sentences = TRICKY + split_sentences(" ".join(TRICKY))
    for _ in range(3):
        assert_same(sentences)
    assert len(text._CHUNK_IDS) < 5 + len(" ".join(sentences).split()) + len(sentences)
    # Past the bound the cache is emptied: another text's chunks are gone after these.
    assert_same([f"Zebra{n} grazed near quokka{n}." for n in range(8)])
    assert "Zebra0" in text._CHUNK_IDS
    assert_same(sentences)
    assert "Zebra0" not in text._CHUNK_IDS


def test_analyze_matches_the_per_sentence_features() -> None:
    article = "\n".join(
        [
            "WASHINGTON (AP) — The House passed the bill. He said it's the U.S.-led plan.",
            "By Jane Doe",
            "(CNN)ESPN's Britt McHenry was seen. “Why now?” Xi asked.",
            "東京都は2024年に新しい計画を発表した。これは重要だ。",
            "Nov 30 (Reuters) - Markets fell. But well-known traders bought.",
        ]
    )
    for lang in (None, "ja"):
        analysis = analyze(article, title="House passes U.S.-led plan’s bill", lang=lang)
        sentences = list(analysis.sentences)
        assert "" not in sentences and all("\x00" not in s for s in sentences)
        assert "The House passed the bill." in sentences  # dateline gone
        assert "By Jane Doe" not in sentences  # bare byline gone
        ids, bounds = reference(sentences, lang)
        assert analysis.term_ids.tolist() == ids and analysis.bounds.tolist() == bounds
        assert analysis.word_counts.tolist() == [word_count(s) for s in sentences]
        assert analysis.flags.tolist() == [sentence_flags(s) for s in sentences]
        title = lang_term_ids("House passes U.S.-led plan’s bill", lang)
        assert analysis.title_ids.tolist() == title


def test_strip_opener_still_strips_every_opener_form() -> None:
    assert strip_opener("WASHINGTON (AP) — The House passed.") == "The House passed."
    assert strip_opener("(CNN)ESPN's reporter spoke.") == "ESPN's reporter spoke."
    assert strip_opener("By Jane Doe and John Roe, Reuters") == ""
    assert strip_opener("Nov 30 (Reuters) - Markets fell.") == "Markets fell."
    assert strip_opener("Washington CNN — Lawmakers met.") == "Lawmakers met."
    assert strip_opener("The House passed.") == "The House passed."


def test_term_ids_of_a_chunk_are_its_ids_in_a_sentence() -> None:
    sentence = "the U.S.-led coalition’s well-known plan"
    assert [i for chunk in sentence.split() for i in term_ids(chunk)] == term_ids(sentence)


def test_pairwise_cosines_are_the_full_vocabulary_products() -> None:
    analysis = analyze(" ".join(TRICKY * 2) + " Police said the plan was new. Plans are new.")
    space = TermSpace(analysis)
    rows = list(range(0, len(analysis), 2))
    dense = np.zeros((len(rows), space.vocabulary.size))
    for r, i in enumerate(rows):
        dense[r] = space.sentence_vector(i)
    np.testing.assert_allclose(space.pairwise(rows), dense @ dense.T, rtol=0, atol=1e-12)


NEW_WORDS = [
    "The senator's aides’ plans weren't the Senate’s: a well-known, U.S.-led rock'n'roll plan.",
    "Aides said the plans, the plans and THE PLANS were new; 2024's plan, x's, s's, a1 b2.",
    "ΟΔΟΣ ΑΘΗΝΑΣ — Ο ΔΡΟΜΟΣ. Mixed 東京 Tokyo and 東京都は計画を発表した。",
    "Zyxqa's flurbled quorbs (quorbing!) quorbed; “zyxqa” ‘flurble’ -- quorb...quorb",
]


@pytest.mark.parametrize("bound", [200_000, 3])
def test_chunks_never_met_get_the_ids_of_the_definition(
    monkeypatch: pytest.MonkeyPatch, bound: int
) -> None:
    monkeypatch.setattr(text, "_CHUNK_IDS_MAX", bound)
    monkeypatch.setattr(text, "_TOKEN_IDS_MAX", bound)
    sentences = (NEW_WORDS + TRICKY) * 2
    for _ in range(2):  # every chunk and token new, then every one met
        text._CHUNK_IDS.clear()
        text._CHUNK_TERMS.clear()
        text._TOKEN_IDS.clear()
        found = sentence_terms(sentences, None)
        assert per_sentence(found) == definition(sentences)
        again = sentence_terms(sentences, None)
        assert again.ids.tolist() == found.ids.tolist()
        assert again.bounds.tolist() == found.bounds.tolist()
    assert [term_ids(s) for s in sentences] == definition(sentences)  # the tokens as entered
