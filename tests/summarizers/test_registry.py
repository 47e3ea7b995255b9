"""Every registered summarizer keeps the same promises: exact counts, verbatim, ordered, stable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import product
from pathlib import Path

import pytest

import summarizers
from summarizers.text import split_sentences, words

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
NAMES = {"lead", "news", "luhn", "lsa", "lexrank", "textrank", "sumbasic", "kl", "reduction"}
TARGET_WORDS = 2000


def build_article() -> tuple[str, list[str]]:
    """A ~2,000-word article of distinct sentences: both seeds' prose plus generated reports.

    Returns the text (three sentences per paragraph) and its sentences in order.
    """
    sentences: list[str] = []
    for path in SEEDS:
        for sentence in split_sentences(path.read_text(encoding="utf-8")):
            # Prose only: headlines, labels and teasers have no terminal punctuation.
            if len(words(sentence)) >= 6 and sentence[-1] in ".?!”" and sentence not in sentences:
                sentences.append(sentence)
    cities = ["Kyiv", "Brussels", "Paris", "Beijing", "Washington", "Warsaw", "Berlin", "Ankara"]
    topics = ["grain", "energy", "security", "trade", "ceasefire", "sanctions", "prisoner", "aid"]
    verbs = ["had made progress", "had stalled", "would resume", "were postponed"]
    generated = (
        f"Officials in {city} said on day {day} that the {topic} talks {verbs[day % 4]}, "
        f"though details remained scarce."
        for day, (city, topic) in enumerate(product(cities, topics), start=1)
    )
    total = sum(len(words(s)) for s in sentences)
    while total < TARGET_WORDS:
        sentence = next(generated)
        sentences.append(sentence)
        total += len(words(sentence))
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return "\n\n".join(paragraphs), sentences


ARTICLE, ARTICLE_SENTENCES = build_article()
SHORT = "Xi called for peace talks. Macron urged him to act.\n\nNATO warned China. Mao disagreed."


def test_the_test_article_is_long_with_many_distinct_sentences():
    assert len(words(ARTICLE)) >= TARGET_WORDS
    assert len(set(ARTICLE_SENTENCES)) == len(ARTICLE_SENTENCES) > 20
    # The splitter reads the article back as exactly the sentences it was built from.
    assert split_sentences(ARTICLE) == ARTICLE_SENTENCES


# --- the registry --------------------------------------------------------------------------


def test_available_lists_exactly_the_registered_summarizers():
    names = summarizers.available()
    assert sorted(names) == sorted(NAMES)
    assert len(names) == len(set(names))


def test_available_lists_the_default_first():
    assert summarizers.available()[0] == summarizers.DEFAULT == "news"


@pytest.mark.parametrize("name", sorted(NAMES))
def test_get_builds_the_named_summarizer(name):
    summarizer = summarizers.get(name)
    assert summarizer.name == name


def test_get_without_a_name_builds_the_default():
    assert summarizers.get().name == summarizers.DEFAULT


def test_get_ignores_case_and_surrounding_spaces():
    assert summarizers.get("  LexRank ").name == "lexrank"


def test_unknown_name_raises_unknown_summarizer_listing_the_available_names():
    with pytest.raises(summarizers.UnknownSummarizer) as caught:
        summarizers.get("nope")
    message = str(caught.value)
    assert "nope" in message
    for name in summarizers.available():
        assert name in message
    assert caught.value.name == "nope"


def test_unknown_summarizer_is_a_lookup_error():
    with pytest.raises(LookupError):
        summarizers.get("nope")


# --- what every summarizer promises --------------------------------------------------------


@pytest.fixture(params=sorted(NAMES))
def summarizer(request):
    return summarizers.get(request.param)


@pytest.mark.parametrize("count", [1, 3, 5, 10])
def test_summarize_returns_exactly_count_sentences(summarizer, count):
    assert len(summarizer.summarize(ARTICLE, count)) == count


def test_summary_sentences_are_verbatim_from_the_text(summarizer):
    for sentence in summarizer.summarize(ARTICLE, 7):
        assert sentence in ARTICLE_SENTENCES
        assert sentence in ARTICLE


def test_summary_sentences_are_distinct_and_in_document_order(summarizer):
    summary = summarizer.summarize(ARTICLE, 7)
    indices = [ARTICLE_SENTENCES.index(s) for s in summary]
    assert indices == sorted(set(indices))


def test_summarize_is_deterministic(summarizer):
    first = summarizer.summarize(ARTICLE, 5)
    assert summarizer.summarize(ARTICLE, 5) == first
    assert summarizers.get(summarizer.name).summarize(ARTICLE, 5) == first


@pytest.mark.parametrize("text", ["", " ", "\n\n\t \n"])
def test_empty_or_whitespace_text_gives_no_sentences(summarizer, text):
    assert summarizer.summarize(text, 3) == []


@pytest.mark.parametrize("count", [0, -1])
def test_non_positive_count_gives_no_sentences(summarizer, count):
    assert summarizer.summarize(ARTICLE, count) == []


@pytest.mark.parametrize("count", [4, 5, 50])
def test_count_at_or_above_the_sentence_count_returns_every_sentence(summarizer, count):
    assert summarizer.summarize(SHORT, count) == split_sentences(SHORT)


def test_single_sentence_text_returns_that_sentence(summarizer):
    assert summarizer.summarize("  Xi called for peace talks on Thursday.  ", 3) == [
        "Xi called for peace talks on Thursday."
    ]


# --- offline -------------------------------------------------------------------------------

_OFFLINE_SCRIPT = """
import json, sys
import nltk.data
# Wherever this runs, make sure no installed NLTK data could be found even by accident.
nltk.data.path[:] = []
import summarizers
text = sys.stdin.read()
print(json.dumps({name: summarizers.get(name).summarize(text, 3) for name in %r}))
"""


def test_summarizers_need_no_nltk_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NLTK_DATA"}
    env["HOME"] = str(tmp_path)
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT % sorted(NAMES)],
        input=ARTICLE,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summaries = json.loads(result.stdout)
    assert sorted(summaries) == sorted(NAMES)
    for name, summary in summaries.items():
        assert len(summary) == 3, name
        assert all(s in ARTICLE_SENTENCES for s in summary), name
    assert list(tmp_path.iterdir()) == [], "nothing may be downloaded or cached into HOME"
