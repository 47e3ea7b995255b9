"""Term spaces joined from each article's terms, and figures derived once per analysis (or
once per group of analyses)."""

from __future__ import annotations

import gc
from weakref import ref

import numpy as np

from summarizers.analysis import Analysis, analyze
from summarizers.base import concatenate
from summarizers.derived import derived, derived_together
from summarizers.news import NewsSummarizer, model_weights
from summarizers.vectors import SentenceTerms, TermSpace

TEXTS = [
    (
        "Harbour reopens",
        "The harbour reopened on Monday after storm repairs. Ferries resumed at noon. "
        "The harbour master said the repairs cost 2 million pounds. Fishermen welcomed it.",
    ),
    (
        "Ferries back in harbour",
        "Ferries returned to the harbour on Monday. The repairs cost 2 million pounds, the "
        "harbour master said. Storm damage had closed the port for a week.",
    ),
    ("Chess final", "The chess final was drawn after six hours. Both players agreed a draw."),
    ("Empty", ""),
]
FIELDS = (
    "size",
    "vocabulary",
    "pair_sentence",
    "pair_term",
    "term_counts",
    "sentence_frequency",
    "idf",
    "norms",
    "pair_weight",
)


def test_a_joined_space_is_the_space_of_the_analyses_concatenated_bit_for_bit() -> None:
    analyses = [analyze(text, title) for title, text in TEXTS]
    for parts in (analyses[:1], analyses[:2], analyses, analyses[::-1]):
        whole = TermSpace(concatenate(parts)[0])
        joined = TermSpace.joined([SentenceTerms.of(a) for a in parts])
        for name in FIELDS:
            expected, got = np.asarray(getattr(whole, name)), np.asarray(getattr(joined, name))
            assert got.dtype == expected.dtype, name
            assert np.array_equal(got, expected), name


def test_a_sentence_row_is_its_vector_scored_against_every_sentence_bit_for_bit() -> None:
    merged, _ = concatenate([analyze(text, title) for title, text in TEXTS])
    space = TermSpace(merged)
    for i in range(space.size):
        assert np.array_equal(space.similarity_to(i), space.score_against(space.sentence_vector(i)))


def test_a_figure_is_derived_once_per_analysis_object() -> None:
    title, text = TEXTS[0]
    analysis, again = analyze(text, title), analyze(text, title)
    calls = []

    def count(a: object) -> int:
        calls.append(a)
        return len(calls)

    assert derived(analysis, "test.count", count) == 1
    assert derived(analysis, "test.count", count) == 1  # kept
    assert derived(again, "test.count", count) == 2  # another analysis: derived anew
    assert calls == [analysis, again]


def test_picks_kept_for_the_shipped_weights_are_not_served_to_other_weights() -> None:
    title, text = TEXTS[0]
    analysis = analyze(text, title)
    shipped = NewsSummarizer().select(analysis, 2)
    assert NewsSummarizer().select(analysis, 2) == shipped
    reversed_weights = NewsSummarizer(weights=-model_weights())
    expected = reversed_weights.select(analyze(text, title), 2)  # an analysis with nothing kept
    assert expected != shipped  # else a served pick could not be told from a fresh one
    assert reversed_weights.select(analysis, 2) == expected


def test_a_sentence_row_is_read_exactly_from_the_other_sentences_dots() -> None:
    merged, _ = concatenate([analyze(text, title) for title, text in TEXTS])
    space = TermSpace(merged)
    dots = [space.dots_to(b)[0] for b in range(space.size)]
    for a in range(space.size):
        row, norm = space.similarity_to(a), space.norm_of(a)
        for b in range(space.size):
            assert dots[b][a] == dots[a][b]
            assert row[b] == (dots[b][a] / norm if norm else 0.0)


def test_a_figure_of_several_analyses_is_kept_for_those_objects_in_that_order() -> None:
    first, second = (analyze(text, title) for title, text in TEXTS[:2])
    calls = []

    def count(analyses: object) -> int:
        calls.append(analyses)
        return len(calls)

    assert derived_together([first, second], "test.together", count, keep=4) == 1
    assert derived_together([first, second], "test.together", count, keep=4) == 1  # kept
    assert derived_together([second, first], "test.together", count, keep=4) == 2  # order
    again = analyze(*reversed(TEXTS[0]))
    assert derived_together([again, second], "test.together", count, keep=4) == 3  # object
    assert derived_together([first, second], "test.other", count, keep=4) == 4  # name


def test_a_figure_keeps_no_analysis_alive() -> None:
    analysis = analyze(*reversed(TEXTS[0]))
    derived_together([analysis], "test.alive", lambda analyses: len(analyses), keep=8)
    alive = ref(analysis)
    del analysis
    gc.collect()
    assert alive() is None


def test_a_figure_is_not_served_to_an_analysis_in_a_dead_ones_place() -> None:
    calls = []

    def count(analyses: object) -> int:
        calls.append(None)  # not the analyses: they must be free to die
        return len(calls)

    # CPython mostly gives a new object of the same size the memory just freed, so a new
    # analysis takes the dead one's id: the id alone must not find the dead one's figure.
    for _ in range(100):
        analysis = analyze(*reversed(TEXTS[0]))
        derived_together([analysis], "test.dying", count, keep=8)
        fields, old_id, before = dict(vars(analysis)), id(analysis), len(calls)
        del analysis  # freed at once: nothing else refers to it
        newcomer = Analysis(**fields)
        if id(newcomer) == old_id:
            break
    assert id(newcomer) == old_id
    assert derived_together([newcomer], "test.dying", count, keep=8) == before + 1


def test_only_the_last_few_figures_of_a_name_are_kept() -> None:
    analyses = [analyze(text, title) for title, text in TEXTS]
    calls = []

    def count(group: object) -> int:
        calls.append(group)
        return len(calls)

    for a in analyses:
        derived_together([a], "test.few", count, keep=2)
    assert derived_together(analyses[-1:], "test.few", count, keep=2) == len(analyses)  # kept
    assert derived_together(analyses[:1], "test.few", count, keep=2) == len(analyses) + 1


def test_story_picks_kept_for_the_shipped_weights_are_not_served_to_other_weights() -> None:
    story = [analyze(text, title) for title, text in TEXTS[:2]]
    shipped = NewsSummarizer().select_many(story, 3)
    assert NewsSummarizer().select_many(story, 3) == shipped
    reversed_weights = NewsSummarizer(weights=-model_weights())
    fresh = [analyze(text, title) for title, text in TEXTS[:2]]  # nothing kept for these
    expected = reversed_weights.select_many(fresh, 3)
    assert expected != shipped  # else a served pick could not be told from a fresh one
    assert reversed_weights.select_many(story, 3) == expected
