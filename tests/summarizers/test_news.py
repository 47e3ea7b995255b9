"""The news summarizer across several reports of one story, and the stored analysis format."""

from __future__ import annotations

from itertools import combinations

import pytest
from fakes.analyses import assert_same_analysis

import summarizers
from summarizers.analysis import Analysis, analyze
from summarizers.news import NewsSummarizer
from summarizers.text import split_sentences, terms

LEAD = (
    "Chinese leader Xi Jinping called on Thursday for peace talks over Ukraine to resume as "
    "soon as possible."
)
# The same fact, reworded by a third outlet.
LEAD_REWORDED = (
    "Xi Jinping, the Chinese leader, called on Thursday for peace talks over Ukraine to resume "
    "as soon as possible, state media said."
)

REPORT_A = "\n".join(
    [
        LEAD,
        "French President Emmanuel Macron had urged him to bring Russia to its senses during a "
        "state visit to Beijing.",
        "Xi gave no sign that China would use its leverage over Moscow to press for a settlement.",
        "The two leaders also discussed trade, aviation and climate cooperation at the Great Hall "
        "of the People.",
        "Macron was accompanied by European Commission President Ursula von der Leyen.",
    ]
)

REPORT_B = "\n".join(
    [
        LEAD,
        "NATO members warned Beijing of severe consequences should China start supplying weapons "
        "to Russia.",
        "A Foreign Ministry spokesperson in Beijing said China had always adhered to an objective "
        "and fair position.",
        "Analysts said the visit showed Europe hoped China could play a mediating role in the war.",
    ]
)

REPORT_C = f"""{LEAD_REWORDED}
Markets in Shanghai closed higher after the talks."""

REPORTS = [REPORT_A, REPORT_B, REPORT_C]


def same_fact(first: str, second: str) -> bool:
    """Near-identical: most content words shared (Jaccard overlap of stemmed terms)."""
    a, b = set(terms(first)), set(terms(second))
    return len(a & b) / max(len(a | b), 1) >= 0.6


def distinct_facts(documents: list[str]) -> list[str]:
    facts: list[str] = []
    for document in documents:
        for sentence in split_sentences(document):
            if not any(same_fact(sentence, fact) for fact in facts):
                facts.append(sentence)
    return facts


def test_fixture_repeats_exactly_one_fact():
    assert same_fact(LEAD, LEAD_REWORDED)
    sentences = [s for d in REPORTS for s in split_sentences(d)]
    assert len(distinct_facts(REPORTS)) == len(sentences) - 2 == 9


@pytest.fixture
def news():
    return summarizers.get("news")


def test_news_is_the_news_summarizer(news):
    assert isinstance(news, NewsSummarizer)


@pytest.mark.parametrize("count", [1, 2, 4, 6, 9])
def test_summarize_many_returns_count_sentences_each_verbatim_from_a_document(news, count):
    summary = news.summarize_many(REPORTS, count)
    assert len(summary) == count
    for sentence in summary:
        assert any(sentence in split_sentences(d) for d in REPORTS), sentence


@pytest.mark.parametrize("count", [2, 3, 5, 8, 9])
def test_summarize_many_states_each_fact_once(news, count):
    summary = news.summarize_many(REPORTS, count)
    assert len(set(summary)) == len(summary)
    for first, second in combinations(summary, 2):
        assert not same_fact(first, second), (first, second)


def test_fact_repeated_by_two_reports_appears_once_even_when_all_facts_are_asked_for(news):
    summary = news.summarize_many([REPORT_A, REPORT_B], 8)
    assert summary.count(LEAD) == 1
    assert len(set(summary)) == 8


def test_story_lead_shared_by_every_report_is_picked_first(news):
    summary = news.summarize_many(REPORTS, 1)
    assert summary[0] in (LEAD, LEAD_REWORDED)


def test_summarize_many_is_deterministic(news):
    assert news.summarize_many(REPORTS, 4) == news.summarize_many(REPORTS, 4)


def test_summarize_many_skips_empty_documents(news):
    assert news.summarize_many(["", "  \n", REPORT_A], 2) == news.summarize_many([REPORT_A], 2)


@pytest.mark.parametrize("documents", [[], [""], [" ", "\n\t"]])
def test_summarize_many_of_nothing_is_empty(news, documents):
    assert news.summarize_many(documents, 3) == []


def test_summarize_many_with_non_positive_count_is_empty(news):
    assert news.summarize_many(REPORTS, 0) == []


@pytest.mark.parametrize("name", ["lead", "lexrank", "textrank"])
def test_other_summarizers_also_summarize_many_documents_verbatim(name):
    summary = summarizers.get(name).summarize_many(REPORTS, 4)
    assert len(summary) == 4
    for sentence in summary:
        assert any(sentence in split_sentences(d) for d in REPORTS), sentence


# --- the analysis and its stored form ------------------------------------------------------


def test_analysis_round_trips_through_bytes():
    text = REPORT_A + "\n\n" + REPORT_C
    title = "Xi calls for Ukraine peace talks"
    original = analyze(text, title)
    assert original.title_ids.size > 0
    blob = original.to_bytes(text, title)
    assert isinstance(blob, bytes)
    assert_same_analysis(Analysis.from_bytes(blob, text, title), original)


def test_analysis_round_trip_keeps_non_ascii_sentences():
    text = "“Peace talks should resume,” Xi said — in Beijing’s Great Hall. Ça va."
    original = analyze(text)
    assert_same_analysis(Analysis.from_bytes(original.to_bytes(text), text), original)


def test_empty_analysis_round_trips():
    original = analyze("")
    restored = Analysis.from_bytes(original.to_bytes(""), "")
    assert len(restored) == 0
    assert_same_analysis(restored, original)


def test_restored_analysis_summarizes_like_the_original(news):
    text = REPORT_A + "\n" + REPORT_B
    original = analyze(text)
    restored = Analysis.from_bytes(original.to_bytes(text), text)
    assert news.select(restored, 3) == news.select(original, 3)
    assert news.select_many([restored], 3) == news.select_many([original], 3)


def test_long_articles_round_trip_in_wider_stored_numbers():
    # Past 255 terms, words or paragraphs, and past 65,535 characters, the stored numbers
    # take 2 and 4 bytes: a round trip gives back the same analysis all the same.
    paragraph = "The council approved the harbour budget on Tuesday after a long debate."
    for paragraphs in (3, 300, 1200):
        text = "\n".join(f"{paragraph} Item {n} passed." for n in range(paragraphs))
        original = analyze(text)
        assert_same_analysis(Analysis.from_bytes(original.to_bytes(text), text), original)
    long_sentence = " ".join(["Delegates"] + ["argued"] * 300) + "."
    original = analyze(long_sentence)
    assert original.word_counts.tolist() == [301]
    assert_same_analysis(
        Analysis.from_bytes(original.to_bytes(long_sentence), long_sentence), original
    )


def test_stored_numbers_take_one_byte_when_they_fit():
    text = REPORT_A + "\n\n" + REPORT_B
    title = "Xi calls for Ukraine peace talks"
    original = analyze(text, title)
    blob = original.to_bytes(text, title)
    # 2-byte magic, widths and language length (English: no code); the text's length in a 2-byte
    # varint (under 16,384 characters), the sentence count, literals' length and title term
    # count in one byte each; then per sentence its length (sentences under 256 characters)
    # and one byte of flags, paragraph step and gap (both under 4).  No term ids.
    assert 127 < len(text) < 16_384 and max(map(len, original.sentences)) < 256
    assert len(blob) == 2 + 2 + 2 + 3 + 2 * len(original)


def test_from_bytes_rejects_other_data():
    with pytest.raises(ValueError):
        Analysis.from_bytes(b"XXXX" + bytes(40), "")


def test_stored_analysis_keeps_positions_not_the_sentences_again():
    text = REPORT_A + "\n\n" + REPORT_B + "\n\n" + REPORT_C
    blob = analyze(text).to_bytes(text)
    assert len(blob) < len(text.encode("utf-8"))
    assert REPORT_A.split(".")[0].encode("utf-8") not in blob


def test_sentences_that_are_not_slices_of_the_text_round_trip():
    # Collapsed spacing and a dateline stripped before a lower-case word change the sentence.
    text = (
        "WASHINGTON (AP) — the House passed the bill on Friday.  It  now goes to the Senate.\n"
        "SEOUL, South Korea — North Korea fired a missile. Officials said it fell into the sea."
    )
    original = analyze(text)
    assert original.sentences[0] == "The House passed the bill on Friday."
    assert "North Korea fired a missile." in original.sentences
    restored = Analysis.from_bytes(original.to_bytes(text), text)
    assert_same_analysis(restored, original)


def test_a_blob_loaded_with_another_text_is_refused():
    text = REPORT_A
    blob = analyze(text).to_bytes(text)
    with pytest.raises(ValueError, match="another text"):
        Analysis.from_bytes(blob, text + " More.")


def test_analysis_records_sentences_paragraphs_and_term_bounds():
    analysis = analyze("Xi called for talks. Macron agreed.\n\nNATO warned China.")
    assert analysis.sentences == ("Xi called for talks.", "Macron agreed.", "NATO warned China.")
    assert analysis.paragraphs.tolist() == [0, 0, 1]
    assert analysis.word_counts.tolist() == [4, 2, 3]
    assert len(analysis.bounds) == len(analysis) + 1
    assert analysis.bounds[-1] == analysis.term_ids.size
    assert analysis.sentence_terms(2).size == len(terms("NATO warned China."))
